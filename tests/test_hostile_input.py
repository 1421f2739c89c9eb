"""Ids a person can forge (a button's value, a form's post id) never reach the database as
numbers it cannot hold: they name no post, and the person is told so, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.events import ButtonPressed, PrivateAnswerSubmitted
from bot.messages import Action, MessageKind
from tests.harness import ADMIN, MEMBERS, make_harness

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUGE = 10**20  # beyond a 64-bit integer


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, NINE)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


@pytest.mark.parametrize("value", [str(HUGE), str(2**63), "-1", "0", "9" * 400])
async def test_a_feedback_button_naming_an_impossible_post(h, value, caplog):
    press = ButtonPressed(h.where, MEMBERS[0], Action.MY_FEEDBACK, value, "I1")
    (reply,) = await h.core.dispatch(press)
    assert reply.kind == MessageKind.ERROR
    assert "went wrong" not in reply.body  # a clear refusal, not an apology for a crash
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("post_id", [HUGE, 2**63, -(2**70), 0])
async def test_a_private_answer_to_an_impossible_post(h, post_id, caplog):
    event = PrivateAnswerSubmitted(h.where, MEMBERS[0], post_id, "Bias is error.", "view:1")
    (reply,) = await h.core.dispatch(event)
    assert reply.kind == MessageKind.ERROR and "not open to you" in reply.body
    assert not [r for r in caplog.records if r.exc_info]

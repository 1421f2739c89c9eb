"""Text a database refuses (NUL, lone UTF-16 surrogates) is made storable, never dropped.

PostgreSQL refuses NUL in text and anything that is not valid UTF-8 (a lone surrogate has
no UTF-8 form); SQLite's driver refuses the surrogate too. An answer carrying either was
acknowledged and then lost; now it is cleaned where events enter the core (NUL removed, a
lone surrogate replaced by U+FFFD), stored and graded. Runs on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.events import (
    Actor,
    AnswerEdited,
    AnswerPosted,
    ChannelAddress,
    CommandInvoked,
    storable_event,
)
from bot.inbox import decode
from bot.text import storable
from storage import unit_of_work
from storage.models import Answer, InboxEvent, Member
from tests.harness import ADMIN, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ODD = [
    ("nul\x00inside", "nulinside"),
    ("lone high \ud800 surrogate", "lone high \ufffd surrogate"),
    ("lone low \udfff", "lone low \ufffd"),
    ("a split pair \ud83c\udf89 joins", "a split pair 🎉 joins"),
    ("\x00\ud800\x00", "\ufffd"),
    ("plain, emoji 🎉 and שלום", "plain, emoji 🎉 and שלום"),
]


@pytest.mark.parametrize(("raw", "clean"), ODD)
def test_storable_text(raw: str, clean: str) -> None:
    assert storable(raw) == clean
    storable(raw).encode("utf-8")  # always encodable now


def test_every_text_field_of_an_event_is_cleaned() -> None:
    where = ChannelAddress("slack", "T\x001", "C\ud8001")
    event = AnswerPosted(where, Actor("U\x001", "An\ud800a"), "1.0", "2.\x000", "hi\x00", "Ev\x00")
    cleaned = storable_event(event)
    assert cleaned == AnswerPosted(
        ChannelAddress("slack", "T1", "C\ufffd1"),
        Actor("U1", "An\ufffda"),
        "1.0",
        "2.0",
        "hi",
        "Ev",
    )
    plain = CommandInvoked(ChannelAddress("slack", "T1", "C1"), Actor("U1"), "stats")
    assert storable_event(plain) is plain  # nothing to clean, nothing copied


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM, platform="slack")
    await harness.command("subscribe", ADMIN)
    await harness.run_until(NINE)
    yield harness
    await harness.close()


async def stored_answers(h: Harness) -> list[Answer]:
    async with unit_of_work(h.db) as repo:
        return list(await repo.session.scalars(select(Answer).order_by(Answer.id)))


async def test_answers_with_odd_text_are_stored_and_graded(h: Harness):
    people = [Actor(f"U{n}", f"Person\x00{n}\ud800") for n in range(len(ODD))]
    for n, ((raw, _), actor) in enumerate(zip(ODD, people, strict=True)):
        # Enough words to be graded, with the odd characters in the middle.
        text = f"Regularisation trades variance for bias; {raw} shrinks weights."
        assert await h.answer(actor, text, message_id=f"2.{n}\x00", event_id=f"Ev{n}") == []
    stored = await stored_answers(h)
    assert len(stored) == len(ODD)
    for answer, (_, clean) in zip(stored, ODD, strict=True):
        assert answer.text == f"Regularisation trades variance for bias; {clean} shrinks weights."
        assert answer.feedback  # graded
    # Every answer got its reaction and its private grade.
    assert len(h.adapter.of("react")) == len(ODD)
    grades = [s for s in h.adapter.of("private") if "Score" in (s.message.title or "")]
    assert len(grades) == len(ODD)
    async with unit_of_work(h.db) as repo:
        names = set(await repo.session.scalars(select(Member.display_name)))
    assert "Person0\ufffd" in names


async def test_an_edit_with_odd_text_replaces_the_answer(h: Harness):
    await h.answer(Actor("U1", "Ana"), "Bias is error from wrong assumptions.", message_id="2.1")
    edited = AnswerEdited(h.where, Actor("U1"), h.current_thread(), "2.1", "Bias\x00 \udc00 again")
    await h.core.dispatch(edited)
    (answer,) = await stored_answers(h)
    assert answer.text == "Bias \ufffd again"


async def test_the_inbox_keeps_odd_text(h: Harness):
    event = AnswerPosted(
        h.where, Actor("U1\x00"), "1.0", "2.\ud8000", "an\x00swer \ud800", "Ev\x00"
    )
    inbox_id = await h.core.inbox.accept(event)
    assert inbox_id is not None
    async with unit_of_work(h.db) as repo:
        row = await repo.session.get_one(InboxEvent, inbox_id)
        back, _ = decode(row.kind, row.payload)
    assert back == storable_event(event)
    assert back.text == "answer \ufffd"


@pytest.mark.parametrize("text", ["ok", "😀😀😀", "+1", "!!!", "??"])
async def test_a_reply_with_nothing_to_grade_is_not_counted(h: Harness, text: str):
    """'ok' or a row of emoji earned the on-time point and a streak day while its grade
    said there was nothing to grade. It is now refused like an empty reply: not stored,
    no reaction, and the person is told why."""
    await h.answer(Actor("U1", "Ana"), text, message_id="2.1")
    assert await stored_answers(h) == []
    assert not h.adapter.of("react")
    told = [s.message.body or "" for s in h.adapter.of("private")]
    assert any("nothing to grade" in body for body in told), told


async def test_a_reply_with_nothing_to_grade_leaves_the_earlier_answer_standing(h: Harness):
    ana = Actor("U1", "Ana")
    await h.answer(ana, "Bias is error from wrong assumptions.", message_id="2.1")
    await h.edit(ana, "👍", message_id="2.1")
    (answer,) = await stored_answers(h)
    assert answer.text == "Bias is error from wrong assumptions."
    told = [s.message.body or "" for s in h.adapter.of("private")]
    assert any("earlier answer stands" in body for body in told), told

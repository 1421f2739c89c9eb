"""Hostile presses of a grade DM's buttons, signed as Slack signs them.

A grade sent as a DM names its channel in its first block (``mlq_about:<channel>``,
blocks.render_direct), and a button pressed there acts for that channel
(translate.action_ref). That block id comes back inside the request, so a forged one must
never reach the database as a channel (no row for it, no driver error with a traceback)
and never 5xx: only a Slack channel id (C…/G…, upper-case letters and digits, as short as
the columns) is taken; anything else leaves the press where it was made.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from adapters.slack.blocks import render_direct
from bot.messages import Message
from storage import unit_of_work
from storage.models import Channel
from tests.slack import payloads
from tests.slack.conftest import SlackHttp
from tests.slack.test_hostile_http import tracebacks
from tests.slack.test_http import subscribe_and_post

FORGED = [
    "C" + "X" * 200,  # longer than any id column (128): PostgreSQL refuses it
    "C1'; drop table channel; --",
    "C1\n<!everyone>",
    "C1>|<!channel",
    "c1lower",
    "C",
    "Cé1",
    "C1\x00",
]


def about(channel: str) -> list[dict]:
    return [{"type": "context", "block_id": f"mlq_about:{channel}", "elements": []}]


async def channel_ids(s: SlackHttp) -> set[str]:
    async with unit_of_work(s.runtime.app.db) as repo:
        return set((await repo.session.scalars(select(Channel.external_id))).all())


@pytest.mark.parametrize("forged", FORGED, ids=range(len(FORGED)))
async def test_a_forged_about_channel_is_not_taken_and_never_errors(
    slack_http: SlackHttp, caplog: pytest.LogCaptureFixture, forged: str
):
    s = slack_http
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="mlq")
    parent = await subscribe_and_post(s)
    before = await channel_ids(s)
    for action, value in (("mlq:my_stats", "202610"), ("mlq:my_feedback", "1")):
        status, _ = await s.interactive(
            payloads.block_actions(
                action,
                value,
                message_ts=parent,
                channel="DU1",
                message_blocks=about(forged),
                response_url=s.fake.response_url("dm"),
            )
        )
        assert status == 200
    await s.settle()
    assert tracebacks(caplog) == []
    assert forged not in await channel_ids(s)
    assert await channel_ids(s) - before <= {"DU1"}  # at most the DM, as before about-blocks


async def test_a_real_about_channel_still_acts_for_its_channel(slack_http: SlackHttp):
    """The attack's control: the block render_direct writes is taken."""
    s = slack_http
    parent = await subscribe_and_post(s)
    blocks = render_direct(Message(body="graded"), "C1", None).blocks
    status, _ = await s.interactive(
        payloads.block_actions(
            "mlq:my_stats",
            "202610",
            message_ts=parent,
            channel="DU1",
            message_blocks=blocks,
            response_url=s.fake.response_url("dm"),
        )
    )
    assert status == 200
    await s.settle()
    assert "DU1" not in await channel_ids(s)

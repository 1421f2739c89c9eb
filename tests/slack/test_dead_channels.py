"""Slack's permanent errors suspend the channel; its transient ones do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage import unit_of_work
from storage.models import Channel
from tests.slack.conftest import SlackHttp

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def suspension(s: SlackHttp) -> str | None:
    async with unit_of_work(s.runtime.app.db) as repo:
        return await repo.session.scalar(
            select(Channel.suspended_reason).where(Channel.external_id == "C1")
        )


async def run_day(s: SlackHttp) -> None:
    """Tick every five minutes from 09:00 to 21:00."""
    s.clock.set(NINE)
    while s.clock.now() < NINE + timedelta(hours=12):
        await s.tick()
        s.clock.advance(timedelta(minutes=5))


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived", "channel_not_found"])
async def test_a_dead_channel_is_tried_once_and_the_admin_is_told(
    slack_http: SlackHttp, error: str
):
    s = slack_http
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    s.fake.clear()
    s.fake.dead_channels["C1"] = error
    await run_day(s)
    assert len(s.fake.of("chat.postMessage", channel="C1")) == 1
    assert await suspension(s) == error
    (dm,) = s.fake.of("chat.postMessage", channel="U-admin")
    assert error in dm.params["text"] and "/mlq resume" in dm.params["text"]

    # The admin fixes it and resumes: today's question goes out at the next tick.
    del s.fake.dead_channels["C1"]
    assert await s.command("status", user="U1") == 200
    await s.settle()
    assert error in s.fake.responses[-1][1]["text"]
    assert await s.command("resume", user="U-admin") == 200
    await s.settle()
    assert await suspension(s) is None
    s.clock.advance(timedelta(minutes=1))
    await s.tick()
    assert len(s.fake.of("chat.postMessage", channel="C1")) == 3  # refused, resume reply, question


async def test_server_errors_are_retried_not_suspended(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    s.fake.clear()
    s.fake.fail("chat.postMessage", status=500, times=4)  # three retries in the SDK, then us
    s.clock.set(NINE)
    await s.tick()
    assert await suspension(s) is None
    assert s.fake.of("chat.postMessage", channel="U-admin") == []
    s.clock.advance(timedelta(minutes=3))  # past the lease: the recovery pass retries
    await s.tick()
    posted = [c for c in s.fake.of("chat.postMessage", channel="C1") if c.result]
    assert len(posted) == 1

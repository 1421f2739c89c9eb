"""/mlq subscribe and /mlq resume change a channel only where the bot can post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.events import ChannelAddress, CommandInvoked
from bot.messages import MessageKind
from bot.ports import DeliveryError
from storage import unit_of_work
from storage.models import Channel
from tests.harness import ADMIN, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    yield harness
    await harness.close()


async def stored(h: Harness) -> Channel | None:
    async with unit_of_work(h.db) as repo:
        return await repo.session.scalar(select(Channel).where(Channel.external_id == "C1"))


def questions(h: Harness) -> list:
    return [s for s in h.adapter.of("post", "C1") if s.message.kind == MessageKind.QUESTION]


async def test_subscribe_where_the_bot_cannot_post_changes_nothing(h: Harness):
    h.adapter.dead_channels["C1"] = "not_in_channel"
    (reply,) = await h.command("subscribe", ADMIN)
    assert reply.kind == MessageKind.ERROR
    assert "not subscribed" in reply.body and "/invite @mlq" in reply.body
    channel = await stored(h)
    assert channel is None or not channel.subscribed
    await h.run_until(NINE + timedelta(minutes=5))
    assert questions(h) == []

    del h.adapter.dead_channels["C1"]  # invited
    assert await h.command("subscribe", ADMIN) == []
    (confirmation,) = h.adapter.of("post", "C1")
    assert confirmation.message.body.startswith("This channel is subscribed")
    assert (await stored(h)).subscribed
    await h.run_until(NINE + timedelta(days=1, minutes=5))
    assert len(questions(h)) == 1


async def test_a_passing_failure_says_try_again_and_changes_nothing(h: Harness):
    h.adapter.failing_channels.add("C1")
    (reply,) = await h.command("subscribe", ADMIN)
    assert reply.kind == MessageKind.ERROR and "try again" in reply.body
    channel = await stored(h)
    assert channel is None or not channel.subscribed


async def test_the_adapters_own_check_lists_every_problem(h: Harness):
    async def access_problems(where: ChannelAddress) -> list[str]:
        return ["missing Add Reactions", "missing Create Public Threads"]

    h.adapter.access_problems = access_problems  # type: ignore[attr-defined]
    (reply,) = await h.command("subscribe", ADMIN)
    assert "Add Reactions" in reply.body and "Create Public Threads" in reply.body
    assert h.adapter.of("post") == []  # nothing posted when the check already failed
    channel = await stored(h)
    assert channel is None or not channel.subscribed


async def test_a_permanent_refusal_of_the_check_itself_is_a_problem(h: Harness):
    async def access_problems(where: ChannelAddress) -> list[str]:
        raise DeliveryError("gone", permanent=True, reason="unknown_channel")

    h.adapter.access_problems = access_problems  # type: ignore[attr-defined]
    (reply,) = await h.command("subscribe", ADMIN)
    assert "unknown_channel" in reply.body and "deleted" in reply.body


async def test_a_repeated_command_delivery_posts_one_confirmation(h: Harness):
    event = CommandInvoked(h.where, ADMIN, "subscribe", "ev-1")
    assert await h.core.dispatch(event) == []
    assert await h.core.dispatch(event) == []
    assert len(h.adapter.of("post", "C1")) == 1


async def test_resume_of_a_paused_channel_that_refuses_the_bot_keeps_it_paused(h: Harness):
    await h.command("subscribe", ADMIN)
    await h.command("pause", ADMIN)
    h.adapter.dead_channels["C1"] = "missing_permissions"
    (reply,) = await h.command("resume", ADMIN)
    assert reply.kind == MessageKind.ERROR and "not resumed" in reply.body
    assert (await stored(h)).paused

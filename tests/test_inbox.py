"""The inbox: accepted events kept in the database until handled, decided by unique keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from adapters.memory import MemoryAdapter
from bot.clock import ManualClock
from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ChannelAddress,
    PrivateAnswerSubmitted,
)
from bot.inbox import MAX_ATTEMPTS, decode, encode, event_key
from storage import unit_of_work
from storage.models import InboxEvent
from tests.harness import make_core

WHERE = ChannelAddress("slack", "T1", "C1")
ANN = Actor("U1", "Ann")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reply(ts: str, text: str = "Bias is error from assumptions.", event_id: str | None = None):
    return AnswerPosted(WHERE, ANN, "100.1", ts, text, event_id or f"Ev{ts}")


@pytest.fixture
async def cores(db_url: str):
    """Two copies of the bot on one database, with one clock."""
    clock = ManualClock(START)
    first = make_core(db_url, MemoryAdapter(), clock, instance_id="one")
    second = make_core(db_url, MemoryAdapter(), clock, instance_id="two")
    yield first, second, clock
    await first.ctx.db.dispose()
    await second.ctx.db.dispose()


@pytest.mark.parametrize(
    "event",
    [
        reply("200.1", "emoji 🎉, right-to-left שלום, <!channel> and **bold**"),
        AnswerEdited(WHERE, ANN, "100.1", "200.1", "better text", "Ev2"),
        AnswerDeleted(WHERE, Actor(""), "100.1", "200.1", "Ev3"),
        PrivateAnswerSubmitted(WHERE, ANN, 7, "a private answer", "view:V1"),
    ],
)
def test_every_durable_event_survives_its_row(event) -> None:
    back, context = decode(type(event).__name__, encode(event, {"modal": "{}"}))
    assert back == event and context == {"modal": "{}"}


def test_an_unreadable_row_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown inbox event kind"):
        decode("Nonsense", {})
    with pytest.raises(ValueError, match="unreadable AnswerPosted"):
        decode("AnswerPosted", {"where": {"platform": "slack"}})


def test_a_reply_is_keyed_by_its_message_not_its_event_id() -> None:
    # Slack can deliver one message under two event ids: it is one answer.
    assert event_key(reply("200.1", event_id="EvA")) == event_key(reply("200.1", event_id="EvB"))
    assert event_key(reply("200.1")) != event_key(reply("200.2"))


def test_keys_fit_their_column_and_edits_without_an_id_stay_apart() -> None:
    def edit(text: str) -> AnswerEdited:
        return AnswerEdited(WHERE, ANN, "100.1", "200.1", text, None)

    assert event_key(edit("first wording")) != event_key(edit("second wording"))
    assert event_key(edit("x" * 40_000)) != event_key(edit("x" * 39_999 + "y"))
    long_id = AnswerEdited(ChannelAddress("slack", "T" * 150, "C" * 150), ANN, "1", "2", "t", "E")
    assert all(len(event_key(e)) <= 200 for e in (edit("x" * 40_000), long_id))
    assert event_key(long_id) == event_key(long_id)


async def test_a_retry_or_a_twin_is_refused_by_the_database(cores) -> None:
    first, second, _ = cores
    assert await first.inbox.accept(reply("200.1")) is not None
    assert await first.inbox.accept(reply("200.1")) is None  # Slack's retry
    assert await second.inbox.accept(reply("200.1", event_id="EvOther")) is None  # other copy
    # Twins inside one batch: only the first gets an id.
    results = await asyncio.gather(*(first.inbox.accept(reply("300.1")) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    assert await first.inbox.pending("slack") == 2


async def test_a_burst_is_accepted_by_group_commit(cores) -> None:
    first, _, _ = cores
    ids = await asyncio.gather(*(first.inbox.accept(reply(f"{400 + n}.1")) for n in range(300)))
    assert len(set(ids)) == 300 and None not in ids
    assert await first.inbox.pending("slack") == 300


async def test_stranded_events_are_resumed_once_the_lease_runs_out(cores) -> None:
    first, second, clock = cores
    kept = await first.inbox.accept(reply("200.1"))
    done = await first.inbox.accept(reply("200.2"))
    assert kept is not None and done is not None
    await first.inbox.finish(done)
    # The accepting process may still be working on it: nobody else takes it yet.
    assert await second.inbox.stranded("slack") == []
    clock.advance(timedelta(minutes=6))  # the first copy died with it
    taken_by_both = await asyncio.gather(
        first.inbox.stranded("slack"), second.inbox.stranded("slack")
    )
    taken = [item for items in taken_by_both for item in items]
    assert [(item.inbox_id, item.event) for item in taken] == [(kept, reply("200.1"))]
    assert await first.inbox.stranded("slack") == []  # leased again, to the taker
    assert await first.inbox.stranded("discord") == []


async def test_a_released_event_is_retried_at_once_but_not_forever(cores) -> None:
    first, _, _ = cores
    inbox_id = await first.inbox.accept(reply("200.1"))
    assert inbox_id is not None
    for _attempt in range(MAX_ATTEMPTS - 1):
        await first.inbox.release(inbox_id)
        (item,) = await first.inbox.stranded("slack")
        assert item.inbox_id == inbox_id
    await first.inbox.release(inbox_id)
    assert await first.inbox.stranded("slack") == []  # left for a person to look at
    assert await first.inbox.pending("slack") == 1


async def test_a_row_that_cannot_be_read_is_skipped_not_fatal(cores) -> None:
    first, _, clock = cores
    bad = await first.inbox.accept(reply("200.1"))
    good = await first.inbox.accept(reply("200.2"))
    async with unit_of_work(first.ctx.db) as repo:
        await repo.session.execute(
            update(InboxEvent).where(InboxEvent.id == bad).values(payload={"broken": True})
        )
    clock.advance(timedelta(minutes=6))
    assert [item.inbox_id for item in await first.inbox.stranded("slack")] == [good]


async def test_finished_events_are_pruned_after_two_days(cores) -> None:
    first, _, clock = cores
    inbox_id = await first.inbox.accept(reply("200.1"))
    assert inbox_id is not None
    await first.inbox.finish(inbox_id)
    await first.inbox.accept(reply("200.2"))  # not finished: kept
    clock.advance(timedelta(days=1))
    assert await first.inbox.prune() == 0
    clock.advance(timedelta(days=1, minutes=1))
    assert await first.inbox.prune() == 1
    assert await first.inbox.pending("slack") == 1

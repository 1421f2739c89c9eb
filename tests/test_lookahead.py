"""Daily questions chosen in the tick before their post time, and what may change meanwhile."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot.choice import due_today
from bot.events import CommandInvoked
from bot.lookahead import post_falling_due
from bot.messages import MessageKind
from storage import unit_of_work
from storage.claims import DailyClaims
from storage.models import Channel, Post
from storage.repository import ChannelRow
from tests.harness import ADMIN, Harness, channel_names, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
BEFORE_9AM = datetime(2026, 3, 2, 8, 59, 40, tzinfo=UTC)  # the tick before the post time
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def posted_prompts(h: Harness) -> dict[str, str]:
    sent = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]
    assert len({s.channel.channel for s in sent}) == len(sent), "a channel got two questions"
    return {s.channel.channel: s.message.body for s in sent}


async def question_ids(h: Harness) -> dict[str, str]:
    return {name: q for (_, name), q in (await chosen_by_day(h)).items()}


class CountingReads:
    """Counts the channels whose history the bulk choice reads."""

    def __init__(self, monkeypatch) -> None:
        self.channels = 0
        real = DailyClaims.histories

        async def histories(queries, channel_ids):
            self.channels += len(channel_ids)
            return await real(queries, channel_ids)

        monkeypatch.setattr(DailyClaims, "histories", histories)


async def chosen_by_day(h: Harness) -> dict[tuple[int, str], str]:
    """(days after Monday, channel) -> the question its daily post asked."""
    async with unit_of_work(h.db) as repo:
        rows = await repo.session.execute(
            select(Channel.external_id, Post.local_date, Post.question_id).join(
                Channel, Channel.id == Post.channel_id
            )
        )
        return {((day - MONDAY_9AM.date()).days, name): q for name, day, q in rows}


async def test_the_tick_before_chooses_and_the_due_tick_only_claims(db_url, monkeypatch):
    channels = channel_names(6)
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channels)
        filtered = h.address(channels[1])
        await h.core.dispatch(CommandInvoked(filtered, ADMIN, "topics only deep-learning"))
        for day in range(3):  # chosen at the due instant, as after a restart
            h.clock.set(MONDAY_9AM + timedelta(days=day))
            assert (await h.core.tick()).posted == len(channels)
        expected = await chosen_by_day(h)
        assert len(expected) == 3 * len(channels)

        # The same three days again from no history, now with a tick shortly before 09:00.
        async with unit_of_work(h.db) as repo:
            await repo.session.execute(delete(Post))
        reads = CountingReads(monkeypatch)
        for day in range(3):
            h.clock.set(BEFORE_9AM + timedelta(days=day))
            assert (await h.core.tick()).posted == 0
            assert len(h.core.plan) == len(channels)
            read_ahead = reads.channels
            h.clock.set(MONDAY_9AM + timedelta(days=day))
            assert (await h.core.tick()).posted == len(channels)
            assert reads.channels == read_ahead  # nothing was read again at the due instant
            assert len(h.core.plan) == 0
        assert await chosen_by_day(h) == expected  # the questions the due instant chose
    finally:
        await h.close()


async def test_a_filter_changed_after_the_pick_is_honoured(db_url):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.clock.set(BEFORE_9AM)
        await h.core.tick()
        (pick,) = h.core.plan._picks.values()
        other = next(t for t in h.bank.topics() if t != pick.question.topic)
        await h.command(f"topics only {other}", ADMIN)
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 1
        (question_id,) = (await question_ids(h)).values()
        assert h.bank.get(question_id).topic == other
    finally:
        await h.close()


async def test_a_day_skipped_after_the_pick_gets_no_post(db_url):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.clock.set(BEFORE_9AM)
        await h.core.tick()
        assert len(h.core.plan) == 1
        await h.command("skip", ADMIN)
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 0
        assert posted_prompts(h) == {}
    finally:
        await h.close()


async def test_a_channel_paused_after_the_pick_is_not_posted_and_its_pick_is_dropped(db_url):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1", "C2"])
        h.clock.set(BEFORE_9AM)
        await h.core.tick()
        assert len(h.core.plan) == 2
        await h.core.dispatch(CommandInvoked(h.address("C1"), ADMIN, "pause"))
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 1
        assert set(posted_prompts(h)) == {"C2"}
        assert len(h.core.plan) == 0  # the paused channel's pick went with the next tick
    finally:
        await h.close()


async def test_a_post_made_by_another_copy_meanwhile_is_not_made_twice(db_url):
    first = await make_harness(db_url, MONDAY_6AM, instance_id="first")
    second = await make_harness(db_url, MONDAY_6AM, instance_id="second")
    try:
        channels = channel_names(5)
        await first.subscribe_all(ADMIN, channels)
        for h in (first, second):
            h.clock.set(BEFORE_9AM)
            await h.core.tick()
            assert len(h.core.plan) == 5
            h.clock.set(MONDAY_9AM)
        assert (await second.core.tick()).posted == 5
        assert (await first.core.tick()).posted == 0  # its picks lose to the stored rows
        assert posted_prompts(first) == {}
        assert sorted(posted_prompts(second)) == channels
    finally:
        await first.close()
        await second.close()


async def test_a_restarted_copy_has_no_picks_and_still_posts(db_url):
    h = await make_harness(db_url, MONDAY_6AM, instance_id="before")
    try:
        await h.subscribe_all(ADMIN, channel_names(3))
        h.clock.set(BEFORE_9AM)
        await h.core.tick()
        assert len(h.core.plan) == 3
    finally:
        await h.close()
    restarted = await make_harness(db_url, MONDAY_9AM, instance_id="after")
    try:
        assert (await restarted.core.tick()).posted == 3
        assert set(posted_prompts(restarted)) == set(channel_names(3))
    finally:
        await restarted.close()


async def test_a_missed_previous_day_is_still_logged_for_a_prepared_post(db_url, caplog):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.clock.set(MONDAY_9AM)
        await h.core.tick()
        # Tuesday passes with the bot down; Wednesday's post is prepared, then made.
        h.clock.set(BEFORE_9AM + timedelta(days=2))
        await h.core.tick()
        assert len(h.core.plan) == 1
        h.clock.set(MONDAY_9AM + timedelta(days=2))
        with caplog.at_level(logging.WARNING, logger="mlq"):
            assert (await h.core.tick()).posted == 1
        assert "the post of 2026-03-03 was missed" in caplog.text
    finally:
        await h.close()


async def test_picks_for_posts_outside_the_window_are_not_made_or_kept(db_url):
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.clock.set(MONDAY_9AM - timedelta(minutes=5))
        await h.core.tick()
        assert len(h.core.plan) == 0  # five minutes ahead is beyond the window
        h.clock.set(BEFORE_9AM)
        await h.core.tick()
        assert len(h.core.plan) == 1
        await h.command("schedule 10:00 UTC", ADMIN)  # moved out of the window before 09:00
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 0
        assert len(h.core.plan) == 0
    finally:
        await h.close()


def channel_at(post_time: str, timezone: str = "UTC") -> ChannelRow:
    channel = Channel(
        id=1,
        subscribed=True,
        paused=False,
        timezone=timezone,
        post_time=post_time,
        weekdays="0123456",
        skip_date=None,
        subscribed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return ChannelRow(channel, "console", "local")


def test_the_window_holds_only_posts_whose_time_is_still_ahead():
    minute = timedelta(minutes=1)
    nine = channel_at("09:00")
    assert post_falling_due(nine, BEFORE_9AM, BEFORE_9AM + minute).post_at == MONDAY_9AM
    assert post_falling_due(nine, MONDAY_9AM, MONDAY_9AM + minute) is None  # due now: not ahead
    assert post_falling_due(nine, MONDAY_9AM - minute, MONDAY_9AM - timedelta(seconds=1)) is None

    # Midnight in Tokyo (15:00 UTC): the window crosses into the next local day.
    midnight = channel_at("00:00", "Asia/Tokyo")
    start = datetime(2026, 3, 2, 14, 59, 30, tzinfo=UTC)
    ahead = post_falling_due(midnight, start, start + minute)
    assert ahead is not None and ahead.today.isoformat() == "2026-03-03"
    assert post_falling_due(midnight, start + minute, start + 2 * minute) is None


def test_channels_sharing_a_schedule_get_the_same_slot_and_a_lost_zone_counts_as_utc():
    berlin, utc, lost = (channel_at("09:00", z) for z in ("Europe/Berlin", "UTC", "Mars/Olympus"))
    assert due_today(berlin, MONDAY_9AM).post_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert due_today(utc, MONDAY_9AM).post_at == MONDAY_9AM
    assert due_today(lost, MONDAY_9AM).post_at == MONDAY_9AM
    assert due_today(lost, BEFORE_9AM) is None
    utc.channel.skip_date = MONDAY_9AM.date()  # settings of one channel, not of the slot
    assert due_today(utc, MONDAY_9AM) is None
    assert due_today(channel_at("09:00"), MONDAY_9AM) is not None

"""Dead channels are suspended, not retried forever; passing failures back off."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot import access
from bot.cli import app
from bot.messages import MessageKind
from bot.ports import DeliveryError
from storage import unit_of_work
from storage.models import Channel, Digest, MemberStreak, Post
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = MEMBERS[0]


class Counting:
    """Counts the adapter's post and thread-reply attempts, refused ones included."""

    def __init__(self, h: Harness) -> None:
        self.posts: list[tuple[datetime, str]] = []
        self.replies: list[tuple[datetime, str]] = []
        post, reply = h.adapter.post, h.adapter.reply_in_thread

        async def counting_post(channel, message, **kw):
            self.posts.append((h.clock.now(), channel.channel))
            return await post(channel, message, **kw)

        async def counting_reply(thread, message):
            self.replies.append((h.clock.now(), thread.channel.channel))
            return await reply(thread, message)

        h.adapter.post = counting_post  # type: ignore[method-assign]
        h.adapter.reply_in_thread = counting_reply  # type: ignore[method-assign]


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


async def channel(h: Harness, name: str = "C1") -> Channel:
    async with unit_of_work(h.db) as repo:
        return await repo.session.scalar(select(Channel).where(Channel.external_id == name))


def questions(h: Harness, name: str = "C1") -> list:
    return [s for s in h.adapter.of("post", name) if s.message.kind == MessageKind.QUESTION]


async def test_a_permanent_refusal_suspends_the_channel_and_stops_every_retry(h: Harness, caplog):
    calls = Counting(h)
    await h.subscribe_all(ADMIN, ["C2"])
    h.adapter.dead_channels["C1"] = "not_in_channel"
    caplog.set_level(logging.WARNING, logger="mlq")
    await h.run_until(NINE + timedelta(days=4), step=timedelta(minutes=10))
    # One attempt in four days, then silence; the other channel is served every day.
    assert [c for _, c in calls.posts if c == "C1"] == ["C1"]
    assert len(questions(h, "C2")) == 5
    stored = await channel(h)
    assert stored.suspended_reason == "not_in_channel" and stored.suspended_at == NINE
    # The admin who subscribed is told once, by direct message.
    (dm,) = h.adapter.of("direct")
    assert dm.user_id == ADMIN.user_id and "/mlq resume" in dm.message.body
    assert "not_in_channel" in dm.message.body and "invite" in dm.message.body
    suspended_lines = [r for r in caplog.records if "suspended" in r.getMessage()]
    assert len(suspended_lines) == 1 and not any(r.exc_info for r in caplog.records)


async def test_admins_see_the_suspension_and_resume_clears_it(h: Harness):
    h.adapter.dead_channels["C1"] = "is_archived"
    await h.run_until(NINE)
    (status,) = await h.command("status", ANA)
    assert "Suspended" in status.body and "is_archived" in status.body
    (shown,) = await h.command("help", ADMIN)
    assert shown.body.startswith("Suspended") and "unarchive" in shown.body
    (shown,) = await h.command("help", ANA)
    assert "Suspended" not in shown.body

    # Resuming while the channel still refuses the bot changes nothing.
    (refusal,) = await h.command("resume", ADMIN)
    assert refusal.kind == MessageKind.ERROR and "unarchive" in refusal.body
    assert (await channel(h)).suspended_reason == "is_archived"

    del h.adapter.dead_channels["C1"]  # someone unarchived it
    h.clock.advance(timedelta(minutes=30))
    assert await h.command("resume", ADMIN) == []  # the confirmation is in the channel
    (confirmation,) = [s for s in h.adapter.of("post", "C1") if s.message.kind == "info"][-1:]
    assert "is_archived" in confirmation.message.body
    assert (await channel(h)).suspended_reason is None
    h.clock.advance(timedelta(minutes=1))
    await h.core.tick()
    assert len(questions(h)) == 1  # today's held-back question goes out at once
    (status,) = await h.command("status", ANA)
    assert "Suspended" not in status.body


async def test_a_refused_reveal_suspends_and_the_round_waits_without_touching_streaks(
    h: Harness,
):
    calls = Counting(h)
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    h.adapter.dead_channels["C1"] = "channel_not_found"
    await h.run_until(NINE + timedelta(days=1, hours=10), step=timedelta(minutes=10))
    assert len(calls.replies) == 1  # the reveal was tried once
    assert len(calls.posts) == 1  # and no new question was tried while suspended
    assert (await channel(h)).suspended_reason == "channel_not_found"

    del h.adapter.dead_channels["C1"]
    await h.command("resume", ADMIN)
    h.clock.advance(timedelta(minutes=1))
    await h.core.tick()
    reveals = [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
    assert len(reveals) == 1


async def test_a_question_never_seen_breaks_no_streak(h: Harness):
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    await h.run_until(NINE + timedelta(hours=8))  # Monday revealed: Ana's streak is 1
    h.adapter.dead_channels["C1"] = "not_in_channel"
    await h.run_until(NINE + timedelta(days=1, hours=9))  # Tuesday's post never lands
    del h.adapter.dead_channels["C1"]
    await h.run_until(NINE + timedelta(days=1, hours=23))  # fixed overnight, Wednesday 08:00
    await h.command("resume", ADMIN)
    await h.run_until(NINE + timedelta(days=2))
    await h.answer(ANA, "bias and variance again", message_id="a2")
    await h.run_until(NINE + timedelta(days=2, hours=8))  # Wednesday revealed
    async with unit_of_work(h.db) as repo:
        (streak,) = await repo.session.scalars(select(MemberStreak))
        states = [p.state for p in await repo.session.scalars(select(Post).order_by(Post.id))]
    assert states == ["revealed", "failed", "revealed"]  # Tuesday given up, never seen
    assert (streak.current, streak.freezes_used) == (2, 0)


async def test_transient_failures_back_off_exponentially_up_to_a_cap(h: Harness):
    calls = Counting(h)
    h.adapter.failing_channels.add("C1")
    await h.run_until(NINE + timedelta(hours=6), step=timedelta(minutes=1))
    times = [t for t, _ in calls.posts]
    gaps = [round((b - a).total_seconds() / 60) for a, b in itertools.pairwise(times)]
    # Retried after the lease (2 min), then 4, 8, 16, 32 minutes, then every hour at most
    # (each retry comes at the first tick after its wait).
    assert gaps[:5] == [3, 5, 9, 17, 33]
    assert all(60 <= g <= 61 for g in gaps[5:]) and len(gaps) >= 7
    assert (await channel(h)).suspended_reason is None
    h.adapter.failing_channels.clear()
    await h.run_until(NINE + timedelta(hours=7, minutes=5), step=timedelta(minutes=1))
    assert len(questions(h)) == 1


async def test_without_a_known_admin_the_suspension_is_logged_once(h: Harness, caplog):
    async with unit_of_work(h.db) as repo:
        await repo.session.execute(update(Channel).values(subscribed_by=None))
    h.adapter.dead_channels["C1"] = "missing_permissions"
    caplog.set_level(logging.WARNING, logger="mlq")
    await h.run_until(NINE + timedelta(days=1), step=timedelta(minutes=5))
    assert h.adapter.of("direct") == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "no admin to tell" in w]) == 1


async def test_a_digest_that_fails_once_is_retried_like_a_post(h: Harness):
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    friday_digest = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    await h.run_until(friday_digest - timedelta(minutes=1))
    h.adapter.failing_channels.add("C1")
    await h.run_until(friday_digest + timedelta(minutes=1), step=timedelta(minutes=1))
    assert not [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    h.adapter.failing_channels.clear()
    await h.run_until(friday_digest + timedelta(minutes=10), step=timedelta(minutes=1))
    digests = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    assert len(digests) == 1
    await h.run_until(friday_digest + timedelta(hours=3), step=timedelta(minutes=10))
    assert len([s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]) == 1
    async with unit_of_work(h.db) as repo:
        (digest,) = await repo.session.scalars(select(Digest))
    assert digest.state == "posted" and digest.attempts == 1


async def test_a_digest_refused_for_good_suspends_the_channel(h: Harness):
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    friday_digest = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    await h.run_until(friday_digest - timedelta(minutes=1))
    calls = Counting(h)
    h.adapter.dead_channels["C1"] = "token_revoked"
    await h.run_until(friday_digest + timedelta(hours=5), step=timedelta(minutes=5))
    assert len(calls.posts) == 1
    assert (await channel(h)).suspended_reason == "token_revoked"


async def test_health_lists_suspended_channels(h: Harness, tmp_path, monkeypatch):
    h.adapter.dead_channels["C1"] = "not_in_channel"
    await h.run_until(NINE)
    beat = tmp_path / "beat"
    beat.write_text(datetime.now(UTC).isoformat())
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", str(beat))
    monkeypatch.setenv("MLQ_DATABASE_URL", str(h.db.url))
    # The CLI runs its own event loop, so it runs in a thread here, as in a shell.
    result = await asyncio.to_thread(CliRunner().invoke, app, ["health"])
    assert result.exit_code == 0, result.output
    assert "suspended: memory W1/C1" in result.output and "not_in_channel" in result.output
    strict = await asyncio.to_thread(CliRunner().invoke, app, ["health", "--fail-on-suspended"])
    assert strict.exit_code == 1


async def test_a_reveal_that_keeps_failing_is_given_up_and_resume_brings_it_back(h: Harness):
    calls = Counting(h)
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    h.adapter.failing_channels.add("C1")
    await h.run_until(NINE + timedelta(days=2), step=timedelta(minutes=30))
    tried = len(calls.replies)
    assert tried == access.MAX_REVEAL_ATTEMPTS
    await h.run_until(NINE + timedelta(days=3), step=timedelta(minutes=30))
    assert len(calls.replies) == tried  # given up: no more attempts
    h.adapter.failing_channels.clear()
    await h.command("resume", ADMIN)
    h.clock.advance(timedelta(minutes=1))
    await h.core.tick()
    reveals = [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
    assert len(reveals) == 1


async def test_recovery_that_finds_the_channel_gone_suspends_it_instead_of_retrying(h: Harness):
    # Merge of h2 and h4: recovery looks for the reveal before sending it again (find_sent);
    # when that look is refused for good, the channel is suspended and the retries stop.
    await h.run_until(NINE)
    await h.answer(ANA, "bias and variance", message_id="a1")
    async with unit_of_work(h.db) as repo:
        (post,) = await repo.session.scalars(select(Post))
    h.adapter.failing_channels.add("C1")
    await h.run_until(post.reveal_at + timedelta(minutes=1), step=timedelta(minutes=1))
    assert (await channel(h)).suspended_reason is None  # a passing failure: retried
    looks: list[datetime] = []

    async def refused(channel_address, key, since, *, thread=None):
        looks.append(h.clock.now())
        raise DeliveryError(
            "conversations.replies: channel_not_found", permanent=True, reason="channel_not_found"
        )

    h.adapter.find_sent = refused  # type: ignore[method-assign]
    h.adapter.failing_channels.clear()
    await h.run_until(post.reveal_at + timedelta(days=1), step=timedelta(minutes=10))
    assert len(looks) == 1
    assert (await channel(h)).suspended_reason == "channel_not_found"
    assert not [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]

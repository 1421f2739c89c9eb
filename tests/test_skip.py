"""`/mlq skip` before the day's post skips it; after the post it cancels the round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import MessageKind, Visibility
from storage import unit_of_work
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ANA, BEN, *_ = MEMBERS


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    await harness.command("team-streak 1", ADMIN)
    yield harness
    await harness.close()


def questions(h: Harness) -> list:
    return [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]


def reveals(h: Harness) -> list:
    return [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]


def model_answer(h: Harness) -> str:
    prompt = questions(h)[-1].message.body
    return next(q for q in h.bank if q.prompt == prompt).answer


async def streak_text(h: Harness) -> str:
    return (await h.command("streak", ANA))[0].body


async def points_of(h: Harness, who) -> str:
    stats = (await h.command("stats", who))[0].body
    return next(line for line in stats.splitlines() if "Points:" in line)


async def answer_day(h: Harness, day: int, message_id: str) -> None:
    await h.run_until(at(day, 9))
    await h.answer(ANA, model_answer(h), message_id=message_id)


async def test_skip_after_the_post_cancels_the_round(h: Harness):
    # Monday: Ana answers on time and the round is revealed: streak 1, team streak 1.
    await answer_day(h, 2, "mon")
    await h.run_until(at(2, 17))
    assert "Your streak: **1**" in await streak_text(h)
    assert "Team streak: **1**" in await streak_text(h)
    before = await points_of(h, ANA)

    # Tuesday: posted, Ana answers, then an admin skips the day.
    await answer_day(h, 3, "tue")
    tuesday_thread = questions(h)[-1].thread_id
    reply = (await h.command("skip", ADMIN))[0]
    assert reply.visibility == Visibility.CHANNEL
    assert "cancelled" in reply.body and "not be revealed" in reply.body
    assert "no points" in reply.body and "streaks are not affected" in reply.body
    assert [c.thread_id for c in h.adapter.of("close")][-1] == tuesday_thread

    # A reply after the cancel is refused with the truth, not stored as "late".
    await h.answer(BEN, model_answer(h), message_id="ben-late")
    told = h.adapter.of("private")[-1].message.body
    assert "cancelled" in told

    await h.run_until(at(3, 23))
    assert len(reveals(h)) == 1  # Monday's only: no reveal for Tuesday
    assert await points_of(h, ANA) == before  # Ana's Tuesday answer earned nothing
    assert "Points: 0" in await points_of(h, BEN)
    streak = await streak_text(h)
    assert "Your streak: **1**" in streak and "Team streak: **1**" in streak

    # Wednesday's round carries the streaks on, as if Tuesday were a day off.
    await answer_day(h, 4, "wed")
    await h.run_until(at(4, 17))
    streak = await streak_text(h)
    assert "Your streak: **2**" in streak and "Team streak: **2**" in streak
    assert len(questions(h)) == 3
    # The leaderboard and the digest see only revealed rounds.
    board = (await h.command("leaderboard all", ANA))[0].body
    assert "Ben" not in board


async def test_a_cancelled_round_is_not_revealed_nor_posted_again(h: Harness):
    await answer_day(h, 2, "mon")
    await h.command("skip", ADMIN)
    again = (await h.command("skip", ADMIN))[0]
    assert "already cancelled" in again.body
    await h.run_until(at(2, 23), step=timedelta(minutes=30))
    assert len(questions(h)) == 1 and reveals(h) == []
    assert await h.core.open_thread(h.where) is None
    async with unit_of_work(h.db) as repo:
        channel = await repo.channel_by_address(
            h.where.platform, h.where.workspace, h.where.channel
        )
        post = await repo.daily_post_on(channel.id, at(2, 9).date())
        assert post.state == "cancelled"
        assert await repo.cancel_daily_post(post.id) is False  # exactly once


async def test_skip_before_the_post_skips_the_day(h: Harness):
    reply = (await h.command("skip", ADMIN))[0]
    assert reply.body == "No daily question today (Mon 02 Mar). Streaks are not affected."
    await h.run_until(at(2, 23))
    assert questions(h) == []
    await h.run_until(at(3, 9))
    assert len(questions(h)) == 1  # Tuesday as usual


async def test_skip_after_the_reveal_says_the_round_stands(h: Harness):
    await answer_day(h, 2, "mon")
    await h.run_until(at(2, 17))
    reply = (await h.command("skip", ADMIN))[0]
    assert "already revealed" in reply.body and "stand" in reply.body
    assert "Your streak: **1**" in await streak_text(h)

"""On time means sent before the deadline, however late the bot processes the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.answers import MAX_SENT_AGE, sent_time
from bot.events import AnswerEdited, AnswerPosted, PrivateAnswerSubmitted
from bot.inbox import decode, encode
from bot.messages import MessageKind, Reaction
from storage import unit_of_work
from storage.models import Answer, Channel, MemberStreak, Post
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # reveal 8 h after the post
ANA, BEN, CAI, DIA = MEMBERS


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


def model_answer(h: Harness) -> str:
    post = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION][-1]
    return next(q for q in h.bank if q.prompt == post.message.body).answer


async def send(
    h: Harness, who, text: str, *, message_id: str, sent_at: datetime | None, thread=None
) -> None:
    await h.core.dispatch(
        AnswerPosted(
            h.where,
            who,
            thread or h.current_thread(),
            message_id,
            text,
            event_id=f"ev-{message_id}",
            sent_at=sent_at,
        )
    )


async def stored(h: Harness) -> dict[str, Answer]:
    async with unit_of_work(h.db) as repo:
        rows = await repo.session.execute(select(Answer).order_by(Answer.id))
        return {a.message_ref: a for (a,) in rows}


async def streaks(h: Harness) -> dict[int, tuple[int, int]]:
    async with unit_of_work(h.db) as repo:
        rows = await repo.session.scalars(select(MemberStreak).order_by(MemberStreak.member_id))
        return {s.member_id: (s.current, s.freezes) for s in rows}


async def team_streak(h: Harness) -> tuple[int, int]:
    async with unit_of_work(h.db) as repo:
        channel = await repo.session.scalar(select(Channel).where(Channel.subscribed.is_(True)))
        return channel.team_streak, channel.team_streak_best


def test_the_sent_time_is_believed_only_when_it_is_plausible():
    received = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)
    assert sent_time(None, received) == received
    assert sent_time(received - timedelta(minutes=10), received) == received - timedelta(minutes=10)
    # A clock in the future, or one absurdly far back, cannot buy an on-time answer.
    assert sent_time(received + timedelta(seconds=1), received) == received
    assert sent_time(received - MAX_SENT_AGE - timedelta(seconds=1), received) == received


def test_the_sent_time_survives_the_inbox():
    sent = datetime(2026, 3, 2, 16, 59, 30, tzinfo=UTC)
    h_where = make_where()
    for event in (
        AnswerPosted(h_where, ANA, "t", "m", "text", "e", sent_at=sent),
        AnswerEdited(h_where, ANA, "t", "m", "text", "e", sent_at=sent),
        PrivateAnswerSubmitted(h_where, ANA, 3, "text", "e", sent_at=sent),
    ):
        payload = encode(event)
        import json

        back, _ = decode(type(event).__name__, json.loads(json.dumps(payload)))
        assert back == event


def make_where():
    from bot.events import ChannelAddress

    return ChannelAddress("memory", "W1", "C1")


async def test_an_answer_sent_before_the_deadline_but_processed_after_it_is_on_time(h: Harness):
    await h.run_until(NINE)
    text = model_answer(h)
    h.clock.set(DEADLINE + timedelta(minutes=3))  # processed after the deadline, not revealed
    await send(h, ANA, text, message_id="a1", sent_at=DEADLINE - timedelta(seconds=5))
    await send(h, BEN, text, message_id="b1", sent_at=DEADLINE + timedelta(seconds=5))
    answers = await stored(h)
    assert answers["a1"].on_time and not answers["b1"].on_time
    assert [r.reaction for r in h.adapter.of("react")] == [Reaction.RECEIVED, Reaction.LATE]
    await h.core.tick()  # the reveal
    answers = await stored(h)
    assert answers["a1"].points >= 1 and answers["b1"].points == 0
    assert list((await streaks(h)).values()) == [(1, 0)]


async def test_an_answer_sent_in_time_but_stored_after_the_reveal_is_credited_once(h: Harness):
    """Slow reactions.add, an inbox resumed after a crash, a Discord catch-up: the reveal
    has gone out without the answer, which is then credited, points and streak, once."""
    await h.run_until(NINE)
    text = model_answer(h)
    thread = h.current_thread()
    await send(h, ANA, text, message_id="a1", sent_at=NINE + timedelta(hours=1))
    h.clock.set(DEADLINE)
    await h.core.tick()  # revealed with Ana only
    assert list((await streaks(h)).values()) == [(1, 0)]

    h.clock.set(DEADLINE + timedelta(minutes=20))
    late_sent = DEADLINE - timedelta(minutes=1)
    await send(h, BEN, text, message_id="b1", sent_at=late_sent, thread=thread)
    await send(h, BEN, text, message_id="b1", sent_at=late_sent, thread=thread)  # a retry
    await send(
        h, CAI, text, message_id="c1", sent_at=DEADLINE + timedelta(minutes=1), thread=thread
    )
    answers = await stored(h)
    assert answers["b1"].on_time and answers["b1"].points >= 1  # near-copy: no quality
    assert not answers["c1"].on_time and answers["c1"].points == 0
    assert [(r.ref, r.reaction) for r in h.adapter.of("react")][-2:] == [
        ("b1", Reaction.RECEIVED),
        ("c1", Reaction.LATE),
    ]
    assert sorted((await streaks(h)).values()) == [(1, 0), (1, 0)]

    # Ben's second reply, also sent in time, does not replace an answer already credited.
    await send(h, BEN, "something else", message_id="b2", sent_at=late_sent, thread=thread)
    answers = await stored(h)
    assert "b2" not in answers and answers["b1"].text == text
    assert sorted((await streaks(h)).values()) == [(1, 0), (1, 0)]


async def test_a_late_credit_restores_a_streak_the_reveal_broke(h: Harness):
    await h.run_until(NINE)
    await send(h, ANA, model_answer(h), message_id="a1", sent_at=None)
    await h.run_until(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # Monday revealed, Tuesday posted
    assert list((await streaks(h)).values()) == [(1, 0)]
    thread = h.current_thread()
    text = model_answer(h)
    h.clock.set(datetime(2026, 3, 3, 17, 30, tzinfo=UTC))
    await h.core.tick()  # Tuesday revealed without Ana: her streak is broken
    assert list((await streaks(h)).values()) == [(0, 0)]
    sent = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    await send(h, ANA, text, message_id="a2", sent_at=sent, thread=thread)
    assert list((await streaks(h)).values()) == [(2, 0)]
    await send(h, ANA, text, message_id="a2", sent_at=sent, thread=thread)  # redelivered
    assert list((await streaks(h)).values()) == [(2, 0)]


async def test_a_late_credit_can_complete_the_team_streak(h: Harness):
    await h.run_until(NINE)
    text = model_answer(h)
    thread = h.current_thread()
    for who, mid in ((ANA, "a1"), (BEN, "b1")):
        await send(h, who, text, message_id=mid, sent_at=None)
    h.clock.set(DEADLINE)
    await h.core.tick()
    assert await team_streak(h) == (0, 0)  # two on-time answers, three needed
    h.clock.set(DEADLINE + timedelta(minutes=5))
    await send(
        h, CAI, text, message_id="c1", sent_at=DEADLINE - timedelta(minutes=2), thread=thread
    )
    assert await team_streak(h) == (1, 1)
    await send(
        h, DIA, text, message_id="d1", sent_at=DEADLINE - timedelta(minutes=1), thread=thread
    )
    assert await team_streak(h) == (1, 1)  # counted once


async def test_after_a_later_reveal_a_late_credit_earns_points_only(h: Harness):
    await h.run_until(NINE)
    thread = h.current_thread()
    text = model_answer(h)
    await h.run_until(datetime(2026, 3, 3, 17, 30, tzinfo=UTC))  # Monday and Tuesday revealed
    h.clock.set(datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    await send(
        h,
        ANA,
        text,
        message_id="a1",
        sent_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        thread=thread,
    )
    answers = await stored(h)
    assert answers["a1"].on_time and answers["a1"].points >= 1
    assert await streaks(h) == {}


async def test_an_edit_made_in_time_counts_until_the_reveal(h: Harness):
    await h.run_until(NINE)
    await send(h, ANA, "a first guess", message_id="a1", sent_at=None)
    h.clock.set(DEADLINE + timedelta(minutes=1))
    before = (await stored(h))["a1"].score
    await h.core.dispatch(
        AnswerEdited(
            h.where,
            ANA,
            h.current_thread(),
            "a1",
            model_answer(h),
            "ed-1",
            sent_at=DEADLINE - timedelta(seconds=30),
        )
    )
    after = await stored(h)
    assert after["a1"].score > before and after["a1"].on_time


async def test_a_private_answer_is_judged_by_when_it_was_submitted(h: Harness):
    await h.run_until(NINE)
    async with unit_of_work(h.db) as repo:
        post_id = await repo.session.scalar(select(Post.id))
    h.clock.set(DEADLINE + timedelta(minutes=2))
    await h.core.dispatch(
        PrivateAnswerSubmitted(
            h.where,
            ANA,
            post_id,
            model_answer(h),
            "view-1",
            sent_at=DEADLINE - timedelta(minutes=1),
        )
    )
    assert (await stored(h))[None].on_time

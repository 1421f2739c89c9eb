"""Slack answers are judged by their ``ts`` (Slack's own clock), not by when mlq got to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import unit_of_work
from storage.models import Answer, MemberStreak
from tests.slack import payloads
from tests.slack.conftest import SlackHttp
from tests.slack.test_http import crash_after_the_ack, restart, subscribe_and_post

DEADLINE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
GOOD = "Regularisation trades variance for bias; weight decay shrinks the weights."


def ts_at(instant: datetime, n: int) -> str:
    return f"{instant.timestamp():.0f}.{n:06d}"


async def stored(s: SlackHttp) -> list[Answer]:
    async with unit_of_work(s.runtime.app.db) as repo:
        return list(await repo.session.scalars(select(Answer).order_by(Answer.id)))


async def test_an_answer_resumed_from_the_inbox_after_the_reveal_counts_by_its_ts(
    slack_http: SlackHttp,
):
    s = slack_http
    parent = await subscribe_and_post(s)
    s.clock.set(DEADLINE - timedelta(minutes=2))
    crash_after_the_ack(s)
    in_time = payloads.thread_reply(
        GOOD, thread_ts=parent, ts=ts_at(DEADLINE - timedelta(minutes=2), 1)
    )
    assert await s.event(payloads.event_callback(in_time)) == 200
    restart(s)  # back six minutes later: the reveal runs before the inbox is swept
    await s.tick()
    assert len(s.fake.of("chat.postMessage", thread_ts=parent)) == 1  # revealed
    assert await s.runtime.bridge.resume_stranded() == 1
    await s.settle()
    late = payloads.thread_reply(
        GOOD, thread_ts=parent, user="U2", ts=ts_at(DEADLINE + timedelta(minutes=1), 2)
    )
    assert await s.event(payloads.event_callback(late)) == 200
    await s.settle()
    on_time = {a.message_ref: (a.on_time, a.points > 0) for a in await stored(s)}
    assert on_time == {in_time["ts"]: (True, True), late["ts"]: (False, False)}
    async with unit_of_work(s.runtime.app.db) as repo:
        (streak,) = list(await repo.session.scalars(select(MemberStreak)))
    assert streak.current == 1
    emoji = [c.params["name"] for c in s.fake.of("reactions.add")]
    assert emoji == ["white_check_mark", "hourglass"]


async def test_a_ts_in_the_future_is_judged_by_receipt(slack_http: SlackHttp):
    s = slack_http
    parent = await subscribe_and_post(s)
    s.clock.set(DEADLINE + timedelta(minutes=1))
    forged = payloads.thread_reply(
        GOOD, thread_ts=parent, ts=ts_at(DEADLINE - timedelta(hours=1), 3)
    )
    forged["ts"] = forged["event_ts"] = ts_at(DEADLINE + timedelta(days=30), 3)
    assert await s.event(payloads.event_callback(forged)) == 200
    await s.settle()
    (answer,) = await stored(s)
    assert not answer.on_time

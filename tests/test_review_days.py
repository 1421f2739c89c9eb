"""Spaced repetition is day-level: a card due on a day is due all of that local day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.messages import MessageKind
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

ANA = MEMBERS[0]
BERLIN = ZoneInfo("Europe/Berlin")


def questions(h: Harness) -> list:
    return [s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION]


async def test_a_review_due_tomorrow_is_served_all_of_tomorrow_across_the_dst_change(
    db_url: str,
):
    """A weak answer on Sat 28 Mar 2026 at 09:05 Berlin time is due again the next day.
    On Sunday the clocks go forward: at 09:30 local the card is due that day, and must be
    served, not a new question (its UTC due instant, 08:05 UTC, is 10:05 local)."""
    h = await make_harness(db_url, datetime(2026, 3, 28, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Europe/Berlin sat-sun", ADMIN)
        await h.run_until(datetime(2026, 3, 28, 8, 0, tzinfo=UTC), step=timedelta(minutes=30))
        daily = questions(h)[-1].message.body
        h.clock.advance(timedelta(minutes=5))
        await h.answer(ANA, "No real idea, something about data.", message_id="a1")
        # Saturday's round is revealed at 17:00; Sunday's is posted at 09:00 (07:00 UTC).
        await h.run_until(datetime(2026, 3, 29, 9, 30, tzinfo=BERLIN), step=timedelta(hours=1))
        assert len(questions(h)) == 2
        assert "Reviews due: 1" in (await h.command("stats", ANA))[0].body
        review = (await h.command("", ANA))[0]
        assert review.title.startswith("Review (last time"), review.title
        assert review.body == daily
    finally:
        await h.close()


async def test_a_review_due_tomorrow_is_not_served_today(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 28, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Europe/Berlin sat-sun", ADMIN)
        await h.run_until(datetime(2026, 3, 28, 8, 5, tzinfo=UTC), step=timedelta(minutes=5))
        await h.answer(ANA, "No real idea, something about data.", message_id="a1")
        h.clock.set(datetime(2026, 3, 28, 23, 59, 59, tzinfo=BERLIN))
        assert "Reviews due: 0" in (await h.command("stats", ANA))[0].body
        assert (await h.command("", ANA))[0].title.startswith("Practice")
    finally:
        await h.close()


def test_the_end_of_a_local_day_in_odd_zones():
    from bot.schedule import end_of_local_day

    # Apia skipped Friday 30 Dec 2011: Thursday 29 ends at Saturday 31, 00:00 (+14).
    apia = ZoneInfo("Pacific/Apia")
    end = end_of_local_day(datetime(2011, 12, 29, 12, tzinfo=apia), apia)
    assert end.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 31)
    assert end == datetime(2011, 12, 30, 10, tzinfo=UTC)
    # Kathmandu is +05:45.
    ktm = ZoneInfo("Asia/Kathmandu")
    assert end_of_local_day(datetime(2026, 3, 2, 18, 14, tzinfo=UTC), ktm) == datetime(
        2026, 3, 2, 18, 15, tzinfo=UTC
    )
    # Berlin's spring-forward day is 23 hours long.
    day = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert end_of_local_day(day, BERLIN) - day.astimezone(UTC) == timedelta(hours=23)


async def _practise(h: Harness, words: str, answer_right: bool = True):
    """Ask for a practice question and answer it (the model answer, or a wrong one)."""
    from bot.events import PrivateAnswerSubmitted

    asked = (await h.command(words, ANA))[0]
    question = next(q for q in h.bank if q.prompt == asked.body)
    post_id = int(asked.buttons[0].value)
    text = question.answer if answer_right else "no idea"
    await h.core.dispatch(PrivateAnswerSubmitted(h.where, ANA, post_id, text))
    return asked, question


async def test_a_topic_with_one_question_does_not_serve_it_again_right_after_a_good_answer(
    db_url: str,
):
    """coding-cs has one numeric question. Answered right, it is not due for days: asking
    again is told so, rather than handed the question just answered."""
    h = await make_harness(db_url, datetime(2026, 3, 2, 10, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        first, question = await _practise(h, "coding-cs numeric")
        again = (await h.command("coding-cs numeric", ANA))[0]
        assert again.kind == MessageKind.INFO, again
        assert "answered every question that matches (1)" in again.body
        due = await _due_of(h, question.qualified_id)
        assert f"due on {due.astimezone(UTC):%a %d %b}" in again.body
        # Once it is due, it comes back as a review.
        h.clock.set(due)
        back = (await h.command("coding-cs numeric", ANA))[0]
        assert back.title.startswith("Review") and back.body == first.body
        # Another topic is unaffected.
        assert (await h.command("coding-cs", ANA))[0].kind == MessageKind.QUESTION
    finally:
        await h.close()


async def _due_of(h: Harness, question_id: str) -> datetime:
    from sqlalchemy import select

    from storage import unit_of_work
    from storage.models import ReviewCard

    async with unit_of_work(h.db) as repo:
        card = await repo.session.scalar(
            select(ReviewCard).where(ReviewCard.question_id == question_id)
        )
        due = card.due
    return due if due.tzinfo else due.replace(tzinfo=UTC)


async def test_practice_of_an_unknown_topic_says_which_topics_exist(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 2, 10, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        reply = (await h.command("quantum-baking", ANA))[0]
        assert reply.kind == MessageKind.ERROR and "deep-learning" in reply.body, reply
    finally:
        await h.close()


async def test_practice_never_serves_a_question_whose_daily_round_is_still_open(db_url: str):
    """Practice shows the model answer at once: serving today's open daily question would
    hand it over before the deadline, to be pasted in the thread for full points."""
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
        daily = next(q for q in h.bank if q.prompt == questions(h)[-1].message.body)
        same_kind = [q for q in h.bank if q.topic == daily.topic and q.format == daily.format]
        served = [
            (await h.command(f"{daily.topic} {daily.format.value}", ANA))[0].body for _ in same_kind
        ]
        assert daily.prompt not in served
        # After the reveal it may come up like any other.
        await h.run_until(datetime(2026, 3, 2, 17, tzinfo=UTC))
        served = [
            (await h.command(f"{daily.topic} {daily.format.value}", ANA))[0].body for _ in same_kind
        ]
        assert daily.prompt in served
    finally:
        await h.close()

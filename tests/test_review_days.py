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
        h.clock.set(datetime(2026, 3, 29, 9, 30, tzinfo=BERLIN))
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

"""Hostile tests of the time-dependent rules: DST, week boundaries, ties, late answers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.events import ChannelAddress
from bot.messages import MessageKind
from tests.harness import ADMIN, MEMBERS, Harness, make_harness

ANA, BEN, CAI, DIA = MEMBERS
BERLIN = ZoneInfo("Europe/Berlin")


def questions(h: Harness, channel: str | None = None) -> list:
    return [s for s in h.adapter.of("post", channel) if s.message.kind == MessageKind.QUESTION]


def digests(h: Harness, channel: str | None = None) -> list:
    return [s for s in h.adapter.of("post", channel) if s.message.kind == MessageKind.DIGEST]


def model_answer(h: Harness, sent) -> str:
    return next(q for q in h.bank if q.prompt == sent.message.body).answer


async def run_answering(h: Harness, until: datetime, who=(ANA,), step=timedelta(minutes=30)):
    """Tick to ``until``; every new question is answered well by ``who`` in its thread."""
    while h.clock.now() < until:
        h.clock.advance(min(step, until - h.clock.now()))
        before = len(h.adapter.sent)
        await h.core.tick()
        for sent in h.adapter.sent[before:]:
            if sent.verb == "post" and sent.message.kind == MessageKind.QUESTION:
                for n, member in enumerate(who):
                    h.where = ChannelAddress(h.where.platform, "W1", sent.channel.channel)
                    await h.answer(
                        member,
                        model_answer(h, sent),
                        message_id=f"{sent.ref}-{n}",
                        thread_id=sent.thread_id,
                    )


# --- the weekly digest across a daylight-saving change ------------------------------------


async def test_a_round_revealed_just_after_a_digest_lands_in_the_next_one_across_dst(
    db_url: str,
):
    """Digest Fri 16:00, reveal at 16:30 Berlin time. The Friday round before the clocks go
    back (Sun 25 Oct 2026) is revealed after that Friday's digest, so the next digest must
    count it: five rounds, Fri 23 and Mon 26..Thu 29 (Fri 30 is revealed after it)."""
    h = await make_harness(db_url, datetime(2026, 10, 18, 12, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Europe/Berlin", ADMIN)
        await h.command("reveal-after 7h30m", ADMIN)
        await run_answering(h, datetime(2026, 10, 30, 18, tzinfo=UTC))
        sent = digests(h)
        assert [h.adapter.posted_at[d.ref].astimezone(BERLIN).time() for d in sent] == [
            time(16, 0),
            time(16, 0),
        ]
        assert [d.message.body for d in sent] == [
            "4 questions this week.",
            "5 questions this week.",
        ]
    finally:
        await h.close()


async def test_no_round_is_counted_in_two_digests_when_the_clocks_go_forward(db_url: str):
    """Digest Fri 15:00 New York, reveal at 14:30. When the clocks go forward (Sun 8 Mar
    2026) the next digest comes an hour sooner in UTC; a seven-day window would reach back
    past the previous digest and count the previous Friday's round a second time."""
    h = await make_harness(db_url, datetime(2026, 3, 1, 12, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 America/New_York", ADMIN)
        await h.command("reveal-after 5h30m", ADMIN)
        await h.command("digest fri 15:00", ADMIN)
        await run_answering(h, datetime(2026, 3, 13, 23, tzinfo=UTC))
        bodies = [d.message.body for d in digests(h)]
        # Each week's Mon..Fri: Friday's round is revealed before the digest.
        assert bodies == ["5 questions this week.", "5 questions this week."]
    finally:
        await h.close()


# --- leaderboard ties ----------------------------------------------------------------------


async def test_members_tied_on_points_share_a_rank_on_the_leaderboard_and_in_stats(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        # Ben answers Monday, Ana Tuesday, both in full: the same points each.
        await run_answering(h, datetime(2026, 3, 2, 18, tzinfo=UTC), who=(BEN,))
        await run_answering(h, datetime(2026, 3, 3, 18, tzinfo=UTC), who=(ANA,))
        board = (await h.command("leaderboard week", BEN))[0].body.splitlines()
        assert len(board) == 2
        # Ana shows first (her streak runs), but Ben is not behind her: both are first,
        # as his stats say.
        assert board[0].startswith("1. Ana:") and board[1].startswith("1. Ben:"), board
        assert board[0].split(":")[1].split("·")[0] == board[1].split(":")[1].split("·")[0]
        assert "(rank 1)" in (await h.command("stats", BEN))[0].body
        assert "(rank 1)" in (await h.command("stats", ANA))[0].body
    finally:
        await h.close()


def test_standings_number_ties_by_points_alone():
    from bot.render import standings_lines

    lines = standings_lines([("A", 9, 1), ("B", 7, 4), ("C", 7, 2), ("D", 7, 2), ("E", 3, 9)])
    assert [line.split(".")[0] for line in lines.splitlines()] == ["1", "2", "2", "2", "5"]

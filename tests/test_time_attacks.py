"""Hostile tests of the time-dependent rules: DST, week boundaries, ties, late answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.events import ChannelAddress, CommandInvoked
from bot.messages import MessageKind
from bot.schedule import local_instant, parse_weekdays
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


# --- wall times that do not exist or happen twice ---------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc"),
    [
        # Spring forward: the wall time does not exist; it moves on by the gap.
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 30)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 30)),
        # Lord Howe moves by 30 minutes: 02:15 does not exist, it is 02:45 (+11).
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), datetime(2026, 10, 3, 15, 45)),
        # Fall back: the wall time happens twice; the first one counts.
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), datetime(2026, 4, 4, 14, 45)),
        # +05:45, no DST.
        ("Asia/Kathmandu", date(2026, 3, 2), time(9, 0), datetime(2026, 3, 2, 3, 15)),
    ],
)
def test_local_instants_on_transition_days(zone, day, at, expected_utc):
    assert local_instant(day, at, ZoneInfo(zone)) == expected_utc.replace(tzinfo=UTC)


async def _posts_by_local_day(db_url, start, end, schedule, step=timedelta(minutes=15)):
    h = await make_harness(db_url, start)
    try:
        await h.command("subscribe", ADMIN)
        reply = await h.command(f"schedule {schedule}", ADMIN)
        assert "Schedule updated" in reply[0].body, reply
        await h.run_until(end, step=step)
        zone = ZoneInfo(schedule.split()[1])
        return [h.adapter.posted_at[s.ref].astimezone(zone) for s in questions(h)]
    finally:
        await h.close()


@pytest.mark.parametrize(
    ("schedule", "start", "end", "expected"),
    [
        (
            "02:30 Europe/Berlin daily",
            datetime(2026, 3, 27, 12, tzinfo=UTC),
            datetime(2026, 3, 30, 12, tzinfo=UTC),
            [(28, 2, 30), (29, 3, 30), (30, 2, 30)],
        ),
        (
            "02:30 Europe/Berlin daily",
            datetime(2026, 10, 23, 12, tzinfo=UTC),
            datetime(2026, 10, 26, 12, tzinfo=UTC),
            [(24, 2, 30), (25, 2, 30), (26, 2, 30)],
        ),
        (
            "02:15 Australia/Lord_Howe daily",
            datetime(2026, 10, 2, 0, tzinfo=UTC),
            datetime(2026, 10, 5, 0, tzinfo=UTC),
            [(3, 2, 15), (4, 2, 45), (5, 2, 15)],
        ),
        (
            "01:45 Australia/Lord_Howe daily",
            datetime(2026, 4, 3, 0, tzinfo=UTC),
            datetime(2026, 4, 6, 0, tzinfo=UTC),
            [(4, 1, 45), (5, 1, 45), (6, 1, 45)],
        ),
    ],
)
async def test_a_post_time_in_a_gap_or_an_overlap_posts_once_that_day(
    db_url, schedule, start, end, expected
):
    posted = await _posts_by_local_day(db_url, start, end, schedule)
    assert [(t.day, t.hour, t.minute) for t in posted] == expected


async def test_apia_posts_nothing_on_the_day_it_skipped_and_keeps_the_streak(db_url: str):
    """Samoa went from Thu 29 Dec 2011 straight to Sat 31 Dec: no Friday post, and an
    answer on Thursday, Saturday and Sunday is a streak of three."""
    h = await make_harness(db_url, datetime(2011, 12, 28, 20, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Pacific/Apia daily", ADMIN)
        await run_answering(h, datetime(2012, 1, 1, 12, tzinfo=UTC))
        apia = ZoneInfo("Pacific/Apia")
        days = [h.adapter.posted_at[s.ref].astimezone(apia) for s in questions(h)]
        assert [(t.month, t.day, t.hour) for t in days] == [(12, 29, 9), (12, 31, 9), (1, 1, 9)]
        assert "Your streak: **3**" in (await h.command("streak", ANA))[0].body
    finally:
        await h.close()


# --- days lists, weekends, a bot that was down ----------------------------------------------


def test_day_lists_for_weekends_and_single_days():
    assert parse_weekdays("sat,sun") == "56"
    assert parse_weekdays("sat-sun") == "56"
    assert parse_weekdays("weekends") == "56"
    assert parse_weekdays("weekend") == "56"
    assert parse_weekdays("fri") == "4"
    assert parse_weekdays("Friday") == "4"
    assert parse_weekdays("sun-sun") == "6"


async def test_a_weekend_only_channel_posts_on_weekends_and_its_streak_spans_the_week(
    db_url: str,
):
    h = await make_harness(db_url, datetime(2026, 3, 6, 12, tzinfo=UTC))  # a Friday
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 10:00 Asia/Kathmandu sat,sun", ADMIN)
        await run_answering(h, datetime(2026, 3, 16, 12, tzinfo=UTC), step=timedelta(minutes=15))
        ktm = ZoneInfo("Asia/Kathmandu")
        days = [h.adapter.posted_at[s.ref].astimezone(ktm) for s in questions(h)]
        assert [(t.day, t.strftime("%a"), t.hour, t.minute) for t in days] == [
            (7, "Sat", 10, 0),
            (8, "Sun", 10, 0),
            (14, "Sat", 10, 0),
            (15, "Sun", 10, 0),
        ]
        assert "Your streak: **4**" in (await h.command("streak", ANA))[0].body
    finally:
        await h.close()


async def test_a_day_the_bot_was_down_breaks_no_streak_and_spends_no_freeze(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        # Mon..Fri and Mon: six answers in a row earn a freeze.
        await run_answering(h, datetime(2026, 3, 9, 18, tzinfo=UTC))
        assert (
            "Your streak: **6** (best 6). Freezes held: 1"
            in (await h.command("streak", ANA))[0].body
        )
        # Down from Monday evening to Wednesday 08:00: Tuesday was never posted.
        h.clock.set(datetime(2026, 3, 11, 8, tzinfo=UTC))
        await run_answering(h, datetime(2026, 3, 11, 18, tzinfo=UTC))
        assert len(questions(h)) == 7
        assert (
            "Your streak: **7** (best 7). Freezes held: 1"
            in (await h.command("streak", ANA))[0].body
        )
    finally:
        await h.close()


async def test_weekends_do_not_break_a_workday_streak_but_a_missed_workday_does(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 5, 6, tzinfo=UTC))  # Thursday
    try:
        await h.command("subscribe", ADMIN)
        await run_answering(h, datetime(2026, 3, 9, 18, tzinfo=UTC), who=(ANA, BEN))  # Thu..Mon
        await run_answering(h, datetime(2026, 3, 10, 18, tzinfo=UTC), who=(ANA,))  # Tue
        assert "Your streak: **4**" in (await h.command("streak", ANA))[0].body
        assert "Your streak: **0** (best 3)" in (await h.command("streak", BEN))[0].body
    finally:
        await h.close()


# --- one person, two channels in two zones ------------------------------------------------------


async def test_streaks_are_per_channel_in_each_channels_own_days(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 1, 12, tzinfo=UTC), channel="TOK")
    try:
        tok, ny = h.where, h.address("NY")
        for where, zone in ((tok, "Asia/Tokyo"), (ny, "America/New_York")):
            await h.core.dispatch(CommandInvoked(where, ADMIN, "subscribe"))
            await h.core.dispatch(CommandInvoked(where, ADMIN, f"schedule 09:00 {zone}"))
        # Ana answers every question in both channels for a week...
        await run_answering(h, datetime(2026, 3, 7, 12, tzinfo=UTC))
        # ...then only in Tokyo on its Monday (Sunday evening in New York).
        h.where = tok
        await run_answering(h, datetime(2026, 3, 9, 12, tzinfo=UTC))
        tok_posts, ny_posts = questions(h, "TOK"), questions(h, "NY")
        assert len(tok_posts) == 6 and len(ny_posts) == 5
        h.where = ny
        await run_answering(h, datetime(2026, 3, 9, 23, tzinfo=UTC), who=())  # NY Monday missed
        await h.run_until(datetime(2026, 3, 10, 2, tzinfo=UTC))  # NY Monday revealed
        streak = (await h.core.dispatch(CommandInvoked(tok, ANA, "streak")))[0].body
        assert "Your streak: **6**" in streak
        streak = (await h.core.dispatch(CommandInvoked(ny, ANA, "streak")))[0].body
        assert "Your streak: **5** (best 5). Freezes held: 0" in streak  # the freeze was spent
    finally:
        await h.close()


# --- a deadline at local midnight: the message's own time decides ---------------------------


async def test_sent_at_235959_counts_and_sent_at_midnight_does_not_however_late_received(
    db_url: str,
):
    from bot.events import AnswerPosted

    ktm = ZoneInfo("Asia/Kathmandu")
    h = await make_harness(db_url, datetime(2026, 3, 1, 12, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Asia/Kathmandu", ADMIN)
        await h.command("reveal-after 15h", ADMIN)  # the deadline is local midnight
        await h.run_until(datetime(2026, 3, 2, 9, tzinfo=ktm), step=timedelta(minutes=15))
        post = questions(h)[-1]
        text = model_answer(h, post)
        midnight = datetime(2026, 3, 3, 0, 0, tzinfo=ktm)
        await h.run_until(midnight + timedelta(minutes=1), step=timedelta(minutes=15))
        assert [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
        # Both reach us after the reveal (a catch-up): the sent time alone decides.
        for who, sent in ((ANA, midnight - timedelta(seconds=1)), (BEN, midnight)):
            await h.core.dispatch(
                AnswerPosted(
                    h.where,
                    who,
                    post.thread_id,
                    f"m-{who.user_id}",
                    text,
                    f"ev-{who.user_id}",
                    sent_at=sent,
                )
            )
        board = (await h.command("leaderboard week", ANA))[0].body
        assert board.startswith("1. Ana:") and "Ben" not in board, board
        assert "Your streak: **1**" in (await h.command("streak", ANA))[0].body
        assert "Your streak: **0**" in (await h.command("streak", BEN))[0].body
    finally:
        await h.close()


# --- weeks in each channel's own zone ---------------------------------------------------------


async def test_leaderboard_week_turns_over_at_the_channels_local_monday(db_url: str):
    akl = ZoneInfo("Pacific/Auckland")
    h = await make_harness(db_url, datetime(2026, 3, 5, 12, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Pacific/Auckland", ADMIN)
        # Friday 6 March, Auckland: answered and revealed.
        await run_answering(h, datetime(2026, 3, 6, 18, tzinfo=akl))
        h.clock.set(datetime(2026, 3, 8, 23, 59, 59, tzinfo=akl))  # Sunday, still this week
        assert (await h.command("leaderboard week", ANA))[0].body.startswith("1. Ana:")
        h.clock.set(datetime(2026, 3, 9, 0, 0, tzinfo=akl))  # Monday in Auckland, Sunday in UTC
        assert "No points yet" in (await h.command("leaderboard week", ANA))[0].body
        assert (await h.command("leaderboard all", ANA))[0].body.startswith("1. Ana:")
    finally:
        await h.close()


async def test_each_channel_gets_its_digest_at_its_own_local_time_and_week(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 1, 0, tzinfo=UTC), channel="AKL")
    try:
        zones = {"AKL": "Pacific/Auckland", "LA": "America/Los_Angeles", "KTM": "Asia/Kathmandu"}
        for channel, zone in zones.items():
            where = h.address(channel)
            await h.core.dispatch(CommandInvoked(where, ADMIN, "subscribe"))
            await h.core.dispatch(CommandInvoked(where, ADMIN, f"schedule 09:00 {zone}"))
        await run_answering(h, datetime(2026, 3, 8, 12, tzinfo=UTC), step=timedelta(minutes=15))
        for channel, zone in zones.items():
            sent = digests(h, channel)
            assert len(sent) == 1, channel
            local = h.adapter.posted_at[sent[0].ref].astimezone(ZoneInfo(zone))
            assert (local.strftime("%a"), local.hour, local.minute) == ("Fri", 16, 0), channel
            assert sent[0].message.title == "Weekly digest · 2026-W10"
            # Mon..Thu revealed before Friday's digest; Friday's is revealed after it.
            assert sent[0].message.body == "4 questions this week.", channel
    finally:
        await h.close()


async def test_a_week_with_rounds_but_no_answers_gets_a_digest_that_says_so(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        # Ana answers Mon..Thu; Friday's round, revealed after Friday's digest, and the
        # next week's are left unanswered: the second digest covers those five.
        await run_answering(h, datetime(2026, 3, 5, 18, tzinfo=UTC))
        await run_answering(h, datetime(2026, 3, 13, 18, tzinfo=UTC), who=())
        second = digests(h)[-1].message
        assert second.title.endswith("W11") and second.body == "5 questions this week."
        fields = {f.name: f.value for f in second.fields}
        assert fields["Top five this week"] == "Nobody scored this week."
        assert fields["Participation"] == "0%"
        assert "Hardest question" not in fields
    finally:
        await h.close()


# --- the schedule changed while a question is open ----------------------------------------


async def test_changing_the_zone_while_a_question_is_open_posts_no_second_one_that_day(
    db_url: str,
):
    """Posted 09:00 Berlin; at 10:00 the zone becomes New York, where it is 04:00 of the
    same day: New York's 09:00 must not post that day again. The open round keeps its
    deadline; the next post is New York's Tuesday 09:00."""
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Europe/Berlin", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
        assert len(questions(h)) == 1
        await h.command("schedule 09:00 America/New_York", ADMIN)
        await h.command("reveal-after 2h", ADMIN)  # for future questions only
        await h.run_until(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), step=timedelta(minutes=15))
        reveals = [s for s in h.adapter.of("thread") if s.message.kind == MessageKind.REVEAL]
        assert len(questions(h)) == 1 and len(reveals) == 1
        assert h.adapter.posted_at[reveals[0].ref] == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
        await h.run_until(datetime(2026, 3, 3, 17, 0, tzinfo=UTC), step=timedelta(minutes=15))
        ny = ZoneInfo("America/New_York")
        last = h.adapter.posted_at[questions(h)[-1].ref].astimezone(ny)
        assert len(questions(h)) == 2 and (last.day, last.hour) == (3, 9)
    finally:
        await h.close()


async def test_moving_the_post_time_later_after_todays_post_does_not_post_twice(db_url: str):
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 10, tzinfo=UTC))
        await h.command("schedule 15:00 UTC mon,wed", ADMIN)
        await h.run_until(datetime(2026, 3, 4, 16, tzinfo=UTC))
        days = [h.adapter.posted_at[s.ref] for s in questions(h)]
        assert [(t.day, t.hour) for t in days] == [(2, 9), (4, 15)]
    finally:
        await h.close()


async def test_a_week_long_round_says_which_day_its_answers_close(db_url: str):
    """With `reveal-after 7d` a Monday 09:00 post closes the next Monday at 09:00: 'Mon
    09:00' alone reads as closed already."""
    h = await make_harness(db_url, datetime(2026, 3, 2, 6, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("reveal-after 7d", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
        fields = {f.name: f.value for f in questions(h)[-1].message.fields}
        assert fields["Answers close"] == "Mon 09 Mar 09:00 (UTC)"
    finally:
        await h.close()


def test_the_digest_window_starts_at_last_weeks_digest_even_past_a_skipped_day():
    """Apia skipped Friday 30 Dec 2011: that week's Friday 10:00 digest maps to Saturday
    31 (+14). Its window still starts at the previous Friday's digest, 23 Dec 10:00."""
    from bot.digest import digest_instant, digest_window
    from storage.models import Channel
    from storage.repository import ChannelRow

    channel = Channel(id=1, timezone="Pacific/Apia", digest_weekday=4, digest_time="10:00")
    row = ChannelRow(channel, "memory", "W1")
    apia = ZoneInfo("Pacific/Apia")
    end = digest_instant(row, datetime(2011, 12, 29, 12, tzinfo=apia))
    assert end.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 31, 10)
    start, _ = digest_window(row, end)
    assert start.astimezone(apia).replace(tzinfo=None) == datetime(2011, 12, 23, 10)
    # The next week's window starts where this one ends.
    after = digest_instant(row, datetime(2012, 1, 5, 12, tzinfo=apia))
    assert digest_window(row, after)[0] == end


async def test_a_zone_change_that_turns_the_calendar_back_posts_no_extra_question(db_url: str):
    """At Tokyo's Monday 10:00 (Monday's question out) the zone becomes Honolulu, where it
    is Sunday 15:00. Sunday's 09:00 has passed there, but the channel is past Sunday: no
    second question, and none labelled 'the bot was offline'. Honolulu's Monday already
    had its question; Tuesday's comes at 09:00."""
    hnl = ZoneInfo("Pacific/Honolulu")
    h = await make_harness(db_url, datetime(2026, 3, 1, 12, tzinfo=UTC))
    try:
        await h.command("subscribe", ADMIN)
        await h.command("schedule 09:00 Asia/Tokyo daily", ADMIN)
        await h.run_until(datetime(2026, 3, 2, 1, tzinfo=UTC), step=timedelta(minutes=30))
        assert len(questions(h)) == 1
        await h.command("schedule 09:00 Pacific/Honolulu daily", ADMIN)
        await h.run_until(datetime(2026, 3, 3, 20, tzinfo=UTC), step=timedelta(minutes=30))
        posted = [h.adapter.posted_at[s.ref].astimezone(hnl) for s in questions(h)]
        assert [(t.day, t.hour, t.minute) for t in posted] == [(1, 14, 0), (3, 9, 0)]
        assert not any("late" in (s.message.footer or "") for s in questions(h))
    finally:
        await h.close()

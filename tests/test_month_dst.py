"""A simulated month in two time zones across daylight-saving changes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.events import ChannelAddress, CommandInvoked
from bot.messages import MessageKind
from tests.harness import ADMIN, MEMBERS, make_harness

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # Sunday; US DST starts Mar 8, EU Mar 29
END = datetime(2026, 4, 4, 0, 0, tzinfo=UTC)
ZONES = {"NY": "America/New_York", "BER": "Europe/Berlin"}


async def test_a_month_across_dst_posts_at_local_nine_on_workdays_only(db_url: str):
    h = await make_harness(db_url, START, channel="NY")
    try:
        for channel, zone in ZONES.items():
            where = ChannelAddress(h.where.platform, "W1", channel)
            await h.core.dispatch(CommandInvoked(where, ADMIN, "subscribe"))
            await h.core.dispatch(CommandInvoked(where, ADMIN, f"schedule 09:00 {zone}"))
        answered: Counter[str] = Counter()
        while h.clock.now() < END:
            h.clock.advance(timedelta(hours=1))
            before = len(h.adapter.sent)
            await h.core.tick()
            for sent in h.adapter.sent[before:]:
                if sent.verb == "post" and sent.message.kind == MessageKind.QUESTION:
                    # Every channel-local workday: one member answers in the thread.
                    member = MEMBERS[len(answered) % len(MEMBERS)]
                    h.where = ChannelAddress(h.where.platform, "W1", sent.channel.channel)
                    await h.answer(
                        member,
                        "An attempt.",
                        message_id=f"m{len(answered)}",
                        thread_id=sent.thread_id,
                    )
                    answered[sent.channel.channel] += 1

        for channel, zone in ZONES.items():
            tz = ZoneInfo(zone)
            posts = [
                s for s in h.adapter.of("post", channel) if s.message.kind == MessageKind.QUESTION
            ]
            sent_at = [_posted_at(h, s) for s in posts]
            local = [t.astimezone(tz) for t in sent_at]
            # 09:00 local wall time every time, before and after the clocks change.
            assert {(t.hour, t.minute) for t in local} == {(9, 0)}, channel
            days = [t.date() for t in local]
            assert len(days) == len(set(days)), f"{channel}: a day was posted twice"
            expected = [d for d in _dates(date(2026, 3, 2), date(2026, 4, 3)) if d.weekday() < 5]
            assert days == expected, channel
            reveals = [
                s for s in h.adapter.of("thread", channel) if s.message.kind == MessageKind.REVEAL
            ]
            assert len(reveals) == len(posts)
        # The offsets really did change in the month, in both zones.
        assert ZoneInfo("America/New_York").utcoffset(datetime(2026, 3, 2)) != ZoneInfo(
            "America/New_York"
        ).utcoffset(datetime(2026, 3, 10))
        assert ZoneInfo("Europe/Berlin").utcoffset(datetime(2026, 3, 27)) != ZoneInfo(
            "Europe/Berlin"
        ).utcoffset(datetime(2026, 3, 30))
        # The member streak in each channel survived the change (every workday answered).
        digests = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
        assert len(digests) == 2 * 5  # one per channel per ISO week W10..W14
    finally:
        await h.close()


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _posted_at(h, sent) -> datetime:
    """The instant a post happened: recorded by the memory adapter's clock snapshot."""
    return h.adapter.posted_at[sent.ref]

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.schedule import (
    ScheduleError,
    format_duration,
    is_scheduled,
    iso_week,
    local_date,
    local_instant,
    parse_duration,
    parse_hhmm,
    parse_weekday,
    parse_weekdays,
    previous_scheduled,
    resolve_timezone,
)


def test_hhmm_accepts_24_hour_times_and_rejects_others():
    assert parse_hhmm("9:05") == time(9, 5)
    assert parse_hhmm("23:59") == time(23, 59)
    for bad in ("24:00", "9", "9am", "09:60", "", "09:00:00"):
        with pytest.raises(ScheduleError, match="HH:MM"):
            parse_hhmm(bad)


def test_timezones_resolve_by_iana_name_only():
    assert resolve_timezone("Europe/Berlin").key == "Europe/Berlin"
    assert resolve_timezone("utc").key == "UTC"
    for bad in ("Mars/Olympus", "CEST", "../../etc/passwd", "Europe/"):
        with pytest.raises(ScheduleError, match="IANA"):
            resolve_timezone(bad)


def test_weekday_specs():
    assert parse_weekdays("mon-fri") == "01234"
    assert parse_weekdays("weekdays") == "01234"
    assert parse_weekdays("mon,wed,fri") == "024"
    assert parse_weekdays("fri-mon") == "0456"
    assert parse_weekdays("daily") == "0123456"
    with pytest.raises(ScheduleError):
        parse_weekdays("funday")


def test_durations_are_bounded():
    assert parse_duration("8h") == timedelta(hours=8)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    for bad in ("0m", "8 hours", "8d", "", "-1h"):
        with pytest.raises(ScheduleError):
            parse_duration(bad)


def test_local_instant_follows_wall_clock_across_dst():
    berlin = resolve_timezone("Europe/Berlin")
    # 2026-03-29: Berlin moves from UTC+1 to UTC+2.
    assert local_instant(date(2026, 3, 27), time(9), berlin) == datetime(2026, 3, 27, 8, tzinfo=UTC)
    assert local_instant(date(2026, 3, 30), time(9), berlin) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_nonexistent_local_time_moves_forward_not_backward():
    new_york = resolve_timezone("America/New_York")
    # 2026-03-08 02:30 does not exist in New York; it becomes 03:30 EDT (07:30 UTC).
    instant = local_instant(date(2026, 3, 8), time(2, 30), new_york)
    assert instant == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_local_date_uses_the_channel_zone():
    tokyo = resolve_timezone("Asia/Tokyo")
    assert local_date(datetime(2026, 3, 1, 20, tzinfo=UTC), tokyo) == date(2026, 3, 2)


def test_scheduled_days_and_iso_weeks():
    assert is_scheduled(date(2026, 3, 2), "01234")  # Monday
    assert not is_scheduled(date(2026, 3, 7), "01234")  # Saturday
    assert previous_scheduled(date(2026, 3, 9), "01234") == date(2026, 3, 6)
    assert iso_week(date(2027, 1, 1)) == (2026, 53)


def test_a_zone_name_in_the_wrong_case_is_the_zone_it_names():
    """`/mlq schedule 09:30 europe/berlin` was refused on Linux (zone files are looked up
    case-sensitively) though it names one zone only; the canonical name is kept."""
    assert resolve_timezone("europe/berlin").key == "Europe/Berlin"
    assert resolve_timezone("AMERICA/NEW_YORK").key == "America/New_York"
    assert resolve_timezone("asia/kolkata").key == "Asia/Kolkata"


@pytest.mark.parametrize("name", ["localtime", "Factory", "posix/Europe/Berlin", "right/UTC"])
def test_a_zone_that_depends_on_the_host_or_is_no_place_is_refused(name):
    """`localtime` is whatever zone the host running mlq is set to (two copies on two hosts
    would disagree on a channel's day); the others are tz database internals."""
    with pytest.raises(ScheduleError, match="IANA"):
        resolve_timezone(name)


def test_a_day_is_its_name_or_the_start_of_it_not_any_word_with_those_letters():
    assert parse_weekdays("monday-friday") == "01234"
    assert parse_weekdays("tues,thurs") == "13"
    assert parse_weekday("Fridays") == 4
    for bad in ("monkey", "satan", "sunshine", "frizzle"):
        with pytest.raises(ScheduleError, match="not a day"):
            parse_weekdays(bad)


@pytest.mark.parametrize("text", ["9999999999d", "99999999999999999999h", "1d99999999999999m"])
def test_a_duration_too_big_for_a_timedelta_is_out_of_range(text):
    """`/mlq reveal-after 9999999999d` answered "Something went wrong on our side" and
    `/advance 9999999999d` ended the console with a traceback (OverflowError)."""
    with pytest.raises(ScheduleError, match="out of range"):
        parse_duration(text)


@pytest.mark.parametrize("minutes", [5, 59, 60, 90, 8 * 60, 24 * 60, 36 * 60 + 5, 7 * 24 * 60])
def test_a_duration_is_shown_as_it_would_be_typed(minutes):
    """The status line said `168h` for 7d and `0h05m` for 5m."""
    shown = format_duration(minutes)
    assert parse_duration(shown) == timedelta(minutes=minutes)
    assert not shown.startswith("0") and "h0" not in shown
    assert format_duration(7 * 24 * 60) == "7d" and format_duration(5) == "5m"

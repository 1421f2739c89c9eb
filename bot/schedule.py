"""Channel-local calendar arithmetic. Every day boundary is the channel's local day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.text import said

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_NAMES = tuple(day[:3] for day in DAY_NAMES)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """A bad time, zone or day list; the message says what the right form is."""


def parse_hhmm(text: str) -> time:
    match = _HHMM.match(text.strip())
    if not match:
        raise ScheduleError(f"{said(text)} is not a time of day; use 24-hour HH:MM, e.g. 09:30")
    return time(int(match.group(1)), int(match.group(2)))


def format_hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


# Names in the zone folder that are no place: the host's own zone (two copies of mlq on
# two hosts would disagree on a channel's day) and the tz database's placeholder.
NOT_A_PLACE = frozenset({"localtime", "factory"})


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name by its lowercase spelling: names differ by more than case."""
    return {name.lower(): name for name in available_timezones() if name.lower() not in NOT_A_PLACE}


def resolve_timezone(name: str) -> ZoneInfo:
    """An IANA zone by its name, in any case (``europe/berlin`` is Europe/Berlin)."""
    cleaned = name.strip()
    if cleaned.upper() == "UTC":
        return ZoneInfo("UTC")
    # Only the listed names: ZoneInfo would also open any file under the zone folder
    # (``posix/…``, ``right/…``, ``localtime``).
    key = _zone_names().get(cleaned.lower())
    try:
        if key is None:
            raise ZoneInfoNotFoundError(cleaned)
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"{said(name)} is not a known time zone; use an IANA name, e.g. Europe/Berlin"
        ) from exc


def parse_weekdays(text: str) -> str:
    """'mon-fri', 'mon,wed,fri', 'weekdays', 'weekends', 'daily' -> '01234' (Monday = 0)."""
    spec = text.strip().lower()
    if spec in ("weekdays", "workdays"):
        return "01234"
    if spec in ("weekends", "weekend"):
        return "56"
    if spec in ("daily", "everyday", "every-day", "all"):
        return "0123456"
    days: set[int] = set()
    for part in filter(None, spec.split(",")):
        if "-" in part:
            start, _, end = part.partition("-")
            first, last = _day_index(start), _day_index(end)
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            days.update(span)
        else:
            days.add(_day_index(part))
    if not days:
        raise ScheduleError(f"{said(text)} names no days; use e.g. mon-fri or mon,wed,fri")
    return "".join(str(d) for d in sorted(days))


def _day_index(name: str) -> int:
    """``mon``, ``tues``, ``monday`` or ``mondays``: the start of a day's name, at least
    three letters (not any word that starts like one, such as ``monkey``)."""
    word = name.strip().lower()
    if word.endswith("days"):
        word = word[:-1]
    for index, day in enumerate(DAY_NAMES):
        if len(word) >= 3 and day.startswith(word):
            return index
    raise ScheduleError(f"{said(name)} is not a day; use mon, tue, wed, thu, fri, sat or sun")


def parse_weekday(text: str) -> int:
    return _day_index(text.strip().lower())


def format_weekdays(days: str) -> str:
    return ", ".join(WEEKDAY_NAMES[int(d)].capitalize() for d in days)


def parse_duration(text: str) -> timedelta:
    """'8h', '90m', '1h30m', '2d' -> timedelta; between 5 minutes and 7 days."""
    match = re.fullmatch(
        r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*",
        text.lower(),
    )
    if not match or not any(match.groups()):
        raise ScheduleError(
            f"{said(text)} is not a duration; use one between 5m and 7d, e.g. 8h, 90m or 1h30m"
        )
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    # Checked in whole seconds first: a timedelta of 9999999999 days overflows.
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if not 5 * 60 <= total <= 7 * 24 * 3600:
        raise ScheduleError(f"{said(text.strip())} is out of range: use between 5m and 7d, e.g. 8h")
    return timedelta(seconds=total)


def format_duration(minutes: int) -> str:
    """Minutes as a person would type them: ``7d``, ``1d12h``, ``1h30m``, ``5m``."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "m")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0m"


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    In a spring-forward gap the wall time does not exist; fold=0 maps it forward by the
    gap (02:30 becomes 03:30). In a fall-back overlap the first occurrence is used.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def end_of_local_day(instant: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day of ``instant`` ends (the next local midnight)."""
    return local_instant(local_date(instant, zone) + timedelta(days=1), time(0, 0), zone)


def is_scheduled(day: date, weekdays: str) -> bool:
    return str(day.weekday()) in weekdays


def previous_scheduled(day: date, weekdays: str) -> date | None:
    for back in range(1, 8):
        candidate = day - timedelta(days=back)
        if is_scheduled(candidate, weekdays):
            return candidate
    return None


def next_scheduled(day: date, weekdays: str) -> date | None:
    """The first scheduled day on or after ``day``."""
    for ahead in range(8):
        candidate = day + timedelta(days=ahead)
        if is_scheduled(candidate, weekdays):
            return candidate
    return None


def iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)

"""The `/mlq` grammar shared by every adapter: text in, a command value or a usage error out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from bot.schedule import (
    ScheduleError,
    parse_duration,
    parse_hhmm,
    parse_weekday,
    parse_weekdays,
    resolve_timezone,
)
from bot.text import said

MAX_COMMAND_CHARS = 500
# Kept here rather than imported from bot.quiz.formats: the grammar has no dependencies.
FORMAT_MODES = ("open", "mixed", "quiz")
PRACTICE_FORMATS = ("quiz", "open", "choice", "numeric")


class CommandError(ValueError):
    """A malformed command; the message says what was wrong and shows the right form."""


class UnknownTopic(CommandError):
    """A word that is neither a command nor a topic. The example names the practice
    command as the platform spells it (``/mlq`` here, ``/mlq practice`` on Discord)."""

    EXAMPLE_TOPIC = "deep-learning"

    def __init__(self, word: str, topics: str) -> None:
        self.word, self.topics = word, topics
        super().__init__(self.text("/mlq"))

    def text(self, practice: str) -> str:
        return (
            f"{said(self.word)} is neither a command nor a topic. Topics: {self.topics}. "
            f"Example: `{practice} {self.EXAMPLE_TOPIC}`; all commands: `/mlq help`"
        )


@dataclass(frozen=True)
class Practice:
    topic: str | None = None
    format: str | None = None  # quiz | open | choice | numeric (bot/quiz/formats.py)


@dataclass(frozen=True)
class Formats:
    """The question formats of the channel's daily rounds: mixed | quiz | open."""

    mode: str


@dataclass(frozen=True)
class Topics:
    pass


@dataclass(frozen=True)
class LimitTopics:
    """Limit the channel's daily questions to these topics; empty means every topic."""

    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class LimitBanks:
    """Limit the channel's daily questions to these banks; empty means every bank."""

    banks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stats:
    member_ref: str | None = None  # a platform user id or a display name


@dataclass(frozen=True)
class StreakInfo:
    pass


@dataclass(frozen=True)
class Leaderboard:
    scope: str = "week"  # week | all


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Status:
    """The channel's schedule and state: active, paused, unsubscribed or suspended."""


@dataclass(frozen=True)
class Schedule:
    at: time
    timezone: str
    weekdays: str | None = None


@dataclass(frozen=True)
class RevealAfter:
    delay: timedelta


@dataclass(frozen=True)
class DigestAt:
    weekday: int
    at: time


@dataclass(frozen=True)
class TeamStreakThreshold:
    answers: int


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class Subscribe:
    pass


@dataclass(frozen=True)
class Unsubscribe:
    pass


Command = (
    Practice
    | Topics
    | Stats
    | StreakInfo
    | Leaderboard
    | Help
    | Status
    | Schedule
    | RevealAfter
    | DigestAt
    | TeamStreakThreshold
    | Pause
    | Resume
    | Skip
    | Subscribe
    | Unsubscribe
    | Formats
)
ADMIN_COMMANDS = (
    Formats,
    LimitTopics,
    LimitBanks,
    Schedule,
    RevealAfter,
    DigestAt,
    TeamStreakThreshold,
    Pause,
    Resume,
    Skip,
    Subscribe,
    Unsubscribe,
)


def needs_admin(command: object) -> bool:
    """Whether only admins may run this command (the core's and bot/disputes' ones)."""
    from bot.disputes.grammar import FEEDBACK_ADMIN_COMMANDS  # that module imports this one

    return isinstance(command, ADMIN_COMMANDS + FEEDBACK_ADMIN_COMMANDS)


@dataclass(frozen=True)
class Usage:
    form: str
    summary: str
    admin: bool = False


USAGE: dict[str, Usage] = {
    "": Usage(
        "/mlq [topic] [quiz|open|choice|numeric]",
        "a practice question now, just for you (a quiz, or one kind of quiz, if you say so)",
    ),
    "topics": Usage("/mlq topics", "the topics you can ask for"),
    "topics only": Usage(
        "/mlq topics only T1,T2 | all",
        "limit this channel's daily questions to some topics",
        admin=True,
    ),
    "banks only": Usage(
        "/mlq banks only B1,B2 | all", "limit this channel to some question banks", admin=True
    ),
    "stats": Usage("/mlq stats [@member]", "points, answers and grades"),
    "streak": Usage("/mlq streak", "your streak, freezes and the team streak"),
    "leaderboard": Usage("/mlq leaderboard [week|all]", "the channel's leaderboard"),
    "help": Usage("/mlq help", "this list"),
    "status": Usage("/mlq status", "this channel's schedule, and whether mlq can post here"),
    "schedule": Usage(
        "/mlq schedule HH:MM TZ [days]",
        "e.g. /mlq schedule 09:30 Europe/Berlin mon-fri",
        admin=True,
    ),
    "reveal-after": Usage("/mlq reveal-after DURATION", "e.g. /mlq reveal-after 8h", admin=True),
    "digest": Usage("/mlq digest DAY HH:MM", "e.g. /mlq digest fri 16:00", admin=True),
    "team-streak": Usage(
        "/mlq team-streak N",
        "on-time answers a day needs to extend the team streak, e.g. /mlq team-streak 3",
        admin=True,
    ),
    "formats": Usage(
        "/mlq formats open|mixed|quiz",
        "daily questions: open ones only (default), open and quizzes, or quizzes only",
        admin=True,
    ),
    "pause": Usage("/mlq pause", "stop daily posts here", admin=True),
    "resume": Usage(
        "/mlq resume", "start daily posts again, also after a suspension is fixed", admin=True
    ),
    "skip": Usage(
        "/mlq skip",
        "no daily question today (cancels today's round if already posted)",
        admin=True,
    ),
    "subscribe": Usage("/mlq subscribe", "post a daily question in this channel", admin=True),
    "unsubscribe": Usage("/mlq unsubscribe", "stop posting here for good", admin=True),
    # Who may configure, disputes and reports (bot/disputes).
    "admins": Usage(
        "/mlq admins [list | add @member | remove @member]",
        "who may configure mlq here besides workspace admins",
        admin=True,
    ),
    "dispute": Usage(
        "/mlq dispute [reason]", "ask an admin to look at the grade of your latest answer"
    ),
    "disputes": Usage("/mlq disputes", "grade disputes waiting for an admin", admin=True),
    "resolve": Usage(
        "/mlq resolve N keep|score 0-100|points 1,3 [why]",
        "decide a dispute, e.g. /mlq resolve 4 score 80 covers regularisation",
        admin=True,
    ),
    "report": Usage("/mlq report REASON", "report a problem with the latest question"),
    "reports": Usage("/mlq reports", "questions people reported here", admin=True),
    "retire": Usage(
        "/mlq retire QUESTION-ID|#REPORT [why]",
        "never post that question in this workspace again",
        admin=True,
    ),
}

MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$|^@(\S+)$")
_MENTION = MENTION


def usage_error(name: str, problem: str) -> CommandError:
    usage = USAGE[name]
    return CommandError(f"{problem}. Usage: `{usage.form}` ({usage.summary})")


_usage_error = usage_error


def _no_args(name: str, args: list[str], value: Command) -> Command:
    if args:
        raise _usage_error(name, f"`{name}` takes no arguments")
    return value


def _limit_list(name: str, args: list[str], known: frozenset[str], what: str) -> tuple[str, ...]:
    """``only a,b`` -> ('a', 'b'); ``all`` -> () ; anything else is a usage error."""
    if args == ["all"]:
        return ()
    if len(args) < 2 or args[0].lower() != "only":
        raise _usage_error(name, "say `only` and a comma-separated list, or `all`")
    items = tuple(
        dict.fromkeys(
            item.strip().lower() for item in " ".join(args[1:]).split(",") if item.strip()
        )
    )
    if not items:
        raise _usage_error(name, f"name at least one {what} after `only`, or say `all`")
    unknown = [item for item in items if known and item not in known]
    if unknown:
        shown = ", ".join(sorted(known)) or "none loaded"
        raise _usage_error(name, f"unknown {what} {said(', '.join(unknown))}; known: {shown}")
    return items


def parse_command(
    text: str,
    *,
    known_topics: frozenset[str] = frozenset(),
    known_banks: frozenset[str] = frozenset(),
) -> Command:
    """Parse what follows ``/mlq``. Raises CommandError with a usage line when malformed."""
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandError(f"that command is too long (over {MAX_COMMAND_CHARS} characters)")
    words = text.split()
    if not words:
        return Practice()
    name, args = words[0].lower(), words[1:]
    match name:
        case "help" | "?":
            return _no_args("help", args, Help())
        case "status":
            return _no_args("status", args, Status())
        case "topics":
            if not args:
                return Topics()
            return LimitTopics(_limit_list("topics only", args, known_topics, "topic"))
        case "banks":
            return LimitBanks(_limit_list("banks only", args, known_banks, "bank"))
        case "streak":
            return _no_args("streak", args, StreakInfo())
        case "stats":
            if len(args) > 1:
                raise _usage_error("stats", "give at most one member")
            if not args:
                return Stats()
            mention = _MENTION.match(args[0])
            if not mention:
                raise _usage_error("stats", f"{said(args[0])} is not a member mention")
            return Stats(member_ref=mention.group(1) or mention.group(2))
        case "leaderboard" | "lb":
            scope = args[0].lower() if args else "week"
            if len(args) > 1 or scope not in ("week", "all"):
                raise _usage_error("leaderboard", "the scope is `week` or `all`")
            return Leaderboard(scope)
        case "schedule":
            return _parse_schedule(args)
        case "reveal-after" | "reveal":
            if len(args) != 1:
                raise _usage_error("reveal-after", "give one duration")
            try:
                return RevealAfter(parse_duration(args[0]))
            except ScheduleError as exc:
                raise _usage_error("reveal-after", str(exc)) from exc
        case "digest":
            if len(args) != 2:
                raise _usage_error("digest", "give a day and a time")
            try:
                return DigestAt(parse_weekday(args[0]), parse_hhmm(args[1]))
            except ScheduleError as exc:
                raise _usage_error("digest", str(exc)) from exc
        case "team-streak":
            # isdecimal, not isdigit: isdigit takes '²', which int() refuses.
            if len(args) != 1 or not args[0].isdecimal() or not 1 <= int(args[0]) <= 50:
                raise _usage_error("team-streak", "give a whole number from 1 to 50")
            return TeamStreakThreshold(int(args[0]))
        case "pause":
            return _no_args("pause", args, Pause())
        case "resume":
            return _no_args("resume", args, Resume())
        case "skip":
            return _no_args("skip", args, Skip())
        case "subscribe":
            return _no_args("subscribe", args, Subscribe())
        case "unsubscribe":
            return _no_args("unsubscribe", args, Unsubscribe())
        case "admins" | "dispute" | "disputes" | "resolve" | "report" | "reports" | "retire":
            from bot.disputes import grammar  # imports this module: resolved at call time

            return grammar.parse(name, args)  # type: ignore[return-value]
        case "formats" | "format":
            if len(args) != 1 or args[0].lower() not in FORMAT_MODES:
                raise _usage_error("formats", "say `open`, `mixed` or `quiz`")
            return Formats(args[0].lower())
        case "practice":
            return _practice(args, known_topics)
    return _practice(words, known_topics)


def _practice(words: list[str], known_topics: frozenset[str]) -> Practice:
    """``/mlq``, ``/mlq deep-learning``, ``/mlq quiz``, ``/mlq deep-learning numeric``: a
    topic and a format word, each optional, in either order."""
    formats = [w.lower() for w in words if w.lower() in PRACTICE_FORMATS]
    rest = [w for w in words if w.lower() not in PRACTICE_FORMATS]
    if len(formats) > 1 or len(rest) > 1:
        raise CommandError(
            f"unknown command {said(' '.join(words))}. Ask for practice with `/mlq [topic] "
            "[quiz|open|choice|numeric]`; all commands: `/mlq help`"
        )
    chosen = formats[0] if formats else None
    if not rest:
        return Practice(None, chosen)
    topic = rest[0].lower()
    if topic not in known_topics:
        shown = ", ".join(sorted(known_topics)) or "none loaded"
        raise UnknownTopic(rest[0], shown)
    return Practice(topic, chosen)


def _parse_schedule(args: list[str]) -> Schedule:
    if len(args) not in (2, 3):
        raise _usage_error("schedule", "give a time, a time zone and optionally days")
    try:
        at = parse_hhmm(args[0])
        zone = resolve_timezone(args[1])
        days = parse_weekdays(args[2]) if len(args) == 3 else None
    except ScheduleError as exc:
        raise _usage_error("schedule", str(exc)) from exc
    return Schedule(at, zone.key, days)

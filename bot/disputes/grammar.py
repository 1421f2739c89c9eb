"""The `/mlq` words for admins, disputes and reports (``bot.commands`` hands them here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands import MENTION, CommandError, usage_error
from bot.text import said

# A reason is one line people read in a list: long enough to say what is wrong.
MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class AdminsList:
    pass


@dataclass(frozen=True)
class AdminsAdd:
    user_id: str


@dataclass(frozen=True)
class AdminsRemove:
    user_id: str


@dataclass(frozen=True)
class FileDispute:
    reason: str = ""


@dataclass(frozen=True)
class ListDisputes:
    pass


@dataclass(frozen=True)
class Resolve:
    dispute_id: int
    decision: str  # keep | score | points
    score: float | None = None  # 0..1 for "score"
    points: tuple[int, ...] = ()  # 1-based key point numbers for "points"
    note: str = ""


@dataclass(frozen=True)
class Report:
    reason: str


@dataclass(frozen=True)
class ListReports:
    pass


@dataclass(frozen=True)
class Retire:
    target: str  # a question id, or "#<report id>"
    note: str = ""


FeedbackCommand = (
    AdminsList
    | AdminsAdd
    | AdminsRemove
    | FileDispute
    | ListDisputes
    | Resolve
    | Report
    | ListReports
    | Retire
)
FEEDBACK_COMMANDS = (
    AdminsList,
    AdminsAdd,
    AdminsRemove,
    FileDispute,
    ListDisputes,
    Resolve,
    Report,
    ListReports,
    Retire,
)
FEEDBACK_ADMIN_COMMANDS = (AdminsAdd, AdminsRemove, ListDisputes, Resolve, ListReports, Retire)
NAMES = frozenset({"admins", "dispute", "disputes", "resolve", "report", "reports", "retire"})

_NUMBERS = re.compile(r"^\d{1,3}(,\d{1,3})*$")


def reason_of(name: str, words: list[str]) -> str:
    reason = " ".join(words)
    if len(reason) > MAX_REASON_CHARS:
        raise usage_error(name, f"keep the reason under {MAX_REASON_CHARS} characters")
    return reason


def _member(name: str, word: str) -> str:
    mention = MENTION.match(word)
    if not mention:
        raise usage_error(name, f"{said(word)} is not a member mention")
    return mention.group(1) or mention.group(2)


def _id(name: str, word: str, what: str) -> int:
    cleaned = word.removeprefix("#")
    if not cleaned.isdecimal() or len(cleaned) > 18:
        raise usage_error(name, f"{said(word)} is not a {what} number")
    return int(cleaned)


def parse(name: str, args: list[str]) -> FeedbackCommand:
    match name:
        case "admins":
            action = args[0].lower() if args else "list"
            if action == "list" and len(args) <= 1:
                return AdminsList()
            if action in ("add", "remove") and len(args) == 2:
                user = _member("admins", args[1])
                return AdminsAdd(user) if action == "add" else AdminsRemove(user)
            raise usage_error("admins", "say `list`, or `add`/`remove` and one member")
        case "dispute":
            return FileDispute(reason_of("dispute", args))
        case "disputes":
            if args:
                raise usage_error("disputes", "`disputes` takes no arguments")
            return ListDisputes()
        case "resolve":
            return _resolve(args)
        case "report":
            if not args:
                raise usage_error("report", "say what is wrong with the question")
            return Report(reason_of("report", args))
        case "reports":
            if args:
                raise usage_error("reports", "`reports` takes no arguments")
            return ListReports()
        case "retire":
            if not args:
                raise usage_error("retire", "name a question id or a report number")
            return Retire(args[0], reason_of("retire", args[1:]))
    raise CommandError(f"unknown command {said(name)}. Try `/mlq help`")


def _resolve(args: list[str]) -> Resolve:
    if len(args) < 2:
        raise usage_error("resolve", "give a dispute number and `keep`, `score N` or `points 1,3`")
    dispute_id = _id("resolve", args[0], "dispute")
    decision = args[1].lower()
    if decision == "keep":
        return Resolve(dispute_id, "keep", note=reason_of("resolve", args[2:]))
    if len(args) < 3:
        raise usage_error("resolve", f"`{decision}` needs a value")
    value = args[2]
    note = reason_of("resolve", args[3:])
    if decision == "score":
        number = value.removesuffix("%")
        if not number.isdecimal() or not 0 <= int(number) <= 100:
            raise usage_error("resolve", "a score is a whole number from 0 to 100")
        return Resolve(dispute_id, "score", score=int(number) / 100, note=note)
    if decision == "points":
        if value.lower() == "none":
            return Resolve(dispute_id, "points", points=(), note=note)
        if not _NUMBERS.match(value):
            raise usage_error("resolve", "list the covered key points as numbers, e.g. `1,3`")
        points = tuple(sorted({int(n) for n in value.split(",")}))
        return Resolve(dispute_id, "points", points=points, note=note)
    raise usage_error("resolve", f"{said(args[1])} is not `keep`, `score` or `points`")

"""``mlq demo``: N scheduled days with simulated teammates, printed, deterministic per seed."""

from __future__ import annotations

import random
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from adapters.console.adapter import ConsoleAdapter
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.events import Actor, AnswerPosted, ChannelAddress, CommandInvoked
from question_bank.schema import Question
from storage import unit_of_work

# A Monday, so a five-day demo is one working week ending in the Friday digest.
DEMO_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# Whose private messages the demo shows: only the narrator's teammate Ada sees them.
VIEWER = "u-ada"


@dataclass(frozen=True)
class Teammate:
    """A simulated member and how they tend to answer (``style``, see ``simulated_answer``)."""

    user_id: str
    name: str
    style: str  # complete | partial | wrong | short
    diligence: float  # chance of answering on a given day
    openers: tuple[str, ...]


TEAM = (
    Teammate("u-ada", "Ada", "complete", 0.95, ("To sum it up:", "Here is how I see it.")),
    Teammate("u-bo", "Bo", "partial", 0.85, ("The way I understand it,", "As far as I know,")),
    Teammate("u-chen", "Chen", "wrong", 0.8, ("Not sure, but:", "My guess:")),
    Teammate("u-dee", "Dee", "short", 0.7, ("Quick one:", "Briefly:")),
)

_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_LIST_ITEM = re.compile(r"([-*+]|\d+[.)])\s")


def _sentences(text: str) -> list[str]:
    """The model answer's prose sentences, without parentheses, lists or code."""
    lines: list[str] = []
    fenced = listed = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            continue
        if fenced or not stripped:
            listed = listed and not stripped
            continue
        if _LIST_ITEM.match(stripped) or stripped.startswith(("|", "#")):
            listed = True  # an item, and the indented lines that carry it on
        elif not (listed and line[:1].isspace()):
            listed = False
            lines.append(stripped)
    prose = " ".join(lines)
    prose = prose.replace("**", "").replace("`", "")
    found = [_PARENTHESES.sub("", s).strip() for s in _SENTENCES.split(prose)]
    return [s for s in found if len(s.split()) >= 5]


def _after(opener: str, body: str) -> str:
    """``body`` after the opener: it carries on the opener's sentence unless that ended."""
    if opener.endswith((",", ":")) and body[1:2].islower():
        body = body[:1].lower() + body[1:]
    return f"{opener} {body}"


def simulated_answer(
    question: Question, mate: Teammate, rng: random.Random, other: Question | None = None
) -> str:
    """A teammate's answer in their own style, so that answers in one round differ:

    - complete: every key point, as a list of statements;
    - partial: two or three sentences of the model answer's prose, retold;
    - wrong: sentences about another question (``other``), one right point at most;
    - short: the first few words of one key point (too short to be called a copy).
    None copies another teammate's text, so the near-copy check has nothing to flag."""
    points = [p.text.rstrip(".") for p in question.key_points] or [question.answer[:120]]
    opener = rng.choice(mate.openers)
    if mate.style == "complete":
        body = " ".join(f"{p}." for p in points)
    elif mate.style == "partial" and question.key_points:
        prose = _sentences(question.answer) or [f"{p}." for p in points]
        start = rng.randrange(len(prose))
        body = " ".join(prose[start : start + rng.choice((2, 3))])
    elif mate.style == "wrong" and other is not None:
        prose = _sentences(other.answer) or [f"{p.text}." for p in other.key_points]
        body = " ".join(prose[: rng.choice((1, 2))])
    else:
        words = min(points, key=len).split()
        body = " ".join(words[:5]) + ("..." if len(words) > 5 else ".")
    return _after(opener, body)


async def run_demo(days: int, seed: int, out: TextIO) -> bool:
    """Print the demo to ``out``; False when the reader closed it early (``| head``)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mlq-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        settings = Settings(MLQ_DATABASE_URL=url, MLQ_INSTANCE_ID="demo")
        clock = ManualClock(DEMO_START)
        adapter = ConsoleAdapter(out, color=False, viewer=VIEWER)
        app = await build_app(settings, adapter, clock=clock)
        where = ChannelAddress("console", "demo", "ml-study")
        admin = Actor("u-ada", "Ada", is_admin=True)
        try:
            adapter.say(
                "mlq demo: a simulated team in #ml-study. Teammates answer in the question's "
                "thread; the private messages shown are Ada's (only she sees them)."
            )
            await app.core.dispatch(CommandInvoked(where, admin, "subscribe"))
            scheduled_days = 0
            shown_day = None
            while scheduled_days < days and not adapter.closed:
                due = await app.core.next_due()
                clock.set(due)
                if due.date() != shown_day:
                    shown_day = due.date()
                    adapter.say(f"\n—— {due:%A} {due.day} {due:%B %Y} ——")
                report = await app.core.tick()
                if report.posted:
                    scheduled_days += 1
                    await _answer_round(app, adapter, where, rng)
            # Let the last round reveal, and the week's digest come if it is due.
            for _ in range(3):
                if adapter.closed:
                    return False
                due = await app.core.next_due()
                if due is None or due - clock.now() > timedelta(days=1):
                    break
                clock.set(due)
                await app.core.tick()
            for scope in ("week", "all"):
                for reply in await app.core.dispatch(
                    CommandInvoked(where, admin, f"leaderboard {scope}")
                ):
                    adapter.show_private(reply)
        finally:
            await app.close()
    return not adapter.closed


async def _answer_round(
    app: App, adapter: ConsoleAdapter, where: ChannelAddress, rng: random.Random
) -> None:
    thread = adapter.open_thread
    async with unit_of_work(app.db) as repo:
        channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
        post = await repo.post_by_thread(channel.id, thread)
    question = app.bank.get(post.question_id)
    others = [q for q in app.bank if q.topic == question.topic and q.id != question.id]
    for mate in TEAM:
        if adapter.closed:
            return
        if rng.random() > mate.diligence:
            continue
        other = rng.choice(others) if others else None
        text = simulated_answer(question, mate, rng, other)
        adapter.say(f"  {mate.name} answers: {text}")
        event = AnswerPosted(
            where, Actor(mate.user_id, mate.name), thread, adapter.new_message_id(), text
        )
        await app.core.dispatch(event)

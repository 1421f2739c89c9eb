"""``mlq demo``: N scheduled days with simulated teammates, printed, deterministic per seed."""

from __future__ import annotations

import random
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
FILLER = [
    "I think the main idea is this.",
    "From what I remember in practice:",
    "Roughly speaking,",
    "In my last project we saw that",
]


@dataclass(frozen=True)
class Teammate:
    user_id: str
    name: str
    skill: float  # chance of covering each key point
    diligence: float  # chance of answering on a given day


TEAM = (
    Teammate("u-ada", "Ada", 0.9, 0.95),
    Teammate("u-bo", "Bo", 0.65, 0.85),
    Teammate("u-chen", "Chen", 0.45, 0.8),
    Teammate("u-dee", "Dee", 0.3, 0.6),
)


def simulated_answer(question: Question, mate: Teammate, rng: random.Random) -> str:
    """An answer that states some of the key points in the teammate's own words."""
    points = [p.text for p in question.key_points] or [question.answer.split(".")[0]]
    chosen = [p for p in points if rng.random() < mate.skill] or [rng.choice(FILLER)]
    return f"{rng.choice(FILLER)} " + " ".join(p.rstrip(".") + "." for p in chosen)


async def run_demo(days: int, seed: int, out: TextIO) -> bool:
    """Print the demo to ``out``; False when the reader closed it early (``| head``)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mlq-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        settings = Settings(MLQ_DATABASE_URL=url, MLQ_INSTANCE_ID="demo")
        clock = ManualClock(DEMO_START)
        adapter = ConsoleAdapter(out, color=False, viewer="narrator")
        app = await build_app(settings, adapter, clock=clock)
        where = ChannelAddress("console", "demo", "ml-study")
        admin = Actor("u-ada", "Ada", is_admin=True)
        try:
            await app.core.dispatch(CommandInvoked(where, admin, "subscribe"))
            scheduled_days = 0
            while scheduled_days < days and not adapter.closed:
                due = await app.core.next_due()
                clock.set(due)
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
    for mate in TEAM:
        if adapter.closed:
            return
        if rng.random() > mate.diligence:
            continue
        text = simulated_answer(question, mate, rng)
        adapter.say(f"  {mate.name} answers: {text}")
        event = AnswerPosted(
            where, Actor(mate.user_id, mate.name), thread, adapter.new_message_id(), text
        )
        await app.core.dispatch(event)

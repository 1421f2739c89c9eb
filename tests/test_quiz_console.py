"""A quiz round in the console: options shown as A/B/C, a pick typed as a letter, changed,
revealed with the votes; a practice quiz answered by letter; a number typed with a unit."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from adapters.console.adapter import ConsoleAdapter
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings
from tests.quiz_bank import NUMERIC, SEVERAL, SINGLE, bank_of


async def session_with(db_url: str, *questions) -> tuple[ConsoleSession, io.StringIO, object]:
    out = io.StringIO()
    clock = ManualClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    adapter = ConsoleAdapter(out, color=False, viewer="you")
    settings = Settings(MLQ_DATABASE_URL=db_url)
    built = await build_app(settings, adapter, clock=clock, migrate=False, bank=bank_of(*questions))
    session = ConsoleSession(built, adapter, clock)
    await session.start()
    await session.handle("/mlq formats quiz")
    return session, out, built


async def test_a_choice_round_in_the_console(db_url: str):
    session, out, built = await session_with(db_url, SINGLE)
    try:
        await session.handle("/next")  # 09:00: the quiz
        shown = out.getvalue()
        assert "A. Sigmoid" in shown and "C. ReLU" in shown  # bold, rendered by rich
        assert "Type the letter of your pick, e.g. b" in shown
        await session.handle("b")
        assert "Your pick · B" in out.getvalue()
        await session.handle("C")  # a new reply replaces the pick
        assert "changed to C" in out.getvalue()
        await session.handle("/next")  # the reveal
        revealed = out.getvalue()
        assert "Answer:\nC: ReLU" in revealed or "Answer: C: ReLU" in revealed
        assert "C ✓: 1 vote" in revealed
        assert "you: 6 points" in revealed
        await session.handle("/mlq stats")
        assert "Points: 6" in out.getvalue()
    finally:
        await built.close()


async def test_practice_quiz_and_numbers_in_the_console(db_url: str):
    session, out, built = await session_with(db_url, SEVERAL, NUMERIC)
    try:
        await session.handle("/mlq practice choice")
        assert "Type the letters of your picks, e.g. a,c" in out.getvalue()
        await session.handle("a, c")
        assert "(only you) Right" in out.getvalue()
        await session.handle("/mlq numeric")
        await session.handle("1 hour")
        assert "a duration" in out.getvalue()  # told why, and kept
        await session.handle("0.5 GiB")  # and the practice question is still open
        assert "(only you) Right" in out.getvalue().rsplit("a duration", 1)[1]
    finally:
        await built.close()

"""Disputes and reports in the console, as a person types them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from adapters.console.adapter import ConsoleAdapter
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def flat(text: str) -> str:
    return " ".join(text.replace("`", "").replace("*", "").split())


async def test_dispute_raise_lower_report_and_retire_in_the_console(db_url: str):
    out = io.StringIO()
    clock = ManualClock(MONDAY_6AM)
    adapter = ConsoleAdapter(out, color=False, viewer="you")
    built = await build_app(Settings(MLQ_DATABASE_URL=db_url), adapter, clock=clock, migrate=False)
    try:
        session = ConsoleSession(built, adapter, clock)
        await session.start()
        await session.handle("/next")  # the daily question
        # The console renders markdown and wraps lines: compare words, not characters.
        shown = flat(out.getvalue())
        [question] = [q for q in built.bank if flat(q.prompt) in shown]
        await session.handle(f"Mainly: {question.key_points[0].text}.")
        assert "[Dispute grade]" in flat(out.getvalue())  # the feedback names the button
        await session.handle("/next")  # the reveal
        await session.handle("/mlq dispute I said the same in other words")
        assert "Dispute #1 is filed" in flat(out.getvalue())
        await session.handle("/mlq disputes")
        assert "I said the same in other words" in flat(out.getvalue())
        await session.handle("/mlq resolve 1 score 100 it is right")
        shown = flat(out.getvalue())
        assert "grade raised to 100%" in shown and "raised your grade" in shown
        await session.handle("/mlq resolve 1 keep")
        assert "already resolved" in flat(out.getvalue())
        await session.handle("/mlq leaderboard")
        assert "6 points" in flat(out.getvalue())
        await session.handle("/mlq report the model answer is outdated")
        await session.handle("/mlq reports")
        assert "outdated" in flat(out.getvalue())
        await session.handle("/mlq retire #1 outdated")
        assert "will not be posted in this workspace again" in flat(out.getvalue())
        await session.handle("/mlq admins add @ana")
        await session.handle("/mlq admins list")
        assert "• ana (added by" in flat(out.getvalue())  # `ana`, as code in a list
        await session.handle("/mlq dispute " + "x" * 301)
        assert "under 300 characters" in flat(out.getvalue())
    finally:
        await built.close()

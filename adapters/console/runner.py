"""``mlq run`` with no tokens: the console session on the configured database."""

from __future__ import annotations

from adapters.console.adapter import ConsoleAdapter
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.clock import ManualClock, SystemClock
from bot.config import Settings


async def serve_console(settings: Settings) -> bool:
    """Run the session; False when the terminal's output was closed under it."""
    # The simulated clock starts at the real time and moves only when you say so.
    clock = ManualClock(SystemClock().now())
    adapter = ConsoleAdapter(viewer=settings.console_user)
    app = await build_app(settings, adapter, clock=clock)
    try:
        session = ConsoleSession(
            app, adapter, clock, channel=settings.console_channel, user=settings.console_user
        )
        await session.run()
    finally:
        await app.close()
    return not adapter.closed

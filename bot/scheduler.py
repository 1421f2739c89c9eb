"""APScheduler in-process only: it wakes the core; the database decides what is due.

APScheduler 3.x cannot share a job store between processes, so it holds no state of
ours. Each tick asks the database what is due, which is why a restart or a second copy
neither double-posts nor misses a post.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import MlqCore

log = logging.getLogger("mlq")


def write_heartbeat(path: Path, when: datetime) -> None:
    """Replace the heartbeat atomically, so `mlq health` never reads a half-written file."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(when.isoformat())
    os.replace(partial, path)


async def tick_and_beat(core: MlqCore, heartbeat: Path | None) -> None:
    """One scheduled tick; afterwards touch the heartbeat file the health check reads."""
    await core.tick()
    if heartbeat is not None:
        await asyncio.to_thread(write_heartbeat, heartbeat, datetime.now(UTC))


def start_scheduler(
    core: MlqCore, every_seconds: float, heartbeat: Path | None = None
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick_and_beat,
        "interval",
        args=(core, heartbeat),
        seconds=every_seconds,
        id="mlq-tick",
        max_instances=1,  # a slow tick is never overlapped by the next one
        coalesce=True,  # after a pause, run once, not once per missed interval
        misfire_grace_time=None,
        # Run the first tick at once so a restart catches up without waiting an interval.
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler

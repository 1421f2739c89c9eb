"""APScheduler in-process only: it wakes the core; the database decides what is due.

APScheduler 3.x cannot share a job store between processes, so it holds no state of
ours. Each tick asks the database what is due, which is why a restart or a second copy
neither double-posts nor misses a post.

Two jobs run the tick: one every ``every_seconds`` (retries, catching up, and choosing the
next posts ahead), and a one-off job booked after each tick for the next instant something
is due, so that a 09:00 post goes out at 09:00 and not up to an interval later.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("mlq")

TICK_JOB = "mlq-tick"
DUE_JOB = "mlq-due"


class Tickable(Protocol):
    async def tick(self) -> object: ...

    async def next_due(self, after: datetime | None = None) -> datetime | None: ...


def write_heartbeat(path: Path, when: datetime) -> None:
    """Replace the heartbeat atomically, so `mlq health` never reads a half-written file."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(when.isoformat())
    os.replace(partial, path)


class Ticker:
    """Runs the core's tick for both jobs, one at a time, then books the next due instant."""

    def __init__(
        self,
        core: Tickable,
        scheduler: AsyncIOScheduler,
        every: timedelta,
        heartbeat: Path | None = None,
    ) -> None:
        self.core = core
        self.scheduler = scheduler
        self.every = every
        self.heartbeat = heartbeat
        self._lock = asyncio.Lock()  # the interval and the due job never tick at once

    async def run(self) -> None:
        async with self._lock:
            await self.core.tick()
            if self.heartbeat is not None:
                try:
                    await asyncio.to_thread(write_heartbeat, self.heartbeat, datetime.now(UTC))
                except OSError as exc:
                    # One line, and the next wake-up is still booked below.
                    log.error("cannot write the heartbeat file %s: %s", self.heartbeat, exc)
        try:
            await self.book_next_due()
        except Exception:
            # The interval job still runs; only the punctual wake-up is lost.
            log.exception("finding the next due instant failed")

    async def book_next_due(self) -> datetime | None:
        """Book a one-off tick at the next due instant if it comes before the next interval
        tick; returns it. A past instant is never booked: it would only spin."""
        now = datetime.now(UTC)
        due = await self.core.next_due(now)
        if due is None or due <= now or due >= now + self.every:
            return None
        self.scheduler.add_job(
            self.run,
            "date",
            run_date=due,
            id=DUE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
        )
        return due


def start_scheduler(
    core: Tickable, every_seconds: float, heartbeat: Path | None = None
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    ticker = Ticker(core, scheduler, timedelta(seconds=every_seconds), heartbeat)
    scheduler.add_job(
        ticker.run,
        "interval",
        seconds=every_seconds,
        id=TICK_JOB,
        max_instances=1,  # a slow tick is never overlapped by the next one
        coalesce=True,  # after a pause, run once, not once per missed interval
        misfire_grace_time=None,
        # Run the first tick at once so a restart catches up without waiting an interval.
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler

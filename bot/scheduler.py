"""APScheduler in-process only: it wakes the core; the database decides what is due.

APScheduler 3.x cannot share a job store between processes, so it holds no state of
ours. Each tick asks the database what is due, which is why a restart or a second copy
neither double-posts nor misses a post.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import MlqCore


def start_scheduler(core: MlqCore, every_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        core.tick,
        "interval",
        seconds=every_seconds,
        id="mlq-tick",
        max_instances=1,  # a slow tick is never overlapped by the next one
        coalesce=True,  # after a pause, run once, not once per missed interval
        misfire_grace_time=None,
        next_run_time=None,
    )
    scheduler.start()
    # Run one tick straight away so a restart catches up without waiting an interval.
    scheduler.modify_job("mlq-tick", next_run_time=_now())
    return scheduler


def _now():  # -> datetime
    from datetime import UTC, datetime

    return datetime.now(UTC)

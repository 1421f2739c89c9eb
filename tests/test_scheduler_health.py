"""APScheduler wakes the core at once, on its interval and at the next due instant; the
heartbeat feeds `mlq health`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from typer.testing import CliRunner

from bot.cli import app
from bot.scheduler import DUE_JOB, TICK_JOB, Ticker, start_scheduler


class CountingCore:
    """Counts ticks; ``due`` says what ``next_due`` answers (a callable of now, or None)."""

    def __init__(self, due=None) -> None:
        self.ticks = 0
        self.ticked = asyncio.Event()
        self.due = due
        self.running = self.most_at_once = 0

    async def tick(self) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await asyncio.sleep(0)  # let a second tick try to start meanwhile
        self.running -= 1
        self.ticks += 1
        self.ticked.set()

    async def next_due(self, after=None):
        return self.due(after) if self.due else None

    async def wait_for_ticks(self, count: int) -> None:
        while self.ticks < count:
            self.ticked.clear()
            await asyncio.wait_for(self.ticked.wait(), timeout=10)


async def test_the_first_tick_runs_at_start_and_writes_the_heartbeat(tmp_path):
    core = CountingCore()
    heartbeat = tmp_path / "beat"
    scheduler = start_scheduler(core, every_seconds=3600, heartbeat=heartbeat)
    try:
        await asyncio.wait_for(core.ticked.wait(), timeout=10)
        for _ in range(100):  # the heartbeat is written right after the tick
            if heartbeat.exists():
                break
            await asyncio.sleep(0.01)
        assert core.ticks == 1
        written = datetime.fromisoformat(heartbeat.read_text())
        assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)
        job = scheduler.get_job(TICK_JOB)
        assert job.max_instances == 1 and job.coalesce
    finally:
        scheduler.shutdown(wait=False)


def test_health_reads_the_heartbeat(tmp_path, monkeypatch):
    runner = CliRunner()
    beat = tmp_path / "beat"
    monkeypatch.setenv("MLQ_HEARTBEAT_FILE", str(beat))
    assert runner.invoke(app, ["health"]).exit_code == 1  # no heartbeat yet
    beat.write_text(datetime.now(UTC).isoformat())
    fresh = runner.invoke(app, ["health", "--max-age", "120"])
    assert fresh.exit_code == 0 and "ok" in fresh.output
    beat.write_text((datetime.now(UTC) - timedelta(minutes=10)).isoformat())
    assert runner.invoke(app, ["health", "--max-age", "120"]).exit_code == 1
    monkeypatch.delenv("MLQ_HEARTBEAT_FILE")
    assert runner.invoke(app, ["health"]).exit_code == 2


async def test_the_next_due_instant_gets_its_own_tick_before_the_interval_comes():
    # The interval is an hour; only the wake-up booked for the due instant can tick again.
    booked: list[datetime] = []

    def due_soon(after):
        if booked:
            return None  # nothing more after the first due instant
        booked.append(after + timedelta(milliseconds=200))
        return booked[0]

    core = CountingCore(due_soon)
    scheduler = start_scheduler(core, every_seconds=3600)
    try:
        await core.wait_for_ticks(2)
        assert core.ticks == 2
        assert scheduler.get_job(DUE_JOB) is None  # a one-off: gone once it has run
    finally:
        scheduler.shutdown(wait=False)


async def test_only_an_instant_before_the_next_interval_tick_is_booked():
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        for due, booked in (
            (lambda now: now + timedelta(seconds=20), True),
            (lambda now: now + timedelta(seconds=31), False),  # the interval tick comes first
            (lambda now: now - timedelta(seconds=5), False),  # overdue: the tick's, not a spin
            (None, False),
        ):
            ticker = Ticker(CountingCore(due), scheduler, timedelta(seconds=30))
            at = await ticker.book_next_due()
            job = scheduler.get_job(DUE_JOB)
            assert (at is not None) == booked == (job is not None)
            if job is not None:
                assert job.next_run_time == at
                scheduler.remove_job(DUE_JOB)
    finally:
        scheduler.shutdown(wait=False)


async def test_the_two_jobs_never_tick_at_once():
    scheduler = AsyncIOScheduler(timezone="UTC")
    core = CountingCore()
    ticker = Ticker(core, scheduler, timedelta(seconds=30))
    await asyncio.gather(ticker.run(), ticker.run(), ticker.run())
    assert core.ticks == 3 and core.most_at_once == 1


async def test_a_heartbeat_that_cannot_be_written_loses_no_wake_up(tmp_path, caplog):
    """A heartbeat path in a folder that does not exist made every tick end in a traceback
    before the next due instant was booked, so a 09:00 post waited for the interval tick."""
    due = datetime.now(UTC) + timedelta(minutes=1)
    core = CountingCore(due=lambda after: due)
    scheduler = AsyncIOScheduler(timezone="UTC")
    ticker = Ticker(core, scheduler, timedelta(hours=1), tmp_path / "no-such-folder" / "beat")
    await ticker.run()
    assert core.ticks == 1
    assert scheduler.get_job(DUE_JOB) is not None
    [record] = [r for r in caplog.records if "heartbeat" in r.getMessage()]
    assert record.exc_info is None and "no-such-folder" in record.getMessage()

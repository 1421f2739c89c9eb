"""APScheduler wakes the core at once and then on its interval; the heartbeat feeds `mlq health`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bot.cli import app
from bot.scheduler import start_scheduler


class CountingCore:
    def __init__(self) -> None:
        self.ticks = 0
        self.ticked = asyncio.Event()

    async def tick(self) -> None:
        self.ticks += 1
        self.ticked.set()


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
        job = scheduler.get_job("mlq-tick")
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

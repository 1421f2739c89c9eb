"""`mlq demo | head`: a closed output ends the demo cleanly instead of failing every post."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.demo import run_demo

REPO = Path(__file__).resolve().parent.parent


class ClosesAfter(io.StringIO):
    """A stream whose reader goes away after ``lines`` lines, like ``head -N``."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines
        self.writes_after_close = 0
        self.lines_before_last_write = 0

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            self.writes_after_close += 1
            raise BrokenPipeError(32, "Broken pipe")
        self.lines_before_last_write = self.getvalue().count("\n")
        return super().write(text)


async def test_the_demo_stops_at_the_first_broken_pipe():
    out = ClosesAfter(12)
    finished = await run_demo(3, 2, out)
    assert finished is False
    # One write may hold several lines (a whole message), so the reader's 12th line can
    # fall inside the last one accepted: it started before line 12 and nothing came after.
    assert out.lines_before_last_write < 12 <= out.getvalue().count("\n")
    # One failed write, then nothing: no retried posts, no simulated clock running on.
    assert out.writes_after_close == 1


async def test_the_demo_reports_a_full_run():
    out = io.StringIO()
    assert await run_demo(1, 2, out) is True
    assert "Question of the day" in out.getvalue()


def run_mlq_with_closed_stdout(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_mlq_demo_into_a_closed_pipe_ends_cleanly(tmp_path):
    done = run_mlq_with_closed_stdout("demo", "--days", "3", "--seed", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "BrokenPipe" not in done.stderr
    assert "Exception ignored" not in done.stderr

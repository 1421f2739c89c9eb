"""Small things a new team notices first: plurals, the duration range, /next when paused,
the digest of a one-question week, and Ctrl-C in the console."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from adapters.console.session import ConsoleSession
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import MessageKind
from bot.render import RevealRow, reveal
from bot.text import plural
from tests.harness import ADMIN, MEMBERS, make_harness

REPO = Path(__file__).resolve().parent.parent
MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ANA, BEN, *_ = MEMBERS


def test_plural():
    assert plural(1, "point") == "1 point"
    assert plural(0, "point") == "0 points"
    assert plural(2, "on-time answer") == "2 on-time answers"
    assert plural(1, "late answer was", "late answers were") == "1 late answer was"


def test_a_reveal_says_1_point_and_1_late_answer():
    from tests.harness import shared_bank

    question = next(iter(shared_bank()))
    rows = [
        RevealRow("Ana", 1, 0.1, False, True, False),
        RevealRow("Ben", 0, 0.9, False, False, False),
    ]
    text = reveal(question, rows, None).plain_text()
    assert "Ana: 1 point (" in text
    assert "1 late answer was kept but earns no points." in text
    assert "(s)" not in text and " pts" not in text


@pytest.fixture
async def h(db_url: str):
    harness = await make_harness(db_url, MONDAY_6AM)
    await harness.command("subscribe", ADMIN)
    yield harness
    await harness.close()


async def test_team_streak_and_reveal_after_replies(h):
    reply = (await h.command("team-streak 1", ADMIN))[0]
    assert reply.body.endswith("at least 1 on-time answer.")
    streak = (await h.command("streak", ANA))[0].body
    assert "at least 1 on-time answer." in streak
    for spec in ("0s", "2m", "8d"):
        told = (await h.command(f"reveal-after {spec}", ADMIN))[0].body
        assert "between 5m and 7d" in told, told
        assert "not a duration" not in told
    assert "between 5m and 7d" in (await h.command("reveal-after soon", ADMIN))[0].body


async def test_a_week_of_one_question_has_no_hardest_question(h):
    await h.command("schedule 09:00 UTC mon", ADMIN)
    await h.run_until(datetime(2026, 3, 2, 9, tzinfo=UTC))
    question = next(
        s for s in h.adapter.of("post") if s.message.kind == MessageKind.QUESTION
    ).message.body
    answer = next(q for q in h.bank if q.prompt == question).answer
    await h.answer(ANA, answer, message_id="a1")
    await h.run_until(datetime(2026, 3, 6, 17, tzinfo=UTC))
    digests = [s for s in h.adapter.of("post") if s.message.kind == MessageKind.DIGEST]
    assert len(digests) == 1
    text = digests[0].message.plain_text()
    assert "1 question this week." in text
    assert "Hardest question" not in text
    assert not re.search(r"(?<!\d)1 points", text)


async def test_next_after_pause_says_paused(db_url: str):
    out = io.StringIO()
    clock = ManualClock(MONDAY_6AM)
    adapter = ConsoleAdapter(out, color=False, viewer="you")
    built = await build_app(Settings(MLQ_DATABASE_URL=db_url), adapter, clock=clock, migrate=False)
    try:
        session = ConsoleSession(built, adapter, clock)
        await session.start()
        await session.handle("/mlq pause")
        await session.handle("/next")
        assert "paused here; /mlq resume" in out.getvalue()
        assert "subscribe first" not in out.getvalue()
        await session.handle("/mlq unsubscribe")
        await session.handle("/next")
        assert "subscribe first" in out.getvalue()
    finally:
        await built.close()


def test_ctrl_c_leaves_the_console_at_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "MLQ_"))}
    env.update(MLQ_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'mlq.db'}", PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run", "--platform", "console"],
        stdin=subprocess.PIPE,  # kept open: the session waits for a line, as in a terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    try:
        seen = b""
        while not seen.endswith(b"\n> "):  # the first prompt: the session reads input now
            chunk = proc.stdout.read(1)
            assert chunk, proc.stderr.read().decode()
            seen += chunk
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = proc.wait(timeout=60)
        assert code == 130
        assert time.monotonic() - started < 60
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()

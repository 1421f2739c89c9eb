"""`mlq doctor` from the command line, against FakeSlack (run in its own thread, since the
command runs its own event loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.slack.runtime import BOT_SCOPES
from bot.cli import app
from tests.slack import payloads
from tests.slack.fake_slack import FakeSlack

runner = CliRunner()


@pytest.fixture
def fake_in_thread() -> Iterator[FakeSlack]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = asyncio.run_coroutine_threadsafe(FakeSlack().start(), loop).result(10)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_doctor_prints_each_problem_and_fails(
    fake_in_thread: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    fake = fake_in_thread
    fake.add_team("xoxb-doctor", "T1", "UBOT", scopes=("chat:write", "commands"))
    monkeypatch.setenv("MLQ_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'mlq.db'}")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-doctor")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", payloads.SECRET)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["doctor", "--mode", "http"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("slack T1: the token lacks the scopes") and "reinstall" in line
    assert "reactions:write" in line and "users:read" in line

    fake.teams["xoxb-doctor"].scopes = BOT_SCOPES
    result = runner.invoke(app, ["doctor", "--mode", "http"])
    assert result.exit_code == 0 and result.output.startswith("ok: no problem found on slack")


def test_doctor_without_any_token_says_so(monkeypatch: pytest.MonkeyPatch, clean_env: None):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 2 and "nothing to check" in result.output

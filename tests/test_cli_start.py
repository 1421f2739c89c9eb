"""The command line as a new user meets it: --help, --version, and start-up with no network."""

from __future__ import annotations

import socket

import discord.http
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from typer.testing import CliRunner

import adapters.slack.runtime as slack_runtime
import bot.cli as cli
from bot.config import Settings

ALIASES = [str(field.validation_alias) for field in Settings.model_fields.values()]
runner = CliRunner()


def closed_port() -> int:
    """A local port nobody listens on: connecting to it fails at once, like no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLQ_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'mlq.db'}")
    return monkeypatch


@pytest.mark.parametrize(
    "args", [["--help"], ["run", "--help"], ["demo", "--help"], ["bank", "list", "--help"]]
)
def test_help_shows_no_type_after_a_flag(args):
    result = runner.invoke(cli.app, args, terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output


def test_run_help_lists_the_choices():
    result = runner.invoke(cli.app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "<socket|http>" in result.output
    assert "<auto|console|slack|discord>" in result.output
    bad = runner.invoke(cli.app, ["run", "--mode", "websocket"])
    assert bad.exit_code == 2 and "socket" in bad.output and "http" in bad.output


def test_version():
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("mlq ") and len(result.output.strip().split()) == 2


def test_slack_unreachable_at_start_is_one_line(env):
    env.setenv("SLACK_BOT_TOKEN", "xoxb-never-printed")
    env.setenv("SLACK_APP_TOKEN", "xapp-never-printed")
    env.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed_port()}/api/")
    original = slack_runtime.retry_handlers
    env.setattr(  # the connection retries run without their back-off waits
        slack_runtime,
        "retry_handlers",
        lambda backoff=None: original(FixedValueRetryIntervalCalculator(0.0)),
    )
    result = runner.invoke(cli.app, ["run"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("mlq: cannot reach Slack: ")
    assert lines[0].endswith("; check the network or SLACK_API_URL")
    assert "Traceback" not in result.output and "never-printed" not in result.output


def test_discord_unreachable_at_start_is_one_line(env):
    env.setenv("DISCORD_TOKEN", "never-printed")
    env.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    result = runner.invoke(cli.app, ["run"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("mlq: cannot reach Discord: ")
    assert lines[0].endswith("; check the network")
    assert "Traceback" not in result.output and "never-printed" not in result.output


def test_no_tokens_and_no_terminal_names_the_console_flag(env):
    """Piping commands into `mlq run` (as a newcomer trying the README does) ended with a
    line naming tokens and `docker run -it` only, not the flag that reads a pipe."""
    env.setattr(cli, "stdin_is_terminal", lambda: False)
    result = runner.invoke(cli.app, ["run"], input="/time\n/quit\n")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "DISCORD_TOKEN" in line
    assert "mlq run --platform console" in line
    piped = runner.invoke(cli.app, ["run", "--platform", "console"], input="/time\n/quit\n")
    assert piped.exit_code == 0 and "simulated time:" in piped.output

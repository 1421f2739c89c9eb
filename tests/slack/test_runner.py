"""``mlq run --platform slack``: readable configuration errors, and a clean serve/stop."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from adapters.slack.runner import serve
from tests.slack.conftest import BOT_TOKEN, slack_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("mode", "values", "hint"),
    [
        ("socket", {"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN"),
        ("socket", {"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"}, "SLACK_BOT_TOKEN"),
        ("http", {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": ""}, "SIGNING_SECRET"),
        ("http", {}, "SLACK_CLIENT_ID"),
        ("carrier-pigeon", {"SLACK_BOT_TOKEN": BOT_TOKEN}, "--mode"),
        ("http", {"SLACK_BOT_TOKEN": "xoxb-revoked"}, "refused"),
    ],
)
async def test_bad_settings_stop_with_a_readable_message(
    db_url, fake_slack, clean_env, mode, values, hint
):
    settings = slack_settings(db_url, fake_slack, **values)
    with pytest.raises(SystemExit) as stopped:
        await serve(settings, mode=mode, port=free_port())
    assert hint in str(stopped.value.code)
    for token in (BOT_TOKEN, "xoxb-revoked"):  # never echo a token
        assert token not in str(stopped.value.code)


async def test_serve_http_until_cancelled(db_url, fake_slack, clean_env, tmp_path):
    port = free_port()
    heartbeat = tmp_path / "heartbeat"
    settings = slack_settings(
        db_url,
        fake_slack,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        MLQ_TICK_SECONDS=3600,
        MLQ_HEARTBEAT_FILE=str(heartbeat),
    )
    started = asyncio.Event()
    task = asyncio.create_task(
        serve(settings, mode="http", port=port, host="127.0.0.1", started=started)
    )
    await asyncio.wait_for(started.wait(), 30)
    # --host 127.0.0.1 binds that address only: the same port on another loopback address
    # is still free (with the default 0.0.0.0 this bind fails).
    with socket.socket() as other:
        other.bind(("127.0.0.2", port))
    async with asyncio.timeout(30):  # the first tick runs at start and leaves a heartbeat
        while not heartbeat.exists():  # noqa: ASYNC110 - a file, written by the tick
            await asyncio.sleep(0.01)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
        async with http.post(f"http://127.0.0.1:{port}/slack/events", data="{}") as response:
            assert response.status == 401  # unsigned
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert heartbeat.read_text().startswith("20")  # what `mlq health` reads
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http:
            await http.get(f"http://127.0.0.1:{port}/healthz")


async def test_a_refused_app_token_stops_socket_mode_with_one_line(
    db_url, fake_slack, clean_env, monkeypatch
):
    """auth.test works, apps.connections.open refuses the xapp token: the SDK alone would
    retry the connection forever, a traceback every ten seconds."""

    async def refused(params, team):  # type: ignore[no-untyped-def]
        return {"ok": False, "error": "invalid_auth"}

    monkeypatch.setattr(fake_slack, "_m_apps_connections_open", refused)
    settings = slack_settings(
        db_url, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-test"
    )
    with pytest.raises(SystemExit) as stopped:
        await serve(settings, mode="socket")
    message = str(stopped.value.code)
    assert message == "mlq: SLACK_APP_TOKEN was refused by Slack: invalid_auth"


def test_run_help_names_the_bind_address_and_its_default():
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--host" in result.output and "0.0.0.0" in result.output

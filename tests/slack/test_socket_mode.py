"""Socket Mode: the fake Slack pushes envelopes over a WebSocket; the app acks each one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adapters.slack.socket_mode import start_socket_mode
from bot.clock import ManualClock
from storage import unit_of_work
from storage.models import Answer
from tests.slack import payloads
from tests.slack.conftest import BOT_TOKEN, MONDAY_8AM, make_runtime, slack_settings

APP_TOKEN = "xapp-1-test"


async def test_envelopes_are_acked_and_processed(db_url, fake_slack, clean_env):
    settings = slack_settings(
        db_url, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN
    )
    clock = ManualClock(MONDAY_8AM)
    runtime = await make_runtime(settings, mode="socket", clock=clock)
    handler = await start_socket_mode(
        runtime.bolt, app_token=APP_TOKEN, client=runtime.client, ping_interval=30
    )
    try:
        (opened,) = fake_slack.of("apps.connections.open")
        assert opened.token == APP_TOKEN

        command = payloads.slash_command(
            "subscribe", user="U-admin", response_url=fake_slack.response_url("c")
        )
        ack = await fake_slack.push("slash_commands", command)
        assert ack["envelope_id"].startswith("env-")
        assert await runtime.bridge.work.join(10)
        assert "subscribed" in fake_slack.of("chat.postMessage", channel="C1")[0].params["text"]

        clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        await runtime.core.tick()
        question = fake_slack.of("chat.postMessage", channel="C1")[-1]
        parent = question.result["ts"]

        reply = payloads.thread_reply("An answer over the socket.", thread_ts=parent)
        body = payloads.event_callback(reply)
        first = await fake_slack.push("events_api", body)
        again = await fake_slack.push("events_api", body)  # Slack redelivers
        assert first["envelope_id"] != again["envelope_id"]
        assert await runtime.bridge.work.join(10)
        async with unit_of_work(runtime.app.db) as repo:
            stored = list(await repo.session.scalars(select(Answer)))
        assert [a.text for a in stored] == ["An answer over the socket."]
        assert len(fake_slack.of("reactions.add")) == 1

        press = payloads.block_actions("mlq:my_feedback", str(stored[0].post_id), message_ts=parent)
        ack = await fake_slack.push("interactive", press)
        assert "envelope_id" in ack
        assert await runtime.bridge.work.join(10)
        assert "Your feedback" in fake_slack.of("chat.postEphemeral")[-1].params["text"]
    finally:
        await handler.close_async()
        await runtime.close()

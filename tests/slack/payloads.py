"""Slack payloads as Slack documents them, and signing them like Slack does.

Only the fields the documented shapes carry; values are made up.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"
APP_ID = "A0MLQ"
_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


def sign(
    body: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
    retry_num: int | None = None,
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
            timestamp=stamp, body=body
        ),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def form(fields: dict[str, Any]) -> str:
    return urlencode(fields)


def slash_command(
    text: str,
    *,
    team: str = "T1",
    channel: str = "C1",
    channel_name: str = "general",
    user: str = "U1",
    user_name: str = "ana",
    response_url: str = "https://hooks.slack.test/commands/1",
    trigger_id: str | None = None,
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user_name,
        "command": "/mlq",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or next_id("trig."),
    }


def event_callback(event: dict[str, Any], *, team: str = "T1", event_id: str | None = None):
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or next_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": next_id("ctx-"),
    }


def thread_reply(
    text: str, *, thread_ts: str, user: str = "U1", channel: str = "C1", ts: str | None = None
) -> dict[str, Any]:
    ts = ts or f"1800000000.{next(_ids):06d}"
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": "UBOT",
        "event_ts": ts,
        "channel_type": "channel",
        "team": "T1",
    }


def broadcast_reply(text: str, *, thread_ts: str, user: str = "U2", channel: str = "C1"):
    event = thread_reply(text, thread_ts=thread_ts, user=user, channel=channel)
    event["subtype"] = "thread_broadcast"
    event["root"] = {"type": "message", "ts": thread_ts, "user": "UBOT", "text": "question"}
    return event


def message_changed(original: dict[str, Any], new_text: str) -> dict[str, Any]:
    edited_ts = f"1800000000.{next(_ids):06d}"
    message = {**original, "text": new_text, "edited": {"user": original["user"], "ts": edited_ts}}
    for key in ("channel", "event_ts", "channel_type", "team"):
        message.pop(key, None)
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": original["channel"],
        "message": message,
        "previous_message": {k: v for k, v in original.items() if k != "channel"},
        "ts": edited_ts,
        "event_ts": edited_ts,
        "channel_type": "channel",
    }


def message_deleted(original: dict[str, Any]) -> dict[str, Any]:
    deleted_at = f"1800000000.{next(_ids):06d}"
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": original["channel"],
        "deleted_ts": original["ts"],
        "previous_message": {k: v for k, v in original.items() if k != "channel"},
        "ts": deleted_at,
        "event_ts": deleted_at,
        "channel_type": "channel",
    }


def bot_reply(text: str, *, thread_ts: str, channel: str = "C1") -> dict[str, Any]:
    ts = f"1800000000.{next(_ids):06d}"
    return {
        "type": "message",
        "subtype": "bot_message",
        "channel": channel,
        "bot_id": "BOTHER",
        "username": "another-bot",
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "event_ts": ts,
        "channel_type": "channel",
    }


def block_actions(
    action_id: str,
    value: str,
    *,
    message_ts: str,
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    is_ephemeral: bool = False,
    response_url: str = "https://hooks.slack.test/actions/1",
    message_blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": next_id("trig."),
        "team": {"id": team, "domain": "test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "message": {
            "type": "message",
            "user": "UBOT",
            "ts": message_ts,
            "text": "question",
            "blocks": message_blocks or [],
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "mlq_actions",
                "text": {"type": "plain_text", "text": "button", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    view: dict[str, Any], answer: str, *, team: str = "T1", user: str = "U1"
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": next_id("trig."),
        "view": {
            **view,
            "id": next_id("V"),
            "team_id": team,
            "state": {
                "values": {"answer": {"answer": {"type": "plain_text_input", "value": answer}}}
            },
            "hash": next_id("h"),
            "app_id": APP_ID,
            "bot_id": "BUBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def interactive_form(payload: dict[str, Any]) -> str:
    return form({"payload": json.dumps(payload)})


def home_opened(user: str = "U1", team: str = "T1") -> dict[str, Any]:
    return event_callback(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        team=team,
    )

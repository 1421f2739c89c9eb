"""The manifests ask for exactly what the code uses: scopes, events, the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.slack.listeners import COMMAND
from adapters.slack.runtime import BOT_EVENTS, BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]


def manifest(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize(
    ("name", "events", "socket"),
    [
        ("slack-manifest.yml", set(BOT_EVENTS), True),
        ("slack-manifest.http.yml", set(BOT_EVENTS), False),
    ],
)
def test_manifest_matches_the_code(name, events, socket):
    m = manifest(name)
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in m["oauth_config"]["scopes"]
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == events
    assert m["settings"]["socket_mode_enabled"] is socket
    assert m["settings"]["interactivity"]["is_enabled"] is True
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # @mentions arrive as <@U…> ids for /mlq stats
    assert m["features"]["app_home"]["home_tab_enabled"] is True


def test_http_manifest_points_every_url_at_the_app_paths():
    m = manifest("slack-manifest.http.yml")
    assert m["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert m["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert m["features"]["slash_commands"][0]["url"].endswith("/slack/events")
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")

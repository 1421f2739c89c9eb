"""Slack's lifecycle events through the real app: channels left, archived, unarchived or
deleted suspend (or end) their subscription; an uninstall or revoked token stops the
workspace. Sent as Slack sends them, signed, to the HTTP endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from adapters.slack.tokens import UnknownWorkspace
from storage import unit_of_work
from storage.models import Channel
from tests.slack import payloads
from tests.slack.conftest import SlackHttp
from tests.slack.test_oauth import install, oauth_app  # noqa: F401 (fixture)

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def state(s: SlackHttp, channel: str = "C1") -> tuple[bool, str | None]:
    async with unit_of_work(s.runtime.app.db) as repo:
        found = await repo.session.scalar(select(Channel).where(Channel.external_id == channel))
    assert found is not None
    return found.subscribed, found.suspended_reason


async def subscribe(s: SlackHttp, channel: str = "C1", team: str = "T1", user: str = "U-admin"):
    assert await s.command("subscribe", user=user, channel=channel, team=team) == 200
    await s.settle()
    assert (await state(s, channel))[0]
    s.fake.clear()


def event(kind: str, team: str = "T1", event_id: str | None = None, **fields: Any) -> dict:
    return payloads.event_callback({"type": kind, **fields}, team=team, event_id=event_id)


async def daily_posts(s: SlackHttp, channel: str = "C1") -> list:
    s.clock.set(NINE)
    await s.tick()
    s.clock.set(NINE + timedelta(hours=1))
    await s.tick()
    return s.fake.of("chat.postMessage", channel=channel)


async def test_archive_suspends_and_unarchive_lets_the_admin_resume(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s)
    assert await s.event(event("channel_archive", channel="C1", user="U2")) == 200
    assert await state(s) == (True, "channel_archived")
    (dm,) = s.fake.of("chat.postMessage", channel="U-admin")
    assert "channel_archived" in dm.params["text"] and "unarchive" in dm.params["text"]
    assert await daily_posts(s) == []  # nothing tried in an archived channel

    assert await s.event(event("channel_unarchive", channel="C1", user="U2")) == 200
    assert await state(s) == (True, "channel_unarchived")
    assert "/mlq resume" in s.fake.of("chat.postMessage", channel="U-admin")[-1].params["text"]
    assert await s.command("resume", user="U-admin") == 200
    await s.settle()
    assert await state(s) == (True, None)
    s.clock.advance(timedelta(minutes=1))
    await s.tick()
    assert len([c for c in s.fake.of("chat.postMessage", channel="C1")]) == 2  # resume, question


async def test_the_bot_removed_from_a_channel_suspends_it_once(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s)
    # Someone else leaving is nothing to mlq.
    left = event("member_left_channel", user="U2", channel="C1", channel_type="C", team="T1")
    assert await s.event(left) == 200
    assert await state(s) == (True, None)
    removed = event("member_left_channel", user="UBOT", channel="C1", channel_type="C", team="T1")
    assert await s.event(removed) == 200
    assert await s.event(event("channel_left", channel="C1", actor_id="U-admin")) == 200
    assert await state(s) == (True, "removed_from_channel")
    (dm,) = s.fake.of("chat.postMessage", channel="U-admin")  # told once, not twice
    assert "/invite @mlq" in dm.params["text"]
    assert await daily_posts(s) == []


async def test_a_private_channel_deleted_ends_its_subscription(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s, channel="G1")
    assert await s.event(event("group_deleted", channel="G1")) == 200
    assert await state(s, "G1") == (False, "channel_deleted")
    (dm,) = s.fake.of("chat.postMessage", channel="U-admin")
    assert "deleted" in dm.params["text"]
    assert await daily_posts(s, "G1") == []


async def test_a_revoked_bot_token_stops_every_channel_of_the_workspace(slack_http: SlackHttp):
    s = slack_http
    await subscribe(s, channel="C1")
    await subscribe(s, channel="C2")
    # A person's token (mlq holds none) going is nothing to mlq.
    people = event("tokens_revoked", tokens={"oauth": ["U2"], "bot": []})
    assert await s.event(people) == 200
    assert await state(s, "C1") == (True, None)
    revoked = event("tokens_revoked", event_id="Ev-revoked", tokens={"oauth": [], "bot": ["UBOT"]})
    assert await s.event(revoked) == 200
    assert await s.event(revoked) == 200  # redelivered
    assert await state(s, "C1") == (True, "tokens_revoked")
    assert await state(s, "C2") == (True, "tokens_revoked")
    assert await daily_posts(s, "C1") == [] and s.fake.of("chat.postMessage") == []


async def test_malformed_lifecycle_events_are_refused_not_failed(slack_http: SlackHttp):
    s = slack_http
    assert await s.event(event("channel_archive", channel=["C1"])) == 400
    assert await s.event(event("member_left_channel", channel="C1", user=7)) == 400
    assert await s.event(event("tokens_revoked", tokens={"bot": "UBOT"})) == 400


async def test_an_uninstall_deletes_the_installation_and_stops_the_workspace(
    oauth_app: SlackHttp,  # noqa: F811
):
    s = oauth_app
    s.fake.add_oauth_code("code-2", "xoxb-team-two", "T2", "UBOT2")
    s.fake.add_user("T2", "U20", "Zoe", admin=True)
    assert await install(s, "code-2") == 200
    await subscribe(s, channel="C20", team="T2", user="U20")
    assert await s.event(event("app_uninstalled", team="T2")) == 200
    assert await state(s, "C20") == (True, "app_uninstalled")
    async with s.runtime.app.db.engine.connect() as conn:
        bots = (await conn.execute(text("SELECT count(*) FROM slack_bots"))).scalar()
    assert bots == 0  # bolt's own listener still ran
    assert await daily_posts(s, "C20") == []


@pytest.mark.parametrize(
    "removal",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT2"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_after_a_removal_neither_token_nor_installer_comes_from_the_cache(
    oauth_app: SlackHttp,  # noqa: F811
    removal: dict[str, Any],
):
    """The old installer configured mlq (so both were cached); the workspace removes the
    app and someone else installs it again at once: the old installer is no admin any
    more, and the new token speaks, well within the cache's five minutes."""
    s = oauth_app
    s.fake.add_oauth_code("code-2", "xoxb-team-two", "T2", "UBOT2", installer="UINSTALLER")
    s.fake.add_user("T2", "UINSTALLER", "Ivy")  # neither admin nor owner of the workspace
    s.fake.add_user("T2", "U21", "Max")
    assert await install(s, "code-2") == 200
    await subscribe(s, channel="C20", team="T2", user="UINSTALLER")
    installations = s.runtime.bridge.installations
    assert installations is not None
    assert await installations.installer_of("T2") == "UINSTALLER"

    assert await s.event(payloads.event_callback(removal, team="T2")) == 200
    with pytest.raises(UnknownWorkspace):
        await installations.token_for("T2")
    assert await installations.installer_of("T2") is None

    s.fake.add_oauth_code("code-3", "xoxb-team-two-again", "T2", "UBOT2", installer="U21")
    assert await install(s, "code-3") == 200
    s.fake.clear()
    assert await s.command("subscribe", team="T2", channel="C21", user="UINSTALLER") == 200
    await s.settle()
    assert s.fake.of("chat.postMessage", channel="C21") == []
    assert "Only admins" in json.dumps(s.fake.responses)
    assert await s.command("subscribe", team="T2", channel="C21", user="U21") == 200
    await s.settle()
    (posted,) = s.fake.of("chat.postMessage", channel="C21")
    assert posted.token == "xoxb-team-two-again"

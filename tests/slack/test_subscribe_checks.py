"""/mlq subscribe on Slack: subscribed only where the confirmation landed; never in a DM or
a group DM."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.slack.runtime import BOT_SCOPES
from storage import unit_of_work
from storage.models import Channel
from tests.slack.conftest import BOT_TOKEN, SlackHttp


async def subscribed(s: SlackHttp, channel: str) -> bool:
    async with unit_of_work(s.runtime.app.db) as repo:
        found = await repo.session.scalar(select(Channel).where(Channel.external_id == channel))
    return bool(found and found.subscribed)


async def test_not_in_the_channel_means_not_subscribed_and_how_to_invite(slack_http: SlackHttp):
    s = slack_http
    s.fake.dead_channels["C1"] = "not_in_channel"
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    (refused,) = [c for c in s.fake.of("chat.postMessage", channel="C1")]
    assert refused.result is None or not refused.result.get("ok")
    _, reply = s.fake.responses[-1]
    assert reply["response_type"] == "ephemeral"
    assert "not subscribed" in reply["text"] and "/invite @mlq" in reply["text"]
    assert not await subscribed(s, "C1")

    del s.fake.dead_channels["C1"]  # /invite @mlq
    assert await s.command("subscribe", user="U-admin") == 200
    await s.settle()
    landed = [c for c in s.fake.of("chat.postMessage", channel="C1") if (c.result or {}).get("ok")]
    assert len(landed) == 1 and "subscribed" in landed[0].params["text"]
    assert await subscribed(s, "C1")


async def test_a_direct_message_is_refused_before_anything_is_posted(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("subscribe", user="U-admin", channel="D0DM") == 200
    await s.settle()
    assert s.fake.of("chat.postMessage", channel="D0DM") == []
    _, reply = s.fake.responses[-1]
    assert "direct message" in reply["text"]
    assert not await subscribed(s, "D0DM")


def refusal(s: SlackHttp) -> str:
    _, reply = s.fake.responses[-1]
    assert reply["response_type"] == "ephemeral"
    return reply["text"]


async def test_a_group_dm_is_refused_by_the_command_payload(slack_http: SlackHttp):
    """mlq's own scopes have no mpim:read, so conversations.info cannot tell: the slash
    command's channel_name (a group DM's name, mpdm-...) does."""
    s = slack_http
    s.fake.teams[BOT_TOKEN].scopes = BOT_SCOPES
    s.fake.group_dms.add("G0MPIM")
    for command in ("subscribe", "resume"):
        status = await s.command(
            command, user="U-admin", channel="G0MPIM", channel_name="mpdm-ana--bo--cy-1"
        )
        assert status == 200
        await s.settle()
        assert "group direct message" in refusal(s) and "not " in refusal(s)
    assert s.fake.of("chat.postMessage", channel="G0MPIM") == []
    assert not await subscribed(s, "G0MPIM")


async def test_a_group_dm_is_refused_by_conversations_info(slack_http: SlackHttp):
    """With mpim:read granted Slack says is_mpim, whatever the payload's channel_name."""
    s = slack_http
    s.fake.group_dms.add("G0MPIM")
    assert await s.command("subscribe", user="U-admin", channel="G0MPIM") == 200
    await s.settle()
    (info,) = s.fake.of("conversations.info", channel="G0MPIM")
    assert info.result is not None and info.result["channel"]["is_mpim"] is True
    assert "group direct message" in refusal(s)
    assert s.fake.of("chat.postMessage", channel="G0MPIM") == []
    assert not await subscribed(s, "G0MPIM")


@pytest.mark.parametrize(
    "failure",
    [
        {"error": "missing_scope"},
        {"error": "channel_not_found"},
        {"error": "invalid_auth"},
        {"status": 500, "times": 5},
        {"status": 429, "retry_after": 0.0},
    ],
    ids=lambda f: str(f.get("error") or f["status"]),
)
async def test_a_failed_look_up_does_not_block_a_normal_channel(
    slack_http: SlackHttp, failure: dict
):
    s = slack_http
    s.fake.fail("conversations.info", **failure)
    assert await s.command("subscribe", user="U-admin", channel="C1") == 200
    await s.settle()
    assert s.fake.of("conversations.info", channel="C1")
    (posted,) = s.fake.of("chat.postMessage", channel="C1")
    assert "subscribed" in posted.params["text"]
    assert await subscribed(s, "C1")


async def test_a_normal_private_channel_is_not_taken_for_a_group_dm(slack_http: SlackHttp):
    s = slack_http
    assert await s.command("subscribe", user="U-admin", channel="G0PRIV", channel_name="mlq") == 200
    await s.settle()
    assert await subscribed(s, "G0PRIV")

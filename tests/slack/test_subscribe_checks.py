"""/mlq subscribe on Slack: subscribed only where the confirmation landed; never in a DM."""

from __future__ import annotations

from sqlalchemy import select

from storage import unit_of_work
from storage.models import Channel
from tests.slack.conftest import SlackHttp


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

"""Slack's side of recovery: the claim key in message metadata, found again through
conversations.history / conversations.replies with include_all_metadata, as the fake Web
API answers them the way Slack documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import adapter as slack_adapter
from adapters.slack.adapter import CLAIM_EVENT_TYPE, SlackAdapter, claim_key_of
from adapters.slack.pacing import ChannelPacer
from adapters.slack.retry import retry_handlers
from adapters.slack.tokens import SingleToken
from bot.events import ChannelAddress, ThreadAddress
from bot.messages import Message, MessageKind
from bot.ports import DeliveryError, PostedRef
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack

C1 = ChannelAddress("slack", "T1", "C1")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[FakeSlack, Clock]]:
    clock = Clock()
    fake = await FakeSlack(clock=clock).start()
    fake.add_team(BOT_TOKEN, "T1", "UBOT")
    yield fake, clock
    await fake.close()


@pytest.fixture
async def adapter(clocked) -> AsyncIterator[SlackAdapter]:
    fake, _ = clocked
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            base_url=fake.api_url,
            session=session,
            retry_handlers=retry_handlers(FixedValueRetryIntervalCalculator(0.0)),
        )
        yield SlackAdapter(client, SingleToken(BOT_TOKEN), pacer=ChannelPacer(interval=0.0))


async def test_a_keyed_message_carries_its_key_as_metadata(adapter, clocked):
    fake, _ = clocked
    await adapter.post(C1, Message(body="q", key="daily:1:2026-03-02"))
    await adapter.post(C1, Message(body="no key"))
    keyed, plain = fake.of("chat.postMessage")
    assert keyed.params["metadata"] == {
        "event_type": CLAIM_EVENT_TYPE,
        "event_payload": {"key": "daily:1:2026-03-02"},
    }
    assert "metadata" not in plain.params


async def test_a_post_is_found_by_its_key_since_the_claim(adapter, clocked):
    fake, clock = clocked
    clock.now = START + timedelta(seconds=5)
    ref = await adapter.post(C1, Message(body="q", key="daily:1:2026-03-02"))
    assert await adapter.find_sent(C1, "daily:1:2026-03-02", START) == ref
    assert await adapter.find_sent(C1, "daily:1:2026-03-03", START) is None
    other = ChannelAddress("slack", "T1", "C2")
    assert await adapter.find_sent(other, "daily:1:2026-03-02", START) is None
    (call,) = fake.of("conversations.history", channel="C1")[:1]
    assert call.params["include_all_metadata"] == "1"  # slack-sdk's encoding of true
    # The search starts a little before the claim, for clocks that disagree.
    assert float(call.params["oldest"]) < START.timestamp()


async def test_without_include_all_metadata_slack_gives_no_payload(adapter):
    await adapter.post(C1, Message(body="q", key="k"))
    data = await adapter.call("T1", "conversations.history", channel="C1")
    (message,) = data["messages"]
    assert message["metadata"] == {"event_type": CLAIM_EVENT_TYPE}
    assert claim_key_of(message) is None


async def test_a_reveal_is_found_in_its_thread(adapter, clocked):
    _, clock = clocked
    parent = await adapter.post(C1, Message(body="q", key="daily:1:2026-03-02"))
    thread = ThreadAddress(C1, parent.thread_id)
    clock.now = START + timedelta(hours=8)
    reveal = Message(body="answer", kind=MessageKind.REVEAL, key="daily:1:2026-03-02:reveal")
    ts = await adapter.reply_in_thread(thread, reveal)
    found = await adapter.find_sent(
        C1, "daily:1:2026-03-02:reveal", START + timedelta(hours=8), thread=thread
    )
    assert found == PostedRef(ts, parent.thread_id)
    # A reveal is also sent to the channel, so it is in the channel's history as well.
    history = await adapter.call("T1", "conversations.history", channel="C1")
    assert [m.get("subtype") for m in history["messages"]] == ["thread_broadcast", None]


async def test_thread_replies_not_sent_to_the_channel_stay_out_of_its_history(adapter):
    parent = await adapter.post(C1, Message(body="q"))
    await adapter.reply_in_thread(ThreadAddress(C1, parent.thread_id), Message(body="r"))
    history = await adapter.call("T1", "conversations.history", channel="C1")
    assert [m["ts"] for m in history["messages"]] == [parent.message_id]


async def test_history_is_read_page_by_page(adapter, clocked, monkeypatch):
    fake, clock = clocked
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGE", 3)
    target = await adapter.post(C1, Message(body="q", key="wanted"))
    for n in range(7):  # newer messages push the one we want to the third page
        clock.now += timedelta(seconds=1)
        await adapter.post(C1, Message(body=f"chatter {n}"))
    assert await adapter.find_sent(C1, "wanted", START) == target
    assert len(fake.of("conversations.history")) == 3


async def test_a_history_too_long_to_search_is_an_error_not_a_miss(adapter, monkeypatch):
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGE", 1)
    monkeypatch.setattr(slack_adapter, "HISTORY_PAGES", 2)
    for n in range(3):
        await adapter.post(C1, Message(body=f"m{n}"))
    with pytest.raises(DeliveryError):
        await adapter.find_sent(C1, "absent", START)


async def test_a_failing_history_call_is_a_delivery_error(adapter, clocked):
    fake, _ = clocked
    fake.fail("conversations.history", error="missing_scope")
    with pytest.raises(DeliveryError):
        await adapter.find_sent(C1, "k", START)


async def test_a_thread_that_is_gone_holds_no_reveal(adapter):
    gone = ThreadAddress(C1, "1700000000.999999")
    assert await adapter.find_sent(C1, "k:reveal", START, thread=gone) is None


async def test_an_owed_private_message_is_a_dm_found_again_by_its_key(adapter, clocked):
    fake, clock = clocked
    clock.now = START + timedelta(seconds=5)
    thread = ThreadAddress(C1, (await adapter.post(C1, Message(body="q"))).thread_id)
    await adapter.send_private(C1, "U1", Message(body="graded", key="fb:7"), thread=thread)
    await adapter.send_private(C1, "U2", Message(body="graded", key="fb:8"), thread=thread)
    (dm,) = fake.dms("U1")
    assert dm.params["metadata"]["event_payload"] == {"key": "fb:7"}
    assert fake.of("chat.postEphemeral") == []
    assert await adapter.find_private(C1, "U1", "fb:7", START) is not None
    assert await adapter.find_private(C1, "U1", "fb:8", START) is None  # Ben's, not Ana's
    assert await adapter.find_private(C1, "U1", "fb:7", START + timedelta(hours=1)) is None
    # Each DM was opened once, to be sent to (the look-up reads that same conversation),
    # and is not opened again for Ana's look-ups; a person never sent to is opened first.
    assert all(c.params["channel"].startswith("D") for c in fake.dms())
    assert [c.params["users"] for c in fake.of("conversations.open")] == ["U1", "U2"]
    assert await adapter.find_private(C1, "U3", "fb:9", START) is None
    assert [c.params["users"] for c in fake.of("conversations.open")] == ["U1", "U2", "U3"]
    # One link per question, not one per grade.
    assert len(fake.of("chat.getPermalink")) == 1


async def test_an_unkeyed_private_message_stays_ephemeral(adapter, clocked):
    fake, _ = clocked
    await adapter.send_private(C1, "U1", Message(body="only for you"))
    assert len(fake.of("chat.postEphemeral")) == 1 and fake.dms() == []


async def test_a_dm_look_up_that_fails_is_an_error_but_a_missing_scope_is_a_miss(adapter, clocked):
    fake, _ = clocked
    fake.fail("conversations.open", error="user_not_found")
    with pytest.raises(DeliveryError):
        await adapter.find_private(C1, "U1", "fb:1", START)
    fake.fail("conversations.open", error="missing_scope")
    assert await adapter.find_private(C1, "U1", "fb:1", START) is None
    fake.fail("conversations.history", error="missing_scope")
    assert await adapter.find_private(C1, "U1", "fb:1", START) is None


def someone_elses(fake: FakeSlack, channel: str, key: str, *, user: str, bot: str | None) -> None:
    """A message posted through another app (a person's user token, or another bot)
    carrying our event type and ``key`` as metadata: anyone in the channel can send one."""
    message = {
        "type": "message",
        "ts": fake._next_ts(),
        "user": user,
        "text": "not from mlq",
        "metadata": {"event_type": CLAIM_EVENT_TYPE, "event_payload": {"key": key}},
    }
    if bot is not None:
        message |= {"bot_id": bot, "app_id": "A0OTHER"}
    fake.messages[("T1", channel)].append(message)


@pytest.mark.parametrize("bot", [None, "B0OTHER"], ids=["a-person", "another-app"])
async def test_someone_elses_message_carrying_the_key_is_not_ours(adapter, clocked, bot):
    """Else a channel member could stop a daily post, reveal or digest from being sent
    after a takeover by posting its (guessable) key first, and a person could stop their
    own grade: the look-up would mark them sent."""
    fake, clock = clocked
    clock.now = START + timedelta(seconds=5)
    someone_elses(fake, "C1", "daily:1:2026-03-02", user="U2", bot=bot)
    assert await adapter.find_sent(C1, "daily:1:2026-03-02", START) is None
    ours = await adapter.post(C1, Message(body="q", key="daily:1:2026-03-02"))
    assert await adapter.find_sent(C1, "daily:1:2026-03-02", START) == ours
    # The same in the app's DM with a person: their own message is not the grade.
    someone_elses(fake, "DU1", "fb:7", user="U1", bot=bot)
    assert await adapter.find_private(C1, "U1", "fb:7", START) is None
    # Who the app is was asked once per workspace, not once per look-up.
    assert len(fake.of("auth.test")) == 1


async def test_not_knowing_who_the_app_is_is_an_error_not_a_miss(adapter, clocked):
    fake, _ = clocked
    fake.fail("auth.test", error="internal_error")
    with pytest.raises(DeliveryError):
        await adapter.find_sent(C1, "k", START)
    assert await adapter.find_sent(C1, "k", START) is None


async def test_an_owed_message_without_im_write_is_posted_to_the_user_id(adapter, clocked):
    fake, _ = clocked
    fake.fail("conversations.open", error="missing_scope")
    await adapter.send_private(C1, "U1", Message(body="graded", key="fb:3"))
    (dm,) = fake.dms("U1")
    assert dm.params["channel"] == "U1"
    fake.fail("conversations.open", error="user_not_found")
    with pytest.raises(DeliveryError):  # anything else is a failed send, tried again later
        await adapter.send_private(C1, "U2", Message(body="graded", key="fb:4"))
    assert fake.dms("U2") == []

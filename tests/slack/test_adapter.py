"""The ChatAdapter against the fake Web API: retries, errors, fallbacks, pacing, caches."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.installations import Installations
from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import People
from adapters.slack.retry import MAX_RATE_LIMIT_RETRIES, retry_handlers
from adapters.slack.sdk_log import client_logger
from adapters.slack.tokens import SingleToken
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, MessageKind, Reaction
from bot.ports import DeliveryError
from tests.slack.conftest import BOT_TOKEN
from tests.slack.fake_slack import FakeSlack

C1 = ChannelAddress("slack", "T1", "C1")
HELLO = Message(body="hello **there**", title="Hi")


@pytest.fixture
async def adapter(fake_slack: FakeSlack) -> AsyncIterator[SlackAdapter]:
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            base_url=fake_slack.api_url,
            session=session,
            retry_handlers=retry_handlers(FixedValueRetryIntervalCalculator(0.0)),
        )
        yield SlackAdapter(
            client, SingleToken(BOT_TOKEN), pacer=ChannelPacer(interval=0.0), session=session
        )


async def test_post_returns_the_ts_as_message_and_thread_id(adapter, fake_slack):
    ref = await adapter.post(C1, HELLO, open_thread=True)
    (call,) = fake_slack.of("chat.postMessage")
    assert ref.message_id == ref.thread_id == call.result["ts"]
    assert call.token == BOT_TOKEN
    assert call.params["blocks"][0]["type"] == "header"


async def test_a_429_is_retried_after_retry_after(adapter, fake_slack):
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=2)
    ref = await adapter.post(C1, HELLO)
    assert len(fake_slack.of("chat.postMessage")) == 3
    assert ref.message_id == fake_slack.of("chat.postMessage")[-1].result["ts"]
    assert fake_slack.rate_limited == 2


async def test_endless_429s_end_in_a_delivery_error(adapter, fake_slack):
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, times=50)
    with pytest.raises(DeliveryError):
        await adapter.post(C1, HELLO)
    assert len(fake_slack.of("chat.postMessage")) == MAX_RATE_LIMIT_RETRIES + 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried(adapter, fake_slack, status):
    fake_slack.fail("chat.postMessage", status=status, times=1)
    await adapter.post(C1, HELLO)
    assert len(fake_slack.of("chat.postMessage")) == 2


async def test_ok_false_is_a_delivery_error_with_the_code(adapter, fake_slack):
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(DeliveryError, match="channel_not_found"):
        await adapter.post(C1, HELLO)
    assert len(fake_slack.of("chat.postMessage")) == 1  # not retried


async def test_reveal_replies_are_broadcast_and_others_are_not(adapter, fake_slack):
    thread = ThreadAddress(C1, "171.000100")
    await adapter.reply_in_thread(thread, Message(body="x", kind=MessageKind.REVEAL))
    await adapter.reply_in_thread(thread, Message(body="y"))
    first, second = fake_slack.of("chat.postMessage")
    assert first.params["thread_ts"] == second.params["thread_ts"] == "171.000100"
    assert first.params["reply_broadcast"] is True
    assert "reply_broadcast" not in second.params


async def test_reactions_map_to_emoji_and_a_repeat_is_fine(adapter, fake_slack):
    target = MessageAddress(C1, "171.000200", "171.000100")
    await adapter.react(target, Reaction.RECEIVED)
    await adapter.react(target, Reaction.RECEIVED)  # already_reacted: not an error
    await adapter.react(target, Reaction.LATE)
    names = [c.params["name"] for c in fake_slack.of("reactions.add")]
    assert names == ["white_check_mark", "white_check_mark", "hourglass"]


async def test_ephemeral_in_thread_and_dm_when_the_bot_is_not_in_the_channel(adapter, fake_slack):
    thread = ThreadAddress(C1, "171.000100")
    await adapter.send_private(C1, "U1", HELLO, thread=thread)
    (ephemeral,) = fake_slack.of("chat.postEphemeral")
    assert (ephemeral.params["user"], ephemeral.params["thread_ts"]) == ("U1", "171.000100")
    fake_slack.not_in_channel.add("C2")
    await adapter.send_private(ChannelAddress("slack", "T1", "C2"), "U1", HELLO)
    (dm,) = fake_slack.of("chat.postMessage")
    assert dm.params["channel"] == "U1"


async def test_other_ephemeral_errors_are_delivery_errors(adapter, fake_slack):
    fake_slack.fail("chat.postEphemeral", error="invalid_blocks")
    with pytest.raises(DeliveryError, match="invalid_blocks"):
        await adapter.send_private(C1, "U1", HELLO)
    assert fake_slack.of("chat.postMessage") == []


async def test_respond_posts_to_the_response_url(adapter, fake_slack):
    await adapter.respond(fake_slack.response_url("r1"), HELLO)
    await adapter.respond(fake_slack.response_url("r2"), HELLO, in_channel=True)
    (_, first), (_, second) = fake_slack.responses
    assert first["response_type"] == "ephemeral" and second["response_type"] == "in_channel"
    assert first["replace_original"] is False
    assert first["blocks"][0]["type"] == "header"


async def test_an_uninstalled_workspace_is_a_delivery_error(fake_slack):
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(base_url=fake_slack.api_url, session=session)
        adapter = SlackAdapter(client, Installations(), session=session)
        with pytest.raises(DeliveryError, match="installation store"):
            await adapter.post(C1, HELLO)
    assert fake_slack.calls == []


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_pacer_spaces_one_channel_and_leaves_others_alone():
    time = FakeTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    waits = [await pacer.wait("C1"), await pacer.wait("C2"), await pacer.wait("C1")]
    assert waits == [0.0, 0.0, 1.0]
    time.now += 5
    assert await pacer.wait("C1") == 0.0
    pacer.push_back("C2", 3.0)
    assert await pacer.wait("C2") == 3.0


async def test_pacer_queues_concurrent_senders_a_second_apart():
    import asyncio

    time = FakeTime()
    pacer = ChannelPacer(1.0, clock=time.clock, sleep=time.sleep)
    released: list[float] = []

    async def send() -> None:
        await pacer.wait("C1")
        released.append(time.now)

    await asyncio.gather(*(send() for _ in range(4)), pacer.wait("C2"))
    assert sorted(released) == [100.0, 101.0, 102.0, 103.0]


async def test_people_cache_users_info_and_share_concurrent_lookups(fake_slack, adapter):
    import asyncio

    time = FakeTime()
    people = People(adapter.users_info, ttl=600, clock=time.clock)
    found = await asyncio.gather(*(people.lookup("T1", "U-admin") for _ in range(5)))
    assert all(p is not None and p.is_admin and p.name == "Alice Admin" for p in found)
    assert len(fake_slack.of("users.info")) == 1
    time.now += 30
    await people.lookup("T1", "U-admin")
    assert len(fake_slack.of("users.info")) == 1
    await people.lookup("T1", "U-admin", max_age=10)  # an admin command wants fresh news
    assert len(fake_slack.of("users.info")) == 2
    assert await people.lookup("T1", "U-nobody") is None  # user_not_found: no admin


async def test_work_waits_for_requests_in_flight_but_not_forever():
    import asyncio

    from adapters.slack.gate import AckGate

    gate = AckGate(quiet=0.0, patience=60)
    gate.request_started()
    waiting = asyncio.create_task(gate.wait_quiet())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done()  # a request is being acknowledged: work holds back
    gate.request_finished()
    await asyncio.wait_for(waiting, 5)
    impatient = AckGate(quiet=0.0, patience=0.0)
    impatient.request_started()
    await asyncio.wait_for(impatient.wait_quiet(), 5)  # patience spent: work goes ahead


class CountedText(str):
    """Text that counts how often it is formatted with repr, as debug lines format it."""

    reprs = 0

    def __repr__(self) -> str:
        CountedText.reprs += 1
        return super().__repr__()


async def post_counted(fake_slack: FakeSlack, logger: logging.Logger | None) -> int:
    CountedText.reprs = 0
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(base_url=fake_slack.api_url, session=session, logger=logger)
        await client.chat_postMessage(token=BOT_TOKEN, channel="C1", text=CountedText("hi"))
    return CountedText.reprs


async def test_the_sdk_builds_its_debug_lines_only_when_debugging(fake_slack, caplog):
    caplog.set_level(logging.INFO, logger="slack_sdk")
    # Why the client gets a logger of its own: with its default one, slack-sdk formats the
    # whole payload into a debug line on every call, at INFO too.
    assert await post_counted(fake_slack, None) > 0
    assert await post_counted(fake_slack, client_logger()) == 0
    assert not [r for r in caplog.records if r.levelno == logging.DEBUG]

    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    assert await post_counted(fake_slack, client_logger()) > 0
    assert any("chat.postMessage" in r.getMessage() for r in caplog.records)

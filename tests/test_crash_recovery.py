"""A process killed between a send and its mark: the survivor finds the message, never
sends a second one. On the memory platform and on Slack's real SDK against the fake Web
API, on both databases.

The dying process is another core on the same database (tests/crash.py): at the chosen
message the platform takes it, then every later database write and platform call of that
core fails, so its unwritten marks are lost as in a SIGKILL. The survivor ticks once the
lease has run out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.memory import MemoryAdapter
from adapters.slack.adapter import SlackAdapter, claim_key_of
from adapters.slack.pacing import ChannelPacer
from adapters.slack.retry import retry_handlers
from adapters.slack.tokens import SingleToken
from bot import rounds
from bot.events import AnswerPosted, ChannelAddress
from bot.messages import Message, MessageKind
from bot.ports import ChatAdapter, DeliveryError, PostedRef
from storage import unit_of_work
from storage.models import Digest, Post
from tests.crash import Dead, dying_core, nth
from tests.harness import ADMIN, MEMBERS, Harness, channel_names, make_core, make_harness
from tests.slack.fake_slack import FakeSlack

MONDAY_6AM = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY_5PM = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
FRIDAY_4PM = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
TOKEN = "xoxb-crash"


@dataclass
class Platform:
    """One chat platform both processes talk to, and what it holds."""

    name: str
    new_adapter: Callable[[], ChatAdapter]
    keys: Callable[[], Counter[tuple[str, str]]]  # (channel, claim key) -> messages


@pytest.fixture(params=["memory", "slack"])
async def platform(request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    if request.param == "memory":
        shared = MemoryAdapter("memory")

        def memory_keys() -> Counter[tuple[str, str]]:
            return Counter(
                (s.channel.channel, s.message.key)
                for s in shared.sent
                if s.message is not None and s.message.key is not None
            )

        yield Platform("memory", lambda: shared, memory_keys)
        return
    fake = await FakeSlack().start()
    fake.add_team(TOKEN, "T1", "UBOT")
    async with aiohttp.ClientSession() as session:

        def slack_adapter() -> ChatAdapter:
            client = AsyncWebClient(
                base_url=fake.api_url,
                session=session,
                retry_handlers=retry_handlers(FixedValueRetryIntervalCalculator(0.0)),
            )
            return SlackAdapter(client, SingleToken(TOKEN), pacer=ChannelPacer(interval=0.0))

        def slack_keys() -> Counter[tuple[str, str]]:
            return Counter(
                (channel, key)
                for (_, channel), messages in fake.messages.items()
                for m in messages
                if (key := claim_key_of(m)) is not None
            )

        platform = Platform("slack", slack_adapter, slack_keys)
        platform.fake = fake  # type: ignore[attr-defined]
        yield platform
    await fake.close()


async def survivor(db_url: str, platform: Platform, start: datetime) -> Harness:
    """The process that lives; its clock is the one the dying process shares."""
    h = await make_harness(db_url, start, adapter=platform.new_adapter())  # type: ignore[arg-type]
    fake = getattr(platform, "fake", None)
    if fake is not None:  # Slack's ts then follow the test's clock, so `oldest` is a time
        fake.clock = lambda: h.clock.now().timestamp()
    return h


def per_channel(keys: Counter[tuple[str, str]], prefix: str, suffix: str = "") -> Counter[str]:
    return Counter(
        {
            channel: n
            for (channel, key), n in keys.items()
            if key.startswith(prefix) and key.endswith(suffix)
        }
    )


def only_daily(keys: Counter[tuple[str, str]]) -> Counter[str]:
    return Counter(
        {
            channel: n
            for (channel, key), n in keys.items()
            if key.startswith("daily:") and not key.endswith(":reveal")
        }
    )


async def stored(h: Harness, model: type) -> list:
    async with unit_of_work(h.db) as repo:
        return list(await repo.session.scalars(select(model).order_by(model.id)))


@pytest.mark.parametrize("kill_at", [1, 20, 50])
async def test_a_fan_out_killed_mid_way_is_finished_with_one_post_per_channel(
    db_url: str, platform: Platform, kill_at: int
):
    h = await survivor(db_url, platform, MONDAY_6AM)
    doomed, dying = dying_core(
        db_url, platform.new_adapter(), h.clock, nth(MessageKind.QUESTION, kill_at)
    )
    try:
        channels = channel_names(50)
        await h.subscribe_all(ADMIN, channels)
        h.clock.set(MONDAY_9AM)
        await doomed.tick()  # claims all 50, dies at the kill_at-th post
        assert dying.dead
        sent_before = only_daily(platform.keys())
        assert kill_at <= sum(sent_before.values()) <= 50
        assert set(sent_before.values()) == {1}

        await h.core.tick()  # within the lease: the dead process's claims are left alone
        assert only_daily(platform.keys()) == sent_before

        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        assert only_daily(platform.keys()) == Counter({name: 1 for name in channels})
        posts = await stored(h, Post)
        assert len(posts) == 50 and {p.state for p in posts} == {"posted"}
        # The messages found were recorded with their own refs, and the round runs on.
        assert all(p.message_ref and p.thread_ref for p in posts)
        # Found: its deadline is the one its message shows. Sent now: a deadline from now.
        deadlines = Counter(p.reveal_at for p in posts)
        assert deadlines[MONDAY_9AM + timedelta(minutes=480)] == sum(sent_before.values())
        assert set(deadlines) <= {
            MONDAY_9AM + timedelta(minutes=480),
            h.clock.now() + timedelta(minutes=480),
        }
    finally:
        await doomed.ctx.db.dispose()
        await h.close()


async def test_reveals_killed_mid_way_are_finished_with_one_reveal_per_channel(
    db_url: str, platform: Platform
):
    h = await survivor(db_url, platform, MONDAY_6AM)
    doomed, dying = dying_core(db_url, platform.new_adapter(), h.clock, nth(MessageKind.REVEAL, 3))
    try:
        channels = channel_names(10)
        await h.subscribe_all(ADMIN, channels)
        h.clock.set(MONDAY_9AM)
        await h.core.tick()
        posts = {p.channel_id: p for p in await stored(h, Post)}
        assert len(posts) == 10
        for index, post in enumerate(posts.values()):  # one on-time answer per round
            await h.core.dispatch(
                AnswerPosted(
                    h.address(channels[index]),
                    MEMBERS[0],
                    post.thread_ref,
                    f"a{index}",
                    "bias and variance trade off",
                )
            )
        h.clock.set(MONDAY_5PM)
        await doomed.tick()
        assert dying.dead
        before = per_channel(platform.keys(), "daily:", ":reveal")
        assert sum(before.values()) >= 3 and set(before.values()) == {1}

        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        reveals = per_channel(platform.keys(), "daily:", ":reveal")
        assert reveals == Counter({name: 1 for name in channels})
        rounds_ = await stored(h, Post)
        assert {p.state for p in rounds_} == {"revealed"}
        assert all(p.reveal_message_ref for p in rounds_)
    finally:
        await doomed.ctx.db.dispose()
        await h.close()


async def test_digests_killed_mid_way_are_finished_with_one_digest_per_channel(
    db_url: str, platform: Platform
):
    h = await survivor(db_url, platform, MONDAY_6AM)
    doomed, dying = dying_core(db_url, platform.new_adapter(), h.clock, nth(MessageKind.DIGEST, 2))
    try:
        channels = channel_names(4)
        await h.subscribe_all(ADMIN, channels)
        for instant in (MONDAY_9AM, MONDAY_5PM):  # one revealed round each this week
            h.clock.set(instant)
            await h.core.tick()
        h.clock.set(FRIDAY_4PM)
        await doomed.tick()
        assert dying.dead
        before = per_channel(platform.keys(), "digest:")
        assert sum(before.values()) >= 2 and set(before.values()) == {1}

        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        assert per_channel(platform.keys(), "digest:") == Counter({c: 1 for c in channels})
        digests = await stored(h, Digest)
        assert len(digests) == 4 and {d.state for d in digests} == {"posted"}
        assert all(d.message_ref and d.lease_until is None for d in digests)
    finally:
        await doomed.ctx.db.dispose()
        await h.close()


async def test_each_post_is_marked_while_the_rest_of_the_fan_out_is_still_out(db_url: str):
    """The mark does not wait for the fan-out: with one send stuck at the platform, every
    other post is already recorded as posted."""
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        channels = channel_names(30)
        await h.subscribe_all(ADMIN, channels)
        stuck, release = asyncio.Event(), asyncio.Event()
        real_post = h.adapter.post

        async def post(channel: ChannelAddress, message: Message, *, open_thread=False):
            if channel.channel == channels[-1]:
                stuck.set()
                await release.wait()
            return await real_post(channel, message, open_thread=open_thread)

        h.adapter.post = post  # type: ignore[method-assign]
        h.clock.set(MONDAY_9AM)
        tick = asyncio.create_task(h.core.tick())
        await stuck.wait()
        # Wait for a condition, not for a time: the marks are written by a task.
        for _ in range(500):
            states = Counter(p.state for p in await stored(h, Post))
            if states["posted"] == 29:
                break
            await asyncio.sleep(0.01)
        assert states == Counter({"posted": 29, "claimed": 1})
        assert not tick.done()
        release.set()
        assert (await tick).posted == 30
        assert {p.state for p in await stored(h, Post)} == {"posted"}
    finally:
        await h.close()


async def test_marks_are_written_in_few_transactions(db_url: str, monkeypatch):
    """Marking promptly still groups: sends that end during a write join the next one."""
    writes: list[int] = []
    real = rounds._Marks._write

    async def counting(self, batch):
        writes.append(len(batch))
        await real(self, batch)

    monkeypatch.setattr(rounds._Marks, "_write", counting)
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, channel_names(120))
        h.clock.set(MONDAY_9AM)
        assert (await h.core.tick()).posted == 120
        assert sum(writes) == 120
        assert len(writes) < 120 / 4
    finally:
        await h.close()


async def test_a_lookup_that_fails_sends_nothing_and_is_asked_again(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    doomed, _ = dying_core(db_url, h.adapter, h.clock, nth(MessageKind.QUESTION, 1))
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.clock.set(MONDAY_9AM)
        await doomed.tick()
        assert len(h.adapter.of("post")) == 1
        real_find = h.adapter.find_sent
        calls = 0

        async def unreachable(*args, **kwargs) -> PostedRef | None:
            nonlocal calls
            calls += 1
            raise DeliveryError("conversations.history: ratelimited")

        h.adapter.find_sent = unreachable  # type: ignore[method-assign]
        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        assert calls == 1 and len(h.adapter.of("post")) == 1
        (post,) = await stored(h, Post)
        assert post.state == "claimed"

        h.adapter.find_sent = real_find  # type: ignore[method-assign]
        await h.core.tick()  # our own lease now: not before it runs out
        assert post.state == "claimed"
        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        (post,) = await stored(h, Post)
        assert post.state == "posted" and post.message_ref == h.adapter.of("post")[0].ref
        assert len(h.adapter.of("post")) == 1
    finally:
        await doomed.ctx.db.dispose()
        await h.close()


async def test_a_claim_with_nothing_on_the_platform_is_sent_once(db_url: str):
    """Died after claiming, before sending: recovery finds nothing and sends it."""
    h = await make_harness(db_url, MONDAY_6AM)
    try:
        await h.subscribe_all(ADMIN, ["C1"])
        h.adapter.failing_channels.add("C1")
        h.clock.set(MONDAY_9AM)
        await h.core.tick()
        h.adapter.failing_channels.clear()
        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await h.core.tick()
        (sent,) = h.adapter.of("post")
        assert sent.message.key == "daily:1:2026-03-02"
        (post,) = await stored(h, Post)
        assert post.state == "posted" and post.message_ref == sent.ref
    finally:
        await h.close()


async def test_the_memory_platform_finds_only_matching_recent_messages():
    clock_now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    class Clock:
        def now(self) -> datetime:
            return clock_now

    adapter = MemoryAdapter("memory", Clock())  # type: ignore[arg-type]
    where = ChannelAddress("memory", "W1", "C1")
    ref = await adapter.post(where, Message(body="q", key="k1"))
    assert await adapter.find_sent(where, "k1", clock_now) == ref
    assert await adapter.find_sent(where, "k2", clock_now) is None
    assert await adapter.find_sent(where, "k1", clock_now + timedelta(seconds=1)) is None
    other = ChannelAddress("memory", "W1", "C2")
    assert await adapter.find_sent(other, "k1", clock_now) is None


async def test_a_past_days_claim_is_marked_if_it_went_out_and_given_up_if_not(db_url: str):
    h = await make_harness(db_url, MONDAY_6AM)
    doomed, _ = dying_core(db_url, h.adapter, h.clock, nth(MessageKind.QUESTION, 1))
    try:
        await h.subscribe_all(ADMIN, ["C1", "C2"])
        h.adapter.failing_channels.add("C2")
        h.clock.set(MONDAY_9AM)
        await doomed.tick()  # C1 sent then killed; C2 refused (and never sent)
        h.adapter.failing_channels.clear()
        real_find = h.adapter.find_sent

        async def unreadable_c2(channel, key, since, **options):
            if channel.channel == "C2":
                raise DeliveryError("conversations.history: not_in_channel")
            return await real_find(channel, key, since, **options)

        h.adapter.find_sent = unreadable_c2  # type: ignore[method-assign]
        h.clock.set(MONDAY_9AM + timedelta(days=1, hours=-8))  # Tuesday 01:00, before posting
        await h.core.tick()
        states = {p.channel_id: p.state for p in await stored(h, Post)}
        assert sorted(states.values()) == ["failed", "posted"]
        assert len(h.adapter.of("post")) == 1
    finally:
        await doomed.ctx.db.dispose()
        await h.close()


def die_before(dying: Any, kind: MessageKind) -> None:
    """The dying process is killed just before it sends its first message of ``kind``:
    its claim holds, nothing of it is on the platform."""
    real_post, real_reply = dying.post, dying.reply_in_thread

    def check(message: Message) -> None:
        if message.kind == kind:
            dying.dead = dying.db.dead = True
            raise Dead(f"killed before sending a {kind}")

    async def post(channel: ChannelAddress, message: Message, **kwargs: Any) -> PostedRef:
        check(message)
        return await real_post(channel, message, **kwargs)

    async def reply_in_thread(thread: Any, message: Message) -> str:
        check(message)
        return await real_reply(thread, message)

    dying.post, dying.reply_in_thread = post, reply_in_thread


@pytest.mark.parametrize(
    ("kind", "prefix", "suffix"),
    [
        (MessageKind.QUESTION, "daily:", ""),
        (MessageKind.REVEAL, "daily:", ":reveal"),
        (MessageKind.DIGEST, "digest:", ""),
    ],
    ids=["post", "reveal", "digest"],
)
async def test_a_look_up_outlasting_the_lease_does_not_send_after_another_took_over(
    db_url: str, platform: Platform, kind: MessageKind, prefix: str, suffix: str
):
    """A takeover looks before it sends, and the look-up can take long (up to ten history
    pages, each retried after Slack's Retry-After) against a two-minute lease. If the
    lease runs out meanwhile, another process takes the claim over, looks, finds nothing
    (nobody sent yet) and sends. The first, back from its look-up, must not send too."""
    h = await survivor(db_url, platform, MONDAY_6AM)
    doomed, dying = dying_core(db_url, platform.new_adapter(), h.clock, lambda m: False)
    die_before(dying, kind)
    slow = make_core(db_url, platform.new_adapter(), h.clock, instance_id="slow")
    real_find = slow.ctx.adapter.find_sent
    outlasted = False

    async def slow_find(channel: ChannelAddress, key: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal outlasted
        found = await real_find(channel, key, *args, **kwargs)
        if not outlasted and key.startswith(prefix) and key.endswith(suffix):
            outlasted = True
            h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
            await h.core.tick()  # the other process takes the claim over and sends
            assert sum(per_channel(platform.keys(), prefix, suffix).values()) == 1
        return found

    slow.ctx.adapter.find_sent = slow_find  # type: ignore[method-assign]
    try:
        (channel,) = channel_names(1)
        await h.subscribe_all(ADMIN, [channel])
        if kind == MessageKind.QUESTION:
            h.clock.set(MONDAY_9AM)
        elif kind == MessageKind.REVEAL:
            h.clock.set(MONDAY_9AM)
            await h.core.tick()
            h.clock.set(MONDAY_5PM)
        else:
            for instant in (MONDAY_9AM, MONDAY_5PM):
                h.clock.set(instant)
                await h.core.tick()
            h.clock.set(FRIDAY_4PM)
        await doomed.tick()
        assert dying.dead and per_channel(platform.keys(), prefix, suffix) == Counter()

        h.clock.advance(h.core.ctx.lease + timedelta(seconds=1))
        await slow.tick()
        assert outlasted
        keys = per_channel(platform.keys(), prefix, suffix)
        if kind == MessageKind.QUESTION:
            keys = only_daily(platform.keys())
        assert keys == Counter({channel: 1})
    finally:
        for core in (doomed, slow):
            await core.ctx.db.dispose()
        await h.close()

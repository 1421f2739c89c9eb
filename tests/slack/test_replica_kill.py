"""Two real ``mlq run --platform slack --mode http`` processes on one database, against the
fake Slack Web API on loopback: the one posting a 50-channel fan-out is killed with SIGKILL
when its 20th post reaches Slack, and the survivor finishes the fan-out with exactly one
post per channel; likewise for one killed at its third of ten reveals, or of ten weekly
digests. Leases and ticks are
shortened through settings so this takes seconds.

The waits below wait for a state (all 50 posted), with a generous bound; no assertion
depends on how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from adapters.memory import MemoryAdapter
from adapters.slack.adapter import SlackAdapter, claim_key_of
from adapters.slack.pacing import ChannelPacer
from adapters.slack.tokens import SingleToken
from bot.clock import ManualClock
from bot.events import ChannelAddress, CommandInvoked
from storage.models import Answer, Channel, Digest, FeedbackOutbox, InboxEvent, Member, Post
from tests.harness import ADMIN, channel_names, make_core
from tests.slack import payloads
from tests.slack.fake_slack import FakeSlack

TOKEN = "xoxb-replicas"
CHANNELS = channel_names(50)
KILL_AT = 20
LEASE_SECONDS = 4
WAIT_BOUND = 90.0  # seconds; a bound on waiting for a state, not a timing expectation


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replica(
    name: str,
    db_url: str,
    fake: FakeSlack,
    logs: Path,
    *,
    port: int | None = None,
    token: str = TOKEN,
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MLQ_"))}
    env.update(
        MLQ_DATABASE_URL=db_url,
        MLQ_INSTANCE_ID=name,
        MLQ_TICK_SECONDS="1",
        MLQ_LEASE_SECONDS=str(LEASE_SECONDS),
        MLQ_LOG_LEVEL="INFO",
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=payloads.SECRET,
        SLACK_API_URL=fake.api_url,
    )
    mlq = Path(sys.executable).with_name("mlq")
    return subprocess.Popen(
        [
            *(str(mlq), "run", "--platform", "slack", "--mode", "http"),
            *("--host", "127.0.0.1", "--port", str(port or free_port())),
        ],
        env=env,
        cwd=logs.parent,  # no stray .env
        stdout=logs.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def seed(db_url: str, now: datetime) -> None:
    """50 Slack channels whose daily post is due this minute, every day of the week."""
    core = make_core(db_url, MemoryAdapter("slack"), ManualClock(now))
    try:
        for channel in CHANNELS:
            where = ChannelAddress("slack", "T1", channel)
            await core.dispatch(CommandInvoked(where, ADMIN, "subscribe"))
            await core.dispatch(CommandInvoked(where, ADMIN, f"schedule {now:%H:%M} UTC mon-sun"))
    finally:
        await core.ctx.db.dispose()


async def seed_posted(
    db_url: str,
    fake: FakeSlack,
    at: datetime,
    channels: list[str],
    reveal_after: str = "5m",
    digest_at: datetime | None = None,
    reveal_at: datetime | None = None,
) -> None:
    """Channels whose question was posted (through the fake) at ``at``, due to be revealed
    ``reveal_after`` later (and revealed at ``reveal_at`` if given), with their weekly
    digest at ``digest_at`` if given."""
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(base_url=fake.api_url, session=session)
        adapter = SlackAdapter(client, SingleToken(TOKEN), pacer=ChannelPacer(interval=0.0))
        clock = ManualClock(at)
        core = make_core(db_url, adapter, clock)
        try:
            for channel in channels:
                where = ChannelAddress("slack", "T1", channel)
                schedule = f"schedule {at:%H:%M} UTC mon-sun"
                commands = ["subscribe", schedule, f"reveal-after {reveal_after}"]
                if digest_at is not None:
                    commands.append(f"digest {digest_at:%a} {digest_at:%H:%M}".lower())
                for command in commands:
                    reply = await core.dispatch(CommandInvoked(where, ADMIN, command))
                    assert all(r.kind.value != "error" for r in reply), (command, reply)
            assert (await core.tick()).posted == len(channels)
            if reveal_at is not None:
                clock.set(reveal_at)
                await core.tick()
        finally:
            await core.ctx.db.dispose()


async def post_states(db_url: str, *, revealed_with_ref: bool = False) -> Counter[str]:
    core = make_core(db_url, MemoryAdapter("slack"), ManualClock(datetime.now(UTC)))
    try:
        async with core.ctx.db.reading() as session:
            query = select(Post.state, func.count()).group_by(Post.state)
            if revealed_with_ref:
                query = query.where(Post.reveal_message_ref.is_not(None))
            rows = await session.execute(query)
            return Counter(dict(rows.all()))
    finally:
        await core.ctx.db.dispose()


async def stop_all(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 15)
            except subprocess.TimeoutExpired:
                process.kill()


async def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_BOUND
    while not await condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.2)


async def test_a_replica_killed_mid_fan_out_leaves_one_post_per_channel(
    db_url: str, tmp_path: Path
):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if now.hour == 23 and now.minute >= 58:  # the post's local day must not turn meanwhile
        await asyncio.sleep(150)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed(db_url, now)
    doomed: subprocess.Popen | None = None
    killed = asyncio.Event()

    def kill_at_twentieth(message: dict[str, Any]) -> None:
        # Called as the 20th post is stored, before Slack answers it: the sender dies
        # without ever learning that it went out, as do the posts already in flight.
        if doomed is not None and len(posted()) == KILL_AT and not killed.is_set():
            doomed.send_signal(signal.SIGKILL)
            killed.set()

    def first_try_limited(channel: str, attempt: int) -> float | None:
        # The last ten channels are told to come back in a second: the doomed replica
        # dies before it does, so those posts are left for the survivor to send.
        return 1.0 if attempt == 1 and channel in CHANNELS[-10:] else None

    fake = FakeSlack(clock=time.time, on_post=kill_at_twentieth, inject_429=first_try_limited)
    await fake.start()
    fake.add_team(TOKEN, "T1", "UBOT")

    def posted() -> list[dict[str, Any]]:
        return [m for msgs in fake.messages.values() for m in msgs if claim_key_of(m)]

    survivor: subprocess.Popen | None = None
    try:
        doomed = start_replica("doomed", db_url, fake, tmp_path / "doomed.log")
        await asyncio.wait_for(killed.wait(), WAIT_BOUND)
        await asyncio.to_thread(doomed.wait, 10)
        assert doomed.returncode == -signal.SIGKILL
        sent_by_doomed = len(posted())
        assert KILL_AT <= sent_by_doomed <= len(CHANNELS) - 10
        states = await post_states(db_url)
        # The doomed replica claimed every channel; what it sent is unmarked or marked.
        assert sum(states.values()) == len(CHANNELS)
        assert states["claimed"] > len(CHANNELS) - sent_by_doomed

        survivor = start_replica("survivor", db_url, fake, tmp_path / "survivor.log")

        async def all_posted() -> bool:
            return (await post_states(db_url))["posted"] == len(CHANNELS)

        await wait_for(all_posted, "every channel's post to be marked")
        per_channel = Counter(channel for (_, channel), msgs in fake.messages.items() for _ in msgs)
        assert per_channel == Counter({channel: 1 for channel in CHANNELS})
        survivor_log = (tmp_path / "survivor.log").read_text()
        assert "marked, not sent again" in survivor_log
        assert "Traceback" not in survivor_log
    finally:
        await stop_all(doomed, survivor)
        await fake.close()


async def kill_at_third_and_recover(
    db_url: str,
    tmp_path: Path,
    channels: list[str],
    is_kind: Callable[[str], bool],
    seed: Callable[[FakeSlack], Awaitable[None]],
    recorded: Callable[[], Awaitable[bool]],
) -> None:
    """Seed, start a replica and SIGKILL it as Slack stores its third message whose claim
    key ``is_kind`` (before Slack answers it); start a survivor and wait until ``recorded``
    holds: every channel then has exactly one such message."""
    doomed: subprocess.Popen | None = None
    killed = asyncio.Event()

    def sent() -> Counter[str]:
        return Counter(
            channel
            for (_, channel), msgs in fake.messages.items()
            for m in msgs
            if is_kind(claim_key_of(m) or "")
        )

    def kill_at_third(message: dict[str, Any]) -> None:
        if doomed is not None and sum(sent().values()) == 3 and not killed.is_set():
            doomed.send_signal(signal.SIGKILL)
            killed.set()

    fake = await FakeSlack(clock=time.time, on_post=kill_at_third).start()
    fake.add_team(TOKEN, "T1", "UBOT")
    survivor: subprocess.Popen | None = None
    try:
        await seed(fake)
        doomed = start_replica("doomed", db_url, fake, tmp_path / "doomed.log")
        await asyncio.wait_for(killed.wait(), WAIT_BOUND)
        await asyncio.to_thread(doomed.wait, 10)
        assert doomed.returncode == -signal.SIGKILL
        assert 3 <= sum(sent().values()) <= len(channels)
        assert set(sent().values()) == {1}

        survivor = start_replica("survivor", db_url, fake, tmp_path / "survivor.log")
        await wait_for(recorded, "every channel's message to be recorded")
        assert sent() == Counter({channel: 1 for channel in channels})
        survivor_log = (tmp_path / "survivor.log").read_text()
        assert "Traceback" not in survivor_log
    finally:
        await stop_all(doomed, survivor)
        await fake.close()


async def test_a_replica_killed_mid_reveals_leaves_one_reveal_per_channel(
    db_url: str, tmp_path: Path
):
    channels = CHANNELS[:10]

    async def seed(fake: FakeSlack) -> None:
        # Posted ten minutes ago with a five-minute deadline: every reveal is due.
        posted_at = (datetime.now(UTC) - timedelta(minutes=10)).replace(second=0, microsecond=0)
        await seed_posted(db_url, fake, posted_at, channels)

    async def all_revealed() -> bool:
        states = await post_states(db_url, revealed_with_ref=True)
        return states["revealed"] == len(channels)

    await kill_at_third_and_recover(
        db_url, tmp_path, channels, lambda key: key.endswith(":reveal"), seed, all_revealed
    )


async def digest_states(db_url: str) -> Counter[str]:
    core = make_core(db_url, MemoryAdapter("slack"), ManualClock(datetime.now(UTC)))
    try:
        async with core.ctx.db.reading() as session:
            query = select(Digest.state, func.count()).where(Digest.message_ref.is_not(None))
            rows = await session.execute(query.group_by(Digest.state))
            return Counter(dict(rows.all()))
    finally:
        await core.ctx.db.dispose()


async def test_a_replica_killed_mid_digests_leaves_one_digest_per_channel(
    db_url: str, tmp_path: Path
):
    channels = CHANNELS[:10]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if (now.hour, now.minute) < (0, 3) or (now.hour, now.minute) >= (23, 58):
        # The digest's instant (two minutes ago) must fall on today's weekday, and the
        # week must not turn meanwhile. (The round may be yesterday's: the digest counts
        # rounds revealed in the seven days before it.)
        await asyncio.sleep(200)
        now = datetime.now(UTC).replace(second=0, microsecond=0)

    async def seed(fake: FakeSlack) -> None:
        # A round posted twenty minutes ago and revealed five minutes later, and this
        # week's digest due two minutes ago: every channel owes one digest.
        posted_at = now - timedelta(minutes=20)
        await seed_posted(
            db_url,
            fake,
            posted_at,
            channels,
            digest_at=now - timedelta(minutes=2),
            reveal_at=posted_at + timedelta(minutes=6),
        )

    async def all_digested() -> bool:
        return (await digest_states(db_url))["posted"] == len(channels)

    await kill_at_third_and_recover(
        db_url, tmp_path, channels, lambda key: key.startswith("digest:"), seed, all_digested
    )


BURST_MEMBERS = 50
BURST_CHANNELS = CHANNELS[:4]
KILL_AT_GRADE = 20
TOKEN_A, TOKEN_B = "xoxb-replica-a", "xoxb-replica-b"  # one workspace; tells callers apart


async def settled(db_url: str) -> tuple[list[tuple[str, str, str]], int, int]:
    """The stored answers as (channel, user, message ts), and how many outbox rows and
    inbox events are still unfinished."""
    core = make_core(db_url, MemoryAdapter("slack"), ManualClock(datetime.now(UTC)))
    try:
        async with core.ctx.db.reading() as session:
            answers = (
                await session.execute(
                    select(Channel.external_id, Member.external_id, Answer.message_ref)
                    .join(Channel, Channel.id == Answer.channel_id)
                    .join(Member, Member.id == Answer.member_id)
                )
            ).all()
            owed = await session.scalar(
                select(func.count()).where(
                    FeedbackOutbox.sent_at.is_(None), FeedbackOutbox.given_up.is_(None)
                )
            )
            undone = await session.scalar(select(func.count()).where(InboxEvent.done_at.is_(None)))
            given_up = await session.scalar(
                select(func.count()).where(FeedbackOutbox.given_up.is_not(None))
            )
        assert not given_up, "no feedback may be given up here"
        return [tuple(row) for row in answers], int(owed or 0), int(undone or 0)
    finally:
        await core.ctx.db.dispose()


async def grade_keys(db_url: str) -> dict[tuple[str, str], int]:
    """(channel, message ts) of each answer -> the id of its private-grade outbox row."""
    core = make_core(db_url, MemoryAdapter("slack"), ManualClock(datetime.now(UTC)))
    try:
        async with core.ctx.db.reading() as session:
            rows = await session.execute(
                select(FeedbackOutbox.channel, FeedbackOutbox.message_id, FeedbackOutbox.id).where(
                    FeedbackOutbox.kind == "private"
                )
            )
            return {(channel, ts): row_id for channel, ts, row_id in rows.all()}
    finally:
        await core.ctx.db.dispose()


async def wait_healthy(port: int) -> None:
    async def up() -> bool:
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/healthz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await wait_for(up, f"the replica on port {port} to answer")


async def test_a_replica_killed_mid_burst_leaves_every_answer_one_reaction_and_one_grade(
    db_url: str, tmp_path: Path
):
    """Two replicas take a burst of thread replies (a fifth of them delivered to both, at
    once); one is killed when its 20th private grade reaches Slack, and restarted after
    the burst. Every reply ends up stored once, with one reaction and exactly one private
    grade: a DM carrying its outbox key. The 20th grade is the window no database closes
    (Slack has it, its mark was never written): whoever takes the row over finds it in
    the DM by its key and marks it instead of sending it again."""
    doomed: subprocess.Popen | None = None
    killed = asyncio.Event()
    grades_by_a = 0

    def kill_mid_burst(call: Any) -> None:
        nonlocal grades_by_a
        if call.token != TOKEN_A or killed.is_set() or doomed is None:
            return
        if call.method == "chat.postMessage" and str(call.params.get("channel")).startswith("D"):
            grades_by_a += 1
            if grades_by_a == KILL_AT_GRADE:
                # Called before the fake stores and answers it: Slack gets this grade,
                # the replica never learns that it did.
                doomed.send_signal(signal.SIGKILL)
                killed.set()

    fake = await FakeSlack(clock=time.time, auto_users=True, on_call=kill_mid_burst).start()
    for token in (TOKEN, TOKEN_A, TOKEN_B):
        fake.add_team(token, "T1", "UBOT")
    survivor: subprocess.Popen | None = None
    restarted: subprocess.Popen | None = None
    try:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        await seed_posted(db_url, fake, now, BURST_CHANNELS, reveal_after="2h")
        # The question is the last message: subscribing posted its confirmation first.
        threads = {c: fake.messages[("T1", c)][-1]["ts"] for c in BURST_CHANNELS}
        fake.clear()
        port_a, port_b = free_port(), free_port()
        doomed = start_replica(
            "doomed", db_url, fake, tmp_path / "doomed.log", port=port_a, token=TOKEN_A
        )
        survivor = start_replica(
            "survivor", db_url, fake, tmp_path / "survivor.log", port=port_b, token=TOKEN_B
        )
        await asyncio.gather(wait_healthy(port_a), wait_healthy(port_b))

        bodies: list[str] = []
        for c, channel in enumerate(BURST_CHANNELS):
            for n in range(BURST_MEMBERS):
                reply = payloads.thread_reply(
                    f"Member {n} in {channel}: bias is error from wrong assumptions and "
                    f"variance is sensitivity to the sample ({n * 7 + c} examples).",
                    thread_ts=threads[channel],
                    user=f"U{n:03d}",
                    channel=channel,
                    ts=f"1800000{c:03d}.{n:06d}",
                )
                bodies.append(json.dumps(payloads.event_callback(reply)))
        ports = (port_a, port_b)
        gate = asyncio.Semaphore(32)

        async def deliver(http: aiohttp.ClientSession, body: str, first: int) -> None:
            """Like Slack: send until one replica answers 2xx, retrying on the other."""
            for attempt in range(12):
                port = ports[(first + attempt) % 2]
                headers = payloads.sign(body, retry_num=attempt or None)
                try:
                    async with (
                        gate,
                        http.post(
                            f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                        ) as response,
                    ):
                        if response.status < 300:
                            return
                except aiohttp.ClientError:
                    pass
            raise AssertionError("no replica took a delivery")

        async with aiohttp.ClientSession() as http:
            sends = []
            for i, body in enumerate(bodies):
                sends.append(deliver(http, body, i % 2))
                if i % 5 == 0:  # a fifth delivered twice, to both replicas at once
                    sends.append(deliver(http, body, (i + 1) % 2))
            await asyncio.gather(*sends)
        await asyncio.wait_for(killed.wait(), WAIT_BOUND)  # it may still be grading
        await asyncio.to_thread(doomed.wait, 10)
        assert doomed.returncode == -signal.SIGKILL
        restarted = start_replica("doomed", db_url, fake, tmp_path / "restarted.log", token=TOKEN_A)

        expected = len(BURST_CHANNELS) * BURST_MEMBERS

        async def all_settled() -> bool:
            answers, owed, undone = await settled(db_url)
            return len(answers) == expected and owed == 0 and undone == 0

        await wait_for(all_settled, "every answer stored and its feedback sent")
        answers, _, _ = await settled(db_url)
        assert len(set(answers)) == expected
        replied = {(channel, ts) for channel, _, ts in answers}
        reacted = Counter((channel, ts) for channel, ts, _ in fake._reactions)
        assert reacted == Counter({key: 1 for key in replied})
        assert {name for _, _, name in fake._reactions} == {"white_check_mark"}
        # Exactly one DM per owed grade, each carrying its row's key, none ephemeral.
        keys = await grade_keys(db_url)
        assert set(keys) == replied
        sent = Counter(
            claim_key_of(m)
            for (_, channel), msgs in fake.messages.items()
            if channel.startswith("D")
            for m in msgs
        )
        assert sent == Counter({f"fb:{row_id}": 1 for row_id in keys.values()})
        assert fake.of("chat.postEphemeral") == []
        logs = [(tmp_path / name).read_text() for name in ("survivor.log", "restarted.log")]
        # The grade Slack took at the kill was found by its key, not sent again.
        assert any("found on the platform; marked, not sent again" in log for log in logs)
        assert fake.of("conversations.history")
        for log in ("survivor.log", "restarted.log"):
            assert "Traceback" not in (tmp_path / log).read_text()
    finally:
        await stop_all(doomed, survivor, restarted)
        await fake.close()

"""Recovery after a kill on Discord: how long until every channel has its daily post, once.

The real discord.py client (``create_client``, as ``mlq run --platform discord`` builds it)
against simcord's in-process Discord, on a fresh migrated database. simcord runs in this
process, so the two copies of mlq are two clients and two cores here, not two processes:

- the doomed copy is a core of its own (instance id, engine) behind its own client. At its
  ``--kill-at``-th daily post it dies the way tests/crash.py makes a core die: the message
  reaches Discord, and from that instant every database session and platform call of
  that core fails, so nothing it had not written yet is ever written (as after a
  SIGKILL; no clean-up code reaches the database). Sends in flight at the kill may still
  reach Discord, unmarked, as in a real kill;
- the survivor is a *fresh* core (another instance id, a new engine) behind a *fresh*
  client that simcord attaches in place of the dead one (``restart_bot``): an empty
  message cache, so the nonce is nowhere to be seen and the look-up must read the claim
  key from the first button's custom id over REST, as a process started after the kill.

simcord's clock is virtual and both cores read it, so the claim instants and the
messages' snowflake times agree, as they do in production. simcord answers REST calls
without ever yielding to the event loop, so each call first waits ``--latency`` seconds
of wall time (a round trip to Discord); at 0 a whole fan-out runs before the core's
mark writer gets a turn, and nothing is marked at the kill. Reported, per round:

- lease wait: from the kill until the dead core's last claim expires (``--lease``, which
  no survivor may shorten). It is virtual time here: simcord's clock is moved past it,
  so it costs no wall time in this run, but it is what a deployment waits;
- survivor up: wall time for simcord to detach the dead client and attach the fresh one
  until it is ready and idle: login, command-sync check, READY, and the catch-up that
  reads back each open question thread (those of the posts marked before the kill), one
  after another; ``mlq run`` starts its scheduler only once that catch-up is done;
- recovery: wall time from the survivor's tick after the lease until every post is
  marked: the tick (called at once; in a deployment it comes up to ``MLQ_TICK_SECONDS``
  later), one history look-up per unfinished channel and a send for those never sent.
  simcord's settling (waiting until the bot is idle, ~0.1 s) is included;
- how many posts were unfinished (claimed, not marked) at the kill, how many of those the
  survivor found on Discord, how many it sent, and how many channel histories it read.
  Any channel with other than one post, or a mark that is not the message on Discord,
  fails the run.

    .venv/bin/python bench/discord_recovery.py [--channels 200] [--kill-at 80] [--lease 120]
                                               [--latency 0.05] [--rounds 3]
                                               [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import simcord  # noqa: E402
import simcord.http.client  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from adapters.discord.adapter import DiscordAdapter  # noqa: E402
from adapters.discord.client import ClientOptions, create_client  # noqa: E402
from bot.context import CoreContext  # noqa: E402
from bot.core import MlqCore  # noqa: E402
from bot.messages import MessageKind  # noqa: E402
from storage import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Channel, Post, Workspace  # noqa: E402
from tests.crash import dying_core, nth  # noqa: E402
from tests.harness import shared_bank  # noqa: E402

# A Monday; the daily post is due at 09:00 in every channel.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = START.replace(hour=9, minute=1)
HISTORY = re.compile(r"^/channels/\d+/messages$")


@dataclass
class SimcordClock:
    """The core's clock is simcord's: claim instants and snowflake times agree."""

    env: simcord.Env | None = None

    def now(self) -> datetime:
        # Before simcord is up, only the client's setup hook reads it (the command sync).
        return self.env.now() if self.env is not None else START

    def move_to(self, instant: datetime) -> None:
        assert self.env is not None
        ahead = (instant - self.env.now()).total_seconds()
        if ahead > 0:
            self.env.backend.advance_clock(ahead)


def questions(channel: simcord.ChannelHandle) -> list[discord.Message]:
    return [
        m
        for m in channel.history()
        if m.embeds and (m.embeds[0].title or "").startswith("Question of the day")
    ]


# Round trips wait on threads, not on asyncio timers: simcord runs timers on its virtual
# clock, and many concurrent timed waits never let it settle. As many threads as the
# fan-out has sends in flight, so the wait does not throttle it.
WAITS = ThreadPoolExecutor(max_workers=64)


def add_latency(seconds: float) -> None:
    """Each REST call to simcord waits ``seconds`` of wall time first, as a round trip
    to Discord does. Without it simcord answers without ever yielding to the event loop,
    so a whole fan-out runs before the core's mark writer gets a turn."""
    if seconds <= 0:
        return
    fake = simcord.http.client.FakeHTTPClient
    request = fake.request

    async def slower(self: object, *args: object, **kwargs: object) -> object:
        await asyncio.get_running_loop().run_in_executor(WAITS, time.sleep, seconds)
        return await request(self, *args, **kwargs)  # type: ignore[arg-type]

    fake.request = slower  # type: ignore[method-assign]


def history_reads(env: simcord.Env) -> int:
    return sum(1 for r in env.http_requests if r.method == "GET" and HISTORY.match(r.path))


async def seed(db: Database, guild_id: int, channel_ids: list[int], now: datetime) -> None:
    """Subscribed channels whose daily post is due at 09:00 UTC, any day of the week."""
    async with db.session() as session:
        workspace_id = await session.scalar(
            insert(Workspace)
            .values(platform="discord", external_id=str(guild_id), created_at=now)
            .returning(Workspace.id)
        )
        await session.execute(
            insert(Channel),
            [
                {
                    "workspace_id": workspace_id,
                    "external_id": str(channel_id),
                    "post_time": "09:00",
                    "timezone": "UTC",
                    "weekdays": "0123456",
                    "subscribed": True,
                    "subscribed_at": now,
                    "created_at": now,
                }
                for channel_id in channel_ids
            ],
        )


async def states(db: Database) -> Counter[str]:
    async with db.reading() as session:
        rows = await session.execute(select(Post.state, func.count()).group_by(Post.state))
        return Counter(dict(rows.all()))


async def last_lease(db: Database) -> datetime | None:
    async with db.reading() as session:
        return await session.scalar(select(func.max(Post.lease_until)))


async def marked_refs(db: Database) -> set[str]:
    async with db.reading() as session:
        return set(await session.scalars(select(Post.message_ref)))


def core_for(url: str, adapter: DiscordAdapter, clock: SimcordClock, lease: float) -> MlqCore:
    ctx = CoreContext(
        db=Database(url),
        bank=shared_bank(),
        adapter=adapter,
        clock=clock,
        instance_id="survivor",
        lease=timedelta(seconds=lease),
    )
    return MlqCore(ctx)


async def one_round(args: argparse.Namespace, url: str) -> dict[str, float]:
    await upgrade(url)
    clock = SimcordClock()
    doomed_adapter = DiscordAdapter()
    doomed, dying = dying_core(
        url, doomed_adapter, clock, nth(MessageKind.QUESTION, args.kill_at), instance_id="doomed"
    )  # type: ignore[arg-type]  # any Clock will do
    doomed.ctx.lease = timedelta(seconds=args.lease)
    survivor: MlqCore | None = None
    observer = Database(url)
    try:
        async with simcord.run(
            create_client(doomed, doomed_adapter, ClientOptions()), settle_timeout=120.0
        ) as env:
            clock.env = env
            clock.move_to(START)
            guild = env.create_guild("Study group")
            channels = [guild.create_text_channel(f"ml-{n}") for n in range(args.channels)]
            await seed(observer, guild.id, [c.id for c in channels], clock.now())

            clock.move_to(DUE)
            await doomed.tick()  # claims every channel, dies at its kill_at-th post
            await env.settle()
            if not dying.dead:
                raise SystemExit("FAILED: the doomed core never reached its kill")
            killed_at = clock.now()
            sent_before = sum(len(questions(c)) for c in channels)
            unfinished = (await states(observer))["claimed"]
            expiry = await last_lease(observer) or killed_at

            # The survivor: a new core and a new client, nothing cached.
            survivor_adapter = DiscordAdapter()
            survivor = core_for(url, survivor_adapter, clock, args.lease)
            fresh = create_client(survivor, survivor_adapter, ClientOptions())
            started = time.perf_counter()
            await env.restart_bot(fresh)
            # Until its on_ready catch-up has read back every open thread: `mlq run` starts
            # the scheduler, and so the first tick, only after that (adapters/discord/bot.py).
            await env.settle()
            up = time.perf_counter() - started
            if env.bot.cached_messages:
                raise SystemExit("FAILED: the fresh client has cached messages")

            clock.move_to(expiry + timedelta(seconds=1))  # the lease has run out
            reads_before = history_reads(env)
            started = time.perf_counter()
            ticks = 0
            while (await states(observer))["posted"] < args.channels:
                ticks += 1
                if ticks > args.max_ticks:
                    raise SystemExit(f"FAILED: not all posted after {args.max_ticks} ticks")
                await survivor.tick()
                await env.settle()
            recovery = time.perf_counter() - started
            reads = history_reads(env) - reads_before

            per_channel = [len(questions(c)) for c in channels]
            doubled = [c.name for c, n in zip(channels, per_channel, strict=True) if n != 1]
            if doubled:
                raise SystemExit(f"FAILED: channels with other than one post: {doubled[:5]}")
            shown = {str(m.id) for c in channels for m in questions(c)}
            if await marked_refs(observer) != shown:
                raise SystemExit("FAILED: the marked posts are not the messages on Discord")
            return {
                "lease_wait": max(0.0, (expiry - killed_at).total_seconds()),
                "startup": up,
                "recovery": recovery,
                "ticks": ticks,
                "unfinished": unfinished,
                "found": unfinished - (args.channels - sent_before),
                "sent": args.channels - sent_before,
                "reads": reads,
            }
    finally:
        for db in (doomed.ctx.db, observer, survivor.ctx.db if survivor else None):
            if db is not None:
                await db.dispose()


async def reset_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    results = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="mlq-discord-recovery-") as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{tmp}/mlq.db"
            if args.database_url:
                await reset_postgres(url)
            results.append(await one_round(args, url))
        r = results[-1]
        print(
            f"| {n + 1} | {r['lease_wait']:.0f} s (virtual) | {r['startup']:.2f} s"
            f" | {r['recovery']:.2f} s ({r['ticks']:.0f} tick) | {r['unfinished']:.0f}"
            f" | {r['found']:.0f} | {r['sent']:.0f} | {r['reads']:.0f} |",
            flush=True,
        )
    print(
        f"recovery median {statistics.median(r['recovery'] for r in results):.2f} s after the"
        f" lease ({args.lease:g} s) ran out; every channel had exactly one post"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--kill-at", type=int, default=80)
    parser.add_argument("--lease", type=float, default=120.0, help="MLQ_LEASE_SECONDS")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-ticks", type=int, default=5, help="fail after this many")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds each REST call waits first"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (reset each round)")
    parser.add_argument("--log-level", default="CRITICAL", help="the dead core logs a lot")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level)
    add_latency(args.latency)
    database = args.database_url.split(":")[0] if args.database_url else "sqlite"
    print(
        f"kill at the {args.kill_at}th of {args.channels} daily posts, lease {args.lease:g} s,"
        f" {database}"
    )
    print(
        "| round | lease wait after the kill | survivor up | recovery after the lease"
        " | unfinished at kill | found on Discord | sent by survivor | history reads |"
    )
    print("|---|---|---|---|---|---|---|---|")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

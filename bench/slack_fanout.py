"""Fan-out: the daily question to 2,000 channels through a rate-limited fake Slack.

The fake Web API (its own process) enforces one ``chat.postMessage`` per second per
channel (a post sooner gets 429 with ``Retry-After``) and answers the first attempt in a
fixed ``--inject`` share of channels with 429 and ``Retry-After: --retry-after``. Every
channel must end up with exactly one post. The lower bound the limits allow is the
longest wait Slack imposes on any channel: ``--retry-after`` seconds when any 429 is
injected (one post per channel never meets the per-channel limit otherwise).

Three ways of sending are timed, each from a clean fake and its own scheduled day:
- core tick: ``MlqCore.tick()`` as the scheduler runs it: one transaction claims every
  due post, the sends run concurrently through the adapter, deliveries are marked in bulk
  (the phases are timed too);
- adapter fan-out: the same 2,000 question messages through ``SlackAdapter.post`` all at
  once: what the adapter does when its caller does not serialise;
- one-by-one core: ``rounds.post_due`` (each channel its own claim and mark transactions)
  for every channel, ``--core-concurrency`` at a time: the path the tick used before.

    .venv/bin/python bench/slack_fanout.py [--channels 2000] [--inject 0.02] [--retry-after 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from slack_common import ADMIN, TEAM, TOKEN, fake_slack_main, fake_stats, start, stop

from adapters.slack.runtime import build_runtime
from bot import rounds
from bot.clock import ManualClock
from bot.config import Settings
from bot.events import Actor, ChannelAddress, CommandInvoked
from bot.messages import Message, MessageKind
from storage import unit_of_work

TARGET = 1.2

PHASES: dict[str, float] = {}


def time_phases() -> None:
    """Wrap the tick's claim and send phases so their share of the tick is printed."""
    for name in ("claim_all", "send_all"):
        inner = getattr(rounds, name)

        async def timed_phase(*args, _inner=inner, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return await _inner(*args, **kwargs)
            finally:
                PHASES[_name] = PHASES.get(_name, 0.0) + time.perf_counter() - started

        setattr(rounds, name, timed_phase)


async def check_posts(http, fake_url: str, channels: list[str], before: dict[str, int]) -> str:
    """Every channel got exactly one new post; returns a one-line summary."""
    stats = await fake_stats(http, fake_url)
    per_channel = stats["posts_per_channel"]
    new = {c: per_channel.get(f"{TEAM}:{c}", 0) - before.get(f"{TEAM}:{c}", 0) for c in channels}
    wrong = {c: n for c, n in new.items() if n != 1}
    assert not wrong, f"{len(wrong)} channels without exactly one post, e.g. {list(wrong)[:3]}"
    return f"{len(channels)} channels x 1 post"


async def run(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="mlq-slack-fanout-"))
    fake, info = start(
        fake_slack_main,
        {
            "per_channel_interval": 1.0,
            "inject_fraction": args.inject,
            "retry_after": args.retry_after,
        },
    )
    fake_url = info["api_url"].removesuffix("/api/")
    settings = Settings(
        _env_file=None,
        MLQ_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'mlq.db'}",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="unused",
        SLACK_API_URL=info["api_url"],
        MLQ_INSTANCE_ID="bench",
    )
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # a Monday
    runtime = await build_runtime(settings, mode="http", clock=clock)
    core = runtime.core
    if args.tick_concurrency:
        core.ctx.concurrency = args.tick_concurrency
    channels = [f"C{n:05d}" for n in range(args.channels)]
    admin = Actor(ADMIN, "Bench Admin", is_admin=True)
    for channel in channels:  # subscribe without posting the confirmations
        await core.dispatch(
            CommandInvoked(ChannelAddress("slack", TEAM, channel), admin, "subscribe")
        )
    results: list[tuple[str, float, str, dict]] = []
    async with aiohttp.ClientSession() as http:

        async def timed(name: str, action) -> None:
            before = (await fake_stats(http, fake_url))["posts_per_channel"]
            limited = (await fake_stats(http, fake_url))["rate_limited"]
            started = time.perf_counter()
            await action()
            seconds = time.perf_counter() - started
            summary = await check_posts(http, fake_url, channels, before)
            stats = await fake_stats(http, fake_url)
            stats["new_429"] = stats["rate_limited"] - limited
            results.append((name, seconds, summary, stats))

        # The fake injects a 429 on a channel's first attempt only, so each variant gets a
        # fresh fake (and so the same channels limited) by restarting it.
        async def reset_fake(inject: float = args.inject) -> None:
            nonlocal fake, fake_url
            stop(fake)
            fake_new, info_new = start(
                fake_slack_main,
                {
                    "per_channel_interval": 1.0,
                    "inject_fraction": inject,
                    "retry_after": args.retry_after,
                },
            )
            fake = fake_new
            fake_url = info_new["api_url"].removesuffix("/api/")
            runtime.client.base_url = info_new["api_url"]

        clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        await timed("core tick (batched)", core.tick)

        await reset_fake()
        question = Message(
            title="Question of the day",
            body="Explain bias and variance.",
            kind=MessageKind.QUESTION,
        )

        async def adapter_fanout() -> None:
            await asyncio.gather(
                *(
                    runtime.adapter.post(ChannelAddress("slack", TEAM, c), question)
                    for c in channels
                )
            )

        await timed("adapter fan-out (concurrent)", adapter_fanout)

        # Context, not a target: the same fan-out with no 429 injected shows what sending
        # 2,000 messages costs on this machine (the floor under any limit).
        await reset_fake(inject=0.0)
        await timed("adapter fan-out, no 429 injected", adapter_fanout)

        await reset_fake()
        clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # Tuesday: a new post is due

        async def concurrent_core() -> None:
            now = clock.now()
            async with unit_of_work(runtime.app.db) as repo:
                rows = await repo.active_channels("slack")
            gate = asyncio.Semaphore(args.core_concurrency)

            async def one(row) -> None:
                async with gate:
                    await rounds.post_due(core.ctx, row, now)

            await asyncio.gather(*(one(row) for row in rows))

        await timed(f"core post_due one by one x{args.core_concurrency}", concurrent_core)
    stop(fake)
    await runtime.close()

    injected = results[0][3]["new_429"]
    tick_phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in PHASES.items())
    lower = args.retry_after if args.inject > 0 else 0.0
    print(f"fan-out of one question to {args.channels} channels")
    print(
        f"  fake Slack: 1 post/s/channel enforced; first attempt in {args.inject:.0%} of "
        f"channels gets 429 Retry-After {args.retry_after:g}s ({injected} in the first run)"
    )
    print(f"  lower bound the limits allow: {lower:.2f} s")
    print(
        f"  tick phases ({args.tick_concurrency or 'default'} sends in flight): {tick_phases} "
        "(send_all includes the bulk mark)"
    )
    for name, seconds, summary, stats in results:
        ratio = seconds / lower if lower else float("nan")
        verdict = "meets" if ratio <= TARGET else "MISSES"
        if "no 429" in name:
            verdict = "(context)"
        print(
            f"  {name:34s} {seconds:7.2f} s  {ratio:6.2f}x  ({summary}; 429s seen "
            f"{stats['new_429']}, too soon {stats['too_soon']})  target <= {TARGET}x: {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--inject", type=float, default=0.02, help="share of channels given 429")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--core-concurrency", type=int, default=64)
    parser.add_argument(
        "--tick-concurrency", type=int, default=0, help="sends in flight in the tick (0: core's)"
    )
    time_phases()
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

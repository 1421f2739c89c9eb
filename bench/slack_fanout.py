"""Fan-out: the daily question to 2,000 channels through a rate-limited fake Slack.

The fake Web API (its own process) enforces one ``chat.postMessage`` per second per
channel (a post sooner gets 429 with ``Retry-After``) and answers the first attempt in a
fixed ``--inject`` share of channels with 429 and ``Retry-After: --retry-after``. Every
channel must end up with exactly one post; the script checks that after every send.

The lower bound the limits allow is measured in the same run: a bare sender that knows
nothing of mlq posts 2,000 daily questions (rendered before the timing, the bank's
questions in turn, so as long as the tick's) all at once through slack-sdk's
``AsyncWebClient`` with the same HTTP pool, retry handlers and logger, and so waits out
every ``Retry-After`` exactly as Slack asks. Nothing that honours these
limits with this SDK on this machine can finish sooner. The theoretical bound of
``--retry-after`` seconds (every first attempt at once, at no cost) is printed as well.

Each round times, each from a fresh fake so that the same channels are limited:
- bare sender: the measured bound;
- core tick: ``MlqCore.tick()`` at the post time as the scheduler runs it, on a fresh copy
  of a database with the channels subscribed and nothing posted yet. The scheduler's
  previous tick (untimed, 20 s before) has chosen the questions; the due tick claims,
  renders, sends, marks, and runs the reveal and digest passes;
- cold tick: the same due tick with no tick before it (as right after a restart), so it
  also chooses;
- adapter: the same question through ``SlackAdapter.post`` for every channel at once
  (per-call rendering and channel pacing, no core).

    .venv/bin/python bench/slack_fanout.py [--channels 2000] [--inject 0.02] [--retry-after 1]
                                           [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from slack_common import (
    ADMIN,
    MONDAY_8AM,
    TEAM,
    TOKEN,
    bench_settings,
    fake_slack_main,
    fake_stats,
    start,
    stop,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.blocks import render
from adapters.slack.retry import retry_handlers
from adapters.slack.runtime import SlackRuntime, build_runtime
from adapters.slack.sdk_log import client_logger
from bot import render as core_render
from bot.clock import ManualClock
from bot.events import Actor, ChannelAddress, CommandInvoked
from bot.heap import settle_heap

TARGET = 1.2
POST_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TICK_BEFORE = 20  # seconds: where the scheduler's previous 30 s tick falls


class Fake:
    """The fake Slack process; restarted before each send so the same channels get 429."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.options = {
            "per_channel_interval": 1.0,
            "inject_fraction": args.inject,
            "retry_after": args.retry_after,
        }
        self.process: Any = None
        self.api_url = ""

    def restart(self) -> str:
        if self.process is not None:
            stop(self.process)
        self.process, info = start(fake_slack_main, self.options)
        self.api_url = info["api_url"]
        return self.api_url

    @property
    def url(self) -> str:
        return self.api_url.removesuffix("/api/")

    def close(self) -> None:
        if self.process is not None:
            stop(self.process)


async def subscribed_database(workdir: Path, channels: list[str], api_url: str) -> Path:
    """A database with every channel subscribed and nothing posted: copied for each tick."""
    db = workdir / "subscribed.db"
    runtime = await build_runtime(
        bench_settings(db, api_url), mode="http", clock=ManualClock(MONDAY_8AM)
    )
    admin = Actor(ADMIN, "Bench Admin", is_admin=True)
    for channel in channels:  # each confirmation goes to this first fake, not the timed ones
        await runtime.core.dispatch(
            CommandInvoked(ChannelAddress("slack", TEAM, channel), admin, "subscribe")
        )
    await runtime.close()
    return db


def bare_payloads(runtime: SlackRuntime, count: int) -> list[dict[str, Any]]:
    """The Block Kit of a daily question for each channel, rendered before the timing.

    The bank's questions in turn, so the messages are as long as those the tick sends
    (each channel gets its own question there)."""
    questions = list(runtime.app.bank)
    return [
        render(
            core_render.question_post(
                questions[n % len(questions)],
                post_id=n + 1,
                deadline=POST_TIME,
                zone=ZoneInfo("UTC"),
                late=False,
            )
        ).as_kwargs()
        for n in range(count)
    ]


async def bare_sender(api_url: str, channels: list[str], payloads: list[dict[str, Any]]) -> None:
    """Only what the limits require: every post at once, every Retry-After waited out."""
    connector = aiohttp.TCPConnector(limit=SlackAdapter.send_concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = AsyncWebClient(
            token=TOKEN,
            base_url=api_url,
            session=session,
            retry_handlers=retry_handlers(),
            logger=client_logger(),  # the client's configuration, as in runtime.py
        )
        await asyncio.gather(
            *(
                client.chat_postMessage(
                    channel=c, unfurl_links=False, unfurl_media=False, **payload
                )
                for c, payload in zip(channels, payloads, strict=True)
            )
        )


async def exactly_one_post(http: aiohttp.ClientSession, fake: Fake, channels: list[str]) -> int:
    """Every channel got exactly one post; returns the 429s the fake answered."""
    stats = await fake_stats(http, fake.url)
    per_channel = stats["posts_per_channel"]
    wrong = {c: n for c in channels if (n := per_channel.get(f"{TEAM}:{c}", 0)) != 1}
    assert not wrong, f"{len(wrong)} channels without exactly one post, e.g. {list(wrong)[:3]}"
    assert stats["too_soon"] == 0, f"{stats['too_soon']} posts broke the per-channel limit"
    return int(stats["rate_limited"])


async def timed(
    http: aiohttp.ClientSession, fake: Fake, channels: list[str], send: Callable[[], Awaitable]
) -> tuple[float, int]:
    started = time.perf_counter()
    await send()
    seconds = time.perf_counter() - started
    return seconds, await exactly_one_post(http, fake, channels)


async def tick_runtime(db: Path, api_url: str) -> tuple[SlackRuntime, ManualClock]:
    """The runtime as ``mlq run --platform slack`` starts it, heap settled included."""
    clock = ManualClock(MONDAY_8AM)
    runtime = await build_runtime(bench_settings(db, api_url), mode="http", clock=clock)
    settle_heap()
    return runtime, clock


async def one_round(
    http: aiohttp.ClientSession,
    fake: Fake,
    channels: list[str],
    template: Path,
    workdir: Path,
    number: int,
) -> dict[str, tuple[float, int]]:
    results: dict[str, tuple[float, int]] = {}
    api_url = fake.restart()

    db = workdir / f"round{number}.db"
    shutil.copyfile(template, db)
    runtime, clock = await tick_runtime(db, api_url)
    payloads = bare_payloads(runtime, len(channels))
    results["bare"] = await timed(
        http, fake, channels, lambda: bare_sender(api_url, channels, payloads)
    )

    # As the scheduler runs it: the tick before the post time chooses, the due tick posts.
    runtime.client.base_url = fake.restart()
    clock.set(POST_TIME - timedelta(seconds=TICK_BEFORE))
    await runtime.core.tick()
    clock.set(POST_TIME)
    results["tick"] = await timed(http, fake, channels, runtime.core.tick)
    await runtime.close()

    # The due tick with nothing chosen ahead, as right after a restart.
    shutil.copyfile(template, db)
    runtime, clock = await tick_runtime(db, fake.restart())
    clock.set(POST_TIME)
    results["cold"] = await timed(http, fake, channels, runtime.core.tick)

    runtime.client.base_url = fake.restart()
    question = core_render.question_post(
        next(iter(runtime.app.bank)),
        post_id=1,
        deadline=POST_TIME,
        zone=ZoneInfo("UTC"),
        late=False,
    )

    async def adapter_fanout() -> None:
        await asyncio.gather(
            *(runtime.adapter.post(ChannelAddress("slack", TEAM, c), question) for c in channels)
        )

    results["adapter"] = await timed(http, fake, channels, adapter_fanout)
    await runtime.close()
    db.unlink()
    return results


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="mlq-slack-fanout-"))
    channels = [f"C{n:05d}" for n in range(args.channels)]
    fake = Fake(args)
    rounds: list[dict[str, tuple[float, int]]] = []
    try:
        template = await subscribed_database(workdir, channels, fake.restart())
        async with aiohttp.ClientSession() as http:
            for number in range(1, args.rounds + 1):
                rounds.append(await one_round(http, fake, channels, template, workdir, number))
    finally:
        fake.close()
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, rounds)


def report(args: argparse.Namespace, rounds: list[dict[str, tuple[float, int]]]) -> None:
    theoretical = args.retry_after if args.inject > 0 else 0.0
    print(f"fan-out of one question to {args.channels} channels, {len(rounds)} rounds")
    print(
        f"  fake Slack: 1 post/s/channel enforced; first attempt in {args.inject:.0%} of "
        f"channels gets 429 Retry-After {args.retry_after:g}s "
        f"({rounds[0]['bare'][1]} 429s in round 1)"
    )
    print("  every channel got exactly one post in every send; no post broke the limit")
    print(f"  theoretical bound (all first attempts at once, at no cost): {theoretical:.2f} s")
    print()
    print("  round   bare (bound)   core tick   ratio  cold tick   ratio   adapter   ratio")
    ratios: dict[str, list[float]] = {"tick": [], "cold": [], "adapter": []}
    for number, result in enumerate(rounds, start=1):
        bound = result["bare"][0]
        cells = [f"  {number:5d}   {bound:10.2f} s"]
        for name in ratios:
            seconds = result[name][0]
            ratios[name].append(seconds / bound)
            cells.append(f"{seconds:9.2f} s {seconds / bound:6.2f}x")
        print("  ".join(cells))
    print()
    bound = statistics.median(r["bare"][0] for r in rounds)
    for name, label in (
        ("tick", "core tick"),
        ("cold", "cold tick"),
        ("adapter", "adapter alone"),
    ):
        median = statistics.median(ratios[name])
        verdict = "meets" if median <= TARGET else "MISSES"
        seconds = statistics.median(r[name][0] for r in rounds)
        against = seconds / theoretical if theoretical else float("nan")
        print(
            f"  {label:13s} median {seconds:5.2f} s = {median:.2f}x the measured bound "
            f"({bound:.2f} s)  target <= {TARGET}x: {verdict};  {against:.2f}x the "
            f"theoretical {theoretical:g} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--inject", type=float, default=0.02, help="share of channels given 429")
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

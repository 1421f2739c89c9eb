"""Plumbing shared by the Slack benchmarks (not a benchmark itself).

Each measured server runs in its own process, and so does the fake Slack Web API, so that
the load generator (this process), the app and the fake do not share one event loop:
- ``fake_slack_main``: tests/slack/fake_slack.py, counting calls instead of keeping them;
- ``mlq_app_main``: mlq's Slack runtime, built as ``mlq run --platform slack --mode http``
  builds it (signing check, bolt, the core on SQLite), with a manual clock so that a daily
  question can be posted on demand before the load starts;
- ``bare_app_main``: a bolt AsyncApp whose listeners only ack, served by the same aiohttp
  server code with the same bolt settings. That is the baseline.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

TOKEN = "xoxb-bench"
SECRET = "bench-signing-secret"
TEAM = "T1"
ADMIN = "U-admin"
MONDAY_8AM = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # before the first 09:00 post


# --- processes ---------------------------------------------------------------------------


def start(target, options: dict[str, Any]) -> tuple[mp.Process, dict[str, Any]]:
    """Start ``target`` in a fresh process; returns it and what it reported when ready."""
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, options), daemon=True)
    process.start()
    if not parent.poll(180):
        process.kill()
        raise RuntimeError(f"{target.__name__} did not start")
    ready = parent.recv()
    if "error" in ready:
        raise RuntimeError(ready["error"])
    return process, ready


def stop(*processes: mp.Process) -> None:
    for process in processes:
        process.terminate()
        process.join(10)


def _injector(fraction: float, retry_after: float):
    """429 on the first attempt in a fixed, pseudo-random share of channels."""
    threshold = int(fraction * 10_000)

    def inject(channel: str, attempt: int) -> float | None:
        if attempt == 1 and zlib.crc32(channel.encode()) % 10_000 < threshold:
            return retry_after
        return None

    return inject


def fake_slack_main(conn, options: dict[str, Any]) -> None:
    from tests.slack.fake_slack import FakeSlack

    async def main() -> None:
        inject = None
        if options.get("inject_fraction"):
            inject = _injector(options["inject_fraction"], options.get("retry_after", 1.0))
        fake = FakeSlack(
            per_channel_interval=options.get("per_channel_interval"),
            inject_429=inject,
            auto_users=True,
            record=False,
        )
        await fake.start()
        fake.add_team(TOKEN, TEAM, "UBOT")
        fake.add_user(TEAM, ADMIN, "Bench Admin", admin=True)
        conn.send({"port": fake.port, "api_url": fake.api_url})
        await asyncio.Event().wait()

    asyncio.run(main())


def bench_settings(db: str | Path, api_url: str):
    """mlq's settings for a benchmark: SQLite at ``db``, one workspace, the fake's Web API."""
    from bot.config import Settings

    return Settings(
        _env_file=None,
        MLQ_DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        MLQ_INSTANCE_ID="bench",
    )


def mlq_app_main(conn, options: dict[str, Any]) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(_mlq_app(conn, options))
    except Exception as exc:  # report instead of hanging the parent
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        raise


async def _mlq_app(conn, options: dict[str, Any]) -> None:
    from adapters.slack.http_mode import start_http
    from adapters.slack.runtime import build_runtime
    from bot.clock import ManualClock
    from bot.events import Actor, ChannelAddress, CommandInvoked
    from storage import unit_of_work

    settings = bench_settings(options["db"], options["api_url"])
    clock = ManualClock(MONDAY_8AM)
    runtime = await build_runtime(
        settings, mode="http", clock=clock, work_limit=options.get("work_limit")
    )
    threads: dict[str, str] = {}
    channels = options.get("channels", [])
    admin = Actor(ADMIN, "Bench Admin", is_admin=True)
    for channel in channels:
        where = ChannelAddress("slack", TEAM, channel)
        await runtime.core.dispatch(CommandInvoked(where, admin, "subscribe"))
    if channels:
        clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        await runtime.core.tick()
        async with unit_of_work(runtime.app.db) as repo:
            for channel in channels:
                row = await repo.channel_by_address("slack", TEAM, channel)
                post = await repo.open_daily_post(row.id)
                threads[channel] = post.thread_ref
    _, port = await start_http(runtime.web_app(), host="127.0.0.1", port=0)
    conn.send({"port": port, "threads": threads, "pid": os.getpid()})
    await asyncio.Event().wait()


def bare_app_main(conn, options: dict[str, Any]) -> None:
    asyncio.run(_bare_app(conn, options))


async def _bare_app(conn, options: dict[str, Any]) -> None:
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.http_mode import build_web_app, start_http

    session = aiohttp.ClientSession()
    client = AsyncWebClient(token=TOKEN, base_url=options["api_url"], session=session)
    app = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)

    @app.command("/mlq")
    async def command(ack) -> None:
        await ack()

    @app.event("message")
    async def message() -> None:
        return None

    _, port = await start_http(build_web_app(app, signing_secret=SECRET), host="127.0.0.1", port=0)
    conn.send({"port": port, "pid": os.getpid()})
    await asyncio.Event().wait()


# --- requests ----------------------------------------------------------------------------

_verifier = SignatureVerifier(SECRET)


def signed(body: str, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": _verifier.generate_signature(timestamp=stamp, body=body),
    }


async def post_signed(
    http: aiohttp.ClientSession, url: str, body: str, content_type: str
) -> tuple[int, float]:
    """POST a signed body; returns (status, seconds until the response was read)."""
    headers = signed(body, content_type)
    started = time.perf_counter()
    async with http.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        return response.status, time.perf_counter() - started


async def pending_work(http: aiohttp.ClientSession, base_url: str) -> int:
    async with http.get(f"{base_url}/healthz") as response:
        return int((await response.json()).get("pending_work", 0))


async def wait_idle(http: aiohttp.ClientSession, base_url: str, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while await pending_work(http, base_url):
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not finish its work")
        await asyncio.sleep(0.02)


async def fake_stats(http: aiohttp.ClientSession, fake_url: str) -> dict[str, Any]:
    async with http.get(f"{fake_url}/stats") as response:
        return json.loads(await response.text())


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe(samples: list[float]) -> str:
    return (
        f"p50 {percentile(samples, 50) * 1000:.1f} ms, p99 {percentile(samples, 99) * 1000:.1f} ms"
        f", mean {statistics.fmean(samples) * 1000:.1f} ms (n={len(samples)})"
    )

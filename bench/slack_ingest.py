"""Thread-reply ingestion through the HTTP endpoint into SQLite, against a bare ack-only app.

mlq's app (its own process, SQLite file) has a daily question posted in each of
``--channels`` channels. The client sends ``--events`` signed ``event_callback`` thread
replies (one per member per channel, so every one is a new answer) with ``--inflight``
requests outstanding. Reported for mlq:
- acknowledged: events per second until the last 200 came back. mlq acknowledges a reply
  only once it is in the inbox table of the SQLite file (``bot/inbox.py``), so this is the
  rate at which replies are durably ingested; the script counts the inbox rows right after
  the last acknowledgement to check it;
- graded and answered: events per second until the last answer was committed, graded, reacted to
  and its feedback sent (the app's work queue is empty and the fake Slack has seen
  one reactions.add per event); the stored count is then checked in the SQLite file.
The bare bolt app (same server code and bolt settings, listeners that only ack) receives
the same number of events the same way: its ack rate is the baseline.

    .venv/bin/python bench/slack_ingest.py [--events 3000] [--channels 60] [--inflight 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import aiohttp
from slack_common import (
    TEAM,
    bare_app_main,
    fake_slack_main,
    fake_stats,
    mlq_app_main,
    post_signed,
    start,
    stop,
    wait_idle,
)

from tests.slack import payloads

TARGET_RATE = 1000.0
TARGET_RATIO = 0.5
ANSWER = (
    "Bias is the error from wrong assumptions and variance the error from sensitivity to the "
    "training sample; regularisation and more data trade one against the other. Member {n}."
)


TAG_SECONDS = {"w": 1_800_000_000, "b": 1_800_100_000, "m": 1_800_200_000}


def events(threads: dict[str, str], count: int, tag: str) -> list[str]:
    """``count`` new replies; every message ts and event id is unique across tags."""
    channels = sorted(threads)
    bodies = []
    for n in range(count):
        channel = channels[n % len(channels)]
        reply = payloads.thread_reply(
            ANSWER.format(n=n),
            thread_ts=threads[channel],
            channel=channel,
            user=f"U{tag}{n:06d}",
            ts=f"{TAG_SECONDS[tag] + n // 1_000_000}.{n % 1_000_000:06d}",
        )
        body = payloads.event_callback(reply, team=TEAM, event_id=f"Ev{tag}{n:07d}")
        bodies.append(json.dumps(body))
    return bodies


async def blast(http: aiohttp.ClientSession, url: str, bodies: list[str], inflight: int) -> float:
    """Send every body with ``inflight`` outstanding; returns when the last ack came back."""
    queue = list(reversed(bodies))
    statuses: list[int] = []

    async def sender() -> None:
        while queue:
            status, _ = await post_signed(http, url, queue.pop(), "application/json")
            statuses.append(status)

    await asyncio.gather(*(sender() for _ in range(inflight)))
    bad = [s for s in statuses if s != 200]
    assert not bad, f"{len(bad)} requests failed, e.g. HTTP {bad[0]}"
    return time.perf_counter()


async def measure(args, fake_url: str, mlq_url: str, bare_url: str, threads: dict[str, str]):
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        # Warm both apps up (connections, caches, code paths) with a few events each.
        await blast(http, f"{bare_url}/slack/events", events(threads, 100, "w"), 8)
        await blast(http, f"{mlq_url}/slack/events", events(threads, 100, "w"), 8)
        await wait_idle(http, mlq_url)
        before = (await fake_stats(http, fake_url))["counts"].get("reactions.add", 0)

        bare_bodies = events(threads, args.events, "b")
        started = time.perf_counter()
        acked = await blast(http, f"{bare_url}/slack/events", bare_bodies, args.inflight)
        bare_rate = args.events / (acked - started)

        mlq_bodies = events(threads, args.events, "m")
        started = time.perf_counter()
        acked = await blast(http, f"{mlq_url}/slack/events", mlq_bodies, args.inflight)
        in_inbox = inbox_rows(args.db, "m")
        await wait_idle(http, mlq_url)
        deadline = time.monotonic() + 600
        while True:  # feedback calls are the last thing each answer does
            counts = (await fake_stats(http, fake_url))["counts"]
            if counts.get("reactions.add", 0) - before >= args.events:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {counts.get('reactions.add', 0) - before} reactions")
            await asyncio.sleep(0.01)
        stored = time.perf_counter()
    return {
        "bare_ack_rate": bare_rate,
        "mlq_ack_rate": args.events / (acked - started),
        "mlq_stored_rate": args.events / (stored - started),
        "mlq_seconds": stored - started,
        "in_inbox_at_last_ack": in_inbox,
    }


def inbox_rows(db: Path, tag: str) -> int:
    """Replies of this run in the inbox table (handled or not), read from the file itself."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM inbox_event WHERE payload LIKE ?", (f'%"user_id": "U{tag}%',)
        ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--channels", type=int, default=60)
    parser.add_argument("--inflight", type=int, default=64)
    parser.add_argument(
        "--work-limit", type=int, default=None, help="the app's job concurrency (default: its own)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mlq-slack-ingest-"))
    db = args.db = workdir / "mlq.db"
    fake, fake_info = start(fake_slack_main, {})
    api_url = fake_info["api_url"]
    channels = [f"C{n:04d}" for n in range(args.channels)]
    mlq, mlq_info = start(
        mlq_app_main,
        {"api_url": api_url, "db": str(db), "channels": channels, "work_limit": args.work_limit},
    )
    bare, bare_info = start(bare_app_main, {"api_url": api_url})
    try:
        result = asyncio.run(
            measure(
                args,
                api_url.removesuffix("/api/"),
                f"http://127.0.0.1:{mlq_info['port']}",
                f"http://127.0.0.1:{bare_info['port']}",
                mlq_info["threads"],
            )
        )
    finally:
        stop(mlq, bare, fake)
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM answer a JOIN member m ON m.id = a.member_id "
            "WHERE m.external_id LIKE 'Um%'"
        ).fetchone()[0]
    assert stored == args.events, f"{stored} answers stored for {args.events} events"
    ingest_ratio = result["mlq_ack_rate"] / result["bare_ack_rate"]
    done_ratio = result["mlq_stored_rate"] / result["bare_ack_rate"]
    print(f"thread-reply ingestion: {args.events} events over {args.channels} channels, ")
    print(f"{args.inflight} requests in flight; {stored} answers found in SQLite afterwards")
    print(f"  bare bolt app, acknowledged:   {result['bare_ack_rate']:6.0f} events/s")
    print(
        f"  mlq, acknowledged = in SQLite: {result['mlq_ack_rate']:6.0f} events/s "
        f"({result['in_inbox_at_last_ack']} of {args.events} in the inbox at the last ack)"
    )
    print(
        f"  mlq, graded and answered:      {result['mlq_stored_rate']:6.0f} events/s "
        f"({result['mlq_seconds']:.1f} s until the last feedback)"
    )
    print(f"  ingested / bare ack rate: {ingest_ratio:.2f}x; answered / bare: {done_ratio:.2f}x")
    for name, rate, ratio in (
        ("ingested", result["mlq_ack_rate"], ingest_ratio),
        ("answered", result["mlq_stored_rate"], done_ratio),
    ):
        verdict = "meets" if rate >= TARGET_RATE and ratio >= TARGET_RATIO else "MISSES"
        print(
            f"  target >= {TARGET_RATE:.0f} events/s and >= {TARGET_RATIO}x the bare rate, "
            f"{name}: {verdict}"
        )


if __name__ == "__main__":
    main()

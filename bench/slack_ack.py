"""How fast ``/mlq`` is acknowledged: 50 concurrent signed requests through the HTTP endpoint.

mlq's app and a bare bolt app that only acks run side by side (each in its own process,
the same aiohttp server code and bolt settings), talking to one fake Slack. Rounds of 50
concurrent slash commands alternate between the two; after each round the script waits
until mlq has finished the work behind the acks (so every round starts from the same
state). Latency is measured by the client: request sent to response read.

    .venv/bin/python bench/slack_ack.py [--rounds 40] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import aiohttp
from slack_common import (
    ADMIN,
    TEAM,
    bare_app_main,
    describe,
    fake_slack_main,
    mlq_app_main,
    percentile,
    post_signed,
    start,
    stop,
    wait_idle,
)

from tests.slack import payloads

TARGET = 1.3
COMMANDS = ["stats", "streak", "leaderboard", "help", "topics", "leaderboard all", "", "stats"]


def command_body(text: str, user: str, channel: str, response_url: str) -> str:
    fields = payloads.slash_command(
        text, team=TEAM, channel=channel, user=user, response_url=response_url
    )
    return payloads.form(fields)


async def run_round(
    http: aiohttp.ClientSession,
    base_url: str,
    fake_url: str,
    round_no: int,
    concurrency: int,
) -> list[float]:
    bodies = [
        command_body(
            COMMANDS[(round_no + i) % len(COMMANDS)],
            ADMIN if i == 0 else f"U{round_no:03d}{i:03d}",
            f"C{i % 5}",
            f"{fake_url}/response/r{round_no}-{i}",
        )
        for i in range(concurrency)
    ]
    url = f"{base_url}/slack/events"
    results = await asyncio.gather(
        *(post_signed(http, url, b, "application/x-www-form-urlencoded") for b in bodies)
    )
    assert all(status == 200 for status, _ in results), [s for s, _ in results]
    return [seconds for _, seconds in results]


async def measure(rounds: int, concurrency: int, fake_url: str, mlq_url: str, bare_url: str):
    samples: dict[str, list[float]] = {"mlq": [], "bare": []}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        for round_no in range(rounds + 2):
            for name, url in (("bare", bare_url), ("mlq", mlq_url)):
                latencies = await run_round(http, url, fake_url, round_no, concurrency)
                if name == "mlq":
                    await wait_idle(http, url)
                if round_no >= 2:  # the first two rounds warm up both apps
                    samples[name].extend(latencies)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mlq-slack-ack-"))
    fake, fake_info = start(fake_slack_main, {})
    api_url = fake_info["api_url"]
    fake_url = api_url.removesuffix("/api/")
    mlq, mlq_info = start(mlq_app_main, {"api_url": api_url, "db": str(workdir / "mlq.db")})
    bare, bare_info = start(bare_app_main, {"api_url": api_url})
    try:
        samples = asyncio.run(
            measure(
                args.rounds,
                args.concurrency,
                fake_url,
                f"http://127.0.0.1:{mlq_info['port']}",
                f"http://127.0.0.1:{bare_info['port']}",
            )
        )
    finally:
        stop(mlq, bare, fake)
    print(f"/mlq ack latency, {args.rounds} rounds x {args.concurrency} concurrent requests")
    print(f"  bare bolt app (ack only): {describe(samples['bare'])}")
    print(f"  mlq app:                  {describe(samples['mlq'])}")
    p99_ratio = percentile(samples["mlq"], 99) / percentile(samples["bare"], 99)
    p50_ratio = percentile(samples["mlq"], 50) / percentile(samples["bare"], 50)
    verdict = "meets" if p99_ratio <= TARGET else "MISSES"
    print(f"  ratio mlq/bare: p50 {p50_ratio:.2f}x, p99 {p99_ratio:.2f}x")
    print(f"  target p99 <= {TARGET}x: {verdict}")


if __name__ == "__main__":
    main()

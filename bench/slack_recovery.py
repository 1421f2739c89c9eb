"""Recovery after a kill: how long until every channel has its daily post, exactly once.

Two real ``mlq run --platform slack --mode http`` processes on one database, against the
fake Slack Web API (in this process, ts values on the wall clock). The first posts the
daily question to ``--channels`` channels and is killed with SIGKILL when its
``--kill-at``-th post reaches Slack (before Slack answers it). The second is started right
after. Reported, per round:
- lease wait: from the kill until the dead process's last claim expires (``--lease``),
  which no survivor may shorten;
- survivor up: from the kill until the second process answers its health check (in a
  deployment it runs already; here it starts after the kill so that it claims nothing);
- recovery: from the later of the two until every post is marked, i.e. the survivor's tick
  (``--tick``), one ``conversations.history`` look-up per unfinished channel and a send
  for those never sent (a ``--limited`` share of channels is answered 429 with a 2 s
  Retry-After on the first try, so the dead process never sent those);
- how many unfinished posts were found on Slack and how many had to be sent; any channel
  with a second post fails the run.

    .venv/bin/python bench/slack_recovery.py [--channels 1000] [--kill-at 400] [--lease 10]
                                             [--tick 1] [--rounds 2] [--limited 0.1]
                                             [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from adapters.slack.adapter import claim_key_of  # noqa: E402
from storage import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Channel, Post, Workspace  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

TOKEN = "xoxb-recovery"
SECRET = "recovery-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replica(
    name: str, url: str, fake: FakeSlack, args: argparse.Namespace, log: Path, port: int
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MLQ_"))}
    env.update(
        MLQ_DATABASE_URL=url,
        MLQ_INSTANCE_ID=name,
        MLQ_TICK_SECONDS=str(args.tick),
        MLQ_LEASE_SECONDS=str(args.lease),
        MLQ_LOG_LEVEL="WARNING",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
    )
    mlq = Path(sys.executable).with_name("mlq")
    return subprocess.Popen(
        [str(mlq), "run", "--platform", "slack", "--mode", "http", "--port", str(port)],
        env=env,
        cwd=log.parent,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def seed(db: Database, channels: int, now: datetime) -> None:
    """Subscribed channels whose daily post is due this minute, any day of the week."""
    async with db.session() as session:
        workspace_id = await session.scalar(
            insert(Workspace)
            .values(platform="slack", external_id="T1", created_at=now)
            .returning(Workspace.id)
        )
        await session.execute(
            insert(Channel),
            [
                {
                    "workspace_id": workspace_id,
                    "external_id": f"C{n:05d}",
                    "post_time": f"{now:%H:%M}",
                    "timezone": "UTC",
                    "weekdays": "0123456",
                    "subscribed": True,
                    "subscribed_at": now,
                    "created_at": now,
                }
                for n in range(channels)
            ],
        )


async def wait_ready(port: int) -> None:
    """Until the process answers its health check (it has started up)."""
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)


async def states(db: Database) -> Counter[str]:
    async with db.reading() as session:
        rows = await session.execute(select(Post.state, func.count()).group_by(Post.state))
        return Counter(dict(rows.all()))


async def last_lease(db: Database) -> datetime | None:
    async with db.reading() as session:
        return await session.scalar(select(func.max(Post.lease_until)))


async def one_round(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, float]:
    await upgrade(url)
    db = Database(url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed(db, args.channels, now)
    doomed: subprocess.Popen | None = None
    killed = asyncio.Event()
    killed_at = 0.0

    def posted() -> int:
        return sum(1 for msgs in fake.messages.values() for m in msgs if claim_key_of(m))

    def kill(message: dict[str, Any]) -> None:
        nonlocal killed_at
        if doomed is not None and not killed.is_set() and posted() == args.kill_at:
            doomed.send_signal(signal.SIGKILL)
            killed_at = time.time()
            killed.set()

    limited = set(range(int(args.channels * (1 - args.limited)), args.channels))

    def first_try_limited(channel: str, attempt: int) -> float | None:
        # Told to come back later: the doomed process dies first, the survivor sends these.
        return 2.0 if attempt == 1 and int(channel[1:]) in limited else None

    fake = FakeSlack(clock=time.time, on_post=kill, auto_users=True, inject_429=first_try_limited)
    await fake.start()
    fake.add_team(TOKEN, "T1", "UBOT")
    survivor = None
    try:
        doomed = start_replica("doomed", url, fake, args, workdir / "doomed.log", free_port())
        await asyncio.wait_for(killed.wait(), 300)
        await asyncio.to_thread(doomed.wait, 30)
        sent_before = posted()
        port = free_port()
        survivor = start_replica("survivor", url, fake, args, workdir / "survivor.log", port)
        unfinished = (await states(db))["claimed"]
        expiry = await last_lease(db)
        await wait_ready(port)
        ready_at = time.time()
        while True:  # polled: the survivor is another process
            if (await states(db))["posted"] >= args.channels:
                break
            await asyncio.sleep(0.05)
        done_at = time.time()
        per_channel = Counter(channel for (_, channel), msgs in fake.messages.items() for _ in msgs)
        doubled = [c for c, n in per_channel.items() if n != 1]
        if doubled or len(per_channel) != args.channels:
            raise SystemExit(f"FAILED: channels with other than one post: {doubled[:5]}")
        expiry_at = expiry.timestamp() if expiry else killed_at
        return {
            "lease_wait": max(0.0, expiry_at - killed_at),
            "startup": ready_at - killed_at,
            "recovery": done_at - max(expiry_at, ready_at),
            "total": done_at - killed_at,
            "unfinished": unfinished,
            "found": unfinished - (args.channels - sent_before),
            "sent": args.channels - sent_before,
        }
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.terminate()
                await asyncio.to_thread(process.wait, 30)
        await fake.close()
        await db.dispose()


async def run(args: argparse.Namespace) -> None:
    results = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="mlq-recovery-") as tmp:
            url = args.database_url or f"sqlite+aiosqlite:///{tmp}/mlq.db"
            if args.database_url:
                await reset_postgres(url)
            results.append(await one_round(args, url, Path(tmp)))
        r = results[-1]
        print(
            f"  round {n + 1}: lease wait {r['lease_wait']:.1f} s, survivor up after"
            f" {r['startup']:.1f} s, recovery {r['recovery']:.2f} s"
            f" (total {r['total']:.1f} s after the kill); unfinished at the kill"
            f" {r['unfinished']:.0f}: {r['found']:.0f} found on Slack, {r['sent']:.0f} sent"
        )
    print(
        f"recovery median {statistics.median(r['recovery'] for r in results):.2f} s after the"
        f" lease ({args.lease:g} s) ran out and the survivor was up; every channel had exactly"
        " one post"
    )


async def reset_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--kill-at", type=int, default=400)
    parser.add_argument("--lease", type=float, default=10.0)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--limited", type=float, default=0.1, help="share of channels told to retry in 2 s"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (reset each round)")
    args = parser.parse_args()
    print(
        f"kill after {args.kill_at} of {args.channels} daily posts, lease {args.lease:g} s,"
        f" tick {args.tick:g} s"
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

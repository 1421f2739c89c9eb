"""Digest and leaderboard speed on 1,000,000 answers, and the bot's memory after start.

    python bench/core_bench.py [--channels 100 --members 40 --posts 250] [--runs 30]

Seeds 100 channels x 40 members x 250 daily posts into a fresh SQLite file, then times,
in the same run, the bot's weekly digest and all-time leaderboard for one channel against
a naive computation that scans every answer. Prints medians and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.memory import MemoryAdapter
from bot.clock import ManualClock
from bot.context import CoreContext
from bot.digest import digest_facts
from question_bank.loader import load_bank
from storage import Database, unit_of_work
from storage.migrate import upgrade_sync

FIRST_DAY = date(2025, 1, 6)  # a Monday


def workdays(count: int) -> list[date]:
    days, day = [], FIRST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(path: Path, channels: int, members: int, posts: int, question_ids: list[str]) -> int:
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(42)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    created = ts(datetime(2025, 1, 1))
    con.execute(
        "INSERT INTO workspace (id, platform, external_id, created_at) VALUES (1, 'bench', 'W', ?)",
        (created,),
    )
    con.executemany(
        "INSERT INTO channel (id, workspace_id, external_id, subscribed, paused, timezone, "
        "post_time, weekdays, reveal_after_minutes, digest_weekday, digest_time, topic_filter,"
        " bank_filter, team_streak_threshold, team_streak, team_streak_best, created_at, "
        "subscribed_at) VALUES (?, 1, ?, 1, 0, 'UTC', '09:00', '01234', 480, 4, '16:00', '[]',"
        " '[]', 3, 0, 0, ?, ?)",
        [(c, f"C{c}", created, created) for c in range(1, channels + 1)],
    )
    con.executemany(
        "INSERT INTO member (id, workspace_id, external_id, display_name, created_at) "
        "VALUES (?, 1, ?, ?, ?)",
        [(m, f"U{m}", f"member {m}", created) for m in range(1, channels * members + 1)],
    )
    con.executemany(
        "INSERT INTO member_streak (channel_id, member_id, current, best, freezes, run, "
        "freezes_used) VALUES (?, ?, ?, ?, 0, 0, 0)",
        [
            (c, (c - 1) * members + k + 1, rng.randint(0, 20), 20)
            for c in range(1, channels + 1)
            for k in range(members)
        ],
    )
    days = workdays(posts)
    missed_pool = [
        "states the definition",
        "gives an example",
        "names the trade-off",
        "mentions validation",
        "explains the cost",
    ]
    post_id = answer_count = 0
    for c in range(1, channels + 1):
        post_rows, answer_rows = [], []
        for day in days:
            post_id += 1
            posted = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
            revealed = posted + timedelta(hours=8)
            post_rows.append(
                (
                    post_id,
                    f"daily:{c}:{day}",
                    c,
                    rng.choice(question_ids),
                    day.isoformat(),
                    ts(posted),
                    ts(posted),
                    ts(revealed),
                    ts(revealed),
                    f"m{post_id}",
                    f"m{post_id}",
                    f"r{post_id}",
                )
            )
            for k in range(members):
                score = rng.random()
                missed = rng.sample(missed_pool, rng.randint(0, 2))
                answer_rows.append(
                    (
                        post_id,
                        (c - 1) * members + k + 1,
                        c,
                        day.isoformat(),
                        "an answer",
                        ts(posted + timedelta(minutes=k)),
                        score,
                        json.dumps(missed),
                        1 + round(score * 4),
                    )
                )
        con.executemany(
            "INSERT INTO post (id, claim_key, channel_id, question_id, local_date, kind, "
            "state, claim_owner, late, created_at, posted_at, reveal_at, revealed_at, "
            "message_ref, thread_ref, reveal_message_ref) VALUES (?, ?, ?, ?, ?, 'daily', "
            "'revealed', 'bench', 0, ?, ?, ?, ?, ?, ?, ?)",
            post_rows,
        )
        con.executemany(
            "INSERT INTO answer (post_id, member_id, channel_id, kind, post_date, text, "
            "received_at, on_time, withdrawn, score, confidence, covered, missed, feedback, "
            "flags, points, best) VALUES (?, ?, ?, 'daily', ?, ?, ?, 1, 0, ?, 0.5, '[]', ?, "
            "'', '[]', ?, 0)",
            answer_rows,
        )
        answer_count += len(answer_rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return answer_count


def naive_digest_and_leaderboard(
    path: Path, channel_id: int, start: datetime, end: datetime
) -> tuple[list, list]:
    """What a bot without indexes or per-channel queries would do: read every answer."""
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT a.channel_id, a.member_id, a.points, a.score, a.missed, a.on_time, "
        "p.id, p.revealed_at FROM answer a JOIN post p ON p.id = a.post_id"
    ).fetchall()
    con.close()
    lo, hi = ts(start), ts(end)
    week_points: dict[int, int] = defaultdict(int)
    all_points: dict[int, int] = defaultdict(int)
    scores: dict[int, list[float]] = defaultdict(list)
    missed: Counter[str] = Counter()
    for ch, member, points, score, missed_json, on_time, post_id, revealed in rows:
        if ch != channel_id:
            continue
        all_points[member] += points
        if lo <= revealed < hi:
            week_points[member] += points
            if on_time:
                scores[post_id].append(score)
                missed.update(json.loads(missed_json))
    top = sorted(week_points.items(), key=lambda kv: -kv[1])[:5]
    board = sorted(all_points.items(), key=lambda kv: -kv[1])[:10]
    return top, board


async def time_bot(
    path: Path, channel_id: int, end: datetime, runs: int
) -> tuple[list[float], list[float], object, list]:
    bank = load_bank()
    db = Database(f"sqlite+aiosqlite:///{path}")
    ctx = CoreContext(
        db=db, bank=bank, adapter=MemoryAdapter(), clock=ManualClock(end), instance_id="bench"
    )
    digest_times, board_times = [], []
    facts = board = None
    try:
        async with unit_of_work(db) as repo:
            row = await repo.channel_row(channel_id)
        for _ in range(runs):
            t0 = time.perf_counter()
            async with unit_of_work(db) as repo:
                facts = await digest_facts(repo, ctx, row, end)
            digest_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            async with unit_of_work(db) as repo:
                board = await repo.standings(channel_id)
            board_times.append(time.perf_counter() - t0)
    finally:
        await db.dispose()
    return digest_times, board_times, facts, board


MEMORY_PROBE = """
import asyncio, os, sys, tempfile, psutil
sys.path.insert(0, {root!r})
from adapters.memory import MemoryAdapter
from bot.app import build_app
from bot.config import Settings
from bot.scheduler import start_scheduler

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(MLQ_DATABASE_URL=f"sqlite+aiosqlite:///{{tmp}}/m.db")
        app = await build_app(s, MemoryAdapter())
        sched = start_scheduler(app.core, 30)
        await asyncio.sleep(0.5)  # let the first tick run
        print(psutil.Process().memory_info().rss)
        sched.shutdown(wait=False)
        await app.close()

asyncio.run(main())
"""


def rss_of(code: str) -> int:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--posts", type=int, default=250)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--naive-runs", type=int, default=3)
    args = parser.parse_args()

    question_ids = [q.qualified_id for q in load_bank()]
    with tempfile.TemporaryDirectory(prefix="mlq-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        answers = seed(path, args.channels, args.members, args.posts, question_ids)
        print(f"seeded {answers:,} answers in {time.perf_counter() - t0:.1f} s")
        channel_id = args.channels // 2
        # A Friday 16:00 digest in the middle of the seeded year.
        end = datetime.combine(
            workdays(args.posts)[args.posts // 2], datetime.min.time(), tzinfo=UTC
        )
        end += timedelta(days=(4 - end.weekday()) % 7, hours=16)

        digest_t, board_t, facts, board = asyncio.run(time_bot(path, channel_id, end, args.runs))
        naive_t = []
        for _ in range(args.naive_runs):
            t0 = time.perf_counter()
            top, naive_board = naive_digest_and_leaderboard(
                path, channel_id, end - timedelta(days=7), end
            )
            naive_t.append(time.perf_counter() - t0)
        # Same answers from both paths, or the timing means nothing.
        assert [p for _, p, _ in facts.top] == [p for _, p in top], "digest top five differ"
        assert [s.points for s in board] == [p for _, p in naive_board], "leaderboards differ"

    med = statistics.median
    d, b, n = med(digest_t) * 1000, med(board_t) * 1000, med(naive_t) * 1000
    print(f"weekly digest, one channel:     median {d:7.2f} ms over {args.runs} runs")
    print(f"all-time leaderboard:           median {b:7.2f} ms over {args.runs} runs")
    print(f"naive full scan (both at once): median {n:7.2f} ms over {args.naive_runs} runs")
    print(f"digest speed-up vs scan:        {n / d:7.1f}x  (target >= 20x, digest <= 25 ms)")
    print(f"leaderboard speed-up vs scan:   {n / b:7.1f}x")

    root = str(Path(__file__).resolve().parent.parent)
    bot_rss = rss_of(MEMORY_PROBE.format(root=root))
    bare_rss = rss_of("import psutil; print(psutil.Process().memory_info().rss)")
    print(
        f"bot resident memory after start: {bot_rss / 2**20:6.1f} MB (target <= 150 MB); "
        f"bare python {bare_rss / 2**20:.1f} MB; ratio {bot_rss / bare_rss:.1f}x"
    )


if __name__ == "__main__":
    main()

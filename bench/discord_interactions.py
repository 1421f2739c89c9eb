"""Benchmark: /mlq stats against a bare discord.py command, under simcord, in one run.

Both commands live in the same client and are invoked alternately by the same member,
so simcord's own cost is the same for both. Two times are taken per invocation, from
the moment the member invokes the command:

- acknowledged: Discord has its interaction response (what the 3-second limit is about);
- answered: the member can read the answer (the bare command's reply, or mlq's
  follow-up after its database work).

simcord's settling after each action (waiting for the bot to go idle) is outside both
times: it is the test harness, not the bot.

    .venv/bin/python bench/discord_interactions.py [--runs 300] [--database-url URL]

Prints a markdown table; see bench/DISCORD.md for recorded figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import discord
import simcord
from discord import app_commands
from simcord.http import router

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import create_client
from bot.clock import ManualClock
from bot.context import CoreContext
from bot.core import MlqCore
from bot.events import Actor, ChannelAddress, CommandInvoked
from question_bank.loader import load_bank
from storage import Database
from storage.migrate import upgrade

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
REPLY_CALLBACK = 4  # an interaction response that carries the message itself


class Stopwatch:
    """Notes, via simcord's REST router, when the current interaction is acknowledged and
    when its answer arrives (the reply callback, or the first follow-up after a defer)."""

    def __init__(self) -> None:
        self.acknowledged: float | None = None
        self.answered: float | None = None
        self._dispatch = router.dispatch

    def install(self) -> None:
        original = self._dispatch

        def timed(backend: Any, method: str, path: str, **kwargs: Any) -> Any:
            result = original(backend, method, path, **kwargs)
            now = time.perf_counter()
            if path.endswith("/callback") and self.acknowledged is None:
                self.acknowledged = now
                if kwargs.get("json", {}).get("type") == REPLY_CALLBACK:
                    self.answered = now
            elif method == "POST" and path.startswith("/webhooks/") and self.answered is None:
                self.answered = now
            return result

        router.dispatch = timed  # type: ignore[assignment]

    def uninstall(self) -> None:
        router.dispatch = self._dispatch  # type: ignore[assignment]


async def measure(
    watch: Stopwatch, invoke: Callable[[], Awaitable[simcord.InteractionResult]]
) -> tuple[float, float]:
    watch.acknowledged = watch.answered = None
    start = time.perf_counter()
    result = await invoke()
    assert result.acknowledged and result.response is not None, "no answer"
    assert watch.acknowledged is not None and watch.answered is not None
    return watch.acknowledged - start, watch.answered - start


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


async def run(runs: int, database_url: str) -> str:
    logging.basicConfig(level=logging.ERROR)
    await upgrade(database_url)
    adapter = DiscordAdapter()
    clock = ManualClock(START)
    ctx = CoreContext(Database(database_url), load_bank(), adapter, clock, "bench")
    core = MlqCore(ctx)
    client = create_client(core, adapter)

    @app_commands.command(name="ping", description="Responds at once; the baseline")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    client.tree.add_command(ping)  # type: ignore[attr-defined]
    watch = Stopwatch()
    watch.install()
    try:
        async with simcord.run(client, settle_timeout=30.0) as env:
            guild = env.create_guild("Bench")
            channel = guild.create_text_channel("ml-study")
            leads = guild.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
            admin = guild.add_member(env.create_user("admin"), roles=[leads])
            members = [guild.add_member(env.create_user(f"m{i}")) for i in range(8)]
            # Some history, so that stats reads real rows.
            await admin.slash(channel, "mlq subscribe")
            clock.set(START.replace(hour=9, minute=1))
            await core.tick()
            await env.settle()
            [thread] = channel.threads
            for i, member in enumerate(members):
                await member.send(thread, f"Answer {i}: regularisation, variance, bias, data.")
            me = members[0]

            async def bare() -> simcord.InteractionResult:
                return await me.slash(channel, "ping")

            async def stats() -> simcord.InteractionResult:
                return await me.slash(channel, "mlq stats")

            for _ in range(20):  # warm caches, connections and code paths
                await measure(watch, bare)
                await measure(watch, stats)
            times: dict[str, tuple[list[float], list[float]]] = {
                "bare": ([], []),
                "stats": ([], []),
            }
            for i in range(runs):
                order = (("bare", bare), ("stats", stats))
                for name, invoke in order if i % 2 == 0 else order[::-1]:
                    ack, answered = await measure(watch, invoke)
                    times[name][0].append(ack)
                    times[name][1].append(answered)
            # The core alone, same command and member, no Discord at all: what is left
            # of "answered" beyond this is the adapter's and discord.py's share.
            where = ChannelAddress("discord", str(guild.id), str(channel.id))
            actor = Actor(str(me.id), me.name)
            core_times = []
            for i in range(runs):
                start = time.perf_counter()
                await core.dispatch(CommandInvoked(where, actor, "stats", f"bench-{i}"))
                core_times.append(time.perf_counter() - start)
    finally:
        watch.uninstall()
        await ctx.db.dispose()

    lines = [
        f"runs per command: {runs}; database: {database_url.split(':')[0]}",
        "",
        "| measure | bare command (median / p95) | /mlq stats (median / p95) | ratio of medians |",
        "|---|---|---|---|",
    ]
    for index, label in enumerate(("acknowledged", "answered")):
        b_med, b_p95 = summary(times["bare"][index])
        s_med, s_p95 = summary(times["stats"][index])
        lines.append(
            f"| {label} | {b_med * 1000:.2f} / {b_p95 * 1000:.2f} ms "
            f"| {s_med * 1000:.2f} / {s_p95 * 1000:.2f} ms | {s_med / b_med:.2f}x |"
        )
    c_med, c_p95 = summary(core_times)
    lines.append(f"| core only (no Discord) | | {c_med * 1000:.2f} / {c_p95 * 1000:.2f} ms | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        print(asyncio.run(run(args.runs, url)))


if __name__ == "__main__":
    main()

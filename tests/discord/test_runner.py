"""``serve``: settings in, a migrated core, a client on Discord, the scheduler once ready."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
import simcord

from adapters.discord import runner
from adapters.discord.client import MlqClient, ShardConfigError
from bot.config import Settings


def settings(monkeypatch: pytest.MonkeyPatch, db_url: str, **env: str) -> Settings:
    monkeypatch.setenv("MLQ_DATABASE_URL", db_url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)


async def test_serve_without_a_token_explains_itself(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="DISCORD_TOKEN"):
        await runner.serve(settings(monkeypatch, db_url))


async def test_serve_refuses_overlapping_shards_before_connecting(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    chosen = settings(
        monkeypatch, db_url, DISCORD_TOKEN="t", DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1,1"
    )
    with pytest.raises(ShardConfigError):
        await runner.serve(chosen)


async def test_serve_runs_the_bot_and_starts_the_scheduler_once_ready(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    started: list[float] = []
    beats: list[Path | None] = []
    answered: list[str] = []

    class FakeScheduler:
        def shutdown(self, wait: bool = True) -> None:
            started.append(-1.0)

    def fake_start_scheduler(
        core: object, seconds: float, heartbeat: Path | None = None
    ) -> FakeScheduler:
        started.append(seconds)
        beats.append(heartbeat)
        return FakeScheduler()

    async def on_simcord(make_client, start) -> None:  # type: ignore[no-untyped-def]
        client = make_client(True)
        assert isinstance(client, MlqClient) and client.intents.message_content
        async with simcord.run(client) as env:
            assert started == [5.0], "the scheduler starts when the gateway is ready"
            guild = env.create_guild()
            channel = guild.create_text_channel("ml-study")
            member = guild.add_member(env.create_user("ben"))
            result = await member.slash(channel, "mlq help")
            answered.append(result.response.embeds[0].title)

    monkeypatch.setattr(runner, "start_scheduler", fake_start_scheduler)
    monkeypatch.setattr(runner, "run_with_intent_fallback", on_simcord)
    await runner.serve(
        settings(
            monkeypatch,
            db_url,
            DISCORD_TOKEN="t",
            MLQ_TICK_SECONDS="5",
            MLQ_HEARTBEAT_FILE="/tmp/beat",
        )
    )
    assert answered == ["mlq help"]
    assert beats == [Path("/tmp/beat")], "the scheduler writes the heartbeat (Docker health)"
    assert started == [5.0, -1.0], "the scheduler is shut down on the way out"


async def test_the_fallback_gives_up_if_even_the_plain_connection_is_refused() -> None:
    calls: list[bool] = []

    def make(message_content: bool) -> discord.Client:
        calls.append(message_content)
        return discord.Client(intents=discord.Intents.none())

    async def refuse(client: discord.Client) -> None:
        raise discord.PrivilegedIntentsRequired(shard_id=None)

    with pytest.raises(discord.PrivilegedIntentsRequired):
        await runner.run_with_intent_fallback(make, refuse)
    assert calls == [True, False]

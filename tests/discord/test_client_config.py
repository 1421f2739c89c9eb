"""Client set-up: intents, sharding, development sync to one server."""

from __future__ import annotations

import discord
import pytest
import simcord

from adapters.discord.client import (
    ClientOptions,
    MlqClient,
    MlqShardedClient,
    ShardConfigError,
    create_client,
    intents,
    parse_shard_ids,
)
from adapters.discord.runner import client_options
from bot.config import Settings
from tests.discord.conftest import Mlq, Server, post_question


def test_intents_are_the_few_mlq_uses() -> None:
    chosen = intents()
    assert chosen.guilds and chosen.guild_messages and chosen.message_content
    assert not chosen.members and not chosen.presences  # the other privileged ones
    assert not intents(message_content=False).message_content


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [(None, None, None), ("", 4, None), ("0,2-3", 4, (0, 2, 3)), (" 3 , 1 ", 4, (1, 3))],
)
def test_shard_ids_parse(text: str | None, count: int | None, expected: object) -> None:
    assert parse_shard_ids(text, count) == expected


@pytest.mark.parametrize(
    ("text", "count", "problem"),
    [
        ("0,1", None, "needs DISCORD_SHARD_COUNT"),
        ("0,0", 2, "twice"),
        ("1-2,2", 4, "twice"),
        ("4", 4, "outside 0..3"),
        ("x", 4, "not a shard id"),
    ],
)
def test_bad_shard_ids_are_refused(text: str, count: int | None, problem: str) -> None:
    with pytest.raises(ShardConfigError, match=problem):
        parse_shard_ids(text, count)


def test_settings_choose_the_client_class(mlq: Mlq, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    monkeypatch.setenv("DISCORD_GUILD_ID", "123")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2,3")
    options = client_options(Settings(_env_file=None))
    assert options == ClientOptions(guild_id=123, shard_count=4, shard_ids=(2, 3))
    client = create_client(mlq.core, mlq.adapter, options)
    assert isinstance(client, MlqShardedClient)
    assert (client.shard_count, client.shard_ids) == (4, [2, 3])
    assert isinstance(create_client(mlq.core, mlq.adapter, ClientOptions()), MlqClient)


async def test_a_process_serves_only_its_own_shards(mlq: Mlq) -> None:
    client = create_client(mlq.core, mlq.adapter, ClientOptions(shard_count=2, shard_ids=(1,)))
    async with simcord.run(client) as env:
        mine = env.create_guild("mine", shard_id=1)
        channel = mine.create_text_channel("ml-study")
        leads = mine.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
        admin = mine.add_member(env.create_user("alice"), roles=[leads])
        ben = mine.add_member(env.create_user("ben"))
        server = Server(env, mlq, mine, channel, admin, [ben])
        _, thread = await post_question(server)
        await ben.send(thread, "Answer text about the question.")
        assert thread.history()[-1].reactions
        assert env.bot.get_guild(mine.id) is not None
        other = env.create_guild("elsewhere", shard_id=0)
        await env.settle()
        assert env.bot.get_guild(other.id) is None  # shard 0 is another process's


async def test_development_sync_goes_to_one_server(mlq: Mlq) -> None:
    guild_id = 1234567890123456789
    client = create_client(mlq.core, mlq.adapter, ClientOptions(guild_id=guild_id))
    env = simcord.Env(client)
    guild = env.create_guild("dev", id=guild_id)
    await env.start()
    try:
        channel = guild.create_text_channel("dev")
        ben = guild.add_member(env.create_user("ben"))
        synced = [r.path for r in env.http_requests if r.method == "PUT"]
        assert synced == [f"/applications/{env.backend.application_id}/guilds/{guild_id}/commands"]
        result = await ben.slash(channel, "mlq topics")
        assert result.response.embeds[0].title == "Topics"
    finally:
        await env.shutdown()
    env.raise_errors()

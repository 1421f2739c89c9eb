"""A sharded client whose one shard starts a new session reads that shard's open threads
back (discord.py says on_ready only when every shard is ready; this is on_shard_ready)."""

from __future__ import annotations

import asyncio

import discord
import simcord

from adapters.discord.client import ClientOptions, create_client
from adapters.discord.outbound import REACTION_EMOJI
from bot.messages import Reaction
from tests.discord.conftest import Mlq, Server, refetch, subscribe

ANSWER = "Batch normalisation normalises activations with batch statistics during training."


def server_on(env: simcord.Env, mlq: Mlq, name: str, shard_id: int) -> Server:
    guild = env.create_guild(name, shard_id=shard_id)
    channel = guild.create_text_channel("ml-study")
    leads = guild.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user(f"{name}-admin"), roles=[leads])
    ben = guild.add_member(env.create_user(f"{name}-ben"))
    return Server(env, mlq, guild, channel, admin, [ben])


async def test_a_shard_with_a_new_session_reads_its_threads_back(mlq: Mlq) -> None:
    client = create_client(mlq.core, mlq.adapter, ClientOptions(shard_count=2, shard_ids=(0, 1)))
    async with simcord.run(client) as env:
        zero, one = server_on(env, mlq, "zero", 0), server_on(env, mlq, "one", 1)
        await subscribe(zero)
        await subscribe(one)
        await zero.tick_at(9, 1)
        [thread0], [thread1] = zero.channel.threads, one.channel.threads

        async def away(message: discord.Message) -> None:  # the shards miss these
            return None

        bot = env.bot.mlq
        bot.on_message, take = away, bot.on_message
        missed0 = await zero.members[0].send(thread0, ANSWER)
        missed1 = await one.members[0].send(thread1, ANSWER)
        bot.on_message = take

        shard = env.bot.get_shard(1)
        await shard.disconnect()
        # discord.py waits for the shard's servers before it says the shard is ready.
        ready = asyncio.Event()
        real = bot.on_shard_ready

        async def noted(shard_id: int) -> None:
            await real(shard_id)
            ready.set()

        bot.on_shard_ready = noted
        await shard.reconnect()  # a new session (IDENTIFY), not a resume
        await asyncio.wait_for(ready.wait(), 30)
        await env.settle()
        assert [str(r.emoji) for r in refetch(thread1, missed1).reactions] == [
            REACTION_EMOJI[Reaction.RECEIVED]
        ]
        # Shard 0 kept its session: its thread is not read again.
        assert refetch(thread0, missed0).reactions == []

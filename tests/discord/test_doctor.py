"""mlq doctor's Discord checks against simcord: the intent, and channel permissions."""

from __future__ import annotations

import discord

from adapters.discord.doctor import check
from tests.discord.conftest import Server, subscribe


async def test_missing_permissions_and_the_intent_are_reported(
    server: Server, simcord_bot: discord.Client
) -> None:
    await subscribe(server)
    me = server.guild.me
    assert me is not None
    # After subscribing, someone takes Add Reactions away from mlq in the channel.
    channel = simcord_bot.get_channel(server.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.set_permissions(me, add_reactions=False)
    await server.env.settle()
    mlq = server.mlq
    lines = [p.line() for p in await check(simcord_bot, mlq.adapter, mlq.core.ctx.db)]
    assert any(line.startswith("discord intents:") for line in lines)  # simcord's app flags
    (line,) = [line for line in lines if f"/{server.channel.id}:" in line]
    assert "Add Reactions" in line and "Send Messages," not in line

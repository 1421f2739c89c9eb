"""/mlq subscribe and resume on Discord check every permission mlq uses first."""

from __future__ import annotations

import discord
from sqlalchemy import select

from storage import unit_of_work
from storage.models import Channel
from tests.discord.conftest import Server


async def subscribed(server: Server) -> bool:
    async with unit_of_work(server.mlq.core.ctx.db) as repo:
        found = await repo.session.scalar(select(Channel))
    return bool(found and found.subscribed)


async def test_missing_permissions_are_listed_and_nothing_changes(server: Server) -> None:
    me = server.guild.me
    assert me is not None
    locked = server.guild.create_text_channel(
        "locked",
        overwrites={
            me: discord.PermissionOverwrite(add_reactions=False, create_public_threads=False)
        },
    )
    result = await server.admin.slash(locked, "mlq subscribe")
    assert result.ephemeral
    text = result.response.embeds[0].description
    assert "Add Reactions" in text and "Create Public Threads" in text
    assert "Send Messages" not in text.replace("Send Messages in Threads", "")
    assert locked.history() == []  # no confirmation: nothing was posted
    assert not await subscribed(server)


async def test_every_permission_present_subscribes_with_a_channel_confirmation(
    server: Server,
) -> None:
    result = await server.admin.slash(server.channel, "mlq subscribe")
    assert result.deferred
    (confirmation,) = server.channel.history()
    assert confirmation.embeds[0].description.startswith("This channel is subscribed.")
    assert await subscribed(server)

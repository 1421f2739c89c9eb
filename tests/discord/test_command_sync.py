"""App commands are synced when the tree changed, not on every start."""

from __future__ import annotations

import discord
import simcord
from discord import app_commands

from adapters.discord.client import ClientOptions, create_client
from tests.discord.conftest import Mlq


def syncs(env: simcord.Env) -> list[str]:
    return [r.path for r in env.http_requests if r.method == "PUT" and "/commands" in r.path]


async def test_an_unchanged_tree_is_not_synced_again(mlq: Mlq) -> None:
    async with simcord.run(create_client(mlq.core, mlq.adapter, ClientOptions())) as env:
        assert len(syncs(env)) == 1  # the first start registers /mlq
        await env.restart_bot(create_client(mlq.core, mlq.adapter, ClientOptions()))
        assert len(syncs(env)) == 1  # same commands: no sync

        changed = create_client(mlq.core, mlq.adapter, ClientOptions())

        @app_commands.command(name="mlq-extra", description="A command a new version adds")
        async def extra(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("hi")

        changed.tree.add_command(extra)  # type: ignore[attr-defined]
        await env.restart_bot(changed)
        assert len(syncs(env)) == 2  # the tree changed: synced
        assert "mlq-extra" in env.bot.tree.get_commands()[-1].name  # type: ignore[attr-defined]

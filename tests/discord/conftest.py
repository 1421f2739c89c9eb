"""Fixtures for the Discord adapter: a real core on a test database, a real discord.py
client, and simcord's in-process Discord (gateway and REST) around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import discord
import pytest
import simcord

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import ClientOptions, create_client
from bot.clock import ManualClock
from bot.core import MlqCore
from tests.harness import make_core

# A Monday, an hour before the default 09:00 UTC post.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Mlq:
    core: MlqCore
    adapter: DiscordAdapter
    clock: ManualClock


@dataclass
class Server:
    env: simcord.Env
    mlq: Mlq
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    admin: simcord.MemberActor
    members: list[simcord.MemberActor] = field(default_factory=list)

    async def tick_at(self, hour: int, minute: int = 0, *, day: int = 0) -> None:
        """Move the core's clock to that time of the test week and run what is due."""
        target = START.replace(hour=hour, minute=minute) + timedelta(days=day)
        self.mlq.clock.set(target)
        await self.mlq.core.tick()
        await self.env.settle()


@pytest.fixture
async def mlq(db_url: str) -> AsyncIterator[Mlq]:
    adapter = DiscordAdapter()
    clock = ManualClock(START)
    core = make_core(db_url, adapter, clock, instance_id="discord-test")
    yield Mlq(core, adapter, clock)
    await core.ctx.db.dispose()


@pytest.fixture
def client_options() -> ClientOptions:
    return ClientOptions()


@pytest.fixture
def simcord_bot(mlq: Mlq, client_options: ClientOptions) -> discord.Client:
    return create_client(mlq.core, mlq.adapter, client_options)


@pytest.fixture
def server(simcord_env: simcord.Env, mlq: Mlq) -> Server:
    guild = simcord_env.create_guild("Study group")
    channel = guild.create_text_channel("ml-study")
    leads = guild.create_role("Leads", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("alice"), roles=[leads])
    members = [guild.add_member(simcord_env.create_user(n)) for n in ("ben", "cai", "dia")]
    return Server(simcord_env, mlq, guild, channel, admin, members)

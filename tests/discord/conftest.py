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


async def subscribe(server: Server, channel: simcord.ChannelHandle | None = None) -> None:
    result = await server.admin.slash(channel or server.channel, "mlq subscribe")
    assert result.deferred


async def post_question(server: Server) -> tuple[discord.Message, simcord.ChannelHandle]:
    """Subscribe the channel and let 09:01 come: the daily question and its thread."""
    await subscribe(server)
    await server.tick_at(9, 1)
    [post] = [m for m in server.channel.history() if m.embeds and m.components]
    [thread] = server.channel.threads
    return post, thread


def reactions(message: discord.Message) -> list[str]:
    return [str(r.emoji) for r in message.reactions]


def refetch(channel: simcord.ChannelHandle, message: discord.Message) -> discord.Message:
    """The message as it is now (reactions, edits), not as it was when we got it."""
    [now] = [m for m in channel.history() if m.id == message.id]
    return now


def last_acknowledgement(env: simcord.Env) -> tuple[int, list[str]]:
    """The last interaction's callback type and the webhook calls that followed it
    (follow-ups, edits or deletion of the original response)."""
    requests = env.http_requests
    index = max(i for i, r in enumerate(requests) if r.path.endswith("/callback"))
    later = [r.method for r in requests[index + 1 :] if r.path.startswith("/webhooks/")]
    return requests[index].json["type"], later

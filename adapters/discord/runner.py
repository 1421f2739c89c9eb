"""``mlq run --platform discord``: the core, the scheduler and a gateway connection.

If the developer portal has the Message Content intent switched off, Discord refuses
the connection; the bot then reconnects without it, so slash commands and "Answer
privately" keep working, and tells each server's admins how to switch it on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

import aiohttp
import discord

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import ClientOptions, create_client, parse_shard_ids
from bot.app import build_app
from bot.config import Settings
from bot.heap import settle_heap
from bot.scheduler import start_scheduler

log = logging.getLogger("mlq.discord")

# What logging in or opening the gateway raises when Discord cannot be reached at all.
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


def unreachable(exc: BaseException) -> str:
    """The one line ``mlq run`` prints for a network failure at start (no traceback)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"mlq: cannot reach Discord: {reason}; check the network"


ClientFactory = Callable[[bool], discord.Client]  # message_content -> client
Starter = Callable[[discord.Client], Awaitable[None]]


def client_options(settings: Settings, *, message_content: bool = True) -> ClientOptions:
    return ClientOptions(
        guild_id=settings.discord_guild_id,
        shard_count=settings.discord_shard_count,
        shard_ids=parse_shard_ids(settings.discord_shard_ids, settings.discord_shard_count),
        message_content=message_content,
    )


async def run_with_intent_fallback(make_client: ClientFactory, start: Starter) -> None:
    """Connect with the message-content intent, or without it if Discord says no."""
    try:
        await start(make_client(True))
    except discord.PrivilegedIntentsRequired:
        log.warning(
            "Discord refused the Message Content intent (it is off in the developer "
            "portal); running without it: thread replies cannot be read, 'Answer "
            "privately' and /mlq still work"
        )
        await start(make_client(False))


async def serve(
    settings: Settings, *, mode: str = "socket", port: int = 3000, host: str = "0.0.0.0"
) -> None:
    """Run mlq on Discord until interrupted. ``mode``, ``port`` and ``host`` are Slack's;
    the Discord gateway is an outbound connection and needs none of them."""
    if settings.discord_token is None:
        raise SystemExit("DISCORD_TOKEN is not set; see docs/discord.md")
    token = settings.discord_token.get_secret_value()
    options = client_options(settings)  # fails early on a bad shard setting
    adapter = DiscordAdapter()
    app = await build_app(settings, adapter)
    settle_heap()
    scheduler = None

    def first_ready() -> None:
        # Ticks need the channel cache, so the scheduler starts once the gateway is up.
        nonlocal scheduler
        if scheduler is None:
            scheduler = start_scheduler(
                app.core, settings.tick_seconds, heartbeat=settings.heartbeat_file
            )

    def make_client(message_content: bool) -> discord.Client:
        chosen = replace(options, message_content=message_content)
        return create_client(app.core, adapter, chosen, on_first_ready=first_ready)

    async def start(client: discord.Client) -> None:
        async with client:
            await client.start(token)

    try:
        await run_with_intent_fallback(make_client, start)
    except NETWORK_ERRORS as exc:
        if scheduler is not None:
            raise  # it was connected: not a start-up failure
        raise SystemExit(unreachable(exc)) from None
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await asyncio.shield(app.close())

"""``mlq doctor`` for Discord: the token, the Message Content intent, and every subscribed
channel's permissions (what ``/mlq subscribe`` checks), without posting anything."""

from __future__ import annotations

import asyncio

import discord

from adapters.discord.adapter import DiscordAdapter
from bot.access.doctor import Problem, channel_problems
from bot.config import Settings
from storage import Database

PLATFORM = "discord"
READY_TIMEOUT = 60.0  # seconds to wait for the gateway's guilds before giving up


async def check(client: discord.Client, adapter: DiscordAdapter, db: Database) -> list[Problem]:
    """Every problem found, given a client that is logged in and ready (guilds cached:
    a channel's permissions are computed from the bot's roles there)."""
    problems: list[Problem] = []
    info = await client.application_info()
    if not (info.flags.gateway_message_content or info.flags.gateway_message_content_limited):
        problems.append(
            Problem(
                "discord intents",
                "the Message Content intent is off, so answers in threads cannot be read "
                "(Answer privately still works)",
                "turn it on in the Developer Portal: your app, Bot, Privileged Gateway Intents",
            )
        )
    return problems + await channel_problems(db, PLATFORM, adapter.access_problems)


async def doctor(settings: Settings, *, mode: str = "") -> list[Problem]:
    if settings.discord_token is None:
        return [Problem("discord token", "DISCORD_TOKEN is not set", "see docs/discord.md")]
    return await run(settings.discord_token.get_secret_value(), settings.database_url)


async def run(token: str, database_url: str) -> list[Problem]:
    """Log in, wait for the guilds, check, disconnect."""
    client = discord.Client(intents=discord.Intents(guilds=True))
    try:
        await client.login(token)
    except discord.LoginFailure:
        await client.close()
        return [
            Problem(
                "discord token",
                "DISCORD_TOKEN is refused",
                "copy a new token from the Developer Portal (Bot, Reset Token)",
            )
        ]
    connection = asyncio.create_task(client.connect(reconnect=False))
    db = Database(database_url)
    try:
        await asyncio.wait_for(client.wait_until_ready(), READY_TIMEOUT)
        return await check(client, DiscordAdapter(client), db)
    finally:
        await client.close()
        connection.cancel()
        await db.dispose()

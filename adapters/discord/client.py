"""The discord.py client: intents, sharding, command sync and the event wiring.

One process runs either a plain ``Client`` or an ``AutoShardedClient`` over the shards
it was given. Either way the client only forwards events to ``DiscordBot``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.bot import DiscordBot
from adapters.discord.commands import MlqGroup, answer_error
from adapters.discord.components import ActionButton, PickSelect
from bot.core import MlqCore

log = logging.getLogger("mlq.discord")

# A rate limit longer than this fails the one send (the core retries it later) instead of
# holding up every other channel's post behind it; shorter ones discord.py just waits out.
MAX_RATELIMIT_WAIT_SECONDS = 10.0


class ShardConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ClientOptions:
    guild_id: int | None = None  # sync commands to this server only (development)
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    message_content: bool = True
    max_messages: int | None = 1000  # discord.py's message cache; raw events cover the rest


def intents(message_content: bool = True) -> discord.Intents:
    """Only what mlq uses: servers and their channels, messages, and their text."""
    return discord.Intents(guilds=True, guild_messages=True, message_content=message_content)


def parse_shard_ids(text: str | None, shard_count: int | None) -> tuple[int, ...] | None:
    """``"0,2-3"`` -> (0, 2, 3), each checked against the shard count and used once."""
    if text is None or not text.strip():
        return None
    if shard_count is None:
        raise ShardConfigError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT")
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                start, end = (int(x) for x in part.split("-", 1))
                ids += range(start, end + 1)
            else:
                ids.append(int(part))
        except ValueError as exc:
            raise ShardConfigError(f"'{part}' is not a shard id or range like 0-3") from exc
    if len(set(ids)) != len(ids):
        raise ShardConfigError("a shard id is listed twice in DISCORD_SHARD_IDS")
    bad = [i for i in ids if not 0 <= i < shard_count]
    if bad:
        raise ShardConfigError(f"shard ids {bad} are outside 0..{shard_count - 1}")
    return tuple(sorted(ids)) or None


def tree_hash(tree: app_commands.CommandTree[Any], guild: discord.Object | None) -> str:
    """A digest of the commands as they would be sent to Discord (names, descriptions,
    options, permissions): equal digests mean a sync would change nothing."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _MlqEvents:
    """Client methods shared by the plain and the sharded client."""

    mlq: DiscordBot
    tree: app_commands.CommandTree[Any]
    sync_guild: int | None

    async def setup_hook(self) -> None:
        # Registered before the first event, so buttons on old posts work after a restart.
        self.add_dynamic_items(ActionButton, PickSelect)  # type: ignore[attr-defined]
        guild = discord.Object(self.sync_guild) if self.sync_guild is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        where = f"to server {self.sync_guild}" if guild is not None else "globally"
        # Syncing is rate limited and rewrites every command: only when the tree changed.
        app = self.application_id  # type: ignore[attr-defined]
        key = f"discord:commands:{app}:{self.sync_guild or 'global'}"
        digest = tree_hash(self.tree, guild)
        if await self.mlq.core.remembered(key) == digest:
            log.info("app commands unchanged since the last sync %s; not synced", where)
            return
        synced = await self.tree.sync(guild=guild)
        await self.mlq.core.remember(key, digest)
        log.info("synced %d app command(s) %s", len(synced), where)

    async def on_ready(self) -> None:
        await self.mlq.on_ready()

    async def on_shard_ready(self, shard_id: int) -> None:
        await self.mlq.on_shard_ready(shard_id)

    async def on_message(self, message: discord.Message) -> None:
        await self.mlq.on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.mlq.on_raw_message_edit(payload)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.mlq.on_guild_remove(guild)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.mlq.on_guild_channel_delete(channel)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.mlq.on_raw_message_delete(payload)

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.mlq.on_raw_thread_delete(payload)


class MlqClient(_MlqEvents, discord.Client):
    pass


class MlqShardedClient(_MlqEvents, discord.AutoShardedClient):
    pass


def create_client(
    core: MlqCore,
    adapter: DiscordAdapter,
    options: ClientOptions | None = None,
    *,
    on_first_ready: Callable[[], Awaitable[None] | None] | None = None,
) -> discord.Client:
    options = options or ClientOptions()
    kwargs: dict[str, Any] = {
        "intents": intents(options.message_content),
        "allowed_mentions": discord.AllowedMentions.none(),
        "max_ratelimit_timeout": MAX_RATELIMIT_WAIT_SECONDS,
        "max_messages": options.max_messages,
    }
    client: discord.Client
    if options.shard_count is not None or options.shard_ids is not None:
        client = MlqShardedClient(
            shard_count=options.shard_count,
            shard_ids=list(options.shard_ids) if options.shard_ids else None,
            **kwargs,
        )
    else:
        client = MlqClient(**kwargs)
    bot = DiscordBot(core, adapter, on_first_ready=on_first_ready)
    client.mlq = bot  # type: ignore[attr-defined]
    client.sync_guild = options.guild_id  # type: ignore[attr-defined]
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)

    async def on_tree_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        # Errors outside /mlq's own handler, e.g. a command this version does not have.
        await answer_error(bot, interaction, error)

    tree.on_error = on_tree_error  # type: ignore[method-assign]
    tree.add_command(MlqGroup(bot))
    client.tree = tree  # type: ignore[attr-defined]
    bot.attach(client)
    return client

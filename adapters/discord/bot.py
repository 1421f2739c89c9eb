"""Discord events and interactions in, core events out, replies back.

Every interaction is acknowledged first (a defer, or the modal itself) and answered with
follow-ups once the core has replied, so Discord's 3-second limit never depends on the
database. Replies meant for one person are ephemeral follow-ups; channel replies are
ordinary messages in the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import discord

from adapters.discord import inbound, outbound
from adapters.discord.adapter import DiscordAdapter, send_rendered
from adapters.discord.components import AnswerModal, view_for
from adapters.discord.intent_notice import ContentIntentNotice
from adapters.discord.outbound import NO_MENTIONS
from bot.access import lifecycle
from bot.core import MlqCore
from bot.events import (
    Actor,
    ChannelAddress,
    ChannelChanged,
    InboundEvent,
    ThreadAddress,
    ThreadDeleted,
    WorkspaceRemoved,
)
from bot.messages import Action, Message, Visibility

log = logging.getLogger("mlq.discord")
# Messages read back per open thread after a (re)connect: far more than a round gets.
CATCH_UP_LIMIT = 1000
# Open threads read back at once after a (re)connect. Each read is a REST call or two
# against Discord's global limit of 50 requests a second (discord.py waits out a 429),
# shared with the fan-out's sends: a few at a time stays well under it.
CATCH_UP_CONCURRENCY = 8


K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A bounded memory, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def __contains__(self, key: K) -> bool:
        return key in self._items


class DiscordBot:
    """The Discord side of mlq for one client: handlers the client's events call."""

    def __init__(
        self,
        core: MlqCore,
        adapter: DiscordAdapter,
        *,
        on_first_ready: Callable[[], Awaitable[None] | None] | None = None,
    ) -> None:
        self.core = core
        self.adapter = adapter
        self.on_first_ready = on_first_ready
        self.topic_titles: dict[str, str] = {}
        for question in core.ctx.bank:
            self.topic_titles.setdefault(question.topic, question.topic_title)
        self.banks: list[str] = list(core.ctx.bank.banks())
        self.thread_parents: Recent[int, int | None] = Recent(5_000)
        self.intent_notice = ContentIntentNotice()
        self._ready_seen = False
        self._client: discord.Client | None = None

    @property
    def client(self) -> discord.Client:
        assert self._client is not None, "attach() the bot to a client first"
        return self._client

    def attach(self, client: discord.Client) -> None:
        self._client = client
        self.adapter.bind(client)

    async def on_ready(self) -> None:
        log.info(
            "connected to Discord as %s in %d servers", self.client.user, len(self.client.guilds)
        )
        # A new session does not get the messages sent while the bot was away: read the
        # open threads first, so that answers made meanwhile count before any reveal.
        try:
            await self.catch_up()
        except Exception:
            log.exception("catching up on open threads failed")
        if not self._ready_seen:
            self._ready_seen = True
            if self.on_first_ready is not None:
                result = self.on_first_ready()
                if result is not None:
                    await result

    async def on_shard_ready(self, shard_id: int) -> None:
        """One shard of a sharded client began a new session (after a disconnect it could
        not resume). discord.py then says ``on_ready`` only when every shard did, so this
        shard's threads are read back here. At start-up ``on_ready``'s catch-up covers
        all shards; a resumed session needs none (Discord replays what was missed)."""
        if not self._ready_seen or len(getattr(self.client, "shard_ids", None) or ()) <= 1:
            return  # start-up, or one shard: on_ready comes as well
        try:
            await self.catch_up(shard_id=shard_id)
        except Exception:
            log.exception("catching up on shard %s's open threads failed", shard_id)

    # --- who and where ------------------------------------------------------------------

    @staticmethod
    def where_of(interaction: discord.Interaction) -> ChannelAddress:
        """The team channel: a command used inside a question's thread counts for its parent."""
        channel = interaction.channel
        channel_id = interaction.channel_id or 0
        if isinstance(channel, discord.Thread) and channel.parent_id:
            channel_id = channel.parent_id
        return inbound.address(interaction.guild_id or 0, channel_id)

    @staticmethod
    def actor_of(interaction: discord.Interaction) -> Actor:
        user = interaction.user
        return inbound.actor(
            user.id, user.display_name, is_bot=user.bot, permissions=interaction.permissions
        )

    async def thread_parent(self, channel_id: int) -> int | None:
        """The parent channel of a thread, or None if ``channel_id`` is not a thread."""
        if channel_id in self.thread_parents:
            return self.thread_parents.get(channel_id)
        channel = await self._channel(channel_id)
        if channel is None:
            return None
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        self.thread_parents.put(channel_id, parent)
        return parent

    # --- interactions -------------------------------------------------------------------

    async def run_command(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        event = inbound.command_invoked(
            self.where_of(interaction), self.actor_of(interaction), text, interaction.id
        )
        await self.reply(interaction, await self.core.dispatch(event))

    async def on_button(self, interaction: discord.Interaction, action: Action, value: str) -> None:
        if action == Action.ANSWER_PRIVATELY:
            # The modal is the acknowledgement: it needs no database work.
            await interaction.response.send_modal(AnswerModal(value))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        event = inbound.button_pressed(
            self.where_of(interaction), self.actor_of(interaction), action, value, interaction.id
        )
        await self.reply(interaction, await self.core.dispatch(event))

    async def on_private_answer(
        self, interaction: discord.Interaction, post_id: str, text: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        event = inbound.private_answer(
            self.where_of(interaction), self.actor_of(interaction), post_id, text, interaction.id
        )
        await self.reply(interaction, await self.core.dispatch(event))

    async def on_pick(
        self, interaction: discord.Interaction, post_id: str, values: list[Any]
    ) -> None:
        """A quiz pick: its option indexes as letters, answered like a private answer."""
        letters = inbound.pick_letters(values)
        if letters is None:
            await self.refuse(
                interaction,
                "That menu could not be read (it may come from an older version of mlq). "
                "Pick again from today's question, or type the letter in its thread.",
            )
            return
        await self.on_private_answer(interaction, post_id, letters)

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """An ephemeral one-liner, whether or not the interaction was acknowledged yet."""
        embed = outbound.render(Message(body=text))[0].embeds
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    embeds=list(embed), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            else:
                await interaction.response.send_message(
                    embeds=list(embed), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.exception("could not answer interaction %s", interaction.id)

    async def reply(self, interaction: discord.Interaction, replies: list[Message]) -> None:
        """Deliver the core's replies to a deferred interaction.

        Private replies become ephemeral follow-ups (the first one fills the "thinking"
        placeholder); channel replies are posted in the channel. When nothing private
        was said, the placeholder is removed so only the public message remains.
        """
        shown_privately = False
        for message in replies:
            parts = outbound.render(message)
            if message.visibility == Visibility.CHANNEL and interaction.channel is not None:
                try:
                    await send_rendered(interaction.channel, parts)  # type: ignore[arg-type]
                    continue
                except discord.HTTPException:
                    log.warning("could not post in %s; replying privately", interaction.channel_id)
            for part in parts:
                await self._followup(interaction, part)
            shown_privately = True
        if not shown_privately:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("the placeholder of %s was already gone", interaction.id)

    @staticmethod
    async def _followup(interaction: discord.Interaction, part: outbound.Rendered) -> None:
        view = view_for(part.buttons, part.menu)
        kwargs = {"view": view} if view is not None else {}
        try:
            await interaction.followup.send(
                content=part.content or "",
                embeds=list(part.embeds),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
                **kwargs,
            )
        except discord.HTTPException:
            log.exception("could not follow up interaction %s", interaction.id)

    # --- thread messages ----------------------------------------------------------------

    async def _dispatch_answer(self, event: InboundEvent, thread: ThreadAddress) -> None:
        replies = await self.core.dispatch(event)
        for message in replies:
            try:
                await self.adapter.send_private(
                    event.where, event.actor.user_id, message, thread=thread
                )
            except Exception:
                log.exception("could not deliver a reply to %s", event.actor.user_id)

    async def on_message(self, message: discord.Message) -> None:
        if not self._may_be_answer(message):
            return
        parent = await self.thread_parent(message.channel.id)
        if parent is None:
            return  # answers live in threads; channel chatter is not ours
        await self._take_answer(message, parent)

    @staticmethod
    def _may_be_answer(message: discord.Message) -> bool:
        """A person's ordinary message in a server (bots, webhooks and system messages
        never answer)."""
        return (
            message.guild is not None
            and not message.author.bot
            and message.webhook_id is None
            and message.type in inbound.ANSWER_MESSAGE_TYPES
        )

    async def _take_answer(self, message: discord.Message, parent: int) -> None:
        """A message in a thread under channel ``parent``, as an answer if it is one."""
        if not self._may_be_answer(message) or message.guild is None:
            return
        facts = inbound.facts_from_message(message, parent)
        if inbound.looks_censored(facts) and not self.client.intents.message_content:
            await self.intent_notice.handle(message.channel, message.channel.id)
            return
        event = inbound.answer_posted(facts)
        thread = ThreadAddress(event.where, event.thread_id)
        await self._dispatch_answer(event, thread)

    async def catch_up(self, *, shard_id: int | None = None) -> int:
        """Read back the open question threads of this client's servers; returns how many
        messages were looked at.

        Discord does not replay to a new session what was sent while the bot was away (a
        restart, a deploy, an outage). Messages already handled cost nothing but the read:
        the core records every delivery, so a repeat is a no-op. Threads are read a few at
        a time (each thread's messages in order): one after another, a thousand open
        threads kept a restarted copy's scheduler waiting for about a minute."""
        mine = []
        for address in await self.core.open_threads():
            guild = self.client.get_guild(int(address.channel.workspace))
            if guild is None:
                continue  # another process's shard's server
            if shard_id is not None and guild.shard_id != shard_id:
                continue  # this process's, but another shard's
            mine.append(int(address.thread_id))
        gate = asyncio.Semaphore(CATCH_UP_CONCURRENCY)

        async def read(thread_id: int) -> int:
            async with gate:
                return await self._read_back(thread_id)

        seen = sum(await asyncio.gather(*(read(t) for t in mine)))
        if seen:
            log.info("caught up on %d messages in open question threads", seen)
        return seen

    async def _read_back(self, thread_id: int) -> int:
        """Hand one open thread's messages to the core, oldest first; how many were read."""
        thread = await self._thread(thread_id)
        if thread is None or thread.parent_id is None:
            return 0
        seen = 0
        try:
            async for message in thread.history(limit=CATCH_UP_LIMIT, oldest_first=True):
                seen += 1
                await self._take_answer(message, thread.parent_id)
        except discord.HTTPException as exc:
            log.warning("could not read thread %s back: %s", thread_id, exc)
        return seen

    async def _thread(self, thread_id: int) -> discord.Thread | None:
        channel = await self._channel(thread_id)
        return channel if isinstance(channel, discord.Thread) else None

    async def _channel(self, channel_id: int) -> Any:
        """A channel from discord.py's cache, else from the API; None if it cannot be had."""
        channel = self.client.get_channel(channel_id)
        if channel is not None:
            return channel
        try:
            return await self.client.fetch_channel(channel_id)
        except discord.HTTPException:
            return None

    # --- servers and channels going away -----------------------------------------------

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked, banned or the server deleted (discord.py reports a server that is only
        unavailable as ``on_guild_unavailable`` instead): every channel there stops."""
        log.warning("removed from server %s (%s)", guild.id, guild.name)
        await self.core.dispatch(
            WorkspaceRemoved(inbound.PLATFORM, str(guild.id), "removed_from_server")
        )

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        where = inbound.address(channel.guild.id, channel.id)
        await self.core.dispatch(ChannelChanged(where, lifecycle.DELETED))

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """THREAD_DELETE, cached thread or not (discord.py 2.x ``raw_models``): the core
        decides what a deleted question thread means (bot/access/lifecycle.py)."""
        channel = inbound.address(payload.guild_id, payload.parent_id)
        await self.core.dispatch(ThreadDeleted(ThreadAddress(channel, str(payload.thread_id))))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.guild_id is None or not self.client.intents.message_content:
            return  # without the intent an edit carries no text to grade
        parent = await self.thread_parent(payload.channel_id)
        if parent is None:
            return
        event = inbound.answer_edited_from_raw(payload.data, payload.guild_id, parent)
        if event is None:
            return
        await self._dispatch_answer(event, ThreadAddress(event.where, event.thread_id))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is None:
            return
        parent = await self.thread_parent(payload.channel_id)
        if parent is None:
            return
        cached = payload.cached_message
        if cached is not None and cached.author.bot:
            return
        # A raw delete of an uncached message carries no author; the core then finds the
        # answer by its message id alone.
        author = (
            inbound.actor(cached.author.id, cached.author.display_name)
            if cached is not None
            else Actor(user_id="")
        )
        event = inbound.answer_deleted(
            payload.guild_id, parent, payload.channel_id, payload.message_id, author
        )
        await self._dispatch_answer(event, ThreadAddress(event.where, event.thread_id))

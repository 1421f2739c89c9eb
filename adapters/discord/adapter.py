"""The core's ChatAdapter on Discord: posts, thread replies, reactions, DMs, archiving.

Any Discord failure (an HTTP error, a rate limit longer than discord.py will wait, a
missing channel) becomes ``DeliveryError`` for that one call, so the core logs it and
goes on with the next channel; retrying is the core's job, from database state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import MappingProxyType

import discord

from adapters.discord import outbound
from adapters.discord.components import view_for
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.ports import DeliveryError, PostedRef

log = logging.getLogger("mlq.discord")

# Threads archive themselves after a day without messages; mlq archives them at the
# reveal anyway, so this only matters if the bot is offline then.
AUTO_ARCHIVE_MINUTES = 1440
# Our clock and Discord's may disagree; the search starts this much before the claim did.
CLOCK_SKEW = timedelta(minutes=5)
# At most this many messages are read since a claim (five requests of 100).
HISTORY_LIMIT = 500


def claim_nonce(key: str | None) -> str | None:
    """The message nonce for a claim key. Discord takes at most 25 characters, and with
    ``enforce_nonce`` (discord.py sets it with every nonce) a second send with the same
    nonce from the bot within a few minutes returns the first message instead of posting."""
    if key is None:
        return None
    return "mlq" + outbound.key_token(key)


def carries_private_key(message: discord.Message, nonce: str | None, token: str) -> bool:
    """Whether a direct message carries an owed grade's key: as its nonce (only in what
    the gateway delivered) or in its text's grade reference (also in stored history)."""
    if nonce is not None and str(message.nonce) == nonce:
        return True
    return outbound.key_of_dm(message.content) == token


def carries_key(message: discord.Message, nonce: str | None, token: str) -> bool:
    """Whether ``message`` carries the claim key: as its nonce (only in what the gateway
    delivered) or in a component's custom id (also in stored history)."""
    if nonce is not None and str(message.nonce) == nonce:
        return True
    for row in getattr(message, "components", None) or ():
        for item in getattr(row, "children", None) or (row,):
            if outbound.key_of_custom_id(getattr(item, "custom_id", None)) == token:
                return True
    return False


# Discord's JSON error codes that mean the bot cannot reach the channel until a person acts
# (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json): the core
# suspends the channel on them. Everything else (429, 5xx, the network) is transient.
PERMANENT_CODES = {
    10003: "unknown_channel",
    10004: "unknown_guild",
    50001: "missing_access",
    50013: "missing_permissions",
}


def delivery_error(what: str, exc: Exception) -> DeliveryError:
    """A discord.py failure as the core's DeliveryError, permanent for the codes above."""
    code = getattr(exc, "code", 0) if isinstance(exc, discord.HTTPException) else 0
    status = getattr(exc, "status", 0) if isinstance(exc, discord.HTTPException) else 0
    if status in (403, 404) and code in PERMANENT_CODES:
        return DeliveryError(f"{what}: {exc}", permanent=True, reason=PERMANENT_CODES[code])
    return DeliveryError(f"{what}: {exc}", reason=f"http_{status}" if status else "")


@contextmanager
def delivery(what: str) -> Iterator[None]:
    """Turn Discord's failures into the core's DeliveryError, naming what failed."""
    try:
        yield
    except DISCORD_ERRORS as exc:
        raise delivery_error(what, exc) from exc


async def send_continuations(
    target: discord.abc.Messageable, rest: list[outbound.Rendered]
) -> None:
    """Send the overflow of a long message. Its first part is out already, so a failure
    is logged, not raised: raising would make the core send the whole message again."""
    try:
        await send_rendered(target, rest)
    except DISCORD_ERRORS:
        log.exception("could not send the rest of a long message")


DISCORD_ERRORS = (discord.HTTPException, discord.RateLimited, discord.ClientException)


async def send_rendered(
    target: discord.abc.Messageable,
    parts: list[outbound.Rendered],
    *,
    nonce: str | None = None,
    reference: discord.MessageReference | None = None,
) -> list[discord.Message]:
    """Send the parts in order; ``nonce`` (and ``reference``, a reply to a message) go on
    the first, the one the core records."""
    sent = []
    for index, part in enumerate(parts):
        view = view_for(part.buttons, part.menu)
        kwargs: dict[str, object] = {"view": view} if view is not None else {}
        if nonce is not None and index == 0:
            kwargs["nonce"] = nonce
        if reference is not None and index == 0:
            kwargs["reference"] = reference
        sent.append(
            await target.send(
                content=part.content,
                embeds=list(part.embeds),
                allowed_mentions=outbound.NO_MENTIONS,
                **kwargs,
            )
        )
    return sent


# Every permission mlq uses in a subscribed channel, with the name Discord's settings show:
# the question (send, embed), its answer thread (create, talk in it, archive it at the
# reveal), the reactions on answers, and reading back answers after an outage.
REQUIRED_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("add_reactions", "Add Reactions"),
    ("read_message_history", "Read Message History"),
)


# A question's thread that cannot take the reveal: never opened (the thread id is then the
# question's message id, which no channel has), deleted (both 10003 Unknown Channel),
# archived and not reopenable (50083), or locked (160005). The reveal then replies to the
# question in the channel instead of failing, or suspending the channel, for ever.
THREAD_GONE_CODES = {10003, 50083, 160005}


def thread_unusable(exc: BaseException | None) -> bool:
    return isinstance(exc, discord.HTTPException) and exc.code in THREAD_GONE_CODES


def missing_permissions(permissions: discord.Permissions) -> list[str]:
    return [label for name, label in REQUIRED_PERMISSIONS if not getattr(permissions, name)]


class DiscordAdapter:
    platform = "discord"
    # Discord subcommands need names; /mlq help shows these where the core's spelling differs.
    command_forms: Mapping[str, str] = MappingProxyType(
        {
            "": "/mlq practice [topic]",
            "topics only": "/mlq limit-topics T1,T2 | all",
            "banks only": "/mlq limit-banks B1,B2 | all",
            "retire": "/mlq reports retire:#N why:…",
        }
    )

    def __init__(self, client: discord.Client | None = None) -> None:
        self._client = client

    def bind(self, client: discord.Client) -> None:
        """Attach the client; a restart binds a fresh one to the same adapter."""
        self._client = client

    @property
    def client(self) -> discord.Client:
        if self._client is None:
            raise DeliveryError("the Discord client is not connected yet")
        return self._client

    async def channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        found = self.client.get_channel(channel_id)
        if found is None:
            found = await self.client.fetch_channel(channel_id)
        return found  # type: ignore[return-value]

    def _messageable(self, channel_id: int, guild_id: str) -> discord.PartialMessageable:
        guild = int(guild_id) if guild_id.isdigit() else None
        return self.client.get_partial_messageable(channel_id, guild_id=guild)

    async def access_problems(self, where: ChannelAddress) -> list[str]:
        """What keeps mlq from working in the channel (before /mlq subscribe or resume, and
        for ``mlq doctor``): every permission it uses that its role lacks there."""
        with delivery(f"checking channel {where.channel}"):
            channel = await self.channel(int(where.channel))
        if isinstance(channel, discord.Thread):
            return ["this is a thread: run the command in the channel itself"]
        guild = getattr(channel, "guild", None)
        me = guild.me if guild is not None else None
        if me is None or not isinstance(channel, discord.abc.Messageable):
            return ["mlq cannot post in this kind of channel: use a text channel"]
        missing = missing_permissions(channel.permissions_for(me))
        if not missing:
            return []
        return [
            f"mlq's role lacks {', '.join(missing)} here: allow them for mlq in the "
            "channel's (or its category's) permission settings"
        ]

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        parts = outbound.render(message)
        with delivery(f"posting in channel {channel.channel}"):
            target = await self.channel(int(channel.channel))
            if not isinstance(target, discord.abc.Messageable):
                raise DeliveryError(
                    f"channel {channel.channel} cannot hold messages",
                    permanent=True,
                    reason="not_a_text_channel",
                )
            first = (await send_rendered(target, parts[:1], nonce=claim_nonce(message.key)))[0]
        thread_id = first.id
        if open_thread:
            thread_id = await self._open_thread(first, message, parts[1:])
        elif parts[1:]:
            await send_continuations(target, parts[1:])
        return PostedRef(str(first.id), str(thread_id))

    async def _open_thread(
        self, first: discord.Message, message: Message, rest: list[outbound.Rendered]
    ) -> int:
        """Start the answer thread. The post is out either way, so a failure here is logged,
        not raised (raising would make the core post the question again). A thread started
        from a message has the message's id, so answers still find their question if
        someone opens the thread by hand."""
        try:
            thread = await first.create_thread(
                name=outbound.thread_name(message), auto_archive_duration=AUTO_ARCHIVE_MINUTES
            )
        except DISCORD_ERRORS:
            log.exception("could not open the answer thread on message %s", first.id)
            if rest:
                await send_continuations(first.channel, rest)
            return first.id
        if rest:
            await send_continuations(thread, rest)
        return thread.id

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        target = self._messageable(int(thread.thread_id), thread.channel.workspace)
        parts = outbound.render(message)
        try:
            with delivery(f"replying in thread {thread.thread_id}"):
                [first] = await send_rendered(target, parts[:1], nonce=claim_nonce(message.key))
        except DeliveryError as exc:
            if not thread_unusable(exc.__cause__):
                raise
            return await self._reply_to_question(thread, message, parts, exc)
        if parts[1:]:
            await send_continuations(target, parts[1:])
        return str(first.id)

    async def _reply_to_question(
        self,
        thread: ThreadAddress,
        message: Message,
        parts: list[outbound.Rendered],
        exc: DeliveryError,
    ) -> str:
        """The thread cannot take it: reply to the question message in the channel (a
        thread started from a message has the message's id). If the question is gone too,
        the reply stands on its own; if the channel is gone, that is the channel's
        refusal, and the core suspends it."""
        log.info("thread %s cannot take a reply (%s); replying in the channel", thread, exc)
        channel = self._messageable(int(thread.channel.channel), thread.channel.workspace)
        reference = discord.MessageReference(
            message_id=int(thread.thread_id),
            channel_id=int(thread.channel.channel),
            fail_if_not_exists=False,
        )
        with delivery(f"replying to question {thread.thread_id} in the channel"):
            [first] = await send_rendered(
                channel, parts[:1], nonce=claim_nonce(message.key), reference=reference
            )
        if parts[1:]:
            await send_continuations(channel, parts[1:])
        return str(first.id)

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        """A message of the bot's carrying ``key`` since ``since``, in the channel or, for
        a reveal, in the question's thread.

        The key rides twice on a claimed message: as its nonce, which Discord keeps only
        in the create answer and the gateway's MESSAGE_CREATE (so only a running process's
        message cache has it: the cheap first check), and in its first button's custom
        id, which Discord's stored history returns (outbound.custom_id). So a process
        started after the sender was killed still finds it, reading the history forwards
        from the claim (less a clock skew) over REST. If it cannot read all of that (an
        HTTP error, no permission, more than HISTORY_LIMIT messages since the claim), it
        raises DeliveryError: the core sends nothing now and asks again after the lease
        (a refusal for good suspends the channel), as on Slack."""
        me = self.client.user
        if me is None:
            raise DeliveryError("the Discord client is not logged in yet")
        nonce, token = claim_nonce(key), outbound.key_token(key)
        where = int(thread.thread_id if thread is not None else channel.channel)
        after = since - CLOCK_SKEW
        for cached in self.client.cached_messages:
            if (
                cached.channel.id == where
                and cached.author.id == me.id
                and cached.created_at >= after
                and carries_key(cached, nonce, token)
            ):
                return self._ref(cached, thread)

        def ours(message: discord.Message) -> bool:
            return carries_key(message, nonce, token)

        try:
            found = await self._search_history(
                self._messageable(where, channel.workspace), where, after, ours
            )
        except DeliveryError as exc:
            if thread is None or not thread_unusable(exc.__cause__):
                raise
            # No thread to look in (never opened, or deleted): a reveal was then sent as a
            # reply to the question in the channel (_reply_to_question), so look there.
            log.info("thread %s is gone; looking for %s in its channel", where, key)
            in_channel = int(channel.channel)
            found = await self._search_history(
                self._messageable(in_channel, channel.workspace), in_channel, after, ours
            )
        return None if found is None else self._ref(found, thread)

    async def _search_history(
        self,
        target: discord.abc.Messageable,
        where: int,
        after: datetime,
        matches: Callable[[discord.Message], bool],
    ) -> discord.Message | None:
        """The bot's first message in ``target`` (channel ``where``) since ``after`` that
        ``matches``; oldest first, as the claimed send comes soon after the claim."""
        me = self.client.user
        read = 0
        with delivery(f"reading the history of {where}"):
            async for found in target.history(limit=HISTORY_LIMIT, after=after):
                read += 1
                if me is not None and found.author.id == me.id and matches(found):
                    return found
        if read >= HISTORY_LIMIT:
            # Not searched to the end: better to ask again later than to post twice.
            raise DeliveryError(
                f"history of {where}: over {HISTORY_LIMIT} messages since the claim"
            )
        return None

    @staticmethod
    def _ref(found: discord.Message, thread: ThreadAddress | None) -> PostedRef:
        if thread is not None:
            return PostedRef(str(found.id), thread.thread_id)
        # A question's thread, started from the message, has the message's id.
        return PostedRef(str(found.id), str(found.id))

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        where = int(message.thread_id or message.channel.channel)
        target = self._messageable(where, message.channel.workspace)
        with delivery(f"reacting to message {message.message_id}"):
            await target.get_partial_message(int(message.message_id)).add_reaction(
                outbound.REACTION_EMOJI[reaction]
            )

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        """A direct message. Discord has no ephemeral message outside an interaction;
        when the member's DMs are closed the feedback stays one "My feedback" click away."""
        parts = outbound.render(message)
        # Buttons act on a server channel, which a DM is not; they stay on the question.
        parts = [outbound.Rendered(p.embeds) for p in parts]
        # An owed grade's key rides twice: in its first line's grade reference, which
        # Discord's history returns (find_private), and as the nonce, a first guard while
        # Discord remembers it (a few minutes).
        context = outbound.dm_context(channel, thread, message.key)
        parts[0] = outbound.Rendered(parts[0].embeds, (), context)
        with delivery(f"messaging user {user_id}"):
            user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
            try:
                dm = await user.create_dm()
                await send_rendered(dm, parts, nonce=claim_nonce(message.key))
            except discord.Forbidden:
                log.info("user %s does not accept DMs; feedback stays in My feedback", user_id)

    async def find_private(
        self, channel: ChannelAddress, user_id: str, key: str, since: datetime
    ) -> PostedRef | None:
        """The owed grade carrying ``key`` that the bot sent ``user_id`` since ``since``
        (bot/outbox asks before it re-sends a row an earlier holder may have sent).

        First among the messages this process's gateway saw (by nonce or reference), then
        in the DM's stored history over REST, forwards from ``since`` less a clock skew, at
        most HISTORY_LIMIT messages (the grade reference in the text; the nonce is not in
        history). Not able to read all of that, it raises DeliveryError: nothing is sent
        now and the row is asked about again later.

        A 403 (Forbidden) opening or reading the DM raises a permanent DeliveryError, so
        the row is given up, not sent: Discord refuses a bot a DM when the member closed
        them, blocked it or shares no server with it, and the send would meet the same
        403, which send_private takes as "DMs closed" and sends nothing. Giving up sends
        nothing as well, without risking a second copy if the first went out before the
        DMs closed; the grade stays under My feedback either way."""
        me = self.client.user
        if me is None:
            raise DeliveryError("the Discord client is not logged in yet")
        nonce, token = claim_nonce(key), outbound.key_token(key)
        after = since - CLOCK_SKEW

        def ours(message: discord.Message) -> bool:
            return carries_private_key(message, nonce, token)

        try:
            with delivery(f"opening the DM with user {user_id}"):
                user = self.client.get_user(int(user_id)) or await self.client.fetch_user(
                    int(user_id)
                )
                dm = await user.create_dm()
            for cached in self.client.cached_messages:
                if (
                    cached.channel.id == dm.id
                    and cached.author.id == me.id
                    and cached.created_at >= after
                    and ours(cached)
                ):
                    return PostedRef(str(cached.id), str(dm.id))
            found = await self._search_history(dm, dm.id, after, ours)
        except DeliveryError as exc:
            if isinstance(exc.__cause__, discord.Forbidden):
                raise DeliveryError(
                    f"direct messages to user {user_id} refused: {exc.__cause__}",
                    permanent=True,
                    reason="dms_closed",
                ) from exc.__cause__
            raise
        return None if found is None else PostedRef(str(found.id), str(dm.id))

    async def send_direct(self, where: ChannelAddress, user_id: str, message: Message) -> None:
        """A direct message (e.g. to the admin of a suspended channel)."""
        parts = [outbound.Rendered(p.embeds) for p in outbound.render(message)]
        with delivery(f"messaging user {user_id}"):
            user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
            await send_rendered(await user.create_dm(), parts)

    async def close_thread(self, thread: ThreadAddress) -> None:
        with delivery(f"archiving thread {thread.thread_id}"):
            try:
                target = await self.channel(int(thread.thread_id))
            except discord.NotFound:
                return  # no thread to archive: never opened, or deleted
            if isinstance(target, discord.Thread) and not target.archived:
                await target.edit(archived=True)

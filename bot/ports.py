"""What the core needs from a chat platform. Adapters implement it; the core calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction


@dataclass(frozen=True)
class PostedRef:
    """Where a message landed. ``thread_id`` is what replies to it will carry."""

    message_id: str
    thread_id: str


class DeliveryError(Exception):
    """A platform refused or failed a send; the core logs it and carries on.

    The adapter says what kind of failure it was (it knows the platform's codes; what to
    do about it is the core's business, bot/access): ``permanent`` when trying again cannot
    help until a person acts (the bot was removed from the channel, the channel is gone or
    archived, the app was uninstalled, a permission is missing), else it is transient (a
    rate limit, a server error, the network). ``reason`` is a short code for people, e.g.
    Slack's ``not_in_channel`` or Discord's ``missing_permissions``.
    """

    def __init__(self, message: str = "", *, permanent: bool = False, reason: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.reason = reason or message


class ChatAdapter(Protocol):
    """The platform side of the core.

    Optional: an attribute ``command_forms: Mapping[str, str]`` (a key of
    ``bot.commands.USAGE`` -> the form the platform's users type) when a platform spells a
    command differently, e.g. Discord's "/mlq practice" for "/mlq"; /mlq help shows it.
    Optional: an attribute ``send_concurrency: int``, how many sends the platform connection
    carries at once (its HTTP pool); fan-outs then keep that many in flight instead of the
    core's default.
    Optional: ``async def send_direct(self, where: ChannelAddress, user_id: str, message:
    Message) -> None``, a direct message to a person of ``where``'s workspace, used to tell
    an admin that a channel was suspended.
    Optional: ``async def find_private(self, where: ChannelAddress, user_id: str, key: str,
    since: datetime) -> PostedRef | None``, for a platform whose ``send_private`` of a keyed
    message (an owed grade, bot/outbox) can be found again: the private message carrying
    ``key`` sent to ``user_id`` since ``since``, or None. Raises DeliveryError when it
    cannot look right now (the owed message is then not sent, and asked about later).
    Optional: ``private_answers_owed = True`` when the grade of a private answer (a form or
    a quiz pick) is to be owed through the outbox and sent with ``send_private``, rather
    than returned to the adapter for the interaction's own reply.
    """

    platform: str

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        """Post to a channel; with ``open_thread`` make it a thread people can answer in."""
        ...

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        """Reply inside a thread; returns the new message's id."""
        ...

    async def react(self, message: MessageAddress, reaction: Reaction) -> None: ...

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        """Show ``message`` to one person only (ephemeral message, DM or equivalent). A
        message with a ``key`` is owed (bot/outbox): send it where it can be found again if
        the platform allows it (Slack: a DM with the key as metadata; Discord: a DM naming
        the key's token in its text, with the key as nonce too)."""
        ...

    async def close_thread(self, thread: ThreadAddress) -> None:
        """Called after the reveal; platforms without thread state do nothing."""
        ...

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        """A message this bot sent since ``since`` carrying claim key ``key`` (see
        ``Message.key``), in the channel or, given ``thread``, in that thread; None if
        there is none. Recovery asks before it re-sends a claim whose sender died: the
        window between a send and its mark is one no database can close.

        Raises DeliveryError when the platform cannot be asked right now; the core then
        leaves the claim for a later attempt rather than risk a second copy."""
        ...

"""A chat platform that lives in a list: the core's adapter interface with nothing behind it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.ports import DeliveryError, PostedRef


@dataclass(frozen=True)
class Sent:
    """One thing the core asked the platform to do."""

    verb: str  # post | thread | react | private | direct | close
    channel: ChannelAddress
    message: Message | None = None
    ref: str | None = None  # the new message id, or the message reacted to
    thread_id: str | None = None
    user_id: str | None = None
    reaction: Reaction | None = None


class MemoryAdapter:
    platform = "memory"

    def __init__(self, platform: str = "memory", clock: Clock | None = None) -> None:
        self.platform = platform
        self.clock = clock
        self.posted_at: dict[str, datetime] = {}  # message id -> when it was sent
        self.sent: list[Sent] = []
        self.failing_channels: set[str] = set()  # transient failures
        self.dead_channels: dict[str, str] = {}  # channel -> reason of a permanent refusal
        self._ids = itertools.count(1)

    def _check(self, channel: ChannelAddress) -> None:
        if channel.channel in self.dead_channels:
            reason = self.dead_channels[channel.channel]
            raise DeliveryError(
                f"channel {channel.channel}: {reason}", permanent=True, reason=reason
            )
        if channel.channel in self.failing_channels:
            raise DeliveryError(f"channel {channel.channel} refuses messages")

    def _next_id(self) -> str:
        return f"m{next(self._ids)}"

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        self._check(channel)
        message_id = self._next_id()
        self._stamp(message_id)
        self.sent.append(Sent("post", channel, message, message_id, thread_id=message_id))
        return PostedRef(message_id, message_id)

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        self._check(thread.channel)
        message_id = self._next_id()
        self._stamp(message_id)
        self.sent.append(Sent("thread", thread.channel, message, message_id, thread.thread_id))
        return message_id

    def _stamp(self, message_id: str) -> None:
        if self.clock is not None:
            self.posted_at[message_id] = self.clock.now()

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        """What was recorded with ``key`` (messages sent without a clock count as recent)."""
        verb = "thread" if thread is not None else "post"
        for sent in self.sent:
            if (
                sent.verb != verb
                or sent.message is None
                or sent.message.key != key
                or sent.channel != channel
                or (thread is not None and sent.thread_id != thread.thread_id)
            ):
                continue
            at = self.posted_at.get(sent.ref or "")
            if at is not None and at < since:
                continue
            return PostedRef(sent.ref or "", sent.thread_id or sent.ref or "")
        return None

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        self.sent.append(
            Sent(
                "react",
                message.channel,
                None,
                message.message_id,
                message.thread_id,
                reaction=reaction,
            )
        )

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        self.sent.append(
            Sent(
                "private",
                channel,
                message,
                None,
                thread.thread_id if thread else None,
                user_id=user_id,
            )
        )

    async def send_direct(self, where: ChannelAddress, user_id: str, message: Message) -> None:
        self.sent.append(Sent("direct", where, message, None, user_id=user_id))

    async def close_thread(self, thread: ThreadAddress) -> None:
        self.sent.append(Sent("close", thread.channel, None, None, thread.thread_id))

    # --- helpers for tests ---------------------------------------------------------------

    def of(self, verb: str, channel: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.verb == verb and (channel is None or s.channel.channel == channel)
        ]

    def clear(self) -> None:
        self.sent.clear()

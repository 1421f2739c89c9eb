"""The terminal as a chat platform: one simulated channel, printed to a stream."""

from __future__ import annotations

import itertools
import secrets
import sys
from datetime import datetime
from typing import TextIO

from adapters.console.render import to_text
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Action, Message, MessageKind, Reaction
from bot.ports import PostedRef

REACTION_TEXT = {
    Reaction.RECEIVED: "✓ answer received",
    Reaction.UPDATED: "✓ answer updated",
    Reaction.LATE: "· kept as late",
}


class ConsoleAdapter:
    platform = "console"

    def __init__(
        self, out: TextIO | None = None, *, color: bool | None = None, viewer: str | None = None
    ) -> None:
        self.out = out or sys.stdout
        self.viewer = viewer  # whose private messages are shown; None shows everyone's
        self.color = self.out.isatty() if color is None else color
        self._ids = itertools.count(1)
        # Message ids must not repeat across sessions on one database, as a platform's never
        # do: an answer carrying an earlier session's id would be taken for a redelivery of
        # that answer and dropped. So each adapter's ids carry a random tag.
        self._tag = secrets.token_hex(4)
        self.open_thread: str | None = None  # the daily question's thread, if any
        self.pending_practice: int | None = None  # a practice question awaiting an answer
        # Set when the reader went away (`mlq demo | head`): nothing more can be shown, so
        # output is dropped rather than failing the send, which the core would retry forever.
        self.closed = False
        # Claim key -> where that message went: the terminal's own record of what it showed.
        self._keyed: dict[str, PostedRef] = {}

    def say(self, text: str) -> None:
        """Print a line, unless the output is closed; then note it and drop the text."""
        self.prompt(text + "\n")

    def prompt(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the stream object was closed
            self.closed = True

    _print = say

    def new_message_id(self) -> str:
        return f"c{next(self._ids)}-{self._tag}"

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        message_id = self.new_message_id()
        if open_thread:
            self.open_thread = message_id
        self._print(to_text(message, color=self.color))
        ref = PostedRef(message_id, message_id)
        if message.key is not None:
            self._keyed[message.key] = ref
        return ref

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        self._print(to_text(message, color=self.color).replace("\n", "\n  | "))
        message_id = self.new_message_id()
        if message.key is not None:
            self._keyed[message.key] = PostedRef(message_id, thread.thread_id)
        return message_id

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        """A terminal session is one process: it can only find what it printed itself."""
        return self._keyed.get(key)

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        self._print(f"  {REACTION_TEXT[reaction]}")

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        if self.viewer is None or user_id == self.viewer:
            self.show_private(message)

    def show_private(self, message: Message) -> None:
        """Print a reply meant for the terminal's user; remember a practice question."""
        # A practice question, or a practice quiz answer that could not be read and so
        # stays open: the next typed line answers it (a quiz menu's letters included).
        open_again = message.kind in (MessageKind.QUESTION, MessageKind.FEEDBACK)
        for button in message.buttons:
            if button.action == Action.ANSWER_PRIVATELY and open_again:
                self.pending_practice = int(button.value)
        if message.choices is not None and open_again:
            self.pending_practice = message.choices.post_id
        self._print(to_text(message, color=self.color))

    async def close_thread(self, thread: ThreadAddress) -> None:
        if self.open_thread == thread.thread_id:
            self.open_thread = None

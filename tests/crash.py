"""A process that dies at a chosen send, for crash tests run inside one test process.

``dying_core`` builds a second core (another instance id, its own engine) whose adapter
forwards to the real platform adapter and, at the chosen send, lets the platform take
the message and then "dies": from that instant every database session and every platform
call of that core fails, as after a SIGKILL, so nothing it had not written yet is ever
written. Unlike cancelling a task, no clean-up code of the dead core reaches the
database. Whatever it still runs only logs its failures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import ManualClock
from bot.context import CoreContext
from bot.core import MlqCore
from bot.events import ChannelAddress, MessageAddress, ThreadAddress
from bot.messages import Message, Reaction
from bot.ports import ChatAdapter, DeliveryError, PostedRef
from question_bank.loader import QuestionBank
from storage import Database
from tests.harness import shared_bank


class Dead(DeliveryError):
    """What a killed process's calls meet: it can no longer do anything."""


class MortalDatabase(Database):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.dead = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        if self.dead:
            raise Dead("the process was killed")
        async with super().session() as session:
            yield session
        if self.dead:  # killed while this transaction ran: it may have committed, no more
            raise Dead("the process was killed")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Any]:
        if self.dead:
            raise Dead("the process was killed")
        async with super().reading() as session:
            yield session


@dataclass
class DyingAdapter:
    """Forwards to ``platform``; at the send ``kill_at`` picks, the message reaches the
    platform and then the process dies before it learns the answer."""

    platform_adapter: ChatAdapter
    db: MortalDatabase
    kill_at: Callable[[Message], bool]
    sent: list[Message] = field(default_factory=list)
    dead: bool = False
    # Die just before a reaction ("react") or a private message ("private") is sent: the
    # answer is stored, and what it is owed never reaches the platform from here.
    die_before: Callable[[str], bool] = lambda verb: False
    # Die just after the platform took a private message, before its mark is written:
    # the window only a look-up on the platform can close.
    die_after: Callable[[str], bool] = lambda verb: False

    @property
    def platform(self) -> str:
        return self.platform_adapter.platform

    def __getattr__(self, name: str) -> Any:
        # The port's optional parts are here exactly when the platform's adapter has them.
        platform_adapter = self.__dict__.get("platform_adapter")
        if name == "private_answers_owed" and platform_adapter is not None:
            return getattr(platform_adapter, name)
        if name == "find_private" and platform_adapter is not None:
            find = getattr(platform_adapter, name)

            async def find_private(*args: Any, **kwargs: Any) -> Any:
                self._alive()
                return await find(*args, **kwargs)

            return find_private
        raise AttributeError(name)

    def _alive(self) -> None:
        if self.dead:
            raise Dead("the process was killed")

    def _before(self, verb: str) -> None:
        self._alive()
        if self.die_before(verb):
            self.dead = self.db.dead = True
            raise Dead(f"killed before sending a {verb}")

    def _after_send(self, message: Message) -> None:
        self.sent.append(message)
        if self.kill_at(message):
            self.dead = self.db.dead = True
            raise Dead("killed after the platform accepted the message")

    async def post(
        self, channel: ChannelAddress, message: Message, *, open_thread: bool = False
    ) -> PostedRef:
        self._alive()
        ref = await self.platform_adapter.post(channel, message, open_thread=open_thread)
        self._after_send(message)
        return ref

    async def reply_in_thread(self, thread: ThreadAddress, message: Message) -> str:
        self._alive()
        ref = await self.platform_adapter.reply_in_thread(thread, message)
        self._after_send(message)
        return ref

    async def react(self, message: MessageAddress, reaction: Reaction) -> None:
        self._before("react")
        await self.platform_adapter.react(message, reaction)

    async def send_private(
        self,
        channel: ChannelAddress,
        user_id: str,
        message: Message,
        *,
        thread: ThreadAddress | None = None,
    ) -> None:
        self._before("private")
        await self.platform_adapter.send_private(channel, user_id, message, thread=thread)
        if self.die_after("private"):
            self.dead = self.db.dead = True
            raise Dead("killed after the platform accepted a private message")

    async def close_thread(self, thread: ThreadAddress) -> None:
        self._alive()
        await self.platform_adapter.close_thread(thread)

    async def find_sent(
        self,
        channel: ChannelAddress,
        key: str,
        since: datetime,
        *,
        thread: ThreadAddress | None = None,
    ) -> PostedRef | None:
        self._alive()
        return await self.platform_adapter.find_sent(channel, key, since, thread=thread)


def nth(kind: str, n: int) -> Callable[[Message], bool]:
    """Die at the ``n``-th message of ``kind`` (a MessageKind value)."""
    seen = 0

    def pick(message: Message) -> bool:
        nonlocal seen
        if message.kind == kind:
            seen += 1
            return seen == n
        return False

    return pick


def dying_core(
    db_url: str,
    platform_adapter: ChatAdapter,
    clock: ManualClock,
    kill_at: Callable[[Message], bool],
    *,
    instance_id: str = "doomed",
    bank: QuestionBank | None = None,
) -> tuple[MlqCore, DyingAdapter]:
    db = MortalDatabase(db_url)
    adapter = DyingAdapter(platform_adapter, db, kill_at)
    ctx = CoreContext(
        db=db, bank=bank or shared_bank(), adapter=adapter, clock=clock, instance_id=instance_id
    )
    return MlqCore(ctx), adapter

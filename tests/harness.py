"""Building a core for tests: real database, real bank, any adapter, a manual clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.memory import MemoryAdapter
from bot.clock import ManualClock
from bot.context import CoreContext
from bot.core import MlqCore
from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ChannelAddress,
    CommandInvoked,
)
from bot.messages import Message
from bot.ports import ChatAdapter
from question_bank.loader import QuestionBank, load_bank
from storage import Database

_BANK: QuestionBank | None = None


def shared_bank() -> QuestionBank:
    """The built-in bank, loaded once per test run."""
    global _BANK
    if _BANK is None:
        _BANK = load_bank()
    return _BANK


@dataclass
class Harness:
    core: MlqCore
    adapter: MemoryAdapter
    clock: ManualClock
    db: Database
    where: ChannelAddress

    @property
    def bank(self) -> QuestionBank:
        return self.core.ctx.bank

    async def command(
        self, text: str, actor: Actor, *, event_id: str | None = None
    ) -> list[Message]:
        return await self.core.dispatch(CommandInvoked(self.where, actor, text, event_id))

    async def answer(
        self,
        actor: Actor,
        text: str,
        *,
        message_id: str,
        thread_id: str | None = None,
        event_id: str | None = None,
    ) -> list[Message]:
        thread = thread_id or self.current_thread()
        return await self.core.dispatch(
            AnswerPosted(self.where, actor, thread, message_id, text, event_id)
        )

    async def edit(self, actor: Actor, text: str, *, message_id: str) -> list[Message]:
        return await self.core.dispatch(
            AnswerEdited(self.where, actor, self.current_thread(), message_id, text)
        )

    async def delete(self, actor: Actor, *, message_id: str) -> list[Message]:
        return await self.core.dispatch(
            AnswerDeleted(self.where, actor, self.current_thread(), message_id)
        )

    def current_thread(self) -> str:
        posts = [
            s
            for s in self.adapter.of("post", self.where.channel)
            if s.message and s.message.kind == "question"
        ]
        assert posts, "no question has been posted in this channel"
        return posts[-1].thread_id

    def address(self, channel: str) -> ChannelAddress:
        """Another channel in the harness's workspace."""
        return ChannelAddress(self.where.platform, self.where.workspace, channel)

    async def subscribe_all(self, admin: Actor, channels: Sequence[str]) -> None:
        """Subscribe the channels; their confirmations are not kept in ``adapter.sent``,
        so that tests count only what ticks send."""
        sent = getattr(self.adapter, "sent", None)
        before = len(sent) if sent is not None else 0
        for channel in channels:
            replies = await self.core.dispatch(
                CommandInvoked(self.address(channel), admin, "subscribe")
            )
            assert replies == [], f"subscribing {channel} was refused: {replies}"
        if sent is not None:
            del sent[before:]

    async def run_until(self, instant: datetime, step: timedelta = timedelta(hours=1)) -> None:
        """Tick every ``step`` until ``instant``, like the scheduler would."""
        while self.clock.now() < instant:
            self.clock.advance(min(step, instant - self.clock.now()))
            await self.core.tick()

    async def close(self) -> None:
        await self.core.ctx.db.dispose()


def make_core(
    db_url: str,
    adapter: ChatAdapter,
    clock: ManualClock,
    *,
    instance_id: str = "test",
    bank: QuestionBank | None = None,
) -> MlqCore:
    ctx = CoreContext(
        db=Database(db_url),
        bank=bank or shared_bank(),
        adapter=adapter,
        clock=clock,
        instance_id=instance_id,
    )
    return MlqCore(ctx)


async def make_harness(
    db_url: str,
    start: datetime,
    *,
    channel: str = "C1",
    platform: str = "memory",
    instance_id: str = "test",
    adapter: MemoryAdapter | None = None,
) -> Harness:
    clock = ManualClock(start)
    adapter = adapter or MemoryAdapter(platform, clock)
    core = make_core(db_url, adapter, clock, instance_id=instance_id)
    return Harness(
        core, adapter, clock, core.ctx.db, ChannelAddress(adapter.platform, "W1", channel)
    )


def channel_names(count: int) -> list[str]:
    return [f"C{n:03d}" for n in range(count)]


ADMIN = Actor("U-admin", "Alice Admin", is_admin=True)
MEMBERS: Sequence[Actor] = (
    Actor("U1", "Ana"),
    Actor("U2", "Ben"),
    Actor("U3", "Cai"),
    Actor("U4", "Dia"),
)

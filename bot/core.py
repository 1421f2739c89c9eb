"""The platform-neutral core: adapters hand it events; a scheduler calls ``tick``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import answers, digest, handlers, outbox, render, rounds
from bot.access import lifecycle
from bot.context import CoreContext, channel_zone, log
from bot.events import (
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ButtonPressed,
    ChannelAddress,
    ChannelChanged,
    CommandInvoked,
    InboundEvent,
    PrivateAnswerSubmitted,
    ThreadAddress,
    ThreadDeleted,
    WorkspaceRemoved,
    storable_event,
)
from bot.fanout import for_each
from bot.heap import fewer_collections
from bot.home import home_view
from bot.inbox import INBOX_LEASE_FACTOR, Inbox
from bot.ingest import AnswerIngester
from bot.lookahead import PickPlan
from bot.messages import Message
from bot.render import error
from bot.schedule import local_date, local_instant, next_scheduled, parse_hhmm
from bot.text import storable
from storage import Repository, unit_of_work
from storage.repository import ChannelRow


@dataclass(frozen=True)
class TickReport:
    posted: int = 0
    revealed: int = 0
    digests: int = 0


# Platforms retry a delivery within minutes; a month is far past any retry.
DELIVERY_MEMORY = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
# Threads revealed this recently are still read back after an outage.
CATCH_UP_WINDOW = timedelta(days=1)


class MlqCore:
    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self._last_prune: datetime | None = None
        self.ingester = AnswerIngester(ctx)
        self.inbox = Inbox(ctx, lease=ctx.lease * INBOX_LEASE_FACTOR)
        self.plan = PickPlan()

    async def dispatch(self, event: InboundEvent) -> list[Message]:
        """Handle one inbound event; returns the replies meant for the person who acted.

        Never raises: a failing handler is logged and the person gets a short apology.
        """
        # Text no database takes (NUL, lone surrogates) is cleaned, not refused later.
        event = storable_event(event)
        try:
            match event:
                case CommandInvoked():
                    return await handlers.on_command(self.ctx, event)
                case AnswerPosted():
                    await self.ingester.submit(event)
                    return []
                case AnswerEdited():
                    return await answers.on_answer_edited(self.ctx, event)
                case AnswerDeleted():
                    return await answers.on_answer_deleted(self.ctx, event)
                case PrivateAnswerSubmitted():
                    return await answers.on_private_answer(self.ctx, event)
                case ButtonPressed():
                    return await handlers.on_button(self.ctx, event)
                case ChannelChanged():
                    await lifecycle.on_channel_changed(self.ctx, event)
                    return []
                case WorkspaceRemoved():
                    await lifecycle.on_workspace_removed(self.ctx, event)
                    return []
                case ThreadDeleted():
                    await lifecycle.on_thread_deleted(self.ctx, event)
                    return []
        except Exception:
            log.exception("handling %s failed", type(event).__name__)
            return [
                error(
                    "Something went wrong on our side; nothing you sent was lost. "
                    "Please try again in a minute."
                )
            ]
        return []

    async def home(self, platform: str, workspace: str, user_id: str) -> Message:
        """A member's own summary across channels: streaks, points, last graded answers."""
        return await home_view(self.ctx, platform, storable(workspace), storable(user_id))

    async def tick(self) -> TickReport:
        """Do whatever is due now: posts, reveals, digests, and retries of stalled sends."""
        # A tick is a burst of short-lived objects, thousands of rows and messages, that
        # reference counting frees; the cyclic collector waits until it ends (bot/heap.py).
        with fewer_collections():
            return await self._tick(self.ctx.now())

    async def _tick(self, now: datetime) -> TickReport:
        async with unit_of_work(self.ctx.db) as repo:
            channels = await repo.active_channels(self.ctx.platform)
        # The posts go first. The rest starts once every post has begun sending, so it
        # runs while posts refused with a 429 wait out their Retry-After, not after them.
        dispatched = asyncio.Event()
        posting = asyncio.create_task(self._post(channels, now, dispatched))
        try:
            await dispatched.wait()
            try:
                revealed = await rounds.reveal_due(self.ctx, now)
                await rounds.recover_stalled(self.ctx, now)
                await digest.recover_digests(self.ctx, now)
            except Exception:
                log.exception("reveal pass failed")
                revealed = 0
            await self._pay_overdue()
            digests = await for_each(
                # Only the channels whose digest time has come cost a task and a transaction.
                [row for row in channels if digest.digest_due_at(row, now) is not None],
                lambda row: digest.digest_due(self.ctx, row, now),
                limit=self.ctx.concurrency,
                what="digest",
            )
            await self._prune(now)
            await self._prepare(channels, now)
        except BaseException:
            posting.cancel()  # a cancelled tick leaves its claims to the recovery pass
            raise
        return TickReport(await posting, revealed, digests)

    async def _post(
        self, channels: list[ChannelRow], now: datetime, dispatched: asyncio.Event
    ) -> int:
        try:
            return await rounds.post_due_all(
                self.ctx, channels, now, plan=self.plan, dispatched=dispatched
            )
        except Exception:
            log.exception("daily post pass failed")
            return 0
        finally:
            dispatched.set()

    async def _pay_overdue(self) -> None:
        """Reactions and private grades whose sender died or failed (bot/outbox)."""
        try:
            await outbox.pay_overdue(self.ctx)
        except Exception:
            log.exception("paying owed feedback failed")

    async def _prepare(self, channels: list[ChannelRow], now: datetime) -> None:
        """Choose the questions of posts due before the next tick or two (see lookahead)."""
        try:
            await self.plan.prepare(self.ctx, channels, now, now + self.ctx.prepare_ahead)
        except Exception:
            # Only an optimisation: the due tick chooses for itself what is not prepared.
            log.exception("choosing the next posts ahead failed")

    async def _prune(self, now: datetime) -> None:
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            async with unit_of_work(self.ctx.db) as repo:
                await repo.prune_deliveries(now - DELIVERY_MEMORY)
            await self.inbox.prune()
            await outbox.prune(self.ctx, now - DELIVERY_MEMORY)
        except Exception:
            log.exception("pruning old deliveries failed")

    async def open_thread(self, where: ChannelAddress) -> str | None:
        """The thread of the channel's daily question that is still taking answers."""
        async with unit_of_work(self.ctx.db) as repo:
            channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
            post = await repo.open_daily_post(channel.id) if channel is not None else None
            return post.thread_ref if post is not None else None

    async def open_questions(self, where: ChannelAddress, user_id: str) -> list[Message]:
        """What a person coming back finds open here, as it was first shown: the channel's
        daily question still taking answers, then their own unanswered practice question
        (a restarted console shows them again)."""
        found: list[Message] = []
        async with unit_of_work(self.ctx.db) as repo:
            channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
            if channel is None:
                return []
            daily = await repo.open_daily_post(channel.id)
            member = await repo.member_by_address(where.platform, where.workspace, user_id)
            practice = (
                await repo.open_practice_post(channel.id, member.id) if member is not None else None
            )
        question = self.ctx.bank.get(daily.question_id) if daily is not None else None
        if daily is not None and question is not None and daily.reveal_at is not None:
            found.append(
                render.question_post(
                    question,
                    post_id=daily.id,
                    deadline=daily.reveal_at,
                    zone=channel_zone(channel),
                    late=daily.late,
                )
            )
        question = self.ctx.bank.get(practice.question_id) if practice is not None else None
        if practice is not None and question is not None:
            found.append(render.practice_question(question, practice.id))
        return found

    async def channel_status(self, where: ChannelAddress) -> str:
        """``active``, ``paused`` or ``unsubscribed`` (also for a channel never seen)."""
        async with unit_of_work(self.ctx.db) as repo:
            channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
        if channel is None or not channel.subscribed:
            return "unsubscribed"
        return "paused" if channel.paused else "active"

    async def open_threads(self) -> list[ThreadAddress]:
        """Every thread of this platform whose daily question is still taking answers, or
        was revealed within ``CATCH_UP_WINDOW``: a catch-up after an outage reads them back,
        and answers sent before the deadline still count (bot/answers.py)."""
        since = self.ctx.now() - CATCH_UP_WINDOW
        async with unit_of_work(self.ctx.db) as repo:
            rows = await repo.open_daily_threads(self.ctx.platform, revealed_since=since)
        return [
            ThreadAddress(ChannelAddress(self.ctx.platform, workspace, channel), thread)
            for workspace, channel, thread in rows
        ]

    async def remembered(self, key: str) -> str | None:
        """A fact an adapter kept between starts (``remember``), or None."""
        async with unit_of_work(self.ctx.db) as repo:
            return await repo.app_state(key)

    async def remember(self, key: str, value: str) -> None:
        async with unit_of_work(self.ctx.db) as repo:
            await repo.set_app_state(key, value, self.ctx.now())

    async def latest_post_time(self) -> datetime | None:
        """When this platform's most recent question went out, if any."""
        async with unit_of_work(self.ctx.db) as repo:
            return await repo.latest_post_time(self.ctx.platform)

    async def next_due(self, after: datetime | None = None) -> datetime | None:
        """The next instant after ``after`` (default now) something is scheduled to happen:
        the scheduler's punctual wake-up, and the console's clock."""
        now = after or self.ctx.now()
        candidates: list[datetime] = []
        async with self.ctx.db.reading() as session:  # runs after every tick: no write lock
            repo = Repository(session)
            channels = await repo.active_channels(self.ctx.platform)
            reveal_at = await repo.next_reveal_at(now)
        if reveal_at is not None:
            candidates.append(reveal_at)
        for row in channels:
            channel = row.channel
            if channel.paused:
                continue
            zone = channel_zone(channel)
            day = local_date(now, zone)
            for _ in range(8):
                scheduled = next_scheduled(day, channel.weekdays)
                if scheduled is None:
                    break
                at = local_instant(scheduled, parse_hhmm(channel.post_time), zone)
                if at > now:
                    candidates.append(at)
                    break
                day = scheduled + timedelta(days=1)
            due = digest.digest_instant(row, now)
            candidates.append(
                due if due > now else digest.digest_instant(row, now + timedelta(days=7))
            )
        return min(candidates) if candidates else None

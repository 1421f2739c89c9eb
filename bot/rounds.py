"""A daily round: claim and post the question, reveal it at the deadline, recover stalls.

Exactly once comes from the database: the post is claimed by inserting its unique
``daily:<channel>:<local date>`` key before anything is sent, and the reveal by a
conditional update from ``posted`` to ``revealed``. Only the process that wins sends.

A tick posts to every due channel through ``post_due_all``: one transaction reads what
selection needs and claims every post with one multi-row insert, the sends run
concurrently, and each delivery is marked as soon as the platform answers (``_Marks``).
``post_due`` does the same for one channel with the repository's per-channel queries; both
obey the same rules.

A kill between a send and its mark is a window no database can close. Every claimed
message therefore carries its claim key (``Message.key``), and recovery, which takes an
expired claim over, first asks the platform for a message with that key sent since the
claim began (``ChatAdapter.find_sent``) and marks it rather than sending a second one.
The same holds for reveals (``reveal_key``) and digests (bot/digest.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import access, render
from bot.choice import (
    DueToday,
    choose_for,
    due_today,
    log_missed,
    pick_question,
    topic_scores,
)
from bot.context import CoreContext, address_of, channel_zone, log
from bot.events import ThreadAddress
from bot.fanout import for_each, send_limit
from bot.grading.learned import accept_reason
from bot.lookahead import PickPlan
from bot.messages import Message
from bot.ports import DeliveryError, PostedRef
from bot.quiz import render as quiz_render
from bot.quiz.votes import tally
from bot.schedule import local_date
from bot.scoring import (
    Streak,
    advance_streak,
    advance_team_streak,
    earns_quality,
    score_round,
)
from question_bank.schema import Question
from storage import unit_of_work
from storage.claims import DailyClaim, DailyClaims, Delivered
from storage.feedback import FeedbackStore
from storage.models import Answer, Member, MemberStreak, Post
from storage.repository import DAILY, ChannelRow, Repository

# Channels chosen and claimed per transaction. Sending starts after the first chunk;
# later chunks double in size (up to the largest) so that a big fan-out runs few
# transactions, each of which costs about as much as claiming ~100 more rows.
CLAIM_CHUNK = 200
LARGEST_CLAIM_CHUNK = 1000


def claim_chunks(count: int, first: int, largest: int) -> list[range]:
    """Index ranges for claiming ``count`` posts: ``first``, then doubling up to ``largest``."""
    chunks: list[range] = []
    start, size = 0, first
    while start < count:
        chunks.append(range(start, min(start + size, count)))
        start += size
        size = min(size * 2, largest)
    return chunks


async def post_due(ctx: CoreContext, row: ChannelRow, now: datetime) -> bool:
    """Post today's question in the channel if it is due and nobody has; True if we did."""
    due = due_today(row, now)
    if due is None:
        return False
    channel = row.channel
    async with unit_of_work(ctx.db) as repo:
        if await repo.daily_post_on(channel.id, due.today) is not None:
            return False
        question = pick_question(
            ctx,
            channel,
            due.today,
            await repo.asked_question_ids(channel.id),
            await topic_scores(repo, ctx, channel.id),
            await FeedbackStore(repo.session).retired_ids(channel.workspace_id),
        )
        if question is None:
            return False
        late = due.late(ctx, now)
        post_id = await repo.claim_post(
            claim_key=due.claim_key,
            channel_id=channel.id,
            question_id=question.qualified_id,
            local_date=due.today,
            kind=DAILY,
            owner=ctx.instance_id,
            lease_until=now + ctx.lease,
            now=now,
            late=late,
        )
        if post_id is None:
            return False  # another process claimed it first
        previous = due.previous_to_check()
        if previous is not None and await repo.daily_post_on(channel.id, previous) is None:
            log_missed(channel.id, previous)
    if late:
        log.warning("channel %s: posting today's question late", channel.id)
    return await send_question(ctx, row, post_id, question, now)


def reveal_key(post: Post) -> str:
    """The claim key a reveal's message carries: the post's, marked as its reveal."""
    return f"{post.claim_key}:reveal"


@dataclass(frozen=True)
class Claimed:
    """A daily post this process inserted and so must send."""

    row: ChannelRow
    post_id: int
    question: Question
    late: bool
    key: str


async def post_due_all(
    ctx: CoreContext,
    rows: Sequence[ChannelRow],
    now: datetime,
    *,
    plan: PickPlan | None = None,
    dispatched: asyncio.Event | None = None,
) -> int:
    """Post today's question in every due channel nobody has posted in; count the posted.

    Claims go in chunks, and each chunk's sends start as soon as it is claimed, so the
    first posts go out while later channels are still being chosen and claimed; all the
    sends share one limit on how many are in flight. Each delivered post is marked as
    soon as the platform answers (see ``_Marks``). Picks made ahead in ``plan`` are used
    where they still hold. ``dispatched`` is set once every claimed post has begun
    sending (at once when nothing is due, and also when the pass fails), while retries
    may still be waiting."""
    progress = _Dispatch(dispatched)
    try:
        due = [d for row in rows if (d := due_today(row, now)) is not None]
        if not due:
            return 0
        return await _claim_and_send(ctx, due, now, plan, progress)
    finally:
        progress.claims_done()


class _Dispatch:
    """Counts sends begun against posts claimed, to tell when the last one has begun."""

    def __init__(self, event: asyncio.Event | None) -> None:
        self.event = event
        self.claimed = 0
        self.begun = 0
        self.claiming = True

    def add_claimed(self, count: int) -> None:
        self.claimed += count

    def send_begun(self) -> None:
        self.begun += 1
        self._check()

    def claims_done(self) -> None:
        self.claiming = False
        self._check()

    def _check(self) -> None:
        if self.event is not None and not self.claiming and self.begun >= self.claimed:
            self.event.set()


async def _claim_and_send(
    ctx: CoreContext,
    due: Sequence[DueToday],
    now: datetime,
    plan: PickPlan | None,
    progress: _Dispatch,
) -> int:
    gate = asyncio.Semaphore(send_limit(ctx.adapter, ctx.concurrency))
    marks = _Marks(ctx, now)
    sends: list[asyncio.Task[None]] = []
    try:
        for chunk in claim_chunks(len(due), CLAIM_CHUNK, LARGEST_CLAIM_CHUNK):
            claimed = await claim_all(ctx, due[chunk.start : chunk.stop], now, plan=plan)
            for post in claimed:
                if post.late:
                    log.warning("channel %s: posting today's question late", post.row.channel.id)
            if claimed:
                progress.add_claimed(len(claimed))
                sends.append(
                    asyncio.create_task(send_all(ctx, claimed, now, gate, marks, progress))
                )
    finally:
        # A claim that failed must not orphan the sends already under way.
        progress.claims_done()
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        await marks.close()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            log.error("a daily fan-out chunk failed: %r", outcome)
    return marks.marked


async def claim_all(
    ctx: CoreContext,
    due: Sequence[DueToday],
    now: datetime,
    *,
    plan: PickPlan | None = None,
) -> list[Claimed]:
    """Choose and claim every due post in one transaction; returns the ones we won.

    A post picked ahead skips the reads; if it was posted meanwhile, its claim simply
    loses to the existing row."""
    ahead = {d.claim_key: pick for d in due if plan and (pick := plan.take(d)) is not None}
    async with ctx.db.session() as session:
        queries = DailyClaims(session)
        choices = await choose_for(ctx, queries, [d for d in due if d.claim_key not in ahead])
        for d in due:
            pick = ahead.get(d.claim_key)
            if pick is not None:
                choices.picks.append((d, pick.question))
                if pick.missed is not None:
                    choices.missed[d.row.channel.id] = pick.missed
        if not choices.picks:
            return []
        won = await queries.claim(
            [
                DailyClaim(d.claim_key, d.row.channel.id, q.qualified_id, d.today, d.late(ctx, now))
                for d, q in choices.picks
            ],
            owner=ctx.instance_id,
            lease_until=now + ctx.lease,
            now=now,
        )
    claimed: list[Claimed] = []
    for d, question in choices.picks:
        post_id = won.get(d.claim_key)
        if post_id is None:
            continue  # another process claimed it first
        missed = choices.missed.get(d.row.channel.id)
        if missed is not None:
            log_missed(d.row.channel.id, missed)
        claimed.append(Claimed(d.row, post_id, question, d.late(ctx, now), d.claim_key))
    return claimed


class _Marks:
    """Marks delivered posts ``posted`` as soon as the platform has answered for them.

    One writer task writes back to back. A send that finishes while a write is under way
    joins the next write, so under load the writes grow rather than multiply (a group
    commit): nothing waits for the rest of the fan-out, and the sends never wait for the
    database. A kill therefore loses only the marks of sends that finished during the
    last write in flight, a handful, and recovery finds those on the platform by their
    claim key instead of sending them again. (Marks used to wait for every chunk to be
    claimed; one death then re-sent every post already out, in every channel.)
    """

    def __init__(self, ctx: CoreContext, now: datetime) -> None:
        self.ctx = ctx
        self.now = now
        self.pending: list[Delivered] = []
        self.marked = 0
        self.writes = 0
        self._wake = asyncio.Event()
        self._closing = False
        self._writer = asyncio.create_task(self._run())

    def add(self, delivered: Delivered) -> None:
        self.pending.append(delivered)
        self._wake.set()

    async def close(self) -> None:
        """Write what is still pending, then stop."""
        self._closing = True
        self._wake.set()
        await self._writer

    async def _run(self) -> None:
        while True:
            if not self.pending:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            batch, self.pending = self.pending, []
            await self._write(batch)

    async def _write(self, batch: list[Delivered]) -> None:
        try:
            async with self.ctx.db.session() as session:
                await DailyClaims(session).mark_posted(batch, posted_at=self.now)
        except Exception:
            # They stay claimed: recovery finds them by their key when the lease runs out.
            log.exception("marking %d delivered posts failed", len(batch))
            return
        self.marked += len(batch)
        self.writes += 1


async def send_all(
    ctx: CoreContext,
    claimed: Sequence[Claimed],
    now: datetime,
    limit: asyncio.Semaphore,
    marks: _Marks,
    progress: _Dispatch,
) -> None:
    """Send the claimed posts concurrently and hand the delivered ones to ``marks``."""
    started = time.monotonic()
    # Past half the lease, an unsent claim is left to the recovery pass: it takes the
    # lease over with a compare-and-set, so it and we can never both send one post.
    send_before = ctx.lease.total_seconds() / 2

    async def send(post: Claimed) -> bool:
        progress.send_begun()
        if time.monotonic() - started > send_before:
            log.warning(
                "channel %s: fan-out ran past the lease; left to recovery", post.row.channel.id
            )
            return False
        delivered = await deliver(
            ctx, post.row, post.post_id, post.question, post.late, now, key=post.key
        )
        if delivered is None:
            return False
        marks.add(delivered)
        return True

    await for_each(claimed, send, limit=limit, what="daily post")


async def deliver(
    ctx: CoreContext,
    row: ChannelRow,
    post_id: int,
    question: Question,
    late: bool,
    now: datetime,
    *,
    key: str,
) -> Delivered | None:
    """Send a claimed question; what to record, or None when the platform refused it."""
    reveal_at = now + timedelta(minutes=row.channel.reveal_after_minutes)
    message = render.question_post(
        question, post_id=post_id, deadline=reveal_at, zone=channel_zone(row.channel), late=late
    )
    message = replace(message, key=key)
    try:
        ref = await ctx.adapter.post(address_of(row), message, open_thread=True)
    except Exception as exc:
        # The claim stays: the recovery pass tries again once its (backed-off) lease runs
        # out, unless the refusal was permanent and the channel is now suspended.
        await access.send_failed(
            ctx, row.channel.id, exc, now, what="the daily question", post_id=post_id
        )
        return None
    return Delivered(post_id, ref.message_id, ref.thread_id, reveal_at)


async def send_question(
    ctx: CoreContext, row: ChannelRow, post_id: int, question: Question, now: datetime
) -> bool:
    """Send a claimed question; True once it is delivered and recorded."""
    async with unit_of_work(ctx.db) as repo:
        post = await repo.get_post(post_id)
    if post is None:
        return False
    delivered = await deliver(ctx, row, post_id, question, post.late, now, key=post.claim_key)
    if delivered is None:
        return False
    async with unit_of_work(ctx.db) as repo:
        await repo.mark_posted(
            post_id,
            message_ref=delivered.message_ref,
            thread_ref=delivered.thread_ref,
            posted_at=now,
            reveal_at=delivered.reveal_at,
        )
    return True


async def reveal_due(ctx: CoreContext, now: datetime) -> int:
    async with unit_of_work(ctx.db) as repo:
        due = await repo.due_reveals(now)
    return await for_each(
        [post.id for post in due],
        lambda post_id: reveal(ctx, post_id, now),
        limit=ctx.concurrency,
        what="reveal",
    )


async def reveal(ctx: CoreContext, post_id: int, now: datetime) -> bool:
    """Close the round: final points, best answer, streaks; then show the model answer."""
    async with unit_of_work(ctx.db) as repo:
        if not await repo.claim_reveal(
            post_id, owner=ctx.instance_id, now=now, lease_until=now + ctx.lease
        ):
            return False
        post = await repo.get_post(post_id)
        row = await repo.channel_row(post.channel_id)
        question = ctx.bank.get(post.question_id)
        answers = [(a, m) for a, m in await repo.answers_for_post(post_id) if not a.withdrawn]
        on_time = [a.on_time for a, _ in answers]
        score_round([a for a, _ in answers])
        if question is None or not question.is_quiz:  # a pick is no wording to learn
            await repo.accept_answers(_accepted_rows(row, post, answers, now))
        await _advance_streaks(repo, row, post_id, {a.member_id for a, _ in answers if a.on_time})
        channel = row.channel
        # Kept so that an answer sent in time but stored after now can still count (answers).
        channel.team_streak_post_id = post_id
        channel.team_streak_previous = channel.team_streak
        channel.team_streak_post_met = sum(on_time) >= channel.team_streak_threshold
        channel.team_streak = advance_team_streak(
            channel.team_streak, sum(on_time), channel.team_streak_threshold
        )
        channel.team_streak_best = max(channel.team_streak_best, channel.team_streak)
    if question is None:
        log.error("post %s: question %s is no longer in the bank", post_id, post.question_id)
        return True
    await send_reveal(ctx, row, post, reveal_message(question, answers))
    return True


def _accepted_rows(
    row: ChannelRow, post: Post, answers: Sequence[tuple[Answer, Member]], now: datetime
) -> list[dict[str, object]]:
    """The round's confirmed answers, as rows for the accepted-answer table (daily rounds
    only: a practice answer has no round to confirm it)."""
    if post.kind != DAILY:
        return []
    rows: list[dict[str, object]] = []
    for answer, _member in answers:
        reason = accept_reason(
            score=answer.score, best=answer.best, on_time=answer.on_time, flags=answer.flags
        )
        if reason is not None:
            rows.append(
                {
                    "workspace_id": row.channel.workspace_id,
                    "question_id": post.question_id,
                    "answer_id": answer.id,
                    "text": answer.text,
                    "reason": reason,
                    "accepted_at": now,
                }
            )
    return rows


def reveal_message(question: Question, answers: Sequence[tuple[Answer, Member]]) -> Message:
    """The reveal, from the answers' stored points and best flags (first send or resend)."""
    kept = [(a, m) for a, m in answers if not a.withdrawn]
    rows = [
        render.RevealRow(
            m.display_name, a.points, a.score, a.best, a.on_time, not earns_quality(a.flags)
        )
        for a, m in kept
    ]
    if question.is_quiz:
        # Everyone's pick is a letter or a number: the votes say more than an excerpt.
        base = render.reveal(question, rows, None)
        return quiz_render.reveal(question, base, tally(question, [a.text for a, _ in kept]))
    best = next((a for a, _ in kept if a.best), None)
    excerpt = render.quote_user_text(best.text, 280) if best else None
    return render.reveal(question, rows, excerpt)


async def _advance_streaks(
    repo: Repository, row: ChannelRow, post_id: int, answered: set[int]
) -> None:
    streaks = await repo.streaks(row.channel.id)
    for member_id in answered - streaks.keys():
        fresh = MemberStreak(
            channel_id=row.channel.id,
            member_id=member_id,
            current=0,
            best=0,
            freezes=0,
            run=0,
            freezes_used=0,
        )
        repo.add(fresh)
        streaks[member_id] = fresh
    for member_id, stored in streaks.items():
        state = Streak(stored.current, stored.best, stored.freezes, stored.run, stored.freezes_used)
        stored.previous = [state.current, state.best, state.freezes, state.run, state.freezes_used]
        stored.settled_post_id = post_id
        stored.settled_on_time = member_id in answered
        state = advance_streak(state, answered_on_time=member_id in answered)
        stored.current, stored.best, stored.freezes = state.current, state.best, state.freezes
        stored.run, stored.freezes_used = state.run, state.freezes_used


def reveal_thread(row: ChannelRow, post: Post) -> ThreadAddress:
    return ThreadAddress(address_of(row), post.thread_ref or post.message_ref or "")


async def send_reveal(ctx: CoreContext, row: ChannelRow, post: Post, message: Message) -> None:
    thread = reveal_thread(row, post)
    try:
        ref = await ctx.adapter.reply_in_thread(
            thread, replace(message, key=reveal_key(post), buttons=render.reveal_buttons(post.id))
        )
    except Exception as exc:
        # Permanent: the channel is suspended. Otherwise the lease is pushed out by a wait
        # that doubles each time, and recovery looks for the reveal before sending again.
        await access.send_failed(
            ctx,
            row.channel.id,
            exc,
            ctx.now(),
            what="the reveal",
            post_id=post.id,
            give_up_after=access.MAX_REVEAL_ATTEMPTS,
        )
        return
    await _finish_reveal(ctx, post, thread, ref)


async def _finish_reveal(ctx: CoreContext, post: Post, thread: ThreadAddress, ref: str) -> None:
    # Marked before the thread is closed: the mark is what stops a second reveal.
    async with unit_of_work(ctx.db) as repo:
        await repo.set_post_state(post.id, "revealed", reveal_message_ref=ref, lease_until=None)
    try:
        await ctx.adapter.close_thread(thread)
    except Exception:
        log.exception("post %s: closing the thread failed", post.id)


async def recover_stalled(ctx: CoreContext, now: datetime) -> int:
    """Finish posts and reveals whose sender died or failed, once their lease has run out;
    count those finished. Each is taken over by a compare-and-set on its lease, so they can
    go concurrently: after a kill mid fan-out there is one per channel to check."""
    async with unit_of_work(ctx.db) as repo:
        stalled = await repo.stalled_posts(now)
    return await for_each(
        stalled,
        lambda post: _recover(ctx, post, now),
        limit=send_limit(ctx.adapter, ctx.concurrency),
        what="recovery",
    )


async def _recover(ctx: CoreContext, post: Post, now: datetime) -> bool:
    held = now + ctx.lease
    async with unit_of_work(ctx.db) as repo:
        if not await repo.take_lease(
            post.id, owner=ctx.instance_id, old_lease=post.lease_until, new_lease=held
        ):
            return False
        row = await repo.channel_row(post.channel_id)
    question = ctx.bank.get(post.question_id)
    if row is None or question is None:
        return False
    try:
        if post.state != "claimed":
            return await resend_reveal(ctx, row, post, question, held=held)
        if local_date(now, channel_zone(row.channel)) > post.local_date:
            return await _give_up_unless_found(ctx, row, post)
        return await recover_post(ctx, row, post, question, now, held=held)
    except DeliveryError as exc:
        # Not knowing whether it went out, we keep the claim and ask again once the lease
        # (backed off like a failed send) runs out; a permanent refusal suspends the channel.
        await access.send_failed(
            ctx,
            row.channel.id,
            exc,
            now,
            what="checking what was sent",
            post_id=post.id,
            give_up_after=access.MAX_REVEAL_ATTEMPTS if post.state != "claimed" else None,
        )
        return False


async def _give_up_unless_found(ctx: CoreContext, row: ChannelRow, post: Post) -> bool:
    """A claim from an earlier day is not sent any more; but if it went out, it counts."""
    try:
        found = await ctx.adapter.find_sent(address_of(row), post.claim_key, post.created_at)
    except DeliveryError as exc:
        # Nothing will be sent either way; a channel we cannot read must not keep it open.
        log.warning("post %s: could not check what was sent (%s)", post.id, exc)
        if access.is_permanent(exc):
            await access.suspend(
                ctx,
                row.channel.id,
                access.reason_of(exc),
                ctx.now(),
                what="checking a past post was refused for good",
            )
        found = None
    if found is not None:
        log.info("post %s: found on the platform as %s; marked", post.id, found)
        await _mark_found(ctx, row, post, found)
        return True
    async with unit_of_work(ctx.db) as repo:
        await repo.set_post_state(post.id, "failed", lease_until=None)
    log.error("post %s was never delivered on %s; given up", post.id, post.local_date)
    return False


async def still_held(ctx: CoreContext, post_id: int, held: datetime | None) -> bool:
    """After a look-up that found nothing, before sending: whether this process still holds
    the post's lease ``held`` (the one it set), renewed by a compare-and-set on it. A
    look-up can outlast the lease (many history pages, Retry-After waits); a process that
    took the claim over meanwhile may have looked, found nothing and sent it."""
    if held is None:
        return True
    async with unit_of_work(ctx.db) as repo:
        kept = await repo.take_lease(
            post_id, owner=ctx.instance_id, old_lease=held, new_lease=ctx.now() + ctx.lease
        )
    if not kept:
        log.info("post %s: lease lost while looking; left to its new holder", post_id)
    return kept


async def recover_post(
    ctx: CoreContext,
    row: ChannelRow,
    post: Post,
    question: Question,
    now: datetime,
    *,
    held: datetime | None = None,
) -> bool:
    """Send a question whose sender died or failed, unless the platform has it already."""
    found = await ctx.adapter.find_sent(address_of(row), post.claim_key, post.created_at)
    if found is None:
        if not await still_held(ctx, post.id, held):
            return False
        return await send_question(ctx, row, post.id, question, now)
    log.info("post %s: found on the platform as %s; marked, not sent again", post.id, found)
    await _mark_found(ctx, row, post, found)
    return True


async def _mark_found(ctx: CoreContext, row: ChannelRow, post: Post, found: PostedRef) -> None:
    # The claim's instant stands for the send's: the claimer sent within its lease.
    reveal_at = post.created_at + timedelta(minutes=row.channel.reveal_after_minutes)
    async with unit_of_work(ctx.db) as repo:
        await repo.mark_posted(
            post.id,
            message_ref=found.message_id,
            thread_ref=found.thread_id,
            posted_at=post.created_at,
            reveal_at=reveal_at,
        )


async def resend_reveal(
    ctx: CoreContext,
    row: ChannelRow,
    post: Post,
    question: Question,
    *,
    held: datetime | None = None,
) -> bool:
    """Send a reveal whose sender died or failed, unless the thread has it already; False
    if the lease was lost while looking (left to its new holder)."""
    thread = reveal_thread(row, post)
    since = post.revealed_at or post.created_at
    found = await ctx.adapter.find_sent(thread.channel, reveal_key(post), since, thread=thread)
    if found is not None:
        log.info("post %s: reveal found as %s; marked, not sent again", post.id, found)
        await _finish_reveal(ctx, post, thread, found.message_id)
        return True
    if not await still_held(ctx, post.id, held):
        return False
    async with unit_of_work(ctx.db) as repo:
        answers = await repo.answers_for_post(post.id)
    await send_reveal(ctx, row, post, reveal_message(question, answers))
    return True

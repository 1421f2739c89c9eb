"""Paying what the outbox holds: send, then mark sent as soon as the platform answers.

Whoever holds a row's lease sends it: the process that stored the answer (at once, after
the commit), or, once that lease has run out unsent, whichever process takes the row over
(``pay_overdue``, each tick; ``pay_redelivered``, when a platform delivers an answer again
that is stored already). Marks are group-committed, so a burst of answers costs a few
writes, not one per reaction.

A permanent refusal (the adapter's ``DeliveryError.permanent``: the bot left the channel,
the person cannot be messaged...) gives the row up at once; a passing one (429, 5xx, the
network) is retried after a wait that doubles each time, and given up after
``MAX_ATTEMPTS``: feedback a day late helps nobody.

What no database can close: a kill after the platform took a message and before its mark
was written. A reaction sent again is harmless (Slack answers ``already_reacted``,
Discord keeps one reaction per user and emoji). The private message is a direct message
carrying its key (``fb:<row id>``) where the platform's history returns it (Slack: message
metadata; Discord: a grade reference in its text, and the nonce, which Discord remembers
for a few minutes only), and a process that takes over a row an earlier holder may have
sent (``attempts`` > 1) first asks the adapter (``find_private``) for a message with that
key since the row was recorded: found, it is marked sent, not sent again; the look-up
failing leaves the row for a later attempt, like any passing failure (a permanent refusal,
e.g. Discord DMs closed, gives it up). Fresh rows are sent without a look-up. Only an
install that lacks the scopes to look (Slack's ``missing_scope``, reported by ``mlq
doctor``) sends it anyway and may show that one message twice.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot import access
from bot.batching import GroupCommit
from bot.context import CoreContext, log
from bot.fanout import for_each, send_limit
from bot.outbox.owed import PRIVATE, REACTION, Owed, Recipient, from_row
from bot.ports import DeliveryError
from storage import Database, unit_of_work
from storage.outbox import OutboxStore

MAX_ATTEMPTS = 8  # about four hours of doubling waits at the default lease
MAX_BACKOFF = timedelta(hours=1)
SWEEP_LIMIT = 500  # rows taken over per tick

_marks: weakref.WeakKeyDictionary[Database, GroupCommit[int, None]] = weakref.WeakKeyDictionary()


def _marker(ctx: CoreContext) -> GroupCommit[int, None]:
    """One group commit of marks per database (so per process and test)."""
    marker = _marks.get(ctx.db)
    if marker is None:

        async def write(ids: list[int]) -> list[None]:
            async with unit_of_work(ctx.db) as repo:
                await OutboxStore(repo.session).mark_sent(ids, ctx.now())
            return [None] * len(ids)

        marker = GroupCommit(write, max_batch=500)
        _marks[ctx.db] = marker
    return marker


def keyed(owed: Owed) -> Owed:
    """A private message carries its row as its key, which the adapter sends with it
    (find_private looks for it after a takeover)."""
    if owed.private is None or owed.private.key is not None:
        return owed
    return replace(owed, private=replace(owed.private, key=f"fb:{owed.id}"))


async def pay(ctx: CoreContext, owed: Sequence[Owed]) -> int:
    """Send what this process holds, in order (a delivery's reaction before its message);
    count what went out. Past half its lease a row's lease is renewed before the look-up
    and again before the send, or the row is left alone if the lease ran out (another
    process may hold it now)."""
    paid = 0
    for held in owed:
        item = await _hold(ctx, held)
        if item is None:
            log.info("outbox row %d: lease lost before sending; left to its new holder", held.id)
            continue
        try:
            if await _sent_before(ctx, keyed(item)):
                log.info("outbox row %d: found on the platform; marked, not sent again", item.id)
            else:
                # A look-up can outlast the lease (Retry-After waits): another process may
                # then have taken the row, looked, found nothing and sent it.
                still = await _hold(ctx, item)
                if still is None:
                    log.info(
                        "outbox row %d: lease lost while looking; left to its new holder", item.id
                    )
                    continue
                item = still
                await _send(ctx, keyed(item))
        except Exception as exc:
            await _failed(ctx, item, exc)
            continue
        paid += 1
        try:
            await _marker(ctx).submit(item.id)
        except Exception:
            # Sent but not marked: once the lease runs out it is sent again (see above).
            log.exception("outbox row %d: marking it sent failed", item.id)
    return paid


async def _send(ctx: CoreContext, item: Owed) -> None:
    if item.kind == REACTION and item.message is not None and item.reaction is not None:
        await ctx.adapter.react(item.message, item.reaction)
    elif item.kind == PRIVATE and item.private is not None:
        r = item.recipient
        await ctx.adapter.send_private(r.where, r.user_id, item.private, thread=item.thread)


async def _sent_before(ctx: CoreContext, item: Owed) -> bool:
    """Whether a private message an earlier holder of the row may have sent (the row was
    taken over or retried) is on the platform already. Only then is it worth a look-up,
    and only where the platform can be asked (``find_private``); raises DeliveryError
    when it cannot be asked now."""
    find = getattr(ctx.adapter, "find_private", None)
    if (
        find is None
        or item.kind != PRIVATE
        or item.attempts <= 1
        or item.private is None
        or item.private.key is None
        or item.created_at is None
    ):
        return False
    r = item.recipient
    return await find(r.where, r.user_id, item.private.key, item.created_at) is not None


async def _hold(ctx: CoreContext, item: Owed) -> Owed | None:
    """``item`` if this process still holds it: past half its lease the lease is renewed
    (a conditional update: only while it is still ours and running), else None."""
    if time.monotonic() - item.leased_at <= ctx.lease.total_seconds() / 2:
        return item
    renewed_at = time.monotonic()  # the new lease runs from no earlier than this
    return replace(item, leased_at=renewed_at) if await _extend(ctx, item) else None


async def _extend(ctx: CoreContext, item: Owed) -> bool:
    now = ctx.now()
    try:
        async with unit_of_work(ctx.db) as repo:
            return await OutboxStore(repo.session).extend(
                item.id, ctx.instance_id, now, now + ctx.lease
            )
    except Exception:
        log.exception("outbox row %d: renewing the lease failed", item.id)
        return False


def retry_wait(lease: timedelta, attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: the lease, doubled each
    time, at most ``MAX_BACKOFF``."""
    return min(lease * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


async def _failed(ctx: CoreContext, item: Owed, exc: Exception) -> None:
    what = "reaction" if item.kind == REACTION else "private feedback"
    now = ctx.now()
    give_up: str | None = None
    if access.is_permanent(exc):
        give_up = f"refused: {access.reason_of(exc)}"
        log.warning(
            "%s for %s refused for good (%s); not retried",
            what,
            item.recipient.user_id,
            access.reason_of(exc),
        )
    elif item.attempts >= MAX_ATTEMPTS:
        give_up = f"failed {item.attempts} times: {access.reason_of(exc)}"
        log.error(
            "%s for %s failed %d times; given up", what, item.recipient.user_id, item.attempts
        )
    elif isinstance(exc, DeliveryError):
        log.warning("%s for %s failed (%s); will retry", what, item.recipient.user_id, exc)
    else:
        log.error("%s for %s failed; will retry", what, item.recipient.user_id, exc_info=exc)
    try:
        async with unit_of_work(ctx.db) as repo:
            store = OutboxStore(repo.session)
            if give_up is not None:
                await store.give_up(item.id, give_up)
            else:
                await store.retry_after(item.id, now + retry_wait(ctx.lease, item.attempts))
    except Exception:
        log.exception("outbox row %d: recording the failure failed", item.id)


async def _take(ctx: CoreContext, *, keys: Sequence[str] | None = None) -> list[Owed]:
    # The lease runs from now (not from the tick's start): monotonic time read first.
    leased_at = time.monotonic()
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        rows = await OutboxStore(repo.session).take(
            ctx.platform, now, now + ctx.lease, ctx.instance_id, keys=keys, limit=SWEEP_LIMIT
        )
        found = []
        for row in rows:
            try:
                found.append(from_row(row, leased_at))
            except ValueError as exc:
                log.error("outbox row %d cannot be read (%s); given up", row.id, exc)
                await OutboxStore(repo.session).give_up(row.id, "unreadable")
    return found


async def pay_overdue(ctx: CoreContext) -> int:
    """Take over and pay the rows whose holder died or failed (lease run out); count the
    sent. Each person's rows go in order (a reaction before its message); different
    people's concurrently, as a fan-out does, so all are sent well within the lease."""
    return await _pay_taken(ctx)


async def pay_redelivered(ctx: CoreContext, keys: Sequence[str]) -> int:
    """A delivery stored before came again: pay what it still owes, unless a live lease
    holds it (its holder is sending, or the sweep will once the lease runs out)."""
    return await _pay_taken(ctx, keys=keys)


async def _pay_taken(ctx: CoreContext, *, keys: Sequence[str] | None = None) -> int:
    owed = await _take(ctx, keys=keys)
    if not owed:
        return 0
    log.info("outbox: paying %d owed reactions and messages", len(owed))
    by_person: dict[Recipient, list[Owed]] = {}
    for item in owed:
        by_person.setdefault(item.recipient, []).append(item)
    paid = 0

    async def one(items: list[Owed]) -> bool:
        nonlocal paid
        paid += await pay(ctx, items)
        return True

    limit = send_limit(ctx.adapter, ctx.concurrency)
    await for_each(list(by_person.values()), one, limit=limit, what="owed feedback")
    return paid


async def prune(ctx: CoreContext, before: datetime) -> int:
    async with unit_of_work(ctx.db) as repo:
        return await OutboxStore(repo.session).prune(before)

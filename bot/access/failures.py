"""Deciding what a failed send means for its channel (see the package docstring)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import render
from bot.context import CoreContext, address_of, log
from bot.messages import Message
from bot.ports import DeliveryError
from storage import unit_of_work

# Transient failures are retried after the lease, then after twice as long each time, but
# never more than this apart: a channel that comes back is served within the hour.
MAX_BACKOFF = timedelta(hours=1)
# A reveal has no day's end to stop at: after this many passing failures (about a day at
# the cap) it is given up, logged once; /mlq resume makes it due again.
MAX_REVEAL_ATTEMPTS = 30


def is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.permanent


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, DeliveryError):
        return exc.reason or str(exc) or "refused"
    return type(exc).__name__


async def send_failed(
    ctx: CoreContext,
    channel_id: int,
    exc: BaseException,
    now: datetime,
    *,
    what: str,
    post_id: int | None = None,
    give_up_after: int | None = None,
) -> None:
    """A send to the channel failed: suspend the channel if the failure is permanent,
    else let the post's next retry wait longer. Logs one line, no traceback for the
    failures adapters classify (a traceback for anything unexpected)."""
    if is_permanent(exc):
        await suspend(ctx, channel_id, reason_of(exc), now, what=f"{what} was refused for good")
        return
    if isinstance(exc, DeliveryError):
        log.warning("channel %s: %s failed (%s); will retry", channel_id, what, exc)
    else:
        log.error("channel %s: %s failed; will retry", channel_id, what, exc_info=exc)
    if post_id is not None:
        await back_off_post(ctx, post_id, now, give_up_after=give_up_after, what=what)


async def back_off_post(
    ctx: CoreContext,
    post_id: int,
    now: datetime,
    *,
    give_up_after: int | None = None,
    what: str = "a send",
) -> None:
    try:
        async with unit_of_work(ctx.db) as repo:
            gave_up = await repo.back_off_post(post_id, now, ctx.lease, MAX_BACKOFF, give_up_after)
    except Exception:
        log.exception("post %s: recording the retry wait failed", post_id)
        return
    if gave_up:
        log.error("post %s: %s failed %d times; given up", post_id, what, give_up_after)


async def suspend(
    ctx: CoreContext,
    channel_id: int,
    reason: str,
    now: datetime,
    *,
    what: str = "a send was refused for good",
) -> bool:
    """Suspend the channel; True if this call did (the database decides, so the admin is
    told once however many sends fail at the same moment)."""
    async with unit_of_work(ctx.db) as repo:
        if not await repo.suspend_channel(channel_id, reason, now):
            return False
        row = await repo.channel_row(channel_id)
    log.warning(
        "channel %s suspended: %s (%s); nothing is sent there until an admin runs /mlq resume",
        channel_id,
        what,
        reason,
    )
    if row is not None:
        await tell_admin(ctx, row, reason)
    return True


async def tell_admin(
    ctx: CoreContext, row: object, reason: str, message: Message | None = None
) -> None:
    """A direct message to the admin who subscribed the channel, when the platform has
    them; otherwise (or when it fails) the suspension's log line is all there is."""
    channel = row.channel  # type: ignore[attr-defined]
    send_direct = getattr(ctx.adapter, "send_direct", None)
    if send_direct is None or not channel.subscribed_by:
        log.warning(
            "channel %s: no admin to tell about the suspension (reason %s)", channel.id, reason
        )
        return
    where = address_of(row)  # type: ignore[arg-type]
    try:
        await send_direct(
            where, channel.subscribed_by, message or render.suspended_notice(where, reason)
        )
    except Exception as exc:
        log.warning(
            "channel %s: could not tell admin %s about the suspension: %s",
            channel.id,
            channel.subscribed_by,
            exc,
        )

"""What the bot does when a platform says it lost a channel or a whole workspace.

Platforms announce these (Slack's ``channel_left``, ``channel_archive``, ``app_uninstalled``
and the like; Discord's guild and channel deletions): acting on the announcement stops
every send there at once, instead of one refused send per post and reveal later.

- removed from the channel, or the channel archived: suspended with that reason (the admin
  who subscribed it is told, once); ``/mlq resume`` starts it again once fixed.
- unarchived: still suspended (the bot may no longer be a member), but the reason says so
  and the admin is told that ``/mlq resume`` will work now.
- deleted: suspended and unsubscribed; its history is kept.
- the workspace gone (uninstalled, tokens revoked, removed from the server): every channel
  there is suspended with that reason; nobody there can be told, the log says it.
- a question's thread deleted (Discord): nothing changes, on purpose. The answers already
  stored stay (deleting a thread tidies a space, it is not each person withdrawing their
  answer; Discord sends no message deletions for it); people can still answer with the
  question's "Answer privately" button; the reveal replies to the question in the channel
  (the adapter's fallback for a thread that cannot take it) and the channel is not
  suspended. The thread is not opened again: whoever deleted it meant it. The log says so.

A redelivered announcement changes nothing twice (``first_delivery``); a channel that
was never subscribed is left alone.
"""

from __future__ import annotations

from bot import render
from bot.access.failures import suspend, tell_admin
from bot.context import CoreContext, address_of, log
from bot.events import ChannelChanged, ThreadDeleted, WorkspaceRemoved
from storage import unit_of_work

REMOVED = "removed"
ARCHIVED = "archived"
UNARCHIVED = "unarchived"
DELETED = "deleted"
CHANGES = (REMOVED, ARCHIVED, UNARCHIVED, DELETED)

REASONS = {
    REMOVED: "removed_from_channel",
    ARCHIVED: "channel_archived",
    UNARCHIVED: "channel_unarchived",
    DELETED: "channel_deleted",
}


async def on_channel_changed(ctx: CoreContext, event: ChannelChanged) -> None:
    if event.change not in CHANGES:
        log.warning("unknown channel change %r for %s; ignored", event.change, event.where)
        return
    where, now = event.where, ctx.now()
    async with unit_of_work(ctx.db) as repo:
        if event.event_id and not await repo.first_delivery(
            where.platform, f"life:{event.event_id}", now
        ):
            return
        channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
    if channel is None or not channel.subscribed:
        log.info(
            "%s: channel %s %s; mlq was not subscribed there",
            where.platform,
            where.channel,
            event.change,
        )
        return
    reason = REASONS[event.change]
    if event.change == UNARCHIVED:
        await _unarchived(ctx, channel.id)
        return
    await suspend(ctx, channel.id, reason, now, what=f"the platform says: {reason}")
    if event.change == DELETED:
        async with unit_of_work(ctx.db) as repo:
            await repo.end_subscription(channel.id)
        log.warning("channel %s was deleted; its subscription has ended", channel.id)


async def _unarchived(ctx: CoreContext, channel_id: int) -> None:
    archived, back = REASONS[ARCHIVED], REASONS[UNARCHIVED]
    async with unit_of_work(ctx.db) as repo:
        changed = await repo.change_suspension(channel_id, archived, back)
        row = await repo.channel_row(channel_id) if changed else None
    if row is None:
        return  # not suspended for being archived: nothing to undo
    log.warning("channel %s was unarchived; an admin can run /mlq resume there", channel_id)
    await tell_admin(ctx, row, back, render.unarchived_notice(address_of(row)))


async def on_workspace_removed(ctx: CoreContext, event: WorkspaceRemoved) -> None:
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        if event.event_id and not await repo.first_delivery(
            event.platform, f"life:{event.event_id}", now
        ):
            return
        count = await repo.suspend_workspace(event.platform, event.workspace, event.reason, now)
    log.warning(
        "%s workspace %s: %s; %d channel(s) suspended until mlq is installed there again "
        "and an admin runs /mlq resume in each",
        event.platform,
        event.workspace,
        event.reason,
        count,
    )


async def on_thread_deleted(ctx: CoreContext, event: ThreadDeleted) -> None:
    where = event.where.channel
    async with unit_of_work(ctx.db) as repo:
        channel = await repo.channel_by_address(where.platform, where.workspace, where.channel)
        post = (
            await repo.post_by_thread(channel.id, event.where.thread_id)
            if channel is not None
            else None
        )
    if post is None:
        return  # someone's own thread, or a channel mlq is not in
    if post.state != "posted":
        log.info("post %s (%s): its thread was deleted", post.id, post.state)
        return
    log.warning(
        "post %s: its thread was deleted while taking answers; the answers stored are kept, "
        "new ones come through the question's private-answer button, and the reveal will "
        "reply to the question in the channel (the thread is not opened again)",
        post.id,
    )

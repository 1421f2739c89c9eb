"""The entry points ``bot.handlers`` calls: the feedback commands and buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import render
from bot.context import CoreContext
from bot.disputes import admins, filing, grammar, reports, resolve
from bot.disputes.filing import Notices
from bot.events import ButtonPressed
from bot.messages import Action, Message
from storage import unit_of_work
from storage.feedback import FeedbackStore

if TYPE_CHECKING:
    from bot.handlers import CommandContext


async def run_command(
    ctx: CoreContext, c: CommandContext, command: grammar.FeedbackCommand, notices: Notices
) -> list[Message]:
    """One feedback command inside the command's transaction; admin rights are checked
    by the caller (``bot.commands.needs_admin``)."""
    store = FeedbackStore(c.repo.session)
    match command:
        case grammar.AdminsList() | grammar.AdminsAdd() | grammar.AdminsRemove():
            return [await admins.run(c.repo, c.workspace_id, c.actor, command, c.now)]
        case grammar.FileDispute(reason=reason):
            found = await store.latest_answered_round(c.channel.id, c.member.id)
            post = found[0] if found else None
            row = await c.repo.channel_row(c.channel.id)
            assert row is not None
            return [
                await filing.file_dispute(ctx, c.repo, row, c.member, post, reason, c.now, notices)
            ]
        case grammar.ListDisputes():
            return await resolve.list_pending(ctx, c.repo, c.workspace_id)
        case grammar.Resolve():
            return [
                await resolve.resolve(ctx, c.repo, c.workspace_id, c.actor, command, c.now, notices)
            ]
        case grammar.Report(reason=reason):
            post = await store.latest_round(c.channel.id)
            return [
                await reports.report(ctx, c.repo, c.workspace_id, c.member, post, reason, c.now)
            ]
        case grammar.ListReports():
            return [await reports.list_reports(ctx, c.repo, c.workspace_id)]
        case grammar.Retire():
            return [
                await reports.retire(ctx, c.repo, c.workspace_id, c.actor.user_id, command, c.now)
            ]
    raise AssertionError(f"unhandled command {command!r}")


async def on_button(ctx: CoreContext, event: ButtonPressed) -> list[Message]:
    """ "Dispute grade" and "Report a problem" on a member's private feedback. The button
    names the round; where it was pressed does not matter (a DM has no channel)."""
    try:
        post_id = int(event.value)
    except ValueError:
        return [render.error("That button refers to no question.")]
    now = ctx.now()
    notices = Notices()
    async with unit_of_work(ctx.db) as repo:
        if event.event_id and not await repo.first_delivery(
            event.where.platform, f"button:{event.event_id}", now
        ):
            return []
        post = await repo.get_post(post_id)
        row = await repo.channel_row(post.channel_id) if post is not None else None
        if (
            post is None
            or row is None
            or row.platform != event.where.platform
            or (event.where.workspace and row.workspace_external_id != event.where.workspace)
        ):
            return [render.error("That question is not one of this workspace's.")]
        workspace_id = row.channel.workspace_id
        member = await repo.member(workspace_id, event.actor.user_id, event.actor.display_name, now)
        if event.action == Action.DISPUTE:
            reply = await filing.file_dispute(ctx, repo, row, member, post, "", now, notices)
        else:
            reply = await reports.report(ctx, repo, workspace_id, member, post, "", now)
    await notices.send(ctx)
    return [reply]

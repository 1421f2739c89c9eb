"""A member disputes their own answer's grade (the "Dispute grade" button or ``/mlq dispute``).

Until the round's reveal, and for ``CoreContext.dispute_window`` after it, once per round
(the dispute is unique per answer), at most ``MAX_DISPUTES_PER_DAY`` a day. Pressing the
button again, or ``/mlq dispute <reason>`` while the dispute is pending, replaces its reason
instead of filing a second one. The admins are told privately once it is filed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import render
from bot.context import CoreContext, address_of
from bot.disputes import messages
from bot.events import ChannelAddress
from bot.messages import Message
from storage.feedback import PENDING, FeedbackStore
from storage.models import Answer, Member, Post
from storage.repository import DAILY, ChannelRow, Repository

log = logging.getLogger(__name__)

MAX_DISPUTES_PER_DAY = 3


@dataclass
class Notices:
    """Private messages to send once the transaction has committed."""

    items: list[tuple[ChannelAddress, str, Message]] = field(default_factory=list)

    async def send(self, ctx: CoreContext) -> None:
        direct = getattr(ctx.adapter, "send_direct", None)
        for where, user_id, message in self.items:
            try:
                if direct is not None:
                    await direct(where, user_id, message)
                else:
                    await ctx.adapter.send_private(where, user_id, message)
            except Exception as exc:  # one closed inbox must not stop the others
                log.warning("could not tell %s privately: %s", user_id, exc)


def refusal(
    post: Post | None, answer: Answer | None, now: datetime, window: timedelta
) -> str | None:
    """Why this answer's grade cannot be disputed now, or None when it can."""
    if post is None or post.kind != DAILY:
        return "There is no daily question you answered here to dispute."
    if post.state == "cancelled":
        return "That round was cancelled, so its grades count for nothing; nothing to dispute."
    if answer is None or answer.withdrawn:
        return "You have not answered that question, so there is no grade to dispute."
    if not answer.on_time:
        return "Your answer came after the reveal and earns no points; there is nothing to dispute."
    if post.state == "revealed" and post.revealed_at and now > post.revealed_at + window:
        hours = int(window.total_seconds() // 3600)
        return (
            f"Grades can be disputed until {hours} hours after the reveal; that round's "
            "window has closed."
        )
    return None


async def file_dispute(
    ctx: CoreContext,
    repo: Repository,
    row: ChannelRow,
    member: Member,
    post: Post | None,
    reason: str,
    now: datetime,
    notices: Notices,
) -> Message:
    store = FeedbackStore(repo.session)
    answer = await repo.answer_for(post.id, member.id) if post is not None else None
    problem = refusal(post, answer, now, ctx.dispute_window)
    if problem is not None:
        return render.error(problem)
    assert post is not None and answer is not None
    existing = await store.dispute_for_answer(answer.id)
    if existing is not None:
        return await _again(store, existing.id, existing.state, reason)
    if await store.disputes_filed_since(member.id, now - timedelta(days=1)) >= MAX_DISPUTES_PER_DAY:
        return render.error(
            f"You have filed {MAX_DISPUTES_PER_DAY} disputes in the last 24 hours, the most "
            "mlq takes; try again tomorrow."
        )
    dispute_id = await store.file_dispute(
        {
            "answer_id": answer.id,
            "post_id": post.id,
            "channel_id": post.channel_id,
            "member_id": member.id,
            "question_id": post.question_id,
            "reason": reason,
            "state": PENDING,
            "filed_at": now,
            "old_score": answer.score,
            "old_points": answer.points,
            "resolution_note": "",
        }
    )
    if dispute_id is None:  # a twin delivery filed it a moment ago
        return messages.private("Your dispute of this grade is already filed.")
    dispute = await store.get_dispute(dispute_id)
    assert dispute is not None
    card = messages.dispute_card(dispute, answer, member, ctx.bank.get(post.question_id))
    where = address_of(row)
    for user_id in await admins_to_tell(store, row, member):
        notices.items.append((where, user_id, card))
    more = "" if reason else " Add a reason with `/mlq dispute <reason>`."
    return messages.private(
        f"Dispute #{dispute_id} is filed: an admin will look at your grade "
        f"({render.percent(answer.score)}) and you will hear the outcome privately.{more}",
        title="Grade disputed",
    )


async def _again(store: FeedbackStore, dispute_id: int, state: str, reason: str) -> Message:
    if state != PENDING:
        return render.error(
            f"You disputed this round's grade already (dispute #{dispute_id}, {state}); "
            "one dispute per round."
        )
    if reason and await store.set_dispute_reason(dispute_id, reason):
        return messages.private(f"The reason of your dispute #{dispute_id} is updated.")
    return messages.private(
        f"Your dispute #{dispute_id} is waiting for an admin; one dispute per round."
    )


async def admins_to_tell(store: FeedbackStore, row: ChannelRow, member: Member) -> list[str]:
    """The added admins and whoever subscribed the channel; the platform's own admins see
    pending disputes with ``/mlq disputes``."""
    ids = [a.user_id for a in await store.admins(row.channel.workspace_id)]
    if row.channel.subscribed_by:
        ids.append(row.channel.subscribed_by)
    return [i for i in dict.fromkeys(ids) if i != member.external_id]

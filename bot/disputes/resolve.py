"""An admin decides a dispute: keep the grade, or set it (as a score or per key point).

The resolution is a conditional update from ``pending`` (``FeedbackStore.resolve``): of two
admins resolving at the same moment, or one command delivered twice, exactly one wins and
recounts; the other is told it was resolved already. Who, when and why are recorded.
"""

from __future__ import annotations

from datetime import datetime

from bot import render
from bot.context import CoreContext, address_of
from bot.disputes import grammar, messages, recount
from bot.disputes.filing import Notices
from bot.events import Actor
from bot.messages import Message
from question_bank.schema import Question
from storage.feedback import FeedbackStore
from storage.models import Answer, Member
from storage.repository import Repository


def _new_grade(
    command: grammar.Resolve, answer: Answer, question: Question | None
) -> tuple[float | None, list[str] | None, list[str] | None] | str:
    """(score, covered, missed) the admin chose, or a problem to tell them."""
    if command.decision == "keep":
        return None, None, None
    if command.decision == "score":
        return command.score, None, None
    if question is None or not question.key_points:
        return "That question has no key points to choose from; set a `score` instead."
    points = question.key_points
    wrong = [n for n in command.points if not 1 <= n <= len(points)]
    if wrong:
        return f"The key points are numbered 1 to {len(points)}; {wrong[0]} is not one of them."
    covered = [points[n - 1].text for n in command.points]
    missed = [p.text for i, p in enumerate(points, 1) if i not in command.points]
    return len(covered) / len(points), covered, missed


async def resolve(
    ctx: CoreContext,
    repo: Repository,
    workspace_id: int,
    actor: Actor,
    command: grammar.Resolve,
    now: datetime,
    notices: Notices,
) -> Message:
    store = FeedbackStore(repo.session)
    dispute = await store.get_dispute(command.dispute_id)
    row = await repo.channel_row(dispute.channel_id) if dispute is not None else None
    if dispute is None or row is None or row.channel.workspace_id != workspace_id:
        return render.error(f"There is no dispute #{command.dispute_id} here; see `/mlq disputes`.")
    if dispute.state != "pending":
        return messages.resolved_elsewhere(dispute)
    answer = await repo.session.get(Answer, dispute.answer_id)
    member = await repo.session.get(Member, dispute.member_id)
    assert answer is not None and member is not None
    question = ctx.bank.get(dispute.question_id)
    chosen = _new_grade(command, answer, question)
    if isinstance(chosen, str):
        return render.error(chosen)
    score, covered, missed = chosen
    old_points = answer.points
    if score is None or abs(score - answer.score) < 1e-9:
        state, score = "kept", None
    else:
        state = "raised" if score > answer.score else "lowered"
    if not await store.resolve(
        dispute.id, state=state, by=actor.user_id, at=now, note=command.note, new_score=score
    ):
        refreshed = await store.get_dispute(dispute.id)
        return messages.resolved_elsewhere(refreshed or dispute)
    new_points = None
    if score is not None:
        new_points = await recount.apply_grade(
            repo,
            workspace_id,
            dispute,
            answer,
            score=score,
            covered=covered,
            missed=missed,
            note=command.note,
            now=now,
        )
    dispute = await store.get_dispute(dispute.id) or dispute
    notices.items.append(
        (
            address_of(row),
            member.external_id,
            messages.outcome_for_member(dispute, question, old_points, new_points),
        )
    )
    if state == "kept":
        return messages.private(f"Dispute #{dispute.id}: the grade is kept; the member is told.")
    points = (
        f", points {old_points} → {new_points}"
        if new_points is not None
        else " (points are counted at the reveal)"
    )
    return messages.private(
        f"Dispute #{dispute.id}: grade {state} to {render.percent(score or 0.0)}{points}. "
        "The leaderboard and the best answer are recounted; the member is told."
    )


async def list_pending(ctx: CoreContext, repo: Repository, workspace_id: int) -> list[Message]:
    pending = await FeedbackStore(repo.session).pending_disputes(workspace_id)
    if not pending:
        return [messages.private("No disputes are waiting.", title="Disputes")]
    shown = [
        messages.dispute_card(p.dispute, p.answer, p.member, ctx.bank.get(p.dispute.question_id))
        for p in pending[:10]
    ]
    if len(pending) > 10:
        shown.append(messages.private(f"…and {len(pending) - 10} more; resolve these first."))
    return shown

"""A changed grade, carried through everything that depends on it.

Runs in the transaction that won the dispute's resolution (``FeedbackStore.resolve``), so
once; and every value is recomputed from the grades, never incremented, so even a repeat
would change nothing. Under the round's row lock: two resolutions of one round queue.

- the answer's grade, and once the round is revealed its points and the round's best
  answer (which may move the best-answer point to someone else);
- the week's leaderboard and every total, which are sums of those points;
- streaks: they count on-time answers, whatever their grade, so a regrade moves none;
- the member's review card, when its last review was this round's answer;
- what the grader learns: a raised answer is accepted for the question, a lowered one is
  a known wrong answer (and no longer accepted).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.grading.learned import accept_reason
from bot.review import apply_review
from bot.scoring import score_round
from storage.feedback import FeedbackStore
from storage.models import Answer, Dispute, Member, Post
from storage.repository import DAILY, Repository

REGRADED = "regraded"  # an answer flag: an admin set this grade


def rescore_round(answers: Sequence[Answer]) -> None:
    """Points and best flags of a revealed round, as the reveal computes them."""
    score_round([a for a in answers if not a.withdrawn])


async def apply_grade(
    repo: Repository,
    workspace_id: int,
    dispute: Dispute,
    answer: Answer,
    *,
    score: float,
    covered: list[str] | None,
    missed: list[str] | None,
    note: str,
    now: datetime,
) -> int | None:
    """Set the answer's grade and recount; the answer's points after it (None while the
    round is not revealed: the reveal scores it)."""
    store = FeedbackStore(repo.session)
    post = await store.post_for_update(dispute.post_id)
    assert post is not None
    raised = score > answer.score
    answer.score = score
    if covered is not None and missed is not None:
        answer.covered, answer.missed = covered, missed
    answer.flags = [*[f for f in answer.flags if f != REGRADED], REGRADED]
    answer.feedback = f"An admin set this grade to {round(score * 100)}%." + (
        f" {note}" if note else ""
    )
    points: int | None = None
    if post.state == "revealed":
        rows = await repo.answers_for_post(post.id)
        rescore_round([a for a, _ in rows])
        await _accept_confirmed(repo, workspace_id, post, rows, skip=answer.id, now=now)
        points = answer.points
        await store.set_new_points(dispute.id, points)
    await _teach(repo, store, workspace_id, post, answer, raised=raised, now=now)
    await _review(repo, post, answer, score)
    return points


async def _accept_confirmed(
    repo: Repository,
    workspace_id: int,
    post: Post,
    rows: Sequence[tuple[Answer, Member]],
    *,
    skip: int,
    now: datetime,
) -> None:
    """A new best answer is confirmed as the reveal would have (each answer once)."""
    if post.kind != DAILY:
        return
    accepted = []
    for answer, _member in rows:
        if answer.id == skip or answer.withdrawn:
            continue
        reason = accept_reason(
            score=answer.score, best=answer.best, on_time=answer.on_time, flags=answer.flags
        )
        if reason is not None:
            accepted.append(_accepted_row(workspace_id, post, answer, reason, now))
    await repo.accept_answers(accepted)


def _accepted_row(
    workspace_id: int, post: Post, answer: Answer, reason: str, now: datetime
) -> dict[str, object]:
    return {
        "workspace_id": workspace_id,
        "question_id": post.question_id,
        "answer_id": answer.id,
        "text": answer.text,
        "reason": reason,
        "accepted_at": now,
    }


async def _teach(
    repo: Repository,
    store: FeedbackStore,
    workspace_id: int,
    post: Post,
    answer: Answer,
    *,
    raised: bool,
    now: datetime,
) -> None:
    if raised:
        await store.forget_rejected(answer.id)
        await repo.accept_answers([_accepted_row(workspace_id, post, answer, "dispute", now)])
        return
    await store.forget_accepted(answer.id)
    await store.reject_answer(
        {
            "workspace_id": workspace_id,
            "question_id": post.question_id,
            "answer_id": answer.id,
            "text": answer.text,
            "rejected_at": now,
        }
    )


async def _review(repo: Repository, post: Post, answer: Answer, score: float) -> None:
    """Replace this round's review with the new grade, at the time it was answered; a card
    reviewed again since (another round of the same question) is left as it is."""
    card = await repo.review_card(answer.member_id, post.question_id)
    if card is None or card.last_post_id != post.id:
        return
    when = answer.edited_at or answer.received_at
    apply_review(repo, card, answer.member_id, post.question_id, post.id, score, when)

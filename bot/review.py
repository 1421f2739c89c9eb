"""Spaced repetition: every graded answer is a review of that question for that person.

FSRS (the scheduler behind Anki's current algorithm) decides when a question is due
again. Practice (`/mlq`) serves the most overdue due question first, so what someone got
wrong comes back after a day or two and what they know well comes back weeks later.
"""

from __future__ import annotations

from datetime import datetime

from fsrs import Card, Rating, Scheduler

from storage.models import ReviewCard
from storage.repository import Repository

# Day-level scheduling: no minute-long learning steps (a team bot is used daily, not in
# sittings), and no random fuzz, so the same history always gives the same due dates.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def rating_for(score: float) -> Rating:
    """A grade in [0, 1] as the recall rating FSRS expects."""
    if score < 0.4:
        return Rating.Again
    if score < 0.65:
        return Rating.Hard
    if score < 0.9:
        return Rating.Good
    return Rating.Easy


def _reviewed(card_state: dict | None, score: float, when: datetime) -> Card:
    # An explicit card_id: without one, fsrs makes a unique id by sleeping a millisecond,
    # which would block the event loop. Our key is (member, question), not this id.
    card = Card.from_dict(card_state) if card_state else Card(card_id=1, due=when)
    reviewed, _log = SCHEDULER.review_card(card, rating_for(score), review_datetime=when)
    return reviewed


async def record_review(
    repo: Repository, member_id: int, question_id: str, post_id: int, score: float, when: datetime
) -> ReviewCard:
    """Apply a graded answer to the member's card; a regrade of the same post replaces
    that post's review instead of counting a second one."""
    stored = await repo.review_card(member_id, question_id)
    return apply_review(repo, stored, member_id, question_id, post_id, score, when)


def apply_review(
    repo: Repository,
    stored: ReviewCard | None,
    member_id: int,
    question_id: str,
    post_id: int,
    score: float,
    when: datetime,
) -> ReviewCard:
    """``record_review`` for a card already loaded (or None for a first review)."""
    if stored is None:
        card = _reviewed(None, score, when)
        stored = ReviewCard(
            member_id=member_id,
            question_id=question_id,
            card=card.to_dict(),
            previous=None,
            last_post_id=post_id,
            due=card.due,
            reviews=1,
            last_score=score,
        )
        repo.add(stored)
        return stored
    if stored.last_post_id == post_id:
        base = stored.previous
    else:
        base = stored.card
        stored.previous = stored.card
        stored.reviews += 1
    card = _reviewed(base, score, when)
    stored.card = card.to_dict()
    stored.due = card.due
    stored.last_post_id = post_id
    stored.last_score = score
    return stored

"""Which question a channel gets next.

No repeat until the eligible bank is exhausted (then a new cycle starts), and never the
same topic twice in a row when another topic is available. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence

from question_bank.loader import QuestionBank
from question_bank.schema import Question


class NoEligibleQuestion(LookupError):
    pass


def eligible_questions(
    bank: QuestionBank,
    *,
    topics: Collection[str] | None = None,
    banks: Collection[str] | None = None,
) -> list[Question]:
    return [
        q
        for q in bank
        if (not topics or q.topic in topics) and (not banks or q.bank in banks)
    ]


def _current_cycle(history: Sequence[str], eligible_ids: set[str]) -> set[str]:
    """Ids asked since the last time the whole eligible set had been asked."""
    seen: set[str] = set()
    for question_id in history:
        if question_id not in eligible_ids:
            continue
        seen.add(question_id)
        if seen >= eligible_ids:
            seen = set()
    return seen


def choose_question(
    bank: QuestionBank,
    history: Sequence[str],
    *,
    seed: int | str,
    topics: Collection[str] | None = None,
    banks: Collection[str] | None = None,
    topic_scores: Mapping[str, float] | None = None,
) -> Question:
    """Pick the next question for a channel whose past questions are ``history`` (oldest first).

    ``topic_scores`` maps a topic to the team's mean grade in it (0..1); it is accepted here
    so callers need not change when weighting by weakness is added.
    """
    eligible = eligible_questions(bank, topics=topics, banks=banks)
    if not eligible:
        raise NoEligibleQuestion("no question matches this channel's topic and bank filter")
    asked = _current_cycle(history, {q.qualified_id for q in eligible})
    fresh = [q for q in eligible if q.qualified_id not in asked] or eligible
    last_topic = None
    if history and (last := bank.get(history[-1])) is not None:
        last_topic = last.topic
    varied = [q for q in fresh if q.topic != last_topic] or fresh
    rng = random.Random(str(seed))
    return rng.choice(varied)

"""Which question a channel gets next.

The rules, most important first; each narrows the candidates only if something is left,
so a small or lopsided bank still always yields a question:

1. No repeat until the eligible bank is exhausted; then a new cycle starts (and the
   questions of the last few days are still held back if anything else is left).
2. Never the same topic twice in a row.
3. Keep the rest of the cycle able to obey rule 2: when one topic holds most of the
   questions still unasked, it has to be served now, or the cycle would end on a run of it.
4. Spread a week: prefer topics not asked in the last ``RECENT`` draws, then the
   difficulty seen least often in them.
5. Among what is left, draw at random, each question weighted by how weak the team is in
   its topic (``topic_scores``): weak topics come back sooner, never exclusively.

Deterministic: the same bank, history, filters, scores and seed give the same question.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from question_bank.loader import QuestionBank
from question_bank.schema import Question

T = TypeVar("T")

RECENT = 4  # a working week is five posts: today's plus the four before it
WEAKNESS_BOOST = 2.0  # a topic graded 0 is drawn (1 + boost) times as often as one graded 1


class NoEligibleQuestion(LookupError):
    pass


def eligible_questions(
    bank: QuestionBank,
    *,
    topics: Collection[str] | None = None,
    banks: Collection[str] | None = None,
) -> list[Question]:
    return [q for q in bank if (not topics or q.topic in topics) and (not banks or q.bank in banks)]


@dataclass(frozen=True, eq=False)
class _Eligible:
    bank: QuestionBank  # held so that the cache key's id() cannot be reused meanwhile
    by_id: dict[str, Question]
    order: list[str]  # sorted ids: the draw depends on content, not on file order
    ids: frozenset[str]


_ELIGIBLE: dict[tuple[int, int, frozenset[str], frozenset[str]], _Eligible] = {}
_ELIGIBLE_MAX = 256


def _eligible(
    bank: QuestionBank, topics: Collection[str] | None, banks: Collection[str] | None
) -> _Eligible:
    """The eligible set for a filter, computed once per bank and filter: a daily fan-out
    asks for it once per channel, and most channels share a handful of filters. A bank is
    not changed after loading; its size is part of the key all the same."""
    key = (id(bank), len(bank), frozenset(topics or ()), frozenset(banks or ()))
    found = _ELIGIBLE.get(key)
    if found is None or found.bank is not bank:
        by_id = {q.qualified_id: q for q in eligible_questions(bank, topics=topics, banks=banks)}
        found = _Eligible(bank, by_id, sorted(by_id), frozenset(by_id))
        if len(_ELIGIBLE) >= _ELIGIBLE_MAX:
            _ELIGIBLE.clear()
        _ELIGIBLE[key] = found
    return found


def _current_cycle(history: Sequence[str], eligible_ids: frozenset[str]) -> set[str]:
    """Ids asked since the last time the whole eligible set had been asked."""
    seen: set[str] = set()
    for question_id in history:
        if question_id not in eligible_ids:
            continue
        seen.add(question_id)
        if seen >= eligible_ids:
            seen = set()
    return seen


def _feasible_topics(topics: set[str], remaining: Counter[str]) -> set[str]:
    """The topics that can be taken now with the rest still orderable, no topic twice in
    a row. The rest (n questions) must not start with the chosen topic; that is possible
    exactly when no topic fills more than every other slot, ceil(n / 2), and the chosen
    one at most floor(n / 2)."""
    n = sum(remaining.values()) - 1
    (top, top_count), *rest = remaining.most_common(2) or [("", 0)]
    runner_up = rest[0][1] if rest else 0
    return {
        t
        for t in topics
        if remaining[t] - 1 <= n // 2 and (runner_up if t == top else top_count) <= (n + 1) // 2
    }


def _balanced(candidates: list[Question], remaining: Counter[str]) -> list[Question]:
    topics = {q.topic for q in candidates}
    feasible = _feasible_topics(topics, remaining)
    if feasible:
        return [q for q in candidates if q.topic in feasible]
    # Already unbalanced (a lopsided bank or filter): serve the biggest backlog first.
    most = max(remaining[t] for t in topics)
    return [q for q in candidates if remaining[q.topic] == most]


def _spread(candidates: list[Question], recent: Sequence[Question]) -> list[Question]:
    if not recent:
        return candidates  # nothing asked yet: every topic and difficulty is equally fresh
    age: dict[str, int] = {}  # how many draws ago each recent topic was last asked
    for draws_ago, q in enumerate(reversed(recent)):
        age.setdefault(q.topic, draws_ago)
    pool = [q for q in candidates if q.topic not in age]
    if not pool:
        # Every candidate topic was asked this week: take the one asked longest ago.
        oldest = max(age[q.topic] for q in candidates)
        pool = [q for q in candidates if age[q.topic] == oldest]
    used = Counter(q.difficulty for q in recent)
    fewest = min(used[q.difficulty] for q in pool)
    return [q for q in pool if used[q.difficulty] == fewest]


def _weights(candidates: Sequence[Question], scores: Mapping[str, float]) -> list[float]:
    if not scores:
        return [1.0] * len(candidates)
    clamped = {t: min(1.0, max(0.0, float(s))) for t, s in scores.items()}
    # A topic nobody has been graded in yet counts as average, neither pushed nor held back.
    neutral = sum(clamped.values()) / len(clamped)
    by_topic = {
        t: 1.0 + WEAKNESS_BOOST * (1.0 - clamped.get(t, neutral))
        for t in {q.topic for q in candidates}
    }
    return [by_topic[q.topic] for q in candidates]


def choose_question(
    bank: QuestionBank,
    history: Sequence[str],
    *,
    seed: int | str,
    topics: Collection[str] | None = None,
    banks: Collection[str] | None = None,
    topic_scores: Mapping[str, float] | None = None,
) -> Question:
    """Pick the next question for a channel whose past questions are ``history``.

    ``history`` holds qualified ids, oldest first; ids no longer in the bank are ignored.
    ``topic_scores`` maps a topic to the team's mean grade in it (0..1).
    """
    cached = _eligible(bank, topics, banks)
    eligible, order = cached.by_id, cached.order
    if not eligible:
        raise NoEligibleQuestion("no question matches this channel's topic and bank filter")
    asked = _current_cycle(history, cached.ids)
    known = [(h, q) for h in history if (q := bank.get(h)) is not None]
    recent = [q for _, q in known[-RECENT:]]
    recent_ids = {h for h, _ in known[-RECENT:]}
    last_topic = known[-1][1].topic if known else None

    # An empty list cannot happen (a full cycle resets), but never fail on it.
    unasked_ids = [i for i in order if i not in asked] or order
    unasked = [eligible[i] for i in unasked_ids]
    # Rules 1 and 2 as plain filters (each falls back to its input when it keeps nothing).
    fresh_ids = [i for i in unasked_ids if i not in recent_ids] or unasked_ids
    candidates = [eligible[i] for i in fresh_ids]
    candidates = [q for q in candidates if q.topic != last_topic] or candidates
    candidates = _balanced(candidates, Counter(q.topic for q in unasked))
    candidates = _spread(candidates, recent)

    rng = random.Random(f"{seed}|{len(history)}|{history[-1] if history else ''}")
    return rng.choices(candidates, weights=_weights(candidates, topic_scores or {}))[0]

"""Points and streaks: pure rules, applied once per post when it is revealed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

ON_TIME_POINTS = 1
MAX_QUALITY_POINTS = 4
BEST_ANSWER_POINTS = 1
ANSWERS_PER_FREEZE = 5
MAX_FREEZES = 2


def quality_points(score: float, *, earns_quality: bool = True) -> int:
    if not earns_quality:
        return 0
    # Halves go up: round() sends them to the even neighbour (1.5 -> 2 but 2.5 -> 2).
    return math.floor(max(0.0, min(1.0, score)) * MAX_QUALITY_POINTS + 0.5)


def best_answer_indexes(scores: Sequence[float], eligible: Sequence[bool]) -> set[int]:
    """The round's best answers: the highest score among eligible ones; ties share."""
    candidates = [round(s, 4) for s, ok in zip(scores, eligible, strict=True) if ok and s > 0]
    if not candidates:
        return set()
    top = max(candidates)
    return {
        i
        for i, (s, ok) in enumerate(zip(scores, eligible, strict=True))
        if ok and round(s, 4) == top
    }


def round_points(*, on_time: bool, score: float, earns_quality: bool, best: bool) -> int:
    if not on_time:
        return 0
    return (
        ON_TIME_POINTS
        + quality_points(score, earns_quality=earns_quality)
        + (BEST_ANSWER_POINTS if best else 0)
    )


def earns_quality(flags: Sequence[str]) -> bool:
    """A near-copy of another answer earns no quality points (nor best answer)."""
    return "near_copy" not in flags


class RoundAnswer(Protocol):
    """What scoring a round reads and sets on each answer (storage's Answer row)."""

    score: float
    on_time: bool
    flags: list[str]
    best: bool
    points: int


def score_round(answers: Sequence[RoundAnswer]) -> None:
    """Set best flags and points of a round's answers (withdrawn ones left out by the
    caller): at the reveal, and again when a dispute changes a grade."""
    best = best_answer_indexes(
        [a.score for a in answers], [a.on_time and earns_quality(a.flags) for a in answers]
    )
    for index, answer in enumerate(answers):
        answer.best = index in best
        answer.points = round_points(
            on_time=answer.on_time,
            score=answer.score,
            earns_quality=earns_quality(answer.flags),
            best=answer.best,
        )


@dataclass(frozen=True)
class Streak:
    current: int = 0
    best: int = 0
    freezes: int = 0
    run: int = 0  # on-time answers in a row since the last miss, toward the next freeze
    freezes_used: int = 0


def advance_streak(streak: Streak, *, answered_on_time: bool) -> Streak:
    """Move a streak past one scheduled post.

    An on-time answer extends it; every fifth in a row earns a freeze (two held at most).
    A miss spends a freeze if there is one, keeping the streak, and otherwise resets it.
    """
    if answered_on_time:
        current = streak.current + 1
        run = streak.run + 1
        freezes = streak.freezes
        if run % ANSWERS_PER_FREEZE == 0:
            freezes = min(MAX_FREEZES, freezes + 1)
        return replace(
            streak, current=current, best=max(streak.best, current), run=run, freezes=freezes
        )
    if streak.freezes > 0:
        return replace(
            streak, freezes=streak.freezes - 1, run=0, freezes_used=streak.freezes_used + 1
        )
    return replace(streak, current=0, run=0)


def advance_team_streak(current: int, on_time_answers: int, threshold: int) -> int:
    return current + 1 if on_time_answers >= threshold else 0

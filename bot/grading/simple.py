"""A small key-point coverage grader: the fallback the core starts with."""

from __future__ import annotations

import re
from collections.abc import Sequence

import snowballstemmer

from bot.grading.result import Grade, PointResult
from question_bank.schema import Question

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")
_STOP = frozenset(
    "a an the and or of to in on for is are be by with that this it its as at from into than "
    "then so if not no can you your we our they their which what when how why more most less "
    "use used using uses".split()
)
GRADED_PREFIX_CHARS = 4000
COVERAGE_THRESHOLD = 0.6


def content_stems(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {_STEMMER.stemWord(w) for w in words if w not in _STOP and len(w) > 1}


def grade_simple(question: Question, text: str, *, round_answers: Sequence[str] = ()) -> Grade:
    answer_stems = content_stems(text[:GRADED_PREFIX_CHARS])
    points = question.key_points or ()
    if not points:
        # Custom banks may have no key points: compare against the model answer itself.
        target = content_stems(question.answer)
        overlap = len(target & answer_stems) / max(len(target), 1)
        return Grade(score=min(1.0, overlap / COVERAGE_THRESHOLD), confidence=0.3)

    covered: list[PointResult] = []
    missed: list[PointResult] = []
    for point in points:
        best: tuple[float, set[str]] = (0.0, set())
        for phrasing in point.phrasings:
            stems = content_stems(phrasing)
            hits = stems & answer_stems
            ratio = len(hits) / max(len(stems), 1)
            if ratio > best[0]:
                best = (ratio, hits)
        if best[0] >= COVERAGE_THRESHOLD:
            covered.append(PointResult(point.text, tuple(sorted(best[1]))))
        else:
            missed.append(PointResult(point.text))
    score = len(covered) / len(points)
    feedback = _feedback(covered, missed)
    return Grade(score=score, covered=tuple(covered), missed=tuple(missed), feedback=feedback)


def _feedback(covered: Sequence[PointResult], missed: Sequence[PointResult]) -> str:
    parts = []
    if covered:
        parts.append("You explained: " + "; ".join(p.text for p in covered) + ".")
    if missed:
        parts.append("You did not mention: " + "; ".join(p.text for p in missed) + ".")
    return " ".join(parts)

"""Interpretable features of a technical answer, the inputs of the calibrated score.

Everything here is computed from what the matcher already found plus one cheap look at the
model answer's vocabulary. Nothing counts raw length: elaboration is measured in distinct
terms the answer shares with the model answer and key points, so padding with fluff or
repeating a key word adds nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.grading.marking import strip_marking
from bot.grading.match import AnswerIndex, PointMatch
from bot.grading.rubric import prompt_terms, term_weight
from bot.grading.style import Style
from bot.grading.text import merge_phrases, scan
from question_bank.schema import Question

# Elaboration saturates: past this many weighted shared terms an answer says nothing new.
ELABORATION_FULL = 30.0


@dataclass(frozen=True, slots=True)
class Reference:
    """A question's own vocabulary: the model answer's and key points' terms, weighted."""

    weights: dict[str, float]  # term -> weight (concepts heavier, prompt words lighter)
    total: float
    prompt: frozenset[str]


@lru_cache(maxsize=4096)
def reference_for(question: Question) -> Reference:
    given = prompt_terms(question.prompt)
    texts = [strip_marking(t) for t in (question.answer, *(kp.text for kp in question.key_points))]
    weights: dict[str, float] = {}
    for text in texts:
        for clause in scan(text).clauses:
            for term, _, _ in merge_phrases(clause, keep_parts=True):
                weights.setdefault(term, term_weight(term, given))
    return Reference(weights, sum(weights.values()) or 1.0, given)


@dataclass(frozen=True, slots=True)
class Features:
    content: float  # mean point credit, 0..1 (the rule-based score before style)
    coverage: float  # mean raw coverage of the points, 0..1
    covered_share: float  # share of points covered
    contradicted_share: float  # share of points the answer contradicts
    reference_overlap: float  # weighted share of the reference vocabulary said, 0..1,
    # times the share of points not contradicted
    elaboration: float  # weighted distinct shared terms, log-scaled to 0..1
    off_topic: float  # share of the answer's distinct terms the reference never uses
    explanation: float  # share of prose words in clauses that make claims, 0..1
    keyword_list: bool
    style_factor: float  # the keyword-list multiplier (style.py), applied after calibration

    def vector(self) -> tuple[float, ...]:
        return (
            self.content,
            self.coverage,
            self.covered_share,
            self.contradicted_share,
            self.reference_overlap,
            self.elaboration,
            self.off_topic,
            min(1.0, self.explanation),
            float(self.keyword_list),
        )


FEATURE_NAMES = (
    "content",
    "coverage",
    "covered_share",
    "contradicted_share",
    "reference_overlap",
    "elaboration",
    "off_topic",
    "explanation",
    "keyword_list",
)


def marked_share(matches: Sequence[PointMatch], chosen: Callable[[PointMatch], bool]) -> float:
    """The share of the rubric's marks held by the chosen points (0 without points)."""
    total = sum(m.point.marks for m in matches)
    return sum(m.point.marks for m in matches if chosen(m)) / total if total else 0.0


def concept_features(
    question: Question, index: AnswerIndex, matches: Sequence[PointMatch], style: Style
) -> Features:
    ref = reference_for(question)
    said = index.affirmed
    shared = [t for t in said if t in ref.weights]
    shared_weight = sum(ref.weights[t] for t in shared)
    own = [t for t in said if t not in ref.prompt]
    off = sum(1 for t in own if t not in ref.weights)
    # Points weigh what the scheme says they are worth (1 each when it says nothing).
    n = sum(m.point.marks for m in matches) or 1.0
    contradicted = marked_share(matches, lambda m: m.contradicted)
    return Features(
        content=sum(m.credit * m.point.marks for m in matches) / n,
        coverage=sum(min(1.0, m.coverage) * m.point.marks for m in matches) / n,
        covered_share=marked_share(matches, lambda m: m.covered),
        contradicted_share=contradicted,
        # Vocabulary used in claims the answer gets backwards is no evidence for it.
        reference_overlap=min(1.0, shared_weight / ref.total) * (1.0 - contradicted),
        elaboration=math.log1p(shared_weight) / math.log1p(ELABORATION_FULL)
        if shared_weight < ELABORATION_FULL
        else 1.0,
        off_topic=off / len(own) if own else 0.0,
        explanation=style.explanation,
        keyword_list=style.keyword_list,
        style_factor=style.factor,
    )

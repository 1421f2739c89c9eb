"""How an answer is written: explained in sentences, terse claims, or a bare keyword list.

A clause reads as a claim when it has grammatical glue ("the", "to", "because"), a
conjugated verb ("drives", "reduced") or states a relation ("L1: sparse weights",
"L2 -> small weights"). A keyword dump has none of these. Code counts as explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.grading.text import Scan

LIST_FLOOR = 0.0  # the share of its content score a pure keyword list keeps
EXPLAINED_FULL = 0.6  # from this share of explained words on, no penalty
MIN_WORDS_TO_JUDGE = 4


@dataclass(frozen=True, slots=True)
class Style:
    words: int
    explanation: float  # share of prose words in clauses that make claims
    factor: float  # multiplier on the content score

    @property
    def keyword_list(self) -> bool:
        return self.factor < 0.75


def judge_style(scanned: Scan) -> Style:
    words = scanned.prose_words + scanned.code_words
    if scanned.prose_words < MIN_WORDS_TO_JUDGE:
        # Too short to call a list; code-only answers explain themselves.
        return Style(words, 1.0, 1.0)
    explanation = scanned.explained_words / scanned.prose_words
    if scanned.code_words >= scanned.prose_words:
        explanation = max(explanation, EXPLAINED_FULL)
    factor = LIST_FLOOR + (1.0 - LIST_FLOOR) * min(1.0, explanation / EXPLAINED_FULL)
    return Style(words, explanation, factor)

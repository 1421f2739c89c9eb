"""Is an answer a near-copy of one given earlier in the same round?

Two checks, either suffices: the whole texts are almost the same string (a copy with a
few words changed), or most of this answer's three-word runs of content words appear in
an earlier answer (a copy padded or trimmed). Short answers are never flagged: two people
may well both write "L1 gives sparse weights".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.grading.text import scan

MIN_CONTENT_WORDS = 8
RATIO_CUTOFF = 90.0
SHINGLE_CONTAINMENT = 0.7
_SPACES = re.compile(r"\W+")


def content_sequence(text: str) -> list[str]:
    return [t for clause in scan(text).clauses for t in clause.terms]


def _shingles(terms: list[str]) -> set[tuple[str, str, str]]:
    return {(terms[i], terms[i + 1], terms[i + 2]) for i in range(len(terms) - 2)}


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


def is_near_copy(text: str, terms: list[str], earlier: Sequence[str]) -> bool:
    if len(terms) < MIN_CONTENT_WORDS or not earlier:
        return False
    mine = _shingles(terms)
    flat = _flat(text)
    for other in earlier:
        if not other or not other.strip():
            continue
        other_flat = _flat(other)
        if fuzz.ratio(flat, other_flat, score_cutoff=RATIO_CUTOFF):
            return True
        other_terms = content_sequence(other)
        if len(other_terms) < MIN_CONTENT_WORDS:
            continue
        shared = len(mine & _shingles(other_terms))
        if mine and shared / len(mine) >= SHINGLE_CONTAINMENT:
            return True
    return False

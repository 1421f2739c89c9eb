"""Is an answer a near-copy of one given earlier in the same round?

Two checks, either suffices: the whole texts are almost the same string (a copy with a
few words changed), or the answers share most of their three-word runs of content words:
most of this answer comes from an earlier one (a trimmed copy), or most of an earlier
answer reappears and makes up at least half of this one (a padded copy). Short answers
are never flagged: two people may well both write "L1 gives sparse weights".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from bot.grading.text import scan

MIN_CONTENT_WORDS = 8
RATIO_CUTOFF = 90.0
SHINGLE_CONTAINMENT = 0.7  # of this answer's runs found in the earlier answer
EARLIER_REUSED = 0.8  # of the earlier answer's runs reused here...
MIN_COPIED_SHARE = 0.5  # ...when they make up at least this share of this answer
_SPACES = re.compile(r"\W+")


def content_sequence(text: str) -> list[str]:
    return [t for clause in scan(text).clauses for t in clause.terms]


def _length(terms: list[str]) -> int:
    """Content words that count toward MIN_CONTENT_WORDS: one-letter terms are notation
    ("O(n)", "O(1)"), and "time O(n), space O(1)" is short, not eight words."""
    return sum(1 for t in terms if len(t) > 1)


def _shingles(terms: list[str]) -> frozenset[tuple[str, str, str]]:
    return frozenset((terms[i], terms[i + 1], terms[i + 2]) for i in range(len(terms) - 2))


@lru_cache(maxsize=4096)
def _earlier(text: str) -> tuple[str, int, frozenset[tuple[str, str, str]]]:
    """Flat text, content length and shingles of an earlier answer; each earlier answer is
    compared with every later one in its round, so this is computed once per text."""
    terms = content_sequence(text)
    return _flat(text), _length(terms), _shingles(terms)


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


def is_near_copy(text: str, terms: list[str], earlier: Sequence[str]) -> bool:
    if _length(terms) < MIN_CONTENT_WORDS or not earlier:
        return False
    mine = _shingles(terms)
    flat = _flat(text)
    for other in earlier:
        if not other or not other.strip():
            continue
        other_flat, other_length, other_shingles = _earlier(other)
        if fuzz.ratio(flat, other_flat, score_cutoff=RATIO_CUTOFF):
            return True
        if other_length < MIN_CONTENT_WORDS:
            continue
        shared = len(mine & other_shingles)
        if not mine or not other_shingles:
            continue
        copied = shared / len(mine)
        if copied >= SHINGLE_CONTAINMENT or (
            shared / len(other_shingles) >= EARLIER_REUSED and copied >= MIN_COPIED_SHARE
        ):
            return True
    return False

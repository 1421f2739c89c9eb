"""How much of a reference answer an answer says: weighted recall of its terms.

On answers that real people wrote and teachers graded (bench/GRADING.md, "Real answers"),
the share of the reference's distinct terms an answer uses ranks answers better than
any of the grader's finer rules: people answer tersely, in their own order, and rarely
repeat a whole sentence of the reference. The terms are the scanner's (stems plus the
ML concepts of the lexicon, so "lasso" meets "L1"); both polarities count, because on
real answers the negation scope misreads as often as it helps ("there is no gap between
them" against "they are connected").

Words the prompt already uses weigh half: repeating the question shows little. A
question can have several references (the model answer and answers a team accepted);
an answer is measured against the one it comes closest to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from bot.grading.marking import strip_marking
from bot.grading.text import CONCEPT_PREFIX, CONCEPT_SURFACES, Scan, merge_phrases, scan

PROMPT_WEIGHT = 0.5
# A misspelt word still counts: one edit from six letters, two from ten (as match.py).
TYPO_MIN_CHARS = 6


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One reference's distinct terms, their weights and the words a typo may resemble."""

    weights: tuple[tuple[str, float, tuple[str, ...]], ...]
    total: float
    terms: frozenset[str]  # the terms of ``weights``, for the typo check's exclusions
    # Every typo key once, with its term and the edits it allows: an answer has fewer
    # unknown words than a reference has missing terms, so the typo search runs per word.
    keys: tuple[str, ...] = ()
    key_terms: tuple[str, ...] = ()
    key_edits: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Said:
    """What an answer says: its terms, and its longer words with their terms (for typos)."""

    terms: frozenset[str]
    words: tuple[tuple[str, str], ...]


def said_in(scanned: Scan) -> Said:
    terms: set[str] = set()
    words: dict[str, str] = {}
    for clause in scanned.clauses:
        for term, _, _ in merge_phrases(clause, keep_parts=True):
            terms.add(term)
        for term, word in zip(clause.terms, clause.words, strict=True):
            if len(word) >= TYPO_MIN_CHARS - 1:
                words.setdefault(word.lower(), term)
    return Said(frozenset(terms), tuple(words.items()))


def said_of(terms: frozenset[str], words: dict[str, tuple[str, bool]]) -> Said:
    """The same from an answer already indexed for matching (bot/grading/match.py), whose
    ``words`` hold each content word's first term."""
    long_words = tuple((w, t) for w, (t, _) in words.items() if len(w) >= TYPO_MIN_CHARS - 1)
    return Said(terms, long_words)


@lru_cache(maxsize=8192)
def said_in_text(text: str) -> Said:
    return said_in(scan(text))


def _keys(term: str, surface: str) -> tuple[str, ...]:
    keys = [w.lower() for w in surface.split() if len(w) >= TYPO_MIN_CHARS]
    if term.startswith(CONCEPT_PREFIX):
        keys.extend(w for w in CONCEPT_SURFACES.get(term, ()) if len(w) >= TYPO_MIN_CHARS)
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=8192)
def vocabulary(prompt: str, reference: str) -> Vocabulary:
    given = said_in_text(prompt).terms
    keys: dict[str, tuple[str, ...]] = {}
    for clause in scan(strip_marking(reference)).clauses:
        for term, _, surface in merge_phrases(clause, keep_parts=True):
            keys[term] = tuple(dict.fromkeys((*keys.get(term, ()), *_keys(term, surface))))
    weights = tuple(
        (term, PROMPT_WEIGHT if term in given else 1.0, keys[term]) for term in sorted(keys)
    )
    flat = [(key, term) for term, _, term_keys in weights for key in term_keys]
    return Vocabulary(
        weights,
        sum(w for _, w, _ in weights),
        frozenset(keys),
        tuple(k for k, _ in flat),
        tuple(t for _, t in flat),
        tuple(_max_edits(k) for k, _ in flat),
    )


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 10 else 1 if len(word) >= TYPO_MIN_CHARS else 0


def recall(said: Said, vocab: Vocabulary) -> float:
    if vocab.total <= 0:
        return 0.0
    misspelt = _misspelt(said, vocab)
    got = 0.0
    for term, weight, _ in vocab.weights:
        if term in said.terms or term in misspelt:
            got += weight
    return got / vocab.total


def _misspelt(said: Said, vocab: Vocabulary) -> frozenset[str]:
    """Reference terms that an answer word not otherwise in the reference misspells."""
    if not vocab.keys:
        return frozenset()
    spare = [w for w, t in said.words if t not in vocab.terms]
    found: set[str] = set()
    for word in spare:
        for _, edits, i in extract(
            word, vocab.keys, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            if edits <= vocab.key_edits[i]:
                found.add(vocab.key_terms[i])
    return frozenset(found)


def best_recall(said: Said, prompt: str, references: Iterable[str]) -> tuple[float, int]:
    """The highest recall over ``references`` and the index of the reference that gave it
    (0 for the first); (0.0, -1) when there are none."""
    best, which = 0.0, -1
    for i, reference in enumerate(references):
        value = recall(said, vocabulary(prompt, reference))
        if value > best or which < 0:
            best, which = value, i
    return best, which


def references_for(model_answer: str, accepted: Sequence[str]) -> tuple[str, ...]:
    """The model answer first, then the accepted answers, without repeats or blanks."""
    seen: dict[str, None] = {model_answer: None}
    for text in accepted:
        if text and text.strip():
            seen.setdefault(text, None)
    return tuple(seen)

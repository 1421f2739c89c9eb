"""Matches an answer's terms against a rubric, point by point.

A rubric term counts when the answer uses it with the same polarity: "reduces variance"
matches "does not reduce variance" only if both are negated. The opposite polarity is
evidence against the point. A term the answer lacks may still match a misspelt word
(optimal string alignment distance, one edit from 6 letters, two from 10).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.grading.rubric import Point, Rubric, RubricTerm
from bot.grading.text import (
    ABBREVIATION_MAX_CHARS,
    CONCEPT_PREFIX,
    EXPANSIONS,
    Scan,
    merge_phrases,
)

COVERED = 0.6  # share of a point's weighted terms that makes it covered
PARTIAL_FLOOR = 0.25  # below this share a point earns nothing
CONTRADICTION_SHARE = 0.25  # opposite-polarity share that makes a point contradicted
PARAPHRASED_NEGATION = 0.5  # credit for an affirmed word where the rubric line negates it


Polar = tuple[dict[str, str], dict[str, str]]  # (affirmed, denied): term -> first surface


@dataclass(slots=True)
class AnswerIndex:
    clauses: list[list[tuple[str, bool, str]]]  # per clause: (term, negated, surface)
    affirmed: dict[str, str]  # term -> surface of its first affirmative use
    denied: dict[str, str]  # term -> surface of its first negated use
    words: dict[str, tuple[str, bool]]  # content word -> (term, negated), for typo matching
    word_list: list[str]

    @classmethod
    def build(cls, scanned: Scan) -> AnswerIndex:
        clauses: list[list[tuple[str, bool, str]]] = []
        words: dict[str, tuple[str, bool]] = {}
        for clause in scanned.clauses:
            items: list[tuple[str, bool, str]] = []
            for term, negated, surface in merge_phrases(clause, keep_parts=True):
                items.append((term, negated, surface))
                # An abbreviation stands for its spelled-out words: "iid" says "independent".
                if len(surface) <= ABBREVIATION_MAX_CHARS and term.startswith(CONCEPT_PREFIX):
                    items.extend((part, negated, surface) for part in EXPANSIONS.get(term, ()))
            clauses.append(items)
            for term, negated, word in zip(clause.terms, clause.negated, clause.words, strict=True):
                if len(word) >= 4 and word not in words:
                    words[word] = (term, negated)
        affirmed, denied = _polar(clauses)
        return cls(clauses, affirmed, denied, words, list(words))

    def without(self, blocked: frozenset[int]) -> Polar:
        """The answer's terms, leaving out some clauses."""
        return _polar(c for i, c in enumerate(self.clauses) if i not in blocked)

    def blocked_for(self, own: str, rivals: frozenset[str]) -> frozenset[int]:
        """Clauses about a rival subject and not about this one: "ridge adds squared
        weights" says nothing about what lasso does."""
        return frozenset(
            i
            for i, clause in enumerate(self.clauses)
            if any(t in rivals for t, _, _ in clause) and all(t != own for t, _, _ in clause)
        )


def _polar(clauses) -> Polar:
    affirmed: dict[str, str] = {}
    denied: dict[str, str] = {}
    for clause in clauses:
        for term, negated, surface in clause:
            target = denied if negated else affirmed
            if term not in target:
                target[term] = surface
    return affirmed, denied


@dataclass(frozen=True, slots=True)
class PointMatch:
    point: Point
    coverage: float  # share of weighted terms matched with the right polarity
    matched: tuple[str, ...]  # answer words that matched
    contradicted: bool
    against: tuple[str, ...]  # answer words used with the opposite polarity
    fuzzy: int  # how many terms matched only through a typo

    @property
    def credit(self) -> float:
        if self.contradicted:
            return 0.0
        return max(0.0, min(1.0, (self.coverage - PARTIAL_FLOOR) / (COVERED - PARTIAL_FLOOR)))

    @property
    def covered(self) -> bool:
        return not self.contradicted and self.coverage >= COVERED


def _max_edits(key: str) -> int:
    return 2 if len(key) >= 10 else 1 if len(key) >= 6 else 0


class Matcher:
    def __init__(self, rubric: Rubric, index: AnswerIndex) -> None:
        self.rubric = rubric
        self.index = index
        self._typo_cache: dict[str, tuple[str, bool] | None] = {}
        self._views: dict[frozenset[int], Polar] = {}

    def _typo(self, rt: RubricTerm) -> tuple[str, bool] | None:
        """An answer word that looks like a misspelling of the rubric term, if any."""
        if rt.term in self._typo_cache:
            return self._typo_cache[rt.term]
        found: tuple[str, bool] | None = None
        for key in rt.keys:
            limit = _max_edits(key)
            if not limit:
                continue
            best = process.extractOne(
                key, self.index.word_list, scorer=OSA.distance, score_cutoff=limit
            )
            if best is None:
                continue
            word = best[0]
            term, negated = self.index.words[word]
            # A real rubric word or a known concept is not a typo of something else.
            if word[0] != key[0] or term in self.rubric.terms or term.startswith(CONCEPT_PREFIX):
                continue
            found = (word, negated)
            break
        self._typo_cache[rt.term] = found
        return found

    def _view(self, point: Point) -> Polar:
        rivals = self.rubric.anchors - {point.anchor}
        if point.anchor is None or not rivals:
            return self.index.affirmed, self.index.denied
        blocked = self.index.blocked_for(point.anchor, rivals)
        if not blocked:
            return self.index.affirmed, self.index.denied
        if blocked not in self._views:
            self._views[blocked] = self.index.without(blocked)
        return self._views[blocked]

    def match(self, point: Point) -> PointMatch:
        best: PointMatch | None = None
        affirmed, denied = self._view(point)
        for phrasing in point.phrasings:
            got = against_w = 0.0
            matched: list[str] = []
            against: list[str] = []
            fuzzy = 0
            for rt in phrasing.terms:
                same, other = (denied, affirmed) if rt.negated else (affirmed, denied)
                surface = same.get(rt.term)
                if surface is not None:
                    got += rt.weight
                    matched.append(surface)
                    continue
                surface = other.get(rt.term)
                if surface is not None:
                    # Only an affirmative claim can be contradicted by a negated one. A
                    # negated rubric line ("prevents overfitting", "failing to reject") is
                    # often paraphrased without a negation ("reduces overfitting", "keeps
                    # H0"), so there the word earns half.
                    if rt.negated:
                        got += rt.weight * PARAPHRASED_NEGATION
                        matched.append(surface)
                    else:
                        against_w += rt.weight
                        against.append(surface)
                    continue
                typo = self._typo(rt)
                if typo is not None:
                    word, negated = typo
                    if negated == rt.negated:
                        got += rt.weight
                        matched.append(word)
                        fuzzy += 1
                    elif not rt.negated:
                        against_w += rt.weight
                        against.append(word)
            total = phrasing.total or 1.0
            coverage = got / total
            # Opposite polarity must outweigh agreement: a clause can negate a side remark
            # ("no perfect multicollinearity: coefficients become unstable").
            contradicted = (
                against_w / total >= CONTRADICTION_SHARE
                and against_w > got
                and (got + against_w) / total >= COVERED
            )
            candidate = PointMatch(
                point, coverage, tuple(matched), contradicted, tuple(against), fuzzy
            )
            if best is None or _rank(candidate) > _rank(best):
                best = candidate
        assert best is not None  # a point always has at least one phrasing
        return best

    def match_all(self) -> list[PointMatch]:
        return [self.match(p) for p in self.rubric.points]


def _rank(m: PointMatch) -> tuple[float, float]:
    return (m.credit, m.coverage)

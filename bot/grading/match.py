"""Matches an answer's terms against a rubric, point by point.

A rubric term counts when the answer uses it with the same polarity: "reduces variance"
matches "does not reduce variance" only if both are negated. The opposite polarity is
evidence against the point. A term the answer lacks may still match a misspelt word
(optimal string alignment distance, one edit from 6 letters, two from 10). A point is
looked for within a few consecutive sentences, not in words scattered over a long answer.
A point is contradicted when the answer reverses its direction ("increases bias" for
"reduces bias") or says its claim of a rival subject (relations.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.grading.relations import (
    DIRECTION,
    GENERIC_TERMS,
    Item,
    direction_pairs,
    owners,
    reversed_direction,
)
from bot.grading.rubric import Phrasing, Point, Rubric, RubricTerm, max_typo_edits
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
WINDOW_TERMS = 40  # answer terms (a few sentences) a point is looked for in
SWAP_SHARE = 0.4  # share of a point's claim said of a rival subject that contradicts it
SWAP_MIN_WEIGHT = 1.0  # a claim needs this much weight beyond words the rival shares

Polar = tuple[dict[str, str], dict[str, str]]  # (affirmed, denied): term -> first surface
Window = tuple[int, int, Polar]  # first and last sentence, the terms said there
Keep = Callable[[int, int], bool]  # (clause, item) -> does this view include the item


@dataclass(slots=True)
class AnswerIndex:
    clauses: list[list[Item]]
    sentence_of: list[int]  # per clause, its sentence
    affirmed: dict[str, str]  # term -> surface of its first affirmative use
    denied: dict[str, str]  # term -> surface of its first negated use
    # content word -> (term, negated), for typo matching
    words: dict[str, tuple[str, bool | None]]
    word_list: list[str]
    word_sentences: dict[str, list[int]]  # content word -> sentences that use it
    # per clause that moves something: its terms and (direction, object) pairs
    directions: list[tuple[frozenset[str], set[tuple[str, str]]]]
    # the terms as said (phrases and their parts, not abbreviations' expansions), which
    # reference recall reads too: built here so the answer is merged into phrases once
    said_terms: frozenset[str]
    _near: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    # (first letter, length) of every content word: whether a typo search can succeed
    shapes: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def build(cls, scanned: Scan) -> AnswerIndex:
        clauses: list[list[Item]] = []
        words: dict[str, tuple[str, bool | None]] = {}
        word_sentences: dict[str, list[int]] = {}
        directions: list[tuple[frozenset[str], set[tuple[str, str]]]] = []
        said: set[str] = set()
        for clause in scanned.clauses:
            items: list[Item] = []
            for term, negated, surface, part in _items(clause):
                items.append((term, negated, surface, part))
                said.add(term)
                # An abbreviation stands for its spelled-out words: "iid" says "independent".
                if (
                    not part
                    and len(surface) <= ABBREVIATION_MAX_CHARS
                    and term.startswith(CONCEPT_PREFIX)
                ):
                    items.extend((p, negated, surface, True) for p in EXPANSIONS.get(term, ()))
            clauses.append(items)
            pairs = direction_pairs(clause.terms, clause.negated, clause.linked, clause.words)
            if pairs:
                directions.append((frozenset(t for t, _, _, _ in items), pairs))
            for term, negated, word in zip(clause.terms, clause.negated, clause.words, strict=True):
                if len(word) >= 4:
                    if word not in words:
                        words[word] = (term, negated)
                    word_sentences.setdefault(word, []).append(clause.sentence)
        sentence_of = [c.sentence for c in scanned.clauses]
        affirmed, denied = _polar(item for items in clauses for item in items)
        return cls(
            clauses,
            sentence_of,
            affirmed,
            denied,
            words,
            list(words),
            word_sentences,
            directions,
            frozenset(said),
            shapes=frozenset((w[0], len(w)) for w in words),
        )

    def words_near(self, length: int, spread: int) -> list[str]:
        """The content words within ``spread`` letters of ``length``, in answer order."""
        key = (length, spread)
        near = self._near.get(key)
        if near is None:
            near = [w for w in self.word_list if abs(len(w) - length) <= spread]
            self._near[key] = near
        return near

    def view(self, keep: Keep | None) -> Polar:
        """The answer's terms, only those ``keep`` accepts."""
        if keep is None:
            return self.affirmed, self.denied
        return _polar(
            item
            for ci, items in enumerate(self.clauses)
            for ii, item in enumerate(items)
            if keep(ci, ii)
        )

    def windows(self, keep: Keep | None, min_terms: int) -> list[Window]:
        """The answer's terms per run of consecutive sentences holding at least
        ``min_terms`` terms: a point is made in one place, not by words scattered over a
        long answer. A short answer is one window."""
        if not self.clauses:
            return [(0, 0, self.view(keep))]
        sizes: dict[int, int] = {}
        for sentence, items in zip(self.sentence_of, self.clauses, strict=True):
            sizes[sentence] = sizes.get(sentence, 0) + len(items)
        if sum(sizes.values()) <= min_terms:
            return [(0, self.sentence_of[-1], self.view(keep))]
        order = sorted(sizes)
        out: list[Window] = []
        for start, lo in enumerate(order):
            count, end = 0, start
            while end < len(order) and count < min_terms:
                count += sizes[order[end]]
                end += 1
            hi = order[end - 1]
            out.append(
                (
                    lo,
                    hi,
                    _polar(
                        item
                        for ci, items in enumerate(self.clauses)
                        if lo <= self.sentence_of[ci] <= hi
                        for ii, item in enumerate(items)
                        if keep is None or keep(ci, ii)
                    ),
                )
            )
            if end == len(order):
                break  # later windows would be parts of this one
        return out

    def by_sentence(self) -> list[list[list[Item]]]:
        grouped: list[list[list[Item]]] = []
        previous = -1
        for sentence, items in zip(self.sentence_of, self.clauses, strict=True):
            if sentence != previous:
                grouped.append([])
                previous = sentence
            grouped[-1].append(items)
        return grouped


def _items(clause) -> Iterable[Item]:
    """merge_phrases with a flag on the words of a merged phrase (they are not subjects)."""
    inside = 0
    for term, negated, surface in merge_phrases(clause, keep_parts=True):
        if inside:
            inside -= 1
            yield term, negated, surface, True
            continue
        # A merged phrase of n words is followed by its n words.
        size = len(surface.split()) if term.startswith(CONCEPT_PREFIX) else 1
        inside = size if size > 1 else 0
        yield term, negated, surface, False


def _polar(items: Iterable[Item]) -> Polar:
    affirmed: dict[str, str] = {}
    denied: dict[str, str] = {}
    for term, negated, surface, _ in items:
        # Advice ("don't fit on all rows", negated is None) says the words either way.
        for target in (affirmed, denied) if negated is None else (denied if negated else affirmed,):
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


class Matcher:
    def __init__(self, rubric: Rubric, index: AnswerIndex) -> None:
        self.rubric = rubric
        self.index = index
        self._typo_cache: dict[str, tuple[str, bool | None] | None] = {}
        # The rubric terms some answer word is shaped like: for the others no typo search
        # can succeed, and most terms of a rubric are such others.
        self._typo_candidates: frozenset[str] = frozenset().union(
            *(rubric.typo_shapes.get(shape, ()) for shape in index.shapes)
        )
        self._windows: dict[str | None, list[Window]] = {}
        self._rival_cache: dict[str, frozenset[str]] = {}
        self._sides: dict[str, tuple[Polar, Polar]] = {}  # anchor -> (own, rival) views
        self._owners = (
            owners(index.by_sentence(), rubric.anchors, self._misspelt_subjects())
            if rubric.anchors
            else None
        )

    def _typo(self, rt: RubricTerm) -> tuple[str, bool | None] | None:
        """An answer word that looks like a misspelling of the rubric term, if any."""
        if rt.term in self._typo_cache:
            return self._typo_cache[rt.term]
        found: tuple[str, bool | None] | None = None
        shapes = self.index.shapes
        for key in rt.keys:
            size = len(key)
            limit = max_typo_edits(key)
            if not limit:
                continue
            # Words more than ``limit`` letters longer or shorter cannot be that close, and
            # the closest word is taken only if it starts as the key does: without such a
            # word nearby, no search can find one.
            first = key[0]
            for length in range(size - limit, size + limit + 1):
                if (first, length) in shapes:
                    break
            else:
                continue
            near = self.index.words_near(size, limit)
            best = process.extractOne(key, near, scorer=OSA.distance, score_cutoff=limit)
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

    def _misspelt_subjects(self) -> dict[str, str]:
        """Answer terms that are typos of a subject ("precison" for precision)."""
        aliases: dict[str, str] = {}
        for point in self.rubric.points:
            if point.anchor is None or point.anchor in aliases.values():
                continue
            for rt in point.phrasings[0].terms:
                if rt.term == point.anchor:
                    typo = self._typo(rt)
                    if typo is not None:
                        aliases[self.index.words[typo[0]][0]] = point.anchor
        return aliases

    def _own(self, anchor: str | None) -> Keep | None:
        """Words said of no subject or of this one."""
        marks = self._owners
        if anchor is None or marks is None:
            return None
        return lambda ci, ii: not marks[ci][ii] or anchor in marks[ci][ii]

    def _rival(self, anchor: str) -> Keep:
        """Words said of another subject only."""
        marks = self._owners
        assert marks is not None
        return lambda ci, ii: bool(marks[ci][ii]) and anchor not in marks[ci][ii]

    def match(self, point: Point) -> PointMatch:
        if point.anchor not in self._windows:
            self._windows[point.anchor] = self.index.windows(self._own(point.anchor), WINDOW_TERMS)
        best: PointMatch | None = None
        for lo, hi, (affirmed, denied) in self._windows[point.anchor]:
            for phrasing in point.phrasings:
                candidate = self._match_phrasing(point, phrasing, affirmed, denied, lo, hi)
                if best is None or _rank(candidate) > _rank(best):
                    best = candidate
        assert best is not None  # a point always has at least one phrasing
        if not best.contradicted and best.coverage >= PARTIAL_FLOOR and self._reversed(point):
            best = replace(best, contradicted=True)
        if point.anchor is not None and self._owners is not None and not best.contradicted:
            swapped = self._swapped(point)
            if swapped:
                best = replace(best, contradicted=True, against=swapped)
        return best

    def _reversed(self, point: Point) -> bool:
        pairs = frozenset(p for ph in point.phrasings for p in ph.pairs)
        if not pairs or not self.index.directions:
            return False
        terms = frozenset(t for ph in point.phrasings for t in ph.term_set)
        return reversed_direction(pairs, terms, self.index.directions)

    def _swapped(self, point: Point) -> tuple[str, ...]:
        """The answer words that say this point's claim of a rival subject, when they say
        more of it than is said of the point's own subject ("bagging reduces bias"). Words
        the rival's own points use ("L1 sets weights exactly to zero" against "L2 rarely
        reaches exactly zero") are fair to say of the rival and do not count."""
        anchor = point.anchor
        assert anchor is not None
        if anchor not in self._sides:
            self._sides[anchor] = (
                self.index.view(self._own(anchor)),
                self.index.view(self._rival(anchor)),
            )
        own, rival = self._sides[anchor]
        if not rival[0]:
            return ()
        skip = self._rival_terms(anchor)
        for phrasing in point.phrasings:
            if point.anchor not in phrasing.term_set:
                continue  # an alternative that does not name the subject is no claim about it
            said, words = _support(phrasing, rival, skip)
            if said >= SWAP_SHARE and said > _support(phrasing, own, skip)[0]:
                return words
        return ()

    def _rival_terms(self, anchor: str) -> frozenset[str]:
        if anchor not in self._rival_cache:
            self._rival_cache[anchor] = (
                frozenset(
                    t.term
                    for p in self.rubric.points
                    if p.anchor is not None and p.anchor != anchor
                    for ph in p.phrasings
                    for t in ph.terms
                )
                | {anchor}
                | GENERIC_TERMS
            )
        return self._rival_cache[anchor]

    def _match_phrasing(
        self,
        point: Point,
        phrasing: Phrasing,
        affirmed: dict[str, str],
        denied: dict[str, str],
        lo: int,
        hi: int,
    ) -> PointMatch:
        got = against_w = 0.0
        matched: list[str] = []
        against: list[str] = []
        fuzzy = 0
        moved = 0.0  # of ``got``, the weight of direction words (reduce, large...)
        own = False  # a distinctive word of the phrasing was said
        typos = self._typo_cache
        for rt in phrasing.terms:
            same, other = (denied, affirmed) if rt.negated else (affirmed, denied)
            surface = same.get(rt.term)
            if surface is None and rt.negated is None:
                surface = other.get(rt.term)  # a rubric line's advice holds either way
            if surface is not None:
                got += rt.weight
                own = own or rt.distinctive
                if rt.term in DIRECTION:
                    moved += rt.weight
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
                    own = own or rt.distinctive
                    if rt.term in DIRECTION:
                        moved += rt.weight * PARAPHRASED_NEGATION
                    matched.append(surface)
                else:
                    against_w += rt.weight
                    against.append(surface)
                continue
            if rt.term in typos:
                typo = typos[rt.term]
            elif rt.term in self._typo_candidates:
                typo = self._typo(rt)
            else:
                typo = None
            if typo is not None and any(lo <= i <= hi for i in self.index.word_sentences[typo[0]]):
                word, negated = typo
                if negated is None or rt.negated is None or negated == rt.negated:
                    got += rt.weight
                    own = own or rt.distinctive
                    if rt.term in DIRECTION:
                        moved += rt.weight
                    matched.append(word)
                    fuzzy += 1
                elif not rt.negated:
                    against_w += rt.weight
                    against.append(word)
        total = phrasing.total or 1.0
        if got and moved == got and any(t.term not in DIRECTION for t in phrasing.terms):
            # Which way something moves, without what moves ("lowers" for "lower
            # perplexity is better"), says nothing of this point.
            got, matched, fuzzy = 0.0, [], 0
        elif got and not own and any(t.distinctive for t in phrasing.terms):
            # Only words the prompt already uses, generic words and directions: "reduces
            # variance" without what reduces it says nothing the question did not.
            got, matched, fuzzy = 0.0, [], 0
        coverage = got / total
        # Opposite polarity must outweigh agreement: a clause can negate a side remark
        # ("no perfect multicollinearity: coefficients become unstable").
        contradicted = (
            against_w / total >= CONTRADICTION_SHARE
            and against_w > got
            and (got + against_w) / total >= COVERED
        )
        return PointMatch(point, coverage, tuple(matched), contradicted, tuple(against), fuzzy)

    def match_all(self) -> list[PointMatch]:
        return [self.match(p) for p in self.rubric.points]


def _support(
    phrasing: Phrasing, view: Polar, skip: frozenset[str]
) -> tuple[float, tuple[str, ...]]:
    """Share of a phrasing's weight, leaving out the ``skip`` terms, that a view says
    affirmatively as the rubric does."""
    affirmed, denied = view
    total = got = 0.0
    words: list[str] = []
    for rt in phrasing.terms:
        if rt.term in skip:
            continue
        total += rt.weight
        surface = (denied if rt.negated else affirmed).get(rt.term)
        if surface is not None:
            got += rt.weight
            words.append(surface)
    if total < SWAP_MIN_WEIGHT:
        return 0.0, ()
    return got / total, tuple(words)


def _rank(m: PointMatch) -> tuple[float, float]:
    return (m.credit, m.coverage)

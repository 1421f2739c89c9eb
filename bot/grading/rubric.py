"""A question's rubric in matchable form: weighted terms per key point, built once.

With key points, each point keeps one term list per phrasing (its text and every
alternative). Without them (a custom bank that only has a model answer), the model answer's
sentences become the points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.grading.behavioural import strip_star_label
from bot.grading.lexicon import GENERIC_WORDS, SUBJECT_CONCEPTS
from bot.grading.marking import marks_of, strip_marking
from bot.grading.options import readings
from bot.grading.relations import DIRECTION, direction_pairs
from bot.grading.text import CONCEPT_PREFIX, CONCEPT_SURFACES, merge_phrases, scan, stem_word
from question_bank.schema import Kind, Question

GENERIC_WEIGHT = 0.5
CONCEPT_WEIGHT = 1.5
# Words the prompt already uses show little when an answer repeats them.
PROMPT_FACTOR = 0.5
MIN_PHRASING_WEIGHT = 2.0
MIN_TERMS_PER_SENTENCE = 3
MAX_ANSWER_POINTS = 8

_GENERIC_STEMS = frozenset(stem_word(w) for w in GENERIC_WORDS)
_MARKDOWN = re.compile(r"[*_#>`]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True, slots=True)
class RubricTerm:
    term: str
    weight: float
    negated: bool | None  # None: advice ("never tune on the test set"), matched either way
    keys: tuple[str, ...]  # surface words a typo of this term would resemble
    # not a word the prompt uses, a generic word or a direction: what the point adds
    distinctive: bool = True


@dataclass(frozen=True, slots=True)
class Phrasing:
    terms: tuple[RubricTerm, ...]
    total: float
    pairs: frozenset[tuple[str, str]] = frozenset()  # (direction, what it moves)
    term_set: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Point:
    text: str
    phrasings: tuple[Phrasing, ...]
    # The subject the point is about, when the prompt names it ("L1 drives weights to
    # zero" -> L1); an answer saying the same of a rival subject does not cover it.
    anchor: str | None = None
    # What the point is worth next to the others: the marks a teacher's scheme gives it
    # ("(2 marks) ..."), 1 when the rubric gives none.
    marks: float = 1.0


@dataclass(frozen=True, slots=True)
class Rubric:
    points: tuple[Point, ...]
    from_key_points: bool
    terms: frozenset[str]  # every term any point uses
    anchors: frozenset[str] = frozenset()
    # (first letter, length) of an answer word -> the terms a typo search could find for
    # it: an answer with none of these shapes needs no search for those terms.
    typo_shapes: dict[tuple[str, int], frozenset[str]] = field(
        default_factory=dict, compare=False, hash=False
    )


def term_weight(term: str, given: frozenset[str] = frozenset()) -> float:
    if term.startswith(CONCEPT_PREFIX):
        weight = CONCEPT_WEIGHT
    elif term in _GENERIC_STEMS:
        weight = GENERIC_WEIGHT
    else:
        weight = 1.0
    return weight * PROMPT_FACTOR if term in given else weight


def prompt_terms(prompt: str) -> frozenset[str]:
    return frozenset(
        term
        for clause in scan(prompt).clauses
        for term, _, _ in merge_phrases(clause, keep_parts=True)
    )


def build_phrasing(
    text: str, given: frozenset[str] = frozenset(), floor: float = MIN_PHRASING_WEIGHT
) -> Phrasing:
    seen: dict[str, RubricTerm] = {}
    pairs: set[tuple[str, str]] = set()
    for clause in scan(text).clauses:
        pairs |= direction_pairs(clause.terms, clause.negated, clause.linked, clause.words)
        for term, negated, surface in merge_phrases(clause, keep_parts=False):
            if term in seen:
                continue
            keys = [w for w in surface.split() if len(w) >= 5]
            if term.startswith(CONCEPT_PREFIX):
                keys.extend(w for w in CONCEPT_SURFACES.get(term, ()) if len(w) >= 5)
            seen[term] = RubricTerm(
                term,
                term_weight(term, given),
                negated,
                tuple(dict.fromkeys(keys)),
                term not in given and term not in _GENERIC_STEMS and term not in DIRECTION,
            )
    terms = tuple(seen.values())
    # A phrasing of one or two words cannot be fully covered by naming them: a
    # rubric line "positive predictive value" is not explained by saying "precision".
    return Phrasing(
        terms,
        max(floor, sum(t.weight for t in terms)),
        frozenset(pairs),
        frozenset(t.term for t in terms),
    )


def _phrasings(built: list[Phrasing], given: frozenset[str]) -> tuple[Phrasing, ...]:
    """A point's phrasings; an alternative that only restates what the prompt names
    ("positive predictive value" for a point about precision) says nothing new."""
    main, *alternatives = built
    kept = [p for p in alternatives if p.terms and not all(t.term in given for t in p.terms)]
    return tuple(p for p in [main, *kept] if p.terms)


def _answer_sentences(answer: str) -> list[str]:
    text = _MARKDOWN.sub("", answer)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    parts = [p.strip(" -\t") for p in _SENTENCE.split(text)]
    return [p for p in parts if p]


def _points_from_answer(answer: str, given: frozenset[str]) -> list[Point]:
    """Model-answer sentences as points; short neighbours are merged so each point says
    something checkable, and at most MAX_ANSWER_POINTS remain."""
    groups: list[tuple[str, Phrasing]] = []
    pending = ""
    for sentence in _answer_sentences(answer):
        text = f"{pending} {sentence}".strip()
        phrasing = build_phrasing(text, given)
        if len(phrasing.terms) < MIN_TERMS_PER_SENTENCE:
            pending = text
            continue
        groups.append((text, phrasing))
        pending = ""
    if pending and groups:
        text = f"{groups[-1][0]} {pending}"
        groups[-1] = (text, build_phrasing(text, given))
    elif pending:
        groups.append((pending, build_phrasing(pending, given)))
    while len(groups) > MAX_ANSWER_POINTS:
        # Merge the pair of neighbours with the fewest terms between them.
        i = min(
            range(len(groups) - 1),
            key=lambda k: len(groups[k][1].terms) + len(groups[k + 1][1].terms),
        )
        text = f"{groups[i][0]} {groups[i + 1][0]}"
        groups[i : i + 2] = [(text, build_phrasing(text, given))]
    return [Point(text, (phrasing,)) for text, phrasing in groups if phrasing.terms]


@lru_cache(maxsize=4096)
def rubric_for(question: Question) -> Rubric:
    given = prompt_terms(question.prompt)
    if question.key_points:
        # A behavioural rubric line names its STAR part ("Action, ..."); the story is
        # checked for that part separately, so only the content after it is matched.
        # A teacher's "(1 mark)" or "Mentions that" is matched by no answer either.
        star = question.kind == Kind.BEHAVIOURAL

        def clean(text: str) -> str:
            return strip_star_label(strip_marking(text)) if star else strip_marking(text)

        points = [
            Point(
                kp.text,
                _phrasings(
                    [
                        # an option named is the whole claim: no two-term floor
                        build_phrasing(r.text, given, 0.0 if r.naming else MIN_PHRASING_WEIGHT)
                        for t in kp.phrasings
                        for r in readings(clean(t))
                    ],
                    given,
                ),
            )
            for kp in question.key_points
        ]
        points = _with_marks(points)
        points = [p for p in points if p.phrasings]
        from_key_points = True
    else:
        points = _points_from_answer(strip_marking(question.answer), given)
        from_key_points = False
    points = _with_anchors(points, given)
    anchors = frozenset(p.anchor for p in points if p.anchor is not None)
    terms = frozenset(t.term for p in points for ph in p.phrasings for t in ph.terms)
    return Rubric(tuple(points), from_key_points, terms, anchors, _typo_shapes(points))


def max_typo_edits(key: str) -> int:
    """Edits a misspelling of ``key`` may have: two from ten letters, one from six."""
    return 2 if len(key) >= 10 else 1 if len(key) >= 6 else 0


def _typo_shapes(points: list[Point]) -> dict[tuple[str, int], frozenset[str]]:
    # A word within ``limit`` edits of a key is at most ``limit`` letters longer or
    # shorter, and a typo is taken only when it starts as the key does.
    shapes: dict[tuple[str, int], set[str]] = {}
    for point in points:
        for phrasing in point.phrasings:
            for rt in phrasing.terms:
                for key in rt.keys:
                    limit = max_typo_edits(key)
                    if not limit:
                        continue
                    for length in range(len(key) - limit, len(key) + limit + 1):
                        shapes.setdefault((key[0], length), set()).add(rt.term)
    return {shape: frozenset(terms) for shape, terms in shapes.items()}


def _with_anchors(points: list[Point], given: frozenset[str]) -> list[Point]:
    """A point's anchor is its first term when that is a technical concept the prompt names;
    anchors only matter when the points have at least two different ones. A point that
    names two of them ("L1 adds absolute weights, L2 squared ones") is about both."""
    anchors: list[str | None] = []
    for point in points:
        first = point.phrasings[0].terms[0].term
        subject = first.startswith(CONCEPT_PREFIX) and first[1:] in SUBJECT_CONCEPTS
        anchors.append(first if subject and first in given else None)
    named = {a for a in anchors if a is not None}
    anchors = [
        None if a is None or any(t.term in named - {a} for t in p.phrasings[0].terms) else a
        for p, a in zip(points, anchors, strict=True)
    ]
    if len({a for a in anchors if a is not None}) < 2:
        return points
    return [replace(p, anchor=a) for p, a in zip(points, anchors, strict=True)]


def _with_marks(points: list[Point]) -> list[Point]:
    """Each point's marks from its scheme line; a line without any gets the mean of those
    that have them (a scheme that marks no line leaves every point at 1)."""
    given = [marks_of(p.text) for p in points]
    known = [m for m in given if m is not None]
    if not known:
        return points
    fill = sum(known) / len(known)
    return [replace(p, marks=fill if m is None else m) for p, m in zip(points, given, strict=True)]

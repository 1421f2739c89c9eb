"""Who a claim is about, and which way it points: two checks that keep the right words from
earning credit for a wrong claim.

Subjects: when a prompt contrasts named subjects (bagging vs boosting, data vs concept
drift), every word of a sentence belongs to the subject named last before it ("concept
drift is when the input distribution changes" is about concept drift). Subjects named
together ("L1 and L2 both shrink weights") share what follows.

Directions: "reduces bias" and "increases bias" share every content word. A direction
word (reduce/increase, small/large, low/high, fast/slow) is bound to the word it acts on,
so a rubric line "more complexity reduces bias" and an answer "complexity increases bias"
can be told apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.grading.lexicon import GENERIC_WORDS
from bot.grading.text import stem_word

# Which way a word moves what it acts on: "reduces", "small" and "low" point down.
DIRECTION = {
    "_reduce": "down",
    "_small": "down",
    "_increase": "up",
    "_large": "up",
    "high": "up",
    "_fast": "fast",
    "_slow": "slow",
}
# Direction synonyms with other common senses: "cutting the dendrogram gives clusters".
NOT_DIRECTIONS = frozenset(["cut", "cuts", "cutting"])
OPPOSITE = {"down": "up", "up": "down", "fast": "slow", "slow": "fast"}
OBJECT_REACH = 2  # content words next to a direction word that may be what it acts on
GENERIC_TERMS = frozenset(stem_word(w) for w in GENERIC_WORDS)
_MOVERS = frozenset(DIRECTION)

# term, negated (None: advice, "don't ..."), surface, part of a merged phrase
Item = tuple[str, bool | None, str, bool]


def direction_pairs(
    terms: Sequence[str],
    negated: Sequence[bool | None],
    linked: Sequence[bool],
    words: Sequence[str],
) -> set[tuple[str, str]]:
    """(direction, object) for the affirmed direction words of one clause.

    A direction word acts on the next words up to the next direction word ("reduces bias
    and increases variance"), or on the words before it when it follows a linking verb or
    ends the clause ("training error is low"). An object moved both ways in one clause is
    left out: the clause is too tangled to read.
    """
    pairs: set[tuple[str, str]] = set()
    for i, term in enumerate(terms):
        if term not in DIRECTION or negated[i] is not False or words[i] in NOT_DIRECTIONS:
            continue
        targets = [] if linked[i] else _objects(terms[i + 1 :])
        if not targets:
            targets = _objects(terms[:i][::-1])
        pairs.update((DIRECTION[term], t) for t in targets)
    tangled = {t for d, t in pairs if (OPPOSITE[d], t) in pairs}
    return {(d, t) for d, t in pairs if t not in tangled}


def _objects(terms: Sequence[str]) -> list[str]:
    found: list[str] = []
    for t in terms:
        if t in DIRECTION or len(found) == OBJECT_REACH:
            break
        if t not in GENERIC_TERMS:
            found.append(t)
    return found


def reversed_direction(
    rubric_pairs: frozenset[tuple[str, str]],
    rubric_terms: frozenset[str],
    said: Sequence[tuple[frozenset[str], set[tuple[str, str]]]],
) -> bool:
    """The answer binds the opposite direction to something the rubric line moves more
    often than the same one, counting clauses that share another of the line's words:
    "complexity increases bias" against "more complexity reduces bias". A clause counts
    when it shares two of the line's other words: one shared word (often the subject) let
    "the critic reduces variance" reverse "policy gradients have high variance" (found by a
    reviewer's paraphrases; on the labelled sets it cost no rho). ``said`` holds each
    clause's terms and (direction, object) pairs."""
    flipped = agreed = 0
    for terms, pairs in said:
        for direction, target in rubric_pairs:
            same = (direction, target) in pairs
            if not same and (OPPOSITE[direction], target) not in pairs:
                continue
            if len(terms & (rubric_terms - _MOVERS - GENERIC_TERMS - {target})) >= 2:
                if same:
                    agreed += 1
                else:
                    flipped += 1
    return flipped > agreed


def owners(
    sentences: Sequence[Sequence[Sequence[Item]]],
    subjects: frozenset[str],
    aliases: dict[str, str] | None = None,
) -> list[list[frozenset[str]]]:
    """Per clause, per item, the subjects the item is said of (empty: not said of any).

    ``sentences`` holds each sentence's clauses in order; the result is flat, one list per
    clause in the same order. Words before a sentence's first subject belong to it ("with
    lasso many weights are zero"); a sentence that names none is said of no subject.
    ``aliases`` maps misspelt subjects ("precison") to the subject they stand for.
    """
    aliases = aliases or {}
    out: list[list[frozenset[str]]] = []
    for clauses in sentences:
        marks_of: list[list[frozenset[str]]] = []
        current: frozenset[str] = frozenset()
        just_named = False  # no content word since the last subject
        for clause in clauses:
            marks: list[frozenset[str]] = []
            for term, _, _, part in clause:
                term = aliases.get(term, term)
                if not part and term in subjects:
                    current = current | {term} if just_named else frozenset([term])
                    just_named = True
                elif not part:
                    just_named = False
                marks.append(current)
            marks_of.append(marks)
        first = next((m for marks in marks_of for m in marks if m), frozenset())
        for marks in marks_of:
            for i, m in enumerate(marks):
                if m:
                    break
                marks[i] = first
            else:
                continue
            break
        out.extend(marks_of)
    return out

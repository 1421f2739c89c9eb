"""Key points that list options: "Any two of: dropout, weight decay, early stopping",
"Names a regulariser (e.g. dropout, an L2 penalty)".

A teacher lists options so that an answer may give some of them, not all: matched as one
phrasing, the list's other options left a complete answer's point looking missed. Each
such line gets extra phrasings (the line as written stays first): for "any K of", every K
options together; for examples, the claim without them and the claim with each one. When
the claim is only a category ("a regulariser", "one technique"), naming an option is the
claim, so each option alone is a phrasing and is not held to the two-term floor that
keeps a bare name from covering a point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_ANY_K = re.compile(
    r"^(?P<head>.*?)\b(?:any|at\s+least)\s+(?P<k>one|two|three|four|five|\d)\b\s*"
    r"(?:(?:of\b|from\b)\s*(?:the\s+following\b|these\b)?)?[^:\n]{0,40}?[:\-–]\s*(?P<items>.+)$",
    re.I | re.S,
)
_LEAD = r"\b(?:e\.\s?g\.|eg\b|such\s+as\b|for\s+example\b|for\s+instance\b)\s*[,:]?\s*"
# "claim (e.g. a, b) rest" and "claim, such as a, b or c" (the list runs to the end)
_EXAMPLES = (
    re.compile(
        rf"^(?P<head>.*?)\s*[(\[]\s*{_LEAD}(?P<items>[^)\]]+)[)\]](?P<tail>.*)$", re.I | re.S
    ),
    re.compile(rf"^(?P<head>.*?)[\s,;]*{_LEAD}(?P<items>.+?)(?P<tail>)[\s.]*$", re.I | re.S),
)
_SPLIT = re.compile(r"\s*(?:,|;|\s/\s|\bor\b|\band\b|\betc\b\.?)\s*", re.I)
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.I)
# A claim of at most this many words after its article is a category, not a statement.
CATEGORY_WORDS = 3
MAX_OPTIONS = 8
MAX_COMBINATIONS = 28  # any 2 of 8


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    naming: bool  # an option named is the claim: no floor for one or two terms


def _items(text: str) -> list[str]:
    parts = [_ARTICLE.sub("", p.strip(" .:-–")).strip() for p in _SPLIT.split(text)]
    return list(dict.fromkeys(p for p in parts if p))[:MAX_OPTIONS]


def _is_category(head: str) -> bool:
    words = _ARTICLE.sub("", head.strip(" ,.:;-–")).split()
    return len(words) <= CATEGORY_WORDS


@lru_cache(maxsize=4096)
def readings(text: str) -> tuple[Reading, ...]:
    """The line as written, then the extra phrasings its option list allows."""
    found = [Reading(text, False)]
    if match := _ANY_K.match(text):
        k_word = match["k"].lower()
        k = _COUNTS.get(k_word) or int(k_word)
        options = _items(match["items"])
        head = match["head"].strip(" ,.:;-–")
        if 0 < k < len(options):
            picks = list(combinations(options, k))[:MAX_COMBINATIONS]
            category = _is_category(head)
            for pick in picks:
                joined = ", ".join(pick)
                found.append(Reading(joined if category else f"{head}: {joined}", category))
    elif match := next((m for p in _EXAMPLES if (m := p.match(text))), None):
        options = _items(match["items"])
        head = f"{match['head']} {match['tail']}".strip(" ,.:;-–")
        if options and head:
            category = _is_category(head)
            found.append(Reading(head, False))
            for option in options:
                found.append(Reading(option if category else f"{head}, {option}", category))
    return tuple(dict.fromkeys(found))

"""What a marking scheme says to the marker, taken out before its words are matched.

Teachers write rubric lines for whoever marks: "(1 mark) zeroes random activations",
"Award 2 marks for stating that ...", "Mentions that the test set stays unseen",
"0.5 P for a sensible choice". Those words are no part of the claim, and no answer says
them, so left in they made a covered point look a third missed (a key point is covered
from 60% of its weighted terms). Only the annotation goes: the claim keeps every word.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER = r"(?:\d+(?:[.,]\d+)?|one|two|three|half(?:\s+an?)?|a|an|full|partial)"
_UNIT = r"(?:marks?|pts?|points?|p|credits?)\b"
_MARKER = r"(?:the\s+)?(?:student|candidate|learner|answer|response)\s+"
# verbs that say what the answer does, not what is true ("mentions that ...")
_REPORTING = (
    r"(?:mention(?:s|ing)?|explain(?:s|ing)?|stat(?:es|ing)|say(?:s|ing)?|not(?:es|ing)"
    r"|identif(?:y|ies|ying)|describ(?:e|es|ing)|recogni[sz](?:e|es|ing)|defin(?:e|es|ing)"
    r"|point(?:s|ing)?\s+out|show(?:s|ing)?|giv(?:e|es|ing))"
)
_BULLET = re.compile(r"\s*(?:[-*•+]\s+|\d+[.)]\s+)?")
_PATTERNS = (
    # "(1 mark)", "[2 pts]", "(+1)", "(0.5 P)" anywhere
    re.compile(
        rf"[(\[]\s*(?:\+\s*\d+(?:[.,]\d+)?(?:\s*{_UNIT})?|\d+(?:[.,]\d+)?\s*{_UNIT}\.?)\s*[)\]]",
        re.I,
    ),
    # "Award 2 marks for stating that", "Give credit if the student says"
    re.compile(
        rf"^\s*(?:award|give|allow|grant)\s+(?:{_NUMBER}\s+)?{_UNIT}\s*"
        rf"(?:(?:for|if|when|where)\b)?\s*:?\s*(?:{_MARKER})?"
        rf"(?:{_REPORTING}\b\s*)?(?:that\b\s*)?[:\-–]?\s*",
        re.I,
    ),
    # "1 mark for", "0.5 P for", "2 pts:" (a number of points alone may be the claim)
    re.compile(
        rf"^\s*\+?\d+(?:[.,]\d+)?\s*{_UNIT}\s*(?:for\b|:|-|–)\s*(?:{_MARKER})?"
        rf"(?:{_REPORTING}\b\s*)?(?:that\b\s*)?:?\s*",
        re.I,
    ),
    # "The student mentions that", "Mentions that", "Explains:"
    re.compile(rf"^\s*(?:{_MARKER})?{_REPORTING}\b\s*(?:that\b|:)\s*", re.I),
    re.compile(
        r"^\s*(?:the\s+)?(?:student|candidate|learner)\s+"
        rf"{_REPORTING}\b\s*", re.I,
    ),
    # "Mentions early stopping": the third person speaks of the answer
    re.compile(
        r"^\s*(?:mentions|explains|identifies|describes|recogni[sz]es|names(?!\s+of\b))"
        r"\b\s*",
        re.I,
    ),
    # "... and 1P for an advantage": a number of points "for" something is marking
    re.compile(rf"\b\d+(?:[.,]\d+)?\s*{_UNIT}\s+for\b\s*", re.I),
    # "- 1 mark" or ", 2 points." at the end
    re.compile(rf"[\s,;:\-–]+\+?\d+(?:[.,]\d+)?\s*{_UNIT}\.?\s*$", re.I),
    # "(or equivalent)", "or equivalent wording", "or similar wording"
    re.compile(
        r"[(\[]?\s*\bor\s+(?:an?\s+)?(?:equivalent\b(?:\s+wording)?|similar\s+wording)\s*[)\]]?",
        re.I,
    ),
)


_MARKS = re.compile(
    rf"(?:[(\[]\s*\+?\s*(?P<a>\d+(?:[.,]\d+)?)\s*(?:{_UNIT})?\.?\s*[)\]]"
    rf"|^\s*(?:award|give|allow|grant)\s+(?P<b>\d+(?:[.,]\d+)?)\s*{_UNIT}"
    rf"|^\s*\+?(?P<c>\d+(?:[.,]\d+)?)\s*{_UNIT}\s*(?:for\b|:|-|–)"
    rf"|[\s,;:\-–]\+?(?P<d>\d+(?:[.,]\d+)?)\s*{_UNIT}\.?\s*$)",
    re.I,
)


def marks_of(text: str) -> float | None:
    """The marks a scheme line says it is worth ("(2 marks)", "Award 2 marks for",
    "1 pt:", "... - 3 points"), or None when it says none. A bracketed bare number
    counts only with a plus sign or a unit: "(2)" may be a list number."""
    for line in text.split("\n"):
        body = line[len(_BULLET.match(line).group(0)) :]  # type: ignore[union-attr]
        for match in _MARKS.finditer(body):
            number = next(g for g in match.groups() if g is not None)
            bracket = match.group(0).lstrip().startswith(("(", "["))
            if bracket and "+" not in match.group(0) and not re.search(_UNIT, match.group(0), re.I):
                continue
            value = float(number.replace(",", "."))
            if value > 0:
                return value
    return None


@lru_cache(maxsize=8192)
def strip_marking(text: str) -> str:
    """``text`` without the marker's annotations, line by line (a scheme puts one point on
    a line); a line that would be left empty is kept as written."""
    return "\n".join(_strip_line(line) for line in text.split("\n"))


def _strip_line(line: str) -> str:
    # The line's indent and bullet stay (the scanner reads list items from them), and the
    # patterns that look for a line's start see what follows them.
    prefix = _BULLET.match(line).group(0)  # type: ignore[union-attr]
    cleaned = line[len(prefix) :]
    for pattern in _PATTERNS:
        cleaned = pattern.sub(" ", cleaned)
    if cleaned == line[len(prefix) :] or not cleaned.strip(" .,;:-–"):
        return line
    return prefix + " ".join(cleaned.split())

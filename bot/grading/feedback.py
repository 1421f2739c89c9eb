"""Short feedback a person can act on: what the answer explained, what it left out."""

from __future__ import annotations

from collections.abc import Sequence

MAX_ITEMS = 3
GOOD_SCORE = 0.75
# From this score an answer is never told it "missed the key points", and the points it
# earns part credit on are named as said in part.
PASSING_SCORE = 0.5
MAX_ITEM_CHARS = 90
NEAR_COPY_NOTE = "It is nearly the same as an earlier answer in this round, so it earns no points."
NOT_ENGLISH_NOTE = (
    "Only English answers are graded for now, so this one was kept but not graded. "
    "Answer in English to get feedback and points."
)


def _short(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= MAX_ITEM_CHARS:
        return text
    return text[: MAX_ITEM_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _items(texts: Sequence[str]) -> str:
    shown = [_short(t) for t in texts[:MAX_ITEMS]]
    more = len(texts) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def concept_feedback(
    covered: Sequence[str],
    missed: Sequence[str],
    contradicted: Sequence[str],
    *,
    keyword_list: bool,
    near_copy: bool,
    empty: bool,
    score: float = 0.0,
    partly: Sequence[str] = (),
) -> str:
    if empty:
        return "No answer to grade yet: write a few sentences in your own words."
    parts: list[str] = []
    if covered:
        parts.append(f"You explained: {_items(covered)}.")
    if partly:
        parts.append(f"You said part of: {_items(partly)}; spell out the rest.")
    if contradicted:
        parts.append(f"Check this, your answer says the opposite: {_items(contradicted)}.")
    if missed:
        # "Missed the key points" only when the answer shows none of them.
        some = covered or partly or score >= PASSING_SCORE
        lead = "You did not mention" if some else "You missed the key points; start with"
        parts.append(f"{lead}: {_items(missed)}.")
    if not parts:
        # Without key points a sentence can be neither clearly said nor clearly missing.
        parts.append(
            "You touched on the model answer's ideas in your own words; "
            "compare the two at the reveal."
            if score >= GOOD_SCORE
            else "Part of the model answer is in yours; compare the two at the reveal."
        )
    if keyword_list:
        parts.append("It reads as a list of keywords: say in sentences how they connect.")
    if near_copy:
        parts.append(NEAR_COPY_NOTE)
    return " ".join(parts)


def star_feedback(
    strong: Sequence[str], weak: Sequence[str], *, generic: bool, near_copy: bool, empty: bool
) -> str:
    if empty:
        return "No answer to grade yet: tell one real story (situation, task, action, result)."
    parts: list[str] = []
    if strong:
        parts.append(f"Your story has: {_items(strong)}.")
    if weak:
        parts.append(f"Strengthen: {_items(weak)}.")
    if generic:
        parts.append("Tell one specific time it happened, not what you would usually do.")
    if near_copy:
        parts.append(NEAR_COPY_NOTE)
    return " ".join(parts)

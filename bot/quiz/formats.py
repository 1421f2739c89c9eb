"""Which question formats a channel's daily rounds use (``/mlq formats``) and which a
practice request asks for (``/mlq quiz``, ``/mlq open``).

``open`` (the default) gives only free-text questions graded on the rubric, as before
quizzes existed, so an upgrade changes no channel's rounds; ``mixed`` draws from the
whole eligible bank, so quiz rounds come up at their share of it (the share of quiz
entries in the channel's topics, about one in six in the built-in bank); ``quiz`` gives
only quiz questions (choice and numeric). A practice ``/mlq`` follows the channel's
setting unless it names a format (``/mlq quiz``).
"""

from __future__ import annotations

from question_bank.schema import Format

MIXED, QUIZ, OPEN = "mixed", "quiz", "open"
MODES: dict[str, str] = {
    MIXED: "open questions and quizzes, at their share of the bank",
    QUIZ: "only quizzes: multiple choice and numeric answers, graded exactly",
    OPEN: "only open questions, answered in your own words and graded on a rubric",
}
DEFAULT_MODE = OPEN
# Words a practice request may use for a format: `/mlq quiz`, `/mlq deep-learning numeric`.
PRACTICE_WORDS: dict[str, str] = {
    "quiz": QUIZ,
    "open": OPEN,
    "choice": Format.CHOICE.value,
    "numeric": Format.NUMERIC.value,
}


def formats_of(mode: str | None) -> frozenset[str] | None:
    """The ``Format`` values a mode (or a practice word) allows; None for every format."""
    if mode == QUIZ:
        return frozenset({Format.CHOICE.value, Format.NUMERIC.value})
    if mode == OPEN:
        return frozenset({Format.OPEN.value})
    if mode in (Format.CHOICE.value, Format.NUMERIC.value):
        return frozenset({mode})
    return None

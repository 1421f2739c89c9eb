"""Grading of free-text answers against a question's rubric.

``grade_answer`` is the one entry point the rest of the bot calls; what happens inside it
may change, its signature may not. The grader is local and deterministic: stems, an ML
synonym table, typo matching, negation, and STAR structure for behavioural questions
(see bench/GRADING.md for how it was measured).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.grading.engine import grade
from bot.grading.exact import grade_exact
from bot.grading.result import Grade, PointResult
from question_bank.schema import Question

__all__ = ["Grade", "PointResult", "grade_answer"]


def grade_answer(
    question: Question,
    text: str,
    *,
    round_answers: Sequence[str] = (),
    accepted_answers: Sequence[str] = (),
) -> Grade:
    """Grade ``text`` as an answer to ``question``.

    ``round_answers`` are the texts other people already gave in the same round, so a
    near-copy of one of them can be flagged. ``accepted_answers`` are earlier answers to
    the question that a team confirmed (best answers, high scores): they count as extra
    model answers, so the wordings a team really uses are recognised.

    A quiz question (choice or numeric) is graded exactly (``bot.grading.exact``),
    never on the rubric.
    """
    if question.is_quiz:
        return grade_exact(question, text)
    return grade(question, text, round_answers, accepted_answers)

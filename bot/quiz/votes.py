"""How a channel answered a quiz round: votes per option, or how many numbers were right."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.grading.exact import grade_exact, parse_picks, read_answer, show_number
from bot.grading.result import Grade
from question_bank.schema import Format, Question


@dataclass(frozen=True)
class Tally:
    total: int = 0  # answers counted
    right: int = 0  # answers with a full score
    unreadable: int = 0  # answers that named no option or no number in the right unit
    options: tuple[int, ...] = ()  # votes per option (choice)
    median: float | None = None  # the median number, in the expected unit (numeric)
    median_text: str = field(default="")


def tally(question: Question, texts: Sequence[str]) -> Tally:
    """Count ``texts`` (the round's answers) the way the exact grader reads them."""
    right = sum(1 for text in texts if grade_exact(question, text).score >= 1.0)
    if question.format == Format.CHOICE:
        votes = [0] * len(question.options)
        unreadable = 0
        for text in texts:
            picks = parse_picks(question, text)
            if picks is None:
                unreadable += 1
            for index in picks or ():
                votes[index] += 1
        return Tally(len(texts), right, unreadable, tuple(votes))
    assert question.numeric is not None
    numbers: list[float] = []
    for text in texts:
        read = read_answer(question.numeric, text)
        if not isinstance(read, Grade):
            numbers.append(read[0])
    median = statistics.median(numbers) if numbers else None
    shown = show_number(median, question.numeric.unit) if median is not None else ""
    return Tally(len(texts), right, len(texts) - len(numbers), median=median, median_text=shown)

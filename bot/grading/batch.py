"""Batch grading for ``mlq bank grade``: JSON lines in, one JSON line out per input line.

Input lines look like ``{"question": "bias-variance-tradeoff", "answer": "..."}``, with an
optional ``"round_answers": [...]`` (earlier answers in the same round, for the near-copy
check). A bad line (not JSON, missing fields, unknown id) yields a line with an ``"error"``
field and the batch carries on. Blank lines are skipped; ``"line"`` is the 1-based input
line number so results can be joined back to their input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from bot.grading import grade_answer
from bot.grading.result import Grade, PointResult
from question_bank.loader import QuestionBank
from question_bank.schema import Question, as_slug


def _points(points: Iterable[PointResult]) -> list[dict[str, Any]]:
    return [{"text": p.text, "matched": list(p.matched)} for p in points]


def grade_to_dict(question_id: str, grade: Grade) -> dict[str, Any]:
    return {
        "question": question_id,
        "score": grade.score,
        "covered": _points(grade.covered),
        "missed": _points(grade.missed),
        "partly": _points(grade.partly),
        "contradicted": _points(grade.contradicted),
        "confidence": grade.confidence,
        "feedback": grade.feedback,
        "flags": list(grade.flags),
        "method": grade.method,
    }


class _Resolver:
    """Finds a question by qualified id ("team:my-q") or, if unambiguous, by bare id."""

    def __init__(self, bank: QuestionBank) -> None:
        self.bank = bank
        self._by_bare: dict[str, list[Question]] | None = None

    def get(self, question_id: str) -> Question | None:
        question = self.bank.get(question_id)
        if question is not None:
            return question
        if self._by_bare is None:
            self._by_bare = {}
            for q in self.bank:
                self._by_bare.setdefault(q.id, []).append(q)
        found = self._by_bare.get(question_id) or self._by_bare.get(as_slug(question_id), [])
        return found[0] if len(found) == 1 else None


def _error(line_no: int, message: str, question: Any = None) -> str:
    record: dict[str, Any] = {"line": line_no}
    if isinstance(question, str):
        record["question"] = question
    record["error"] = message
    return json.dumps(record, ensure_ascii=False)


def _grade_line(line_no: int, line: str, resolver: _Resolver) -> str:
    try:
        data = json.loads(line)
    except ValueError as exc:
        return _error(line_no, f"not valid JSON: {exc}")
    if not isinstance(data, dict):
        return _error(line_no, 'expected a JSON object like {"question": ID, "answer": TEXT}')
    question_id = data.get("question")
    if isinstance(question_id, int) and not isinstance(question_id, bool):
        question_id = str(question_id)  # numbered exam questions: {"question": 12, ...}
    answer = data.get("answer")
    if not isinstance(question_id, str) or not question_id:
        return _error(line_no, '"question" must be a question id (a string)', question_id)
    if not isinstance(answer, str):
        return _error(line_no, '"answer" must be a string', question_id)
    round_answers = data.get("round_answers", [])
    if not isinstance(round_answers, list) or not all(isinstance(a, str) for a in round_answers):
        return _error(line_no, '"round_answers" must be a list of strings', question_id)
    question = resolver.get(question_id)
    if question is None:
        return _error(line_no, f"unknown question id {question_id!r}", question_id)
    try:
        grade = grade_answer(question, answer, round_answers=round_answers)
    except Exception as exc:  # one bad answer must not stop the batch
        return _error(line_no, f"grading failed: {type(exc).__name__}: {exc}", question_id)
    return json.dumps({"line": line_no, **grade_to_dict(question_id, grade)}, ensure_ascii=False)


def grade_lines(lines: Iterable[str], bank: QuestionBank) -> Iterator[str]:
    """Grade each JSON line against ``bank``; yields one JSON line (no newline) per input."""
    resolver = _Resolver(bank)
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        yield _grade_line(line_no, line, resolver)

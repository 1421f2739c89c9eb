"""The grader against the real bank and the committed development set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bot.grading import grade_answer
from question_bank.loader import load_bank
from question_bank.schema import Kind

DEVSET = Path(__file__).resolve().parent.parent / "bench" / "data" / "grading_devset.jsonl"
VAGUE = "It is an important concept in machine learning that helps models work better."


def test_every_model_answer_scores_high_and_a_vague_answer_low():
    bank = load_bank()
    assert len(bank) > 0
    for question in bank:
        if question.is_quiz:
            # Graded exactly: the right pick or number scores 1, a vague reply 0.
            right = (
                ", ".join("ABCDEF"[i] for i in question.correct_options)
                if question.options
                else f"{question.numeric.value} {question.numeric.unit or ''}"
            )
            assert grade_answer(question, right).score == 1.0, question.id
            assert grade_answer(question, VAGUE).score == 0.0, question.id
            continue
        own = grade_answer(question, question.answer)
        assert own.score >= 0.9, (question.id, own.score, [p.text for p in own.missed])
        assert grade_answer(question, VAGUE).score <= own.score - 0.5, question.id


def test_devset_is_well_formed_and_matches_the_bank():
    bank = load_bank()
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    questions = {r["question"] for r in rows}
    assert len(questions) >= 25
    assert all(bank.get(q) is not None for q in questions)
    assert {bank.get(q).kind for q in questions} == set(Kind)
    assert Counter(r["label"] for r in rows).keys() == {0, 1, 2}
    assert {r["split"] for r in rows} == {"dev", "test"}
    # The split is by question: no question has rows in both.
    split_of: dict[str, set[str]] = {}
    for r in rows:
        split_of.setdefault(r["question"], set()).add(r["split"])
        assert r["answer"] is not None and r["style"]
    assert all(len(s) == 1 for s in split_of.values())

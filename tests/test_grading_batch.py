"""``grade_lines``: JSON lines in, one JSON line out per input, bad lines reported per line."""

from __future__ import annotations

import json

from bot.grading.batch import grade_lines
from question_bank.loader import QuestionBank
from question_bank.schema import KeyPoint, Question

QUESTION = Question(
    id="overfit-test",
    prompt="What is overfitting and how do you prevent it?",
    answer=(
        "Overfitting is when training error is low but validation error is high. Prevent it "
        "with regularisation, more data or early stopping."
    ),
    key_points=(
        KeyPoint(text="Training error is low but validation error is high"),
        KeyPoint(text="Prevent it with regularisation"),
        KeyPoint(text="More data or early stopping"),
    ),
)


def bank_of(*questions: Question) -> QuestionBank:
    return QuestionBank(questions={q.qualified_id: q for q in questions})


def run(lines: list[str], bank: QuestionBank | None = None) -> list[dict]:
    return [json.loads(out) for out in grade_lines(lines, bank or bank_of(QUESTION))]


def test_each_line_gets_a_graded_record_in_order():
    good = json.dumps({"question": "overfit-test", "answer": QUESTION.answer})
    weak = json.dumps({"question": "overfit-test", "answer": "Use more data."})
    out = run([good, weak])
    assert [r["line"] for r in out] == [1, 2]
    assert out[0]["question"] == "overfit-test"
    assert out[0]["score"] >= 0.9 > out[1]["score"]
    assert {"covered", "missed", "confidence", "feedback", "flags", "method"} <= set(out[0])
    assert out[0]["covered"][0]["text"] == "Training error is low but validation error is high"
    assert out[0]["covered"][0]["matched"]
    assert {p["text"] for p in out[1]["missed"]} >= {"Prevent it with regularisation"}


def test_bad_lines_are_reported_and_the_batch_goes_on():
    lines = [
        "not json",
        "[1, 2]",
        json.dumps({"answer": "no id"}),
        json.dumps({"question": "overfit-test"}),
        json.dumps({"question": "overfit-test", "answer": 42}),
        json.dumps({"question": "no-such-question", "answer": "text"}),
        json.dumps({"question": "overfit-test", "answer": "x", "round_answers": "oops"}),
        "",
        json.dumps({"question": "overfit-test", "answer": "Regularise it."}),
    ]
    out = run(lines)
    assert len(out) == 8  # the blank line is skipped
    errors = [r for r in out if "error" in r]
    assert [r["line"] for r in errors] == [1, 2, 3, 4, 5, 6, 7]
    assert "not valid JSON" in errors[0]["error"]
    assert "unknown question id" in errors[5]["error"]
    assert errors[5]["question"] == "no-such-question"
    assert "score" not in errors[0]
    assert out[-1]["line"] == 9 and "score" in out[-1]


def test_round_answers_flag_near_copies():
    earlier = (
        "Overfitting means training error is low while validation error is high; prevent it "
        "with regularisation, more data and early stopping."
    )
    line = json.dumps(
        {"question": "overfit-test", "answer": earlier + " Yes.", "round_answers": [earlier]}
    )
    assert "near_copy" in run([line])[0]["flags"]


def test_custom_bank_ids_resolve_with_or_without_namespace():
    custom = QUESTION.model_copy(update={"bank": "team"})
    bank = bank_of(custom)
    both = [
        json.dumps({"question": "team:overfit-test", "answer": "More data."}),
        json.dumps({"question": "overfit-test", "answer": "More data."}),
    ]
    out = run(both, bank)
    assert [r.get("error") for r in out] == [None, None]
    assert out[0]["score"] == out[1]["score"]


def test_ambiguous_bare_id_is_an_error():
    bank = bank_of(
        QUESTION.model_copy(update={"bank": "team-a"}),
        QUESTION.model_copy(update={"bank": "team-b"}),
    )
    out = run([json.dumps({"question": "overfit-test", "answer": "More data."})], bank)
    assert "unknown question id" in out[0]["error"]


def test_non_ascii_text_survives_the_round_trip():
    line = json.dumps({"question": "overfit-test", "answer": "Régularisation 🤖 — אימון"})
    out = run([line])
    assert "error" not in out[0]
    assert 0.0 <= out[0]["score"] <= 1.0


def test_numbered_ids_are_found_as_written_with_or_without_namespace():
    """A teacher's file numbers its questions: {"question": 12} and {"question": "Q3"} find
    the entries the loader knows as "12" and "q3", bare or with the bank's prefix."""
    twelve = QUESTION.model_validate({**QUESTION.model_dump(), "id": 12, "bank": "exam"})
    q3 = QUESTION.model_validate({**QUESTION.model_dump(), "id": "Q3", "bank": "exam"})
    assert (twelve.id, q3.id) == ("12", "q3")
    lines = [
        json.dumps({"question": 12, "answer": "More data."}),
        json.dumps({"question": "Q3", "answer": "More data."}),
        json.dumps({"question": "exam:Q3", "answer": "More data."}),
        json.dumps({"question": True, "answer": "More data."}),
    ]
    out = run(lines, bank_of(twelve, q3))
    assert [r.get("error") for r in out[:3]] == [None, None, None]
    assert "must be a question id" in out[3]["error"]

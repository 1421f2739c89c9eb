"""Quiz entries (choice, numeric) load, and each mistake in one is named with its field."""

from __future__ import annotations

from pathlib import Path

from question_bank import Format, parse_bank_file

GOOD = """\
- id: kv-cache-size
  format: numeric
  prompt: How many GiB does this KV cache take?
  answer: Two tensors per layer and token, so half a GiB.
  numeric:
    value: 0.5
    relative_tolerance: 0.05
    unit: GiB
- id: convex-loss
  format: choice
  prompt: Which losses are convex in a linear model's weights?
  answer: Squared error and log loss are; the 0-1 loss is not.
  options:
    - text: Squared error
      correct: true
      why: a convex quadratic in the weights
    - text: Log loss
      correct: true
      why: a sum of convex functions of a linear score
    - text: 0-1 loss
      why: a step function, neither convex nor continuous
"""


def problems_in(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "quiz.yaml"
    path.write_text(text)
    _, problems = parse_bank_file(path)
    return {f"{p.entry_id}: {p.field}": p.message for p in problems}


def test_quiz_entries_load_with_their_answers(tmp_path: Path) -> None:
    path = tmp_path / "quiz.yaml"
    path.write_text(GOOD)
    questions, problems = parse_bank_file(path)
    assert problems == []
    numeric, choice = questions
    assert numeric.format == Format.NUMERIC and numeric.is_quiz
    assert (numeric.numeric.value, numeric.numeric.unit) == (0.5, "GiB")
    assert choice.format == Format.CHOICE and choice.correct_options == (0, 1)


def test_open_is_the_default_and_is_not_a_quiz(tmp_path: Path) -> None:
    path = tmp_path / "open.yaml"
    path.write_text("- id: plain\n  prompt: What is a stack?\n  answer: LIFO.\n")
    [question], _ = parse_bank_file(path)
    assert question.format == Format.OPEN and not question.is_quiz


def test_each_quiz_mistake_names_its_field(tmp_path: Path) -> None:
    found = problems_in(
        tmp_path,
        """\
- id: no-correct
  format: choice
  prompt: Which one?
  answer: None of them.
  options:
    - {text: a, why: not this one}
    - {text: b, why: nor this one}
- id: no-tolerance
  format: numeric
  prompt: How many?
  answer: Three.
  numeric: {value: 3}
- id: options-on-open
  prompt: How many?
  answer: Three.
  options:
    - {text: a, correct: true, why: it is right}
    - {text: b, why: it is wrong}
- id: misspelt
  format: chioce
  prompt: Which one?
  answer: a.
- id: bad-option-field
  format: choice
  prompt: Which one?
  answer: a.
  options:
    - {text: a, correct: true, why: it is right}
    - {txt: b, why: it is wrong}
""",
    )
    assert "marks no option correct" in found["no-correct: options"]
    assert "exactly one of tolerance" in found["no-tolerance: numeric"]
    assert "only goes with format choice" in found["options-on-open: entry"]
    assert found["misspelt: format"].startswith("must be one of open, choice, numeric")
    assert "did you mean 'text'?" in found["bad-option-field: options.1.txt"]

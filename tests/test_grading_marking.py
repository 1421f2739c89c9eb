"""A teacher's marking scheme as key points: the marker's annotations are not matched.

Teams paste exam rubrics into custom banks. "(1 mark)", "Award 1 mark for stating that"
or "Mentions that" are words no answer says; they must not make a point look missed.
"""

from __future__ import annotations

import pytest

from bot.grading import grade_answer
from bot.grading.marking import strip_marking
from question_bank.loader import load_bank
from question_bank.schema import KeyPoint, Question

PROMPT = "What does dropout do during training, and why does it reduce overfitting?"
MODEL = (
    "Dropout zeroes a random subset of activations at every training step, so units cannot "
    "rely on particular partners; the network behaves like an average of many thinned "
    "networks, which reduces overfitting. At test time every unit is kept and activations "
    "are scaled to match."
)
POINTS = (
    "Randomly zeroes activations at each training step",
    "Acts like averaging an ensemble of thinned networks",
    "At test time all units are kept and activations are scaled",
)
ANSWER = (
    "During training dropout sets a random subset of the activations to zero at each step. "
    "That makes the net behave like an average over an ensemble of many thinned networks. "
    "At test time all units are kept and the activations are scaled."
)


def _question(points: tuple[str, ...]) -> Question:
    return Question(
        id="dropout-scheme",
        prompt=PROMPT,
        answer=MODEL,
        key_points=tuple(KeyPoint(text=p) for p in points),
    )


@pytest.mark.parametrize(
    "style",
    [
        "(1 mark) {}",
        "[2 marks] {}",
        "1 pt: {}",
        "Award 1 mark for stating that {}",
        "Give credit if the student mentions that {}",
        "Mentions that {}",
        "The student explains that {}",
        "{} (1 mark)",
        "{} - 2 points",
        "{} (or equivalent)",
        "- (1 mark) {}",
    ],
)
def test_annotated_key_points_grade_as_the_plain_ones(style: str) -> None:
    plain = grade_answer(_question(POINTS), ANSWER)
    annotated = grade_answer(
        _question(tuple(style.format(p[0].lower() + p[1:]) for p in POINTS)), ANSWER
    )
    assert len(plain.covered) == len(POINTS)
    assert len(annotated.covered) == len(POINTS), annotated.feedback
    assert annotated.score == pytest.approx(plain.score, abs=0.01)


@pytest.mark.parametrize(
    ("written", "claim"),
    [
        ("(1 mark) Randomly zeroes activations", "Randomly zeroes activations"),
        ("Award 2 marks for stating that it averages networks", "it averages networks"),
        ("0.5 P for a sensible choice: TDMA", "a sensible choice: TDMA"),
        ("1P for the drawback and 1P for an advantage.", "the drawback and an advantage."),
        ("Benefits:\n- (1 mark) lower variance\n- Mentions that bias rises [1 pt]",
         "Benefits:\n- lower variance\n- bias rises"),
        ("Give credit if the candidate mentions early stopping (or equivalent)", "early stopping"),
    ],
)
def test_the_annotation_goes_and_the_claim_stays(written: str, claim: str) -> None:
    assert strip_marking(written) == claim


@pytest.mark.parametrize(
    "content",
    [
        "2 points are enough to define a line",
        "States are observations of the environment",
        "p < 0.05 means we reject the null hypothesis",
        "Take the eigenvectors, or equivalently the SVD of the centred data",
        "Give an example of target leakage",
        "explain each single prediction by how much each feature pushed it",
        "def f(x):\n    return  x  *  2",
        "(1 mark)",
    ],
)
def test_claims_that_look_like_marking_are_left_alone(content: str) -> None:
    assert strip_marking(content) == content


def test_no_built_in_text_reads_as_marking() -> None:
    # The built-in bank has no marker's notes: taking them out must change none of it.
    changed = [
        q.id
        for q in load_bank()
        for text in (q.prompt, q.answer, *(p for kp in q.key_points for p in kp.phrasings))
        if strip_marking(text) != text
    ]
    assert changed == []

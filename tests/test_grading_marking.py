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


OVERFIT = "How can you reduce overfitting in a neural network?"
OVERFIT_MODEL = (
    "Regularise the network, for example with dropout or an L2 penalty, stop training when "
    "the validation loss stops improving, or get more data through augmentation."
)


def _listing(*points: str) -> Question:
    return Question(
        id="overfit-scheme",
        prompt=OVERFIT,
        answer=OVERFIT_MODEL,
        key_points=tuple(KeyPoint(text=p) for p in points),
    )


TWO_OF = "Any two of: dropout, weight decay, early stopping, data augmentation"


@pytest.mark.parametrize(
    ("answer", "covered"),
    [
        ("I would add dropout and also use early stopping on the validation loss.", True),
        ("Augment the training images and put weight decay on the weights.", True),
        ("Add dropout between the layers.", False),  # one of the two asked for
        ("Train for longer with a bigger learning rate.", False),
    ],
)
def test_any_k_of_a_list_is_covered_by_any_k(answer: str, covered: bool) -> None:
    grade = grade_answer(_listing(TWO_OF, "Watches the validation loss"), answer)
    assert ([p.text for p in grade.covered].count(TWO_OF) == 1) is covered, grade.feedback


@pytest.mark.parametrize(
    "point",
    [
        "Names a regulariser (e.g. dropout, an L2 penalty, weight decay)",
        "A regulariser such as dropout, an L2 penalty or weight decay",
        "(1 mark) Mentions a regulariser, for example dropout or weight decay",
    ],
)
def test_a_category_with_examples_is_covered_by_naming_one(point: str) -> None:
    question = _listing(point, "Stops training early on a validation set")
    named = grade_answer(question, "Put dropout between the layers and stop early on validation.")
    assert point in [p.text for p in named.covered], named.feedback
    other = grade_answer(question, "Stop training early when the validation loss rises.")
    assert point not in [p.text for p in other.covered]


def test_examples_of_a_claim_do_not_replace_the_claim() -> None:
    point = "Averaging many models reduces variance, e.g. bagging or random forests"
    question = Question(
        id="ensembles",
        prompt="Why do ensembles of trees often beat a single deep tree?",
        answer="Averaging many decorrelated trees reduces variance without adding much bias.",
        key_points=(KeyPoint(text=point), KeyPoint(text="Trees are decorrelated")),
    )
    claim = grade_answer(question, "Averaging many models cuts the variance of the prediction.")
    assert point in [p.text for p in claim.covered], claim.feedback
    name_only = grade_answer(question, "Use random forests.")
    assert point not in [p.text for p in name_only.covered]


def test_a_slash_inside_an_example_is_not_a_list() -> None:
    from bot.grading.options import readings

    texts = [r.text for r in readings("A measurable outcome, e.g. an A/B test or revenue")]
    assert "A/B test" in texts and "B test" not in texts


def test_a_point_worth_more_marks_weighs_more() -> None:
    question = _question(
        (
            "(3 marks) Randomly zeroes activations at each training step",
            "(1 mark) At test time all units are kept and activations are scaled",
        )
    )
    heavy = grade_answer(question, "During training it sets a random subset of the activations "
                                   "to zero at every step.")
    light = grade_answer(question, "At test time all units are kept and the activations are "
                                   "scaled.")
    assert len(heavy.covered) == len(light.covered) == 1
    assert heavy.score > light.score + 0.1, (heavy.score, light.score)


def test_marks_are_read_as_a_scheme_writes_them() -> None:
    from bot.grading.marking import marks_of

    written = {
        "(2 marks) zeroes activations": 2.0,
        "Award 3 marks for the test-time scaling": 3.0,
        "1 pt: ensemble of thinned networks": 1.0,
        "averages thinned networks - 2 points": 2.0,
        "scales activations (0.5 P)": 0.5,
        "(2) the second item of a list": None,
        "2 points are enough to define a line": None,
        "zeroes activations": None,
    }
    assert {text: marks_of(text) for text in written} == written

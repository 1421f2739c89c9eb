"""The calibrated score: bounded, monotone in its features, and not fooled by padding."""

from __future__ import annotations

from dataclasses import replace

from bot.grading import grade_answer
from bot.grading.calibration import calibrated
from bot.grading.engine import features_for
from bot.grading.features import Features
from question_bank import load_bank

BANK = load_bank()
QUESTION = BANK.get("bias-variance-tradeoff")
GOOD = (
    "Bias is error from wrong assumptions, so a too simple model underfits; variance is "
    "sensitivity to the training sample, so a too complex model overfits. More complexity "
    "reduces bias but increases variance, and the expected error is bias squared plus "
    "variance plus irreducible noise."
)
BASE = Features(
    content=0.5,
    coverage=0.5,
    covered_share=0.5,
    contradicted_share=0.0,
    reference_overlap=0.3,
    elaboration=0.5,
    off_topic=0.3,
    explanation=1.0,
    keyword_list=False,
    style_factor=1.0,
)


def test_bounds_and_anchors() -> None:
    assert calibrated(replace(BASE, content=0.0, reference_overlap=0.0)) == 0.0
    assert calibrated(replace(BASE, content=1.0, reference_overlap=1.0)) == 1.0


def test_monotone_in_credit_and_shared_vocabulary() -> None:
    steps = [i / 10 for i in range(11)]
    by_content = [calibrated(replace(BASE, content=c)) for c in steps]
    by_overlap = [calibrated(replace(BASE, reference_overlap=o)) for o in steps]
    assert by_content == sorted(by_content) and by_content[0] < by_content[-1]
    assert by_overlap == sorted(by_overlap) and by_overlap[0] < by_overlap[-1]


def test_fluff_and_repeated_key_words_do_not_raise_the_score() -> None:
    base = grade_answer(QUESTION, GOOD).score
    fluff = " This is a really important topic that every practitioner should think about."
    assert grade_answer(QUESTION, GOOD + fluff * 5).score <= base
    repeated = GOOD + " Bias variance bias variance complexity." * 4
    assert grade_answer(QUESTION, repeated).score <= base + 1e-9


def test_vocabulary_of_a_contradicted_point_earns_nothing() -> None:
    wrong = "More complexity increases bias and reduces variance."
    right = "More complexity reduces bias and increases variance."
    wrong_features = features_for(QUESTION, wrong)
    assert wrong_features is not None and wrong_features.contradicted_share > 0
    assert wrong_features.reference_overlap < features_for(QUESTION, right).reference_overlap


def test_keyword_list_stays_low_after_calibration() -> None:
    listed = "bias, variance, complexity, underfitting, overfitting, irreducible error"
    grade = grade_answer(QUESTION, listed)
    assert "keyword_list" in grade.flags and grade.score <= 0.1

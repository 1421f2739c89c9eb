"""The answer grader: paraphrase, inflection, typos, negation, format, gaming, robustness."""

from __future__ import annotations

import pytest

from bot.grading import Grade, grade_answer
from question_bank.schema import KeyPoint, Kind, Question

REGULARISATION = Question(
    id="l1-l2-test",
    prompt="How do L1 and L2 regularisation differ, and when would you use each?",
    answer=(
        "L1 (lasso) adds the sum of absolute weights to the loss and drives some weights "
        "exactly to zero, giving a sparse model with feature selection. L2 (ridge) adds the "
        "sum of squared weights and shrinks all weights smoothly. L2 handles correlated "
        "features better."
    ),
    key_points=(
        KeyPoint(text="L1 adds the sum of absolute weights to the loss"),
        KeyPoint(text="L1 drives some weights exactly to zero, a sparse model"),
        KeyPoint(text="L2 adds the sum of squared weights and shrinks them smoothly"),
        KeyPoint(text="L2 handles correlated features better"),
    ),
)

BAGGING = Question(
    id="bagging-test",
    prompt="What does bagging do to the errors of a model?",
    answer=(
        "Bagging trains models on bootstrap samples and averages them. Averaging reduces "
        "variance. It does not reduce bias much."
    ),
    key_points=(
        KeyPoint(text="Bagging trains models on bootstrap samples"),
        KeyPoint(text="Averaging the models reduces variance"),
        KeyPoint(text="Bagging does not reduce bias much"),
    ),
)

EVALUATION = Question(
    id="eval-test",
    prompt="How would you evaluate a binary classifier on a small dataset?",
    answer=(
        "Use k-fold cross-validation so every example is used for validation. Report the "
        "area under the ROC curve, which is threshold independent. Train with stochastic "
        "gradient descent and tune the learning rate."
    ),
    key_points=(
        KeyPoint(text="Use k-fold cross-validation"),
        KeyPoint(text="Report the area under the ROC curve"),
        KeyPoint(text="Train with stochastic gradient descent and tune the learning rate"),
    ),
)

NO_KEY_POINTS = Question(
    id="custom-dropout",
    prompt="What does dropout do during training and at inference?",
    answer=(
        "During training dropout randomly zeroes activations with probability p. "
        "This prevents units from co-adapting and reduces overfitting. "
        "At inference dropout is switched off and all units are used."
    ),
    bank="team",
)


def score(question: Question, text: str, **kwargs) -> float:
    return grade_answer(question, text, **kwargs).score


def covered_texts(grade: Grade) -> set[str]:
    return {p.text for p in grade.covered}


# --- contract ------------------------------------------------------------------------------


def test_grade_has_score_points_confidence_and_feedback():
    grade = grade_answer(
        REGULARISATION,
        "L1 adds the absolute weights to the loss, so many weights end up exactly zero and "
        "the model is sparse.",
    )
    assert 0.0 <= grade.score <= 1.0
    assert 0.0 <= grade.confidence <= 1.0
    assert "L1 drives some weights exactly to zero, a sparse model" in covered_texts(grade)
    assert {p.text for p in grade.missed} >= {"L2 handles correlated features better"}
    matched = next(p for p in grade.covered if p.text.startswith("L1 drives")).matched
    assert "zero" in matched
    assert grade.feedback.startswith("You explained:")
    assert "You did not mention:" in grade.feedback
    assert "L2 handles correlated features better" in grade.feedback


def test_model_answer_scores_high_and_vague_answer_low():
    for question in (REGULARISATION, BAGGING, EVALUATION, NO_KEY_POINTS):
        assert score(question, question.answer) >= 0.9
        assert score(question, "It is an important idea that makes models work better.") < 0.2


# --- paraphrase and vocabulary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "point"),
    [
        ("Lasso adds the sum of absolute weights to the loss.", 0),
        ("Ridge adds the sum of squared weights and shrinks them smoothly.", 2),
        ("I'd use 5-fold CV.", 0),
        ("Report the AUC.", 1),
        ("Train with SGD and tune the step size.", 2),
        ("Report AUROC.", 1),
        ("Use cross validation with k folds, i.e. kfold.", 0),
    ],
)
def test_synonyms_and_abbreviations_match(answer: str, point: int):
    question = REGULARISATION if point != 1 and "weights" in answer else EVALUATION
    grade = grade_answer(question, answer)
    assert question.key_points[point].text in covered_texts(grade)


def test_synonym_matches_only_its_own_concept():
    grade = grade_answer(REGULARISATION, "Ridge adds the sum of absolute weights to the loss.")
    # "ridge" is L2, so the L1 point about absolute weights is not covered by it.
    assert "L1 adds the sum of absolute weights to the loss" not in covered_texts(grade)


def test_inflections_and_british_spelling_match():
    plain = score(REGULARISATION, "L2 adds the sum of squared weights and shrinks them smoothly.")
    inflected = score(
        REGULARISATION, "L2 adding summed squares of the weight, shrinking it smoothly."
    )
    assert inflected >= plain - 0.05
    question = Question(
        id="norm-test",
        prompt="Why normalise features before k-means?",
        answer="Normalize the features so that no feature dominates the distance.",
        key_points=(
            KeyPoint(text="Normalize the features"),
            KeyPoint(text="No feature dominates the distance"),
            KeyPoint(text="k-means uses Euclidean distance"),
        ),
    )
    grade = grade_answer(question, "You normalise features, otherwise one feature dominates.")
    assert "Normalize the features" in covered_texts(grade)


def test_typos_are_matched_and_lower_confidence():
    clean = grade_answer(
        REGULARISATION, "L1 drives some weights exactly to zero, giving a sparse model."
    )
    typos = grade_answer(
        REGULARISATION, "L1 drivs some weigths exacly to zero, giving a sparce model."
    )
    assert "L1 drives some weights exactly to zero, a sparse model" in covered_texts(typos)
    assert typos.score >= clean.score - 0.2
    assert typos.confidence < clean.confidence


def test_unrelated_words_are_not_taken_for_typos():
    # "later" is one edit from "layer" but a real, different word.
    question = Question(
        id="layer-test",
        prompt="What does a hidden layer compute?",
        answer="Each hidden layer applies weights, adds a bias and applies a nonlinearity.",
        key_points=(
            KeyPoint(text="Each layer applies weights and adds a bias"),
            KeyPoint(text="Then a nonlinearity is applied"),
            KeyPoint(text="Layers are stacked"),
        ),
    )
    assert score(question, "We will talk about this later, maybe tomorrow.") == 0.0


# --- negation --------------------------------------------------------------------------------


def test_negated_claim_is_not_the_claim():
    right = grade_answer(BAGGING, "Averaging many bootstrap models reduces variance.")
    wrong = grade_answer(BAGGING, "Averaging many bootstrap models does not reduce variance.")
    assert "Averaging the models reduces variance" in covered_texts(right)
    assert "Averaging the models reduces variance" not in covered_texts(wrong)
    assert "Averaging the models reduces variance" in {p.text for p in wrong.contradicted}
    assert wrong.score < right.score
    assert "opposite" in wrong.feedback


def test_negation_scope_ends_at_but():
    grade = grade_answer(BAGGING, "Averaging does not change bias, but it reduces variance.")
    assert "Averaging the models reduces variance" in covered_texts(grade)
    assert not grade.contradicted


def test_not_only_is_not_a_negation():
    grade = grade_answer(BAGGING, "Averaging not only reduces variance, it is also parallel.")
    assert "Averaging the models reduces variance" in covered_texts(grade)


# --- format ---------------------------------------------------------------------------------


def test_bullet_list_answer_is_graded_like_prose():
    prose = score(
        REGULARISATION,
        "L1 adds the sum of absolute weights to the loss and drives some weights exactly to "
        "zero. L2 adds the sum of squared weights and shrinks them smoothly; it handles "
        "correlated features better.",
    )
    bullets = score(
        REGULARISATION,
        "- L1: adds sum of |w| (absolute weights) to the loss\n"
        "- L1 -> some weights exactly zero (sparse model)\n"
        "- L2: adds sum of squared weights, shrinks them smoothly\n"
        "- L2 handles correlated features better",
    )
    assert prose >= 0.8
    assert bullets >= prose - 0.15


def test_code_block_answer_is_graded():
    question = Question(
        id="scaler-test",
        prompt="Implement a standard scaler and explain why fit and transform are separate.",
        answer=(
            "fit computes the mean and standard deviation of each column; transform "
            "subtracts the mean and divides by the standard deviation. Fit only on training "
            "data to avoid leakage."
        ),
        kind=Kind.CODING,
        key_points=(
            KeyPoint(text="fit computes the mean and standard deviation of each column"),
            KeyPoint(text="transform subtracts the mean and divides by the standard deviation"),
            KeyPoint(text="fit only on training data to avoid leakage"),
        ),
    )
    code = (
        "```python\n"
        "class StandardScaler:\n"
        "    def fit(self, X):\n"
        "        self.mean = X.mean(axis=0)  # mean of each column\n"
        "        self.std = X.std(axis=0)  # standard deviation\n"
        "        return self\n"
        "    def transform(self, X):\n"
        "        return (X - self.mean) / self.std  # subtract mean, divide by std\n"
        "```\n"
        "Fit only on the training data, otherwise the test set leaks into the statistics."
    )
    grade = grade_answer(question, code)
    assert grade.score >= 0.6
    assert "keyword_list" not in grade.flags


# --- anti-gaming -----------------------------------------------------------------------------


def test_keyword_list_scores_low_and_is_flagged():
    keywords = grade_answer(
        REGULARISATION,
        "L1, L2, lasso, ridge, absolute weights, squared weights, zero, sparse, correlated "
        "features, smooth shrinkage",
    )
    explained = grade_answer(
        REGULARISATION,
        "L1 adds the absolute weights to the loss, which drives some weights to exactly zero "
        "and makes the model sparse. L2 adds the squared weights, shrinks them smoothly and "
        "handles correlated features better.",
    )
    assert "keyword_list" in keywords.flags
    assert "keyword_list" not in explained.flags
    assert keywords.score < 0.35
    assert keywords.score < explained.score / 2
    assert "keywords" in keywords.feedback


def test_terse_claims_are_not_a_keyword_list():
    grade = grade_answer(
        REGULARISATION, "L1 -> sparse weights, exactly zero. L2 shrinks weights smoothly."
    )
    assert "keyword_list" not in grade.flags


def test_near_copy_of_an_earlier_answer_is_flagged():
    earlier = (
        "Bagging trains many models on bootstrap samples and averages them, which reduces "
        "variance while the bias stays about the same."
    )
    copy = (
        "bagging trains many models on bootstrap samples and averages them which reduces the "
        "variance, while bias stays about the same"
    )
    grade = grade_answer(BAGGING, copy, round_answers=["Bagging is nice.", earlier])
    assert "near_copy" in grade.flags
    assert not grade.earns_quality_points
    assert "earlier answer" in grade.feedback


def test_padded_copy_is_flagged_but_independent_answer_is_not():
    earlier = (
        "Bagging trains many models on bootstrap samples and averages them, which reduces "
        "variance while the bias stays about the same."
    )
    padded = "Good question. " + earlier + " I think that is right."
    independent = (
        "Each model sees a bootstrap sample of the data; averaging their predictions "
        "cancels much of the variance, though bias is unchanged."
    )
    assert "near_copy" in grade_answer(BAGGING, padded, round_answers=[earlier]).flags
    grade = grade_answer(BAGGING, independent, round_answers=[earlier])
    assert "near_copy" not in grade.flags
    assert grade.earns_quality_points


def test_short_identical_answers_are_not_near_copies():
    grade = grade_answer(BAGGING, "It reduces variance.", round_answers=["It reduces variance."])
    assert "near_copy" not in grade.flags


# --- no key points --------------------------------------------------------------------------


def test_without_key_points_the_model_answer_sentences_are_the_rubric():
    good = grade_answer(
        NO_KEY_POINTS,
        "In training, each activation is set to zero at random with probability p, so units "
        "cannot co-adapt and the network overfits less. At inference it is turned off.",
    )
    partial = grade_answer(NO_KEY_POINTS, "Dropout randomly zeroes activations while training.")
    assert good.method == "model_answer"
    assert good.score >= 0.8
    assert 0.1 < partial.score < good.score
    assert good.covered and partial.missed
    # The grader trusts a model-answer comparison less than a real rubric.
    assert good.confidence < grade_answer(REGULARISATION, REGULARISATION.answer).confidence


# --- robustness and determinism ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "🤖🔥💯 " * 50,
        "התשובה שלי: רגולריזציה L1 מאפסת משקלים",
        "الإجابة: التنظيم L1 يجعل الأوزان صفرا",
        "L1 " * 14_000,
        "regularisation " * 3000,
        "```\n" + "x = 1\n" * 5000,
        "```python\nunclosed code block with L1 and zero weights",
        "\x00\x01\x02 L1 \ufeff zero \u200b weights",
        "α β λ → ∑ √ ≥ ≤ ∞",
    ],
)
def test_odd_input_never_crashes(text: str):
    for question in (REGULARISATION, NO_KEY_POINTS):
        grade = grade_answer(question, text, round_answers=[text, "", "🤖"])
        assert 0.0 <= grade.score <= 1.0
        assert 0.0 <= grade.confidence <= 1.0
        assert isinstance(grade.feedback, str) and grade.feedback


def test_empty_answer_scores_zero_with_high_confidence():
    grade = grade_answer(REGULARISATION, "")
    assert grade.score == 0.0
    assert grade.confidence >= 0.9
    assert len(grade.missed) == len(REGULARISATION.key_points)


def test_long_answer_is_graded_on_its_start_and_flagged():
    text = REGULARISATION.answer + " filler words here." * 3000
    grade = grade_answer(REGULARISATION, text)
    assert len(text) > 40_000
    assert "truncated" in grade.flags
    assert grade.score >= 0.9


def test_grading_is_deterministic():
    text = "L1 drivs weights to zero; ridge shrinks them. Averaging does not reduce bias."
    first = grade_answer(REGULARISATION, text, round_answers=["something else entirely"])
    for _ in range(3):
        again = grade_answer(REGULARISATION, text, round_answers=["something else entirely"])
        assert again == first

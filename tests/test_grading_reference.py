"""The reference-recall part of the grader: what a team's plain custom entry gets.

A custom entry has only id, prompt and answer; these tests grade such entries the way
real people answer them: tersely, in other words, in another language, or like an answer
the team accepted before.
"""

from __future__ import annotations

import itertools

import pytest

from bot.grading import grade_answer
from bot.grading.calibration import recall_score
from bot.grading.language import looks_english
from bot.render import answer_feedback
from question_bank.schema import Question

HASHING = Question(
    id="hash-table-lookup",
    prompt="Why is looking up a key in a hash table fast on average, and when is it slow?",
    answer=(
        "A hash function maps the key straight to a bucket index, so a lookup inspects one "
        "bucket instead of scanning every entry: constant time on average. It becomes slow "
        "when many keys collide in the same bucket, for example with a poor hash function "
        "or a table that is too full, and the worst case is linear time."
    ),
)
STACK = Question(
    id="stack-pop", prompt="Which operation removes the top item of a stack?", answer="pop"
)


def test_a_terse_complete_answer_gets_most_of_the_marks() -> None:
    terse = grade_answer(
        HASHING,
        "The hash of the key gives the bucket directly so it is O(1) on average; "
        "with lots of collisions it degrades to linear time.",
    )
    assert terse.score >= 0.5, terse
    assert terse.method == "model_answer"
    assert terse.feedback  # never an empty verdict
    fuller = grade_answer(
        HASHING,
        "Hashing maps each key to its bucket, so a lookup checks one bucket, not every "
        "entry: constant time on average. If many keys collide (bad hash function, table "
        "too full) the worst case is linear.",
    )
    assert fuller.score >= 0.75, fuller


def test_an_off_topic_answer_scores_low() -> None:
    grade = grade_answer(HASHING, "Sorting the array first lets you use binary search.")
    assert grade.score <= 0.25, grade


def test_a_one_word_model_answer_is_a_valid_entry_and_grades() -> None:
    assert grade_answer(STACK, "pop").score >= 0.9
    assert grade_answer(STACK, "push").score <= 0.1


def test_model_answer_sentences_never_claim_the_opposite() -> None:
    # Against prose sentences, "not"-readings were paraphrases far more often than errors.
    grade = grade_answer(
        HASHING, "Lookups are not slow: there is no scan, the key's hash picks one bucket."
    )
    assert grade.contradicted == ()
    assert "opposite" not in grade.feedback


def test_an_accepted_answer_recognises_the_team_s_wording() -> None:
    answer = "Buckets are addressed directly by the digest so only one slot is probed."
    alone = grade_answer(HASHING, answer)
    accepted = grade_answer(
        HASHING,
        answer,
        accepted_answers=["The digest addresses the slot directly, so one slot is probed."],
    )
    assert accepted.score > alone.score + 0.3
    assert "near_accepted" in accepted.flags


@pytest.mark.parametrize(
    "text",
    [
        "الانحدار الحافي يضيف عقوبة على مربع الأوزان ويقلص المعاملات",
        "Регуляризация уменьшает переобучение, потому что веса становятся меньше",
        "Die Hashfunktion bildet den Schlüssel direkt auf einen Eimer ab, deshalb ist die "
        "Suche im Mittel konstant und nur bei vielen Kollisionen langsam.",
        "哈希函数把键直接映射到桶，所以平均查找是常数时间。",
    ],
)
def test_an_answer_in_another_language_is_told_so_not_graded_as_keywords(text: str) -> None:
    grade = grade_answer(HASHING, text)
    assert "not_english" in grade.flags
    assert "keyword_list" not in grade.flags
    assert "Only English answers are graded" in grade.feedback


@pytest.mark.parametrize(
    "text",
    [
        "O(1)",
        "pop",
        "Naïve Bayes assumes the features are independent given the class.",
        "`dict[key]` hashes the key; a résumé of the café's menu is not needed here.",
        # One-letter words are variables and notation, not Spanish "y" or Portuguese "o"/"e".
        "Hash map gives O(1) lookup vs O(n) scan, e.g. two-sum",
        "mae = np.mean(np.abs(y - yhat)); rmse = np.sqrt(np.mean((y - yhat)**2))  # rmse >= mae",
    ],
)
def test_english_with_accents_code_or_few_words_is_english(text: str) -> None:
    assert looks_english(text)


def test_unfenced_code_with_variables_is_graded_not_called_foreign() -> None:
    text = "Hash -> bucket: O(1) lookup on average, O(n) worst case, e.g. collisions"
    grade = grade_answer(HASHING, text)
    assert "not_english" not in grade.flags
    assert grade.score > 0


def test_the_recall_curve_is_strictly_increasing_and_bounded() -> None:
    values = [recall_score(i / 100) for i in range(101)]
    assert values[0] == 0.0 and values[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("count", [1, 2, 8])
def test_a_custom_rubric_of_any_length_credits_each_point_it_lists(count: int) -> None:
    """A marking scheme with one, two or eight points (custom banks allow them): covering
    every point outscores covering half of them, which outscores covering none."""
    claims = [
        "k-means uses Euclidean distance",
        "features with large ranges dominate the distance",
        "standardising gives every feature unit variance",
        "outliers pull the centroids",
        "the number of clusters is chosen beforehand",
        "initialisation changes the result",
        "clusters come out roughly spherical",
        "each point joins its nearest centroid",
    ][:count]
    question = Question.model_validate(
        {
            "id": "exam-kmeans",
            "prompt": "What should you know before running k-means on raw features?",
            "answer": "; ".join(claims) + ".",
            "key_points": claims,
        }
    )
    full = grade_answer(question, ". ".join(claims) + ".")
    none = grade_answer(question, "I would just run it and look at the plot.")
    assert len(full.covered) == count and full.score >= 0.75, full
    assert none.score <= 0.1 and len(none.missed) == count, none
    if count > 1:
        half = grade_answer(question, ". ".join(claims[: count // 2]) + ".")
        assert none.score < half.score < full.score, (half, full)
        assert len(half.covered) == count // 2, half


OVERFITTING = Question.model_validate(
    {
        "id": "exam-overfitting",
        "prompt": "What is overfitting?",
        "answer": "When a model fits noise in the training data and generalises poorly.",
        "key_points": [
            "fits noise in the training data",
            "generalises poorly to new data",
            "training error much lower than test error",
        ],
    }
)


def test_an_answer_in_its_own_words_is_told_what_it_said_in_part_not_that_it_missed_all():
    """'It memorises noise and does badly on new data' scores well on the model answer but
    covers no key point in full. It had been told 'You missed the key points; start with'
    all three while scoring 66%: the points it says in part are named as such, with the
    words that matched, and shown apart from the one it never mentions."""
    grade = grade_answer(OVERFITTING, "it memorises noise and does badly on new data")
    assert grade.score >= 0.5 and not grade.covered, grade
    partly = {p.text: p.matched for p in grade.partly}
    assert set(partly) == {"fits noise in the training data", "generalises poorly to new data"}
    assert "noise" in partly["fits noise in the training data"]
    assert "missed the key points" not in grade.feedback
    assert "You said part of: fits noise in the training data" in grade.feedback
    assert grade.feedback.endswith(
        "You did not mention: training error much lower than test error."
    )

    message = answer_feedback(OVERFITTING, grade, practice=False)
    fields = {f.name: f.value for f in message.fields}
    assert "0/3 key points" in message.title
    assert fields["Said in part"].count("\n- ") == 1
    assert fields["Missed"] == "- training error much lower than test error"


def test_an_answer_with_nothing_of_the_rubric_is_still_told_where_to_start():
    grade = grade_answer(OVERFITTING, "I would just run it and look at the plot.")
    assert grade.score <= 0.1 and not grade.partly
    assert grade.feedback.startswith("You missed the key points; start with")


def test_big_o_notation_does_not_make_a_short_answer_long_enough_to_copy() -> None:
    # "O(n)" and "O(1)" are notation: two people may both write "time O(n), space O(1)".
    earlier = "Two pointers from both ends. Time O(n), extra space O(1)."
    grade = grade_answer(
        HASHING, "Quick one: time O(n), extra space O(1).", round_answers=[earlier]
    )
    assert "near_copy" not in grade.flags

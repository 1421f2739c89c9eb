"""The grader reads claims, not only words: direction, subject, locality, scope, layout."""

from __future__ import annotations

from bot.grading import grade_answer
from question_bank.schema import KeyPoint, Question

TRADEOFF = Question(
    id="tradeoff-test",
    prompt="What is the bias-variance trade-off?",
    answer=(
        "More complexity reduces bias but increases variance. Reduce variance with more "
        "data or regularisation."
    ),
    key_points=(
        KeyPoint(text="More complexity reduces bias but increases variance"),
        KeyPoint(text="Reduce variance with more data or regularisation"),
        KeyPoint(text="Pick the complexity with the lowest validation error"),
    ),
)

ENSEMBLES = Question(
    id="ensembles-test",
    prompt="What is the difference between bagging and boosting?",
    answer=(
        "Bagging trains models independently on bootstrap samples and mainly reduces "
        "variance. Boosting trains models sequentially, each correcting the previous errors, "
        "and mainly reduces bias."
    ),
    key_points=(
        KeyPoint(text="Bagging trains models independently on bootstrap samples"),
        KeyPoint(text="Bagging mainly reduces variance"),
        KeyPoint(text="Boosting trains models sequentially, correcting previous errors"),
        KeyPoint(text="Boosting mainly reduces bias"),
    ),
)

PENALTIES = Question(
    id="penalties-test",
    prompt="How do L1 and L2 regularisation differ?",
    answer=(
        "L1 drives some weights exactly to zero. L2 shrinks all weights smoothly but rarely "
        "to exactly zero."
    ),
    key_points=(
        KeyPoint(text="L1 drives some weights exactly to zero"),
        KeyPoint(text="L2 shrinks all weights smoothly but rarely to exactly zero"),
        KeyPoint(text="L2 handles correlated features better"),
    ),
)


def contradicted(grade) -> set[str]:
    return {p.text for p in grade.contradicted}


def covered(grade) -> set[str]:
    return {p.text for p in grade.covered}


def test_reversed_direction_contradicts_the_point():
    wrong = grade_answer(TRADEOFF, "More model complexity increases bias and reduces variance.")
    assert "More complexity reduces bias but increases variance" in contradicted(wrong)
    right = grade_answer(TRADEOFF, "A more complex model has lower bias and higher variance.")
    assert "More complexity reduces bias but increases variance" in covered(right)
    assert right.score > wrong.score + 0.3


def test_predicate_direction_binds_to_what_came_before():
    # "training error is low": low describes the training error, not what follows it.
    question = Question(
        id="overfit-test",
        prompt="How do you recognise overfitting?",
        answer="Overfitting gives low training error but high validation error.",
        key_points=(
            KeyPoint(text="Overfitting gives low training error but high validation error"),
            KeyPoint(text="Learning curves show the gap"),
            KeyPoint(text="More data or regularisation narrows the gap"),
        ),
    )
    grade = grade_answer(
        question, "When it overfits, training error is low but validation error is much higher."
    )
    assert not grade.contradicted
    assert "Overfitting gives low training error but high validation error" in covered(grade)


def test_claims_said_of_the_rival_subject_do_not_count():
    swapped = grade_answer(
        ENSEMBLES,
        "Bagging trains the models sequentially and mainly reduces bias, while boosting "
        "trains them independently on bootstrap samples and mainly reduces variance.",
    )
    assert {"Bagging mainly reduces variance", "Boosting mainly reduces bias"} <= contradicted(
        swapped
    )
    right = grade_answer(
        ENSEMBLES,
        "Bagging trains models independently on bootstrap samples, which mainly reduces "
        "variance, while boosting trains them sequentially to correct previous errors and "
        "mainly reduces bias.",
    )
    assert not right.contradicted
    assert right.score > swapped.score + 0.5


def test_subjects_named_together_share_the_claim():
    grade = grade_answer(ENSEMBLES, "Bagging and boosting both mainly reduce variance.")
    assert "Bagging mainly reduces variance" in covered(grade)


def test_what_the_rival_may_say_is_no_swap():
    # "exactly zero" is what L1 does; saying it of L1 is no claim about L2.
    grade = grade_answer(
        PENALTIES,
        "With L1 many weights end up exactly at zero; L2 shrinks every weight smoothly.",
    )
    assert not grade.contradicted
    assert grade.score > 0.6  # L1's point in full, L2's in part


def test_misspelt_subject_still_owns_its_sentence():
    grade = grade_answer(
        ENSEMBLES,
        "Baging trains models independently on bootstrap samples. Boosting trains models "
        "sequentially, correcting the previous errors. Baging mainly reduces variance.",
    )
    assert "Bagging mainly reduces variance" in covered(grade)


def test_words_scattered_over_a_long_answer_do_not_make_a_point():
    filler = (
        "I have worked on many projects over the years and I always enjoy this topic, it "
        "comes up in every interview and every team I have joined has discussed it at length. "
    )
    scattered = grade_answer(
        TRADEOFF,
        "Complexity is something we talk about a lot. "
        + filler * 3
        + "Bias is a word people use loosely. "
        + filler * 3
        + "Variance reduction is nice to have.",
    )
    together = grade_answer(
        TRADEOFF, filler * 3 + "More complexity reduces bias but increases variance. " + filler
    )
    point = "More complexity reduces bias but increases variance"
    assert point not in covered(scattered)
    assert point in covered(together)


def test_negation_ends_where_a_new_verb_starts():
    grade = grade_answer(
        PENALTIES,
        "L2 shrinks weights smoothly but almost never to zero and drives nothing to exactly "
        "zero, while L1 drives some weights exactly to zero.",
    )
    assert not grade.contradicted


def test_keyword_list_with_an_assignment_is_still_a_list():
    grade = grade_answer(
        TRADEOFF, "complexity, bias, variance, axis=0, regularisation, more data, U-shape"
    )
    prose = grade_answer(
        TRADEOFF, "More complexity reduces bias but increases variance; more data helps."
    )
    assert "keyword_list" in grade.flags
    assert grade.score < prose.score / 2


def test_bold_text_at_the_start_of_a_line_is_not_a_list_item():
    wrapped = grade_answer(
        TRADEOFF, "A more complex model has lower bias and\n**higher variance**."
    )
    assert "More complexity reduces bias but increases variance" in covered(wrapped)


def test_a_direction_said_of_something_else_in_passing_is_no_reversal():
    # "the critic reduces variance" shares only "policy" with the point; the answer says the
    # point itself in other words ("gradients are noisy"). Found by a reviewer's paraphrase.
    q = Question(
        id="value-vs-policy",
        prompt="Compare value-based and policy-based reinforcement learning methods.",
        answer="Value methods learn Q and act greedily; policy methods follow the gradient of "
        "return, with high-variance gradient estimates, so they are less sample-efficient.",
        key_points=(
            KeyPoint(text="Value-based methods learn Q values and act greedily on them"),
            KeyPoint(text="Policy-based methods follow the gradient of expected return"),
            KeyPoint(
                text="Policy gradient estimates have high variance, so less sample-efficient",
                alternatives=("their gradients are noisy, so they are less sample efficient",),
            ),
        ),
    )
    answer = (
        "Value-based methods like DQN learn Q(s,a) and choose the argmax action. Policy-based "
        "methods follow the gradient of expected return; their gradients are noisy, so they "
        "are less sample efficient. Actor-critic combines them: the actor is the policy and "
        "the critic a value function that reduces variance."
    )
    assert grade_answer(q, answer).contradicted == ()
    # The same claim turned around is still caught.
    turned = answer.replace(
        "their gradients are noisy, so they are less sample efficient",
        "policy gradient estimates have low variance",
    )
    assert grade_answer(q, turned).contradicted


PERPLEXITY = Question(
    id="perplexity-test",
    prompt="What is perplexity, and how is it computed for a language model?",
    answer=(
        "Perplexity is the exponentiated average negative log-likelihood per token. "
        "Lower perplexity is better."
    ),
    key_points=(
        KeyPoint(text="Perplexity is the exponentiated average negative log-likelihood per token"),
        KeyPoint(text="Lower perplexity is better"),
        KeyPoint(text="It is not comparable across different tokenisers"),
        KeyPoint(text="It equals exp of the cross-entropy loss"),
    ),
)


def test_a_direction_word_alone_does_not_make_a_point():
    # "lowers" is said of bias, not of perplexity: which way, without what moves.
    off_topic = grade_answer(PERPLEXITY, "More complexity lowers bias and raises variance.")
    assert "Lower perplexity is better" not in covered(off_topic)
    on_topic = grade_answer(PERPLEXITY, "A lower perplexity means a better model.")
    assert "Lower perplexity is better" in covered(on_topic)


def test_equals_is_said_as_well_by_is():
    # "equals" asks for no word of its own: "is" says it (the rest is 2.5 of 4.0 weight).
    grade = grade_answer(PERPLEXITY, "Perplexity is exp of the cross-entropy.")
    assert "It equals exp of the cross-entropy loss" in covered(grade)


CROSS_VALIDATION = Question(
    id="cv-test",
    prompt="What is k-fold cross-validation and why use it?",
    answer="Split the data into k folds, train on k-1 and validate on the held-out fold, k "
    "times, and average the scores; the average is less noisy than one split.",
    key_points=(
        KeyPoint(text="Train on k-1 folds and validate on the held-out fold, k times"),
        KeyPoint(text="Average the k scores"),
        KeyPoint(text="The average is less noisy than one split"),
    ),
)


def test_code_typed_without_a_fence_is_code_not_a_keyword_list():
    # Chat answers often paste a line of code with a comment and no ``` fence.
    loose = (
        "scores = cross_val_score(model, X, y, cv=5)  # train on 4 folds, validate on 1, five "
        "times\nprint(scores.mean(), scores.std())"
    )
    fenced = (
        "```\nscores = cross_val_score(model, X, y, cv=5)\nprint(scores.mean(), scores.std())\n```"
        "\ntrain on 4 folds, validate on 1, five times"
    )
    chained = (
        "i = hash(key) % len(table)  # O(1) on average\n"
        "table[i].append((key, value))  # chaining on collision"
    )
    for text in (loose, fenced, chained):
        grade = grade_answer(CROSS_VALIDATION, text)
        assert "keyword_list" not in grade.flags, text
        assert "not_english" not in grade.flags, text
    # A list of names is still a list, even with an assignment in it.
    listed = grade_answer(CROSS_VALIDATION, "folds, cv=5, average, k-1, held-out, noise, O(n)")
    assert "keyword_list" in listed.flags


GRADIENT_DESCENT = Question(
    id="gd-test",
    prompt="Explain gradient descent step by step.",
    answer="Step against the gradient: parameters minus learning rate times gradient. A learning "
    "rate too large diverges; too small converges slowly.",
    key_points=(
        KeyPoint(text="Update rule is parameters minus learning rate times gradient"),
        KeyPoint(text="A learning rate too large diverges; too small converges slowly"),
        KeyPoint(text="Repeat until the loss stops decreasing"),
    ),
)


def test_a_content_intensifier_keeps_the_direction_on_what_came_before():
    # "is too big": "big" describes the learning rate, not "converge" after it.
    grade = grade_answer(
        GRADIENT_DESCENT,
        "The update is theta minus learning rate times gradient; if the learning rate is too "
        "big it won't converge.",
    )
    assert not grade.contradicted
    # Said of what it moves, the reversed direction is still caught.
    turned = grade_answer(
        GRADIENT_DESCENT, "A learning rate that is too small makes it converge quickly."
    )
    assert "A learning rate too large diverges; too small converges slowly" in contradicted(turned)


F1 = Question(
    id="f1-test",
    prompt="What is the F1 score and when would you avoid it?",
    answer="F1 is the harmonic mean of precision and recall. F1 ignores true negatives.",
    key_points=(
        KeyPoint(text="F1 is the harmonic mean of precision and recall"),
        KeyPoint(text="F1 ignores true negatives"),
        KeyPoint(text="Macro F1 weights classes equally"),
    ),
)


def test_ignoring_something_is_not_using_it():
    point = "F1 ignores true negatives"
    for text in (
        "F1 doesn't use true negatives at all, so avoid it when negatives matter.",
        "F1 disregards the true negatives entirely.",
        "F1 never looks at true negatives.",
    ):
        grade = grade_answer(F1, text)
        assert point not in contradicted(grade), text
        assert point in covered(grade), text


LEAKAGE = Question(
    id="leakage-test",
    prompt="What is data leakage and how do you prevent it?",
    answer="Preprocessing fitted on the full dataset before splitting contaminates the test "
    "set. "
    "Target leakage is a feature derived from the label.",
    key_points=(
        KeyPoint(
            text="Preprocessing fitted on the full dataset before splitting contaminates the "
            "test set"
        ),
        KeyPoint(text="Target leakage is a feature derived from or caused by the label"),
        KeyPoint(text="Random splits of time-ordered data leak the future"),
    ),
)


def test_advice_not_to_make_a_mistake_does_not_deny_it():
    # "Don't fit ... on the full dataset" names the mistake the point describes.
    grade = grade_answer(
        LEAKAGE,
        "Don't fit the scaler or imputer on the full dataset before splitting; that leaks test "
        "information. A feature shouldn't be derived from the label. Never split time-ordered "
        "data randomly, or you leak the future.",
    )
    assert not grade.contradicted
    assert "Target leakage is a feature derived from or caused by the label" in covered(grade)


def test_derived_is_not_a_derivative():
    # "derivative" means gradient; "derived from the label" does not.
    grade = grade_answer(
        LEAKAGE, "Target leakage: the gradient of the loss is large for a feature."
    )
    assert "Target leakage is a feature derived from or caused by the label" not in covered(grade)
    gradient = Question(
        id="slope-test",
        prompt="What does gradient descent follow?",
        answer="It steps against the gradient of the loss.",
        key_points=(
            KeyPoint(text="It steps against the gradient of the loss"),
            KeyPoint(text="The learning rate sets the step size"),
            KeyPoint(text="It stops when the loss stops decreasing"),
        ),
    )
    said = grade_answer(gradient, "It steps against the derivative of the loss.")
    assert "It steps against the gradient of the loss" in covered(said)


def test_stopping_to_improve_is_not_improving():
    early = Question(
        id="early-stop-test",
        prompt="What is early stopping?",
        answer="Stop training when validation loss stops improving, and restore the best weights.",
        key_points=(
            KeyPoint(text="Stop training when validation loss stops improving"),
            KeyPoint(text="Restore the checkpoint with the best validation score"),
            KeyPoint(text="Patience sets how many epochs without improvement are tolerated"),
        ),
    )
    point = "Stop training when validation loss stops improving"
    for text in (
        "Monitor validation loss each epoch and stop when it hasn't improved for a few epochs.",
        "Stop training once the validation loss no longer improves.",
        "Stop training when validation loss stops improving.",
        # A misspelt "training" after "stop" is still the procedure, not what stops.
        "Stop trainning when the validaton loss stops improving.",
    ):
        grade = grade_answer(early, text)
        assert point in covered(grade), text
        assert not grade.contradicted, text


def test_more_contrasted_subjects_catch_swapped_claims():
    # Pairs the bank contrasts, whose swap no check saw: each claim said of the rival.
    filtering = Question(
        id="cb-vs-cf-test",
        prompt="Compare content-based filtering and collaborative filtering.",
        answer="Content-based filtering recommends items with features similar to what the "
        "user liked. Collaborative filtering uses only interactions of similar users.",
        key_points=(
            KeyPoint(
                text="Content-based filtering recommends items with features similar to "
                "what the user liked"
            ),
            KeyPoint(text="Collaborative filtering uses only interactions of similar users"),
            KeyPoint(text="Production systems are often hybrids of both"),
        ),
    )
    swapped = grade_answer(
        filtering,
        "Collaborative filtering recommends items with features similar to what the user "
        "liked. Content-based filtering uses only interactions of similar users.",
    )
    assert len(swapped.contradicted) == 2
    right = grade_answer(filtering, filtering.answer)
    assert not right.contradicted and len(right.covered) == 2
    search = Question(
        id="bfs-vs-dfs-test",
        prompt="How do breadth-first search and depth-first search differ?",
        answer="BFS visits nodes level by level and finds shortest paths in unweighted graphs. "
        "DFS follows one path as deep as possible.",
        key_points=(
            KeyPoint(text="BFS finds shortest paths in unweighted graphs"),
            KeyPoint(text="DFS follows one path as deep as possible"),
            KeyPoint(text="Both run in O(V + E) with a visited set"),
        ),
    )
    swapped = grade_answer(
        search,
        "DFS finds shortest paths in unweighted graphs, while BFS follows one path as deep "
        "as possible.",
    )
    assert "BFS finds shortest paths in unweighted graphs" in contradicted(swapped)
    assert not grade_answer(search, search.answer).contradicted


def test_a_point_needs_one_of_its_own_words_not_only_the_prompts():
    # "reduces variance" is in the answer, but what reduces it (averaging) is not: the
    # words the prompt already uses and a direction do not make the point.
    question = Question(
        id="variance-fix-test",
        prompt="What can you do about high variance?",
        answer="Reduce variance with more data, regularisation or bagging.",
        key_points=(
            KeyPoint(
                text="Reduce variance with more data, regularisation or bagging",
                alternatives=("averaging models reduces variance",),
            ),
            KeyPoint(text="More complexity reduces bias but increases variance"),
            KeyPoint(text="Pick the complexity with the lowest validation error"),
        ),
    )
    point = "Reduce variance with more data, regularisation or bagging"
    wrong = grade_answer(
        question,
        "More complexity increases bias and reduces variance, so to fix high variance use a "
        "more complex model.",
    )
    assert point not in covered(wrong)
    right = grade_answer(question, "Averaging many models reduces variance, as bagging does.")
    assert point in covered(right)


def test_cannot_afford_to_miss_says_missing_is_costly():
    q = Question(
        id="recall-cost-test",
        prompt="When does recall matter more than precision?",
        answer="Recall matters when missing positives is costly, e.g. cancer screening.",
        key_points=(
            KeyPoint(text="Recall matters when missing positives is costly, e.g. cancer screening"),
            KeyPoint(text="Precision matters when false positives are costly, e.g. spam"),
            KeyPoint(text="Raising the threshold raises precision and lowers recall"),
        ),
    )
    point = "Recall matters when missing positives is costly, e.g. cancer screening"
    grade = grade_answer(
        q, "In cancer screening you can't afford to miss positives, so recall matters more."
    )
    assert point in covered(grade)
    assert not grade.contradicted


def test_lifo_and_fifo_say_last_in_first_out():
    q = Question(
        id="stack-queue-test",
        prompt="What is the difference between a stack and a queue?",
        answer="A stack is last-in, first-out; a queue is first-in, first-out.",
        key_points=(
            KeyPoint(text="A stack is last-in, first-out; a queue is first-in, first-out"),
            KeyPoint(text="BFS uses a queue and visits nodes level by level"),
            KeyPoint(text="DFS uses a stack and goes as deep as possible"),
        ),
    )
    grade = grade_answer(q, "Stack = LIFO, queue = FIFO.")
    assert "A stack is last-in, first-out; a queue is first-in, first-out" in covered(grade)


def test_nearest_and_closest_say_the_same():
    q = Question(
        id="kmeans-assign-test",
        prompt="Explain step by step how the k-means algorithm works.",
        answer="Assign every point to its nearest centroid, then move each centroid to the mean.",
        key_points=(
            KeyPoint(text="Assign every point to its nearest centroid"),
            KeyPoint(text="Move each centroid to the mean of its points"),
            KeyPoint(text="Repeat until assignments stop changing"),
        ),
    )
    grade = grade_answer(q, "Each point goes to the closest centroid.")
    assert "Assign every point to its nearest centroid" in covered(grade)


def test_min_max_scaling_is_not_standardisation():
    q = Question(
        id="scaling-test",
        prompt="How do standardisation and min-max normalisation differ?",
        answer="Standardisation subtracts the mean and divides by the standard deviation. "
        "Min-max normalisation maps values to [0, 1] and is sensitive to outliers.",
        key_points=(
            KeyPoint(
                text="Standardisation subtracts the mean and divides by the standard deviation"
            ),
            KeyPoint(
                text="Min-max normalisation maps values to [0, 1] and is sensitive to outliers"
            ),
            KeyPoint(text="Fit the scaler on training data only"),
        ),
    )
    swapped = grade_answer(
        q,
        "Standardisation maps values to [0, 1] and is sensitive to outliers, while min-max "
        "subtracts the mean and divides by the standard deviation.",
    )
    assert len(swapped.contradicted) == 2
    assert not grade_answer(q, q.answer).contradicted


def test_test_time_is_inference():
    q = Question(
        id="dropout-test",
        prompt="How does dropout behave during training and at inference?",
        answer="During training units are zeroed at random; at inference every unit is kept.",
        key_points=(
            KeyPoint(text="During training units are zeroed at random with probability p"),
            KeyPoint(
                text="At inference dropout is switched off",
                alternatives=("at test time every unit is kept and nothing is dropped",),
            ),
            KeyPoint(text="It prevents co-adaptation of units"),
        ),
    )
    grade = grade_answer(q, "At inference dropout isn't applied, every unit is kept.")
    assert "At inference dropout is switched off" in covered(grade)

"""The selection policy: cycles, topic alternation, weekly spread, weak topics, determinism."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest

from question_bank import NoEligibleQuestion, Question, QuestionBank, choose_question
from question_bank.loader import load_bank
from question_bank.schema import TOPICS as BUILTIN_TOPICS
from question_bank.selection import RECENT, TOPIC_WEIGHTS

TOPICS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")


def make_bank(spec: Mapping[str, int], *, bank: str = "builtin", per_difficulty: bool = True):
    """``spec`` maps topic -> number of questions; difficulties cycle 1, 2, 3."""
    questions = {}
    for topic, count in spec.items():
        for n in range(count):
            q = Question(
                id=f"{topic}-q{n}",
                topic=topic,
                difficulty=(n % 3) + 1 if per_difficulty else 2,
                prompt=f"Question {n} about {topic}?",
                answer=f"An answer about {topic} that is long enough.",
                bank=bank,
            )
            questions[q.qualified_id] = q
    return QuestionBank(questions=questions)


def draw(bank: QuestionBank, n: int, *, seed="s", history: Sequence[str] = (), **kw) -> list[str]:
    history = list(history)
    for _ in range(n):
        history.append(choose_question(bank, history, seed=seed, **kw).qualified_id)
    return history


def topic(bank: QuestionBank, qid: str) -> str:
    return bank.get(qid).topic


BALANCED = make_bank(dict.fromkeys(TOPICS, 6))


@pytest.mark.parametrize("seed", range(5))
def test_no_repeat_until_the_bank_is_exhausted_then_a_new_cycle(seed: int) -> None:
    total = len(BALANCED)
    history = draw(BALANCED, 3 * total, seed=seed)
    for cycle in range(3):
        chunk = history[cycle * total : (cycle + 1) * total]
        assert sorted(chunk) == sorted(BALANCED.questions), f"cycle {cycle} repeats"


@pytest.mark.parametrize("seed", range(5))
def test_no_topic_twice_in_a_row(seed: int) -> None:
    history = draw(BALANCED, 3 * len(BALANCED), seed=seed)
    for a, b in itertools.pairwise(history):
        assert topic(BALANCED, a) != topic(BALANCED, b)


def test_no_topic_twice_in_a_row_even_when_topics_are_uneven() -> None:
    # One topic has as many questions as all others together: the policy must serve it
    # early and often, or the cycle would end with a run of it.
    bank = make_bank({"big": 9, "small-a": 3, "small-b": 3, "small-c": 3})
    for seed in range(10):
        history = draw(bank, len(bank), seed=seed)
        assert len(set(history)) == len(bank)
        for a, b in itertools.pairwise(history):
            assert topic(bank, a) != topic(bank, b), (seed, history)


def test_a_single_topic_channel_still_gets_questions() -> None:
    bank = make_bank({"alpha": 4, "beta": 4})
    history = draw(bank, 8, topics={"alpha"})
    assert {topic(bank, q) for q in history} == {"alpha"}
    assert sorted(history[:4]) == sorted(history[4:])
    assert all(a != b for a, b in itertools.pairwise(history))  # not the same one twice


@pytest.mark.parametrize("seed", range(8))
def test_a_week_spreads_over_topics_and_difficulties(seed: int) -> None:
    # Any five consecutive posts (a working week) in the first half of a cycle use five
    # different topics and all three difficulties.
    history = draw(BALANCED, len(BALANCED) // 2, seed=seed)
    week = RECENT + 1
    for start in range(len(history) - week + 1):
        days = [BALANCED.get(q) for q in history[start : start + week]]
        assert len({q.topic for q in days}) == week
        assert {q.difficulty for q in days} == {1, 2, 3}


def test_same_inputs_same_question_and_seeds_differ() -> None:
    history = draw(BALANCED, 7, seed="channel-1")
    assert history == draw(BALANCED, 7, seed="channel-1")
    sequences = {tuple(draw(BALANCED, 7, seed=f"channel-{n}")) for n in range(10)}
    assert len(sequences) > 5


def test_bank_file_order_does_not_change_the_draw() -> None:
    shuffled = QuestionBank(questions=dict(reversed(BALANCED.questions.items())))
    assert draw(BALANCED, 12, seed=3) == draw(shuffled, 12, seed=3)


def gaps(topics: Sequence[str], wanted: str) -> list[int]:
    """How many draws pass between one appearance of ``wanted`` and the next."""
    at = [i for i, t in enumerate(topics) if t == wanted]
    return [b - a for a, b in itertools.pairwise(at)]


def test_weak_topics_come_back_sooner_but_never_exclusively() -> None:
    many = [f"topic-{n:02d}" for n in range(12)]  # about as many as the shipped bank
    bank = make_bank(dict.fromkeys(many, 30))
    weak = many[0]
    scores = dict.fromkeys(many, 0.9) | {weak: 0.1}
    plain, weighted, gaps_weak, gaps_other = Counter(), Counter(), [], []
    for seed in range(20):
        plain.update(topic(bank, q) for q in draw(bank, 100, seed=seed))
        topics = [topic(bank, q) for q in draw(bank, 100, seed=seed, topic_scores=scores)]
        weighted.update(topics)
        gaps_weak += gaps(topics, weak)
        gaps_other += [g for t in many[1:] for g in gaps(topics, t)]
    total = sum(weighted.values())
    assert weighted[weak] > 1.3 * plain[weak]
    assert weighted[weak] > max(weighted[t] for t in many if t != weak)
    mean_weak, mean_other = sum(gaps_weak) / len(gaps_weak), sum(gaps_other) / len(gaps_other)
    assert mean_weak < 0.8 * mean_other  # it comes back sooner
    assert all(weighted[t] > 0.5 * total / len(many) for t in many)  # nobody is starved
    assert weighted[weak] <= total / (RECENT + 1)  # and each week stays spread


def test_unscored_topics_count_as_average() -> None:
    bank = make_bank(dict.fromkeys(TOPICS, 30))
    weak_only = {"alpha": 0.0, "beta": 1.0}  # the other topics have no grades yet
    counts = Counter()
    for seed in range(40):
        counts.update(topic(bank, q) for q in draw(bank, 20, seed=seed, topic_scores=weak_only))
    assert counts["alpha"] > counts["gamma"] > counts["beta"]


def test_filters_limit_topics_and_banks() -> None:
    builtin = make_bank({"alpha": 3, "beta": 3})
    team = make_bank({"alpha": 3, "gamma": 3}, bank="team")
    both = QuestionBank(questions=builtin.questions | team.questions)
    assert {both.get(q).bank for q in draw(both, 12, banks={"team"})} == {"team"}
    picked = [both.get(q) for q in draw(both, 12, topics={"alpha"}, banks={"builtin"})]
    assert {(q.bank, q.topic) for q in picked} == {("builtin", "alpha")}
    with pytest.raises(NoEligibleQuestion):
        choose_question(both, [], seed=1, topics={"gamma"}, banks={"builtin"})


def test_history_with_deleted_or_foreign_ids_is_tolerated() -> None:
    bank = make_bank({"alpha": 2, "beta": 2})
    history = ["deleted-question", "alpha-q0", "other-bank:thing"]
    nxt = choose_question(bank, history, seed=0)
    assert nxt.qualified_id != "alpha-q0"
    assert nxt.topic == "beta"  # "alpha" was the last topic the bank knows


def test_new_questions_join_the_current_cycle() -> None:
    small = make_bank({"alpha": 2, "beta": 2})
    history = draw(small, 3, seed=1)
    grown = QuestionBank(questions=small.questions | make_bank({"gamma": 2}).questions)
    rest = draw(grown, 3, seed=1, history=history)[3:]
    assert set(history) | set(rest) == set(grown.questions)


def test_shipped_bank_runs_a_full_cycle_without_repeats() -> None:
    bank = load_bank()
    history = draw(bank, len(bank), seed="shipped")
    assert sorted(history) == sorted(bank.questions)


def test_the_eligible_set_is_computed_once_per_bank_and_filter(monkeypatch) -> None:
    import question_bank.selection as selection

    bank = load_bank()
    calls = []
    real = selection.eligible_questions

    def counting(bank, **filters):
        calls.append(filters)
        return real(bank, **filters)

    monkeypatch.setattr(selection, "eligible_questions", counting)
    monkeypatch.setattr(selection, "_ELIGIBLE", {})
    picks = [choose_question(bank, [], seed=n, topics=["fundamentals"]) for n in range(20)]
    assert len(calls) == 1 and {q.topic for q in picks} == {"fundamentals"}
    choose_question(bank, [], seed=1, topics=["deep-learning"])
    assert len(calls) == 2  # another filter, computed on its own
    other = load_bank()
    choose_question(other, [], seed=1, topics=["fundamentals"])
    assert len(calls) == 3  # another bank object never shares a cached set


def test_every_builtin_topic_has_a_documented_weight() -> None:
    assert set(TOPIC_WEIGHTS) == set(BUILTIN_TOPICS)
    assert all(0 < w <= 2 for w in TOPIC_WEIGHTS.values())
    top = max(TOPIC_WEIGHTS.values())
    assert TOPIC_WEIGHTS["generative-ai"] == TOPIC_WEIGHTS["ml-system-design-mlops"] == top
    assert TOPIC_WEIGHTS["sql-data-engineering"] < TOPIC_WEIGHTS["generative-ai"]


def test_topics_come_up_as_often_as_interviews_ask_them() -> None:
    # Every built-in topic with the same number of questions: only the weights differ.
    bank = make_bank(dict.fromkeys(BUILTIN_TOPICS, 30))
    counts = Counter()
    for seed in range(20):
        counts.update(topic(bank, q) for q in draw(bank, 100, seed=seed))
    assert counts["generative-ai"] > 1.5 * counts["sql-data-engineering"]
    assert counts["ml-system-design-mlops"] > 2 * counts["reinforcement-learning"]
    assert counts["deep-learning"] > counts["unsupervised-learning"]
    total = sum(counts.values())
    assert min(counts.values()) > 0.3 * total / len(BUILTIN_TOPICS)  # nobody is starved
    # The weights can be replaced: equal weights give every topic about the same share.
    flat = Counter()
    for seed in range(20):
        flat.update(topic(bank, q) for q in draw(bank, 100, seed=seed, topic_weights={}))
    assert flat["generative-ai"] < 1.3 * flat["sql-data-engineering"]


def test_a_topic_does_not_count_more_for_having_more_questions() -> None:
    bank = make_bank({"alpha": 40} | dict.fromkeys(TOPICS[1:], 15))
    counts = Counter()
    for seed in range(20):
        counts.update(topic(bank, q) for q in draw(bank, 30, seed=seed))
    share = counts["alpha"] / sum(counts.values())
    assert 0.12 < share < 0.22  # one topic in six, although it holds 40 of 115 questions


def test_seed_trivia_is_demoted_within_its_topic() -> None:
    questions = {}
    for name in TOPICS:
        for n in range(20):
            q = Question(
                id=f"{name}-q{n}",
                topic=name,
                difficulty=(n % 3) + 1,
                prompt=f"Question {n} about {name}?",
                answer=f"An answer about {name} that is long enough.",
                tags=("trivia",) if n % 2 else (),
            )
            questions[q.qualified_id] = q
    bank = QuestionBank(questions=questions)
    trivia = total = 0
    for seed in range(20):
        picked = [bank.get(q) for q in draw(bank, 30, seed=seed)]
        trivia += sum("trivia" in q.tags for q in picked)
        total += len(picked)
    assert trivia < 0.33 * total  # half the bank, about a fifth of the first draws
    shipped = load_bank()
    assert sum("trivia" in q.tags for q in shipped) >= 8

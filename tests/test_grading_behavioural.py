"""Behavioural answers are scored on STAR structure and concreteness, not on keywords."""

from __future__ import annotations

from bot.grading import grade_answer
from question_bank.loader import load_bank
from question_bank.schema import KeyPoint, Kind, Question

CONFLICT = Question(
    id="conflict-test",
    prompt="Tell us about a time you disagreed with a teammate about a model. What did you do?",
    answer=(
        "Situation: at my last company a teammate wanted to ship a deep model for churn. "
        "Task: I owned the churn model and had to decide within two weeks. Action: I asked "
        "why he preferred it, proposed a fair benchmark on the same split and built both. "
        "Result: the boosted trees matched the deep model within 1% and trained in minutes, "
        "so we shipped them; I learned to settle debates with experiments."
    ),
    kind=Kind.BEHAVIOURAL,
    topic="behavioural",
    key_points=(
        KeyPoint(text="Situation, the disagreement and what was at stake"),
        KeyPoint(text="Task, your responsibility"),
        KeyPoint(text="Action, proposed a fair benchmark"),
        KeyPoint(text="Result, a measurable outcome and what you learned"),
    ),
)

FULL_STORY = (
    "Last year at a payments startup I was responsible for our fraud model, and a senior "
    "colleague wanted to replace it with a graph neural network two months before peak "
    "season. I needed to decide without slowing the team down. I asked him what problem he "
    "expected the new model to fix, then I built a small prototype and compared both models "
    "on the same time-based split, using recall at a 1% false positive rate as the agreed "
    "metric. The graph model was 2% better but ten times slower to serve, so we kept the "
    "trees and added two graph features, which recovered most of the gap. Fraud losses "
    "dropped 8% that quarter, and I learned to agree on the metric before arguing."
)
NO_RESULT = (
    "Last year at a payments startup a senior colleague wanted to replace our fraud model "
    "with a graph neural network. I asked him what problem he expected it to fix and I "
    "built a small prototype to compare both."
)
GENERIC = (
    "I would listen to my colleague, try to understand their point of view and look for "
    "data to settle the question. I always try to keep communication respectful."
)


def test_story_with_all_parts_beats_partial_story_beats_generic_answer():
    full = grade_answer(CONFLICT, FULL_STORY)
    partial = grade_answer(CONFLICT, NO_RESULT)
    generic = grade_answer(CONFLICT, GENERIC)
    assert full.method == partial.method == generic.method == "star"
    assert full.score >= 0.75
    assert full.score > partial.score + 0.15
    assert partial.score > generic.score + 0.1
    assert generic.score < 0.3
    assert "generic" in generic.flags
    assert "what you would usually do" in generic.feedback


def test_parts_are_reported_as_covered_and_missed():
    partial = grade_answer(CONFLICT, NO_RESULT)
    covered = {p.text for p in partial.covered}
    missed = {p.text for p in partial.missed}
    assert "Situation, the disagreement and what was at stake" in covered
    assert "Result, a measurable outcome and what you learned" in missed
    assert "Result" in partial.feedback
    full = grade_answer(CONFLICT, FULL_STORY)
    result = next(p for p in full.covered if p.text.startswith("Result"))
    assert any("%" in word for word in result.matched)


def test_star_words_without_a_story_score_low():
    stuffed = grade_answer(
        CONFLICT, "Situation, task, action, result. Disagreement, benchmark, teamwork, impact."
    )
    assert stuffed.score < 0.3


def test_concrete_story_beats_vague_story_of_the_same_shape():
    vague = (
        "At my last job we disagreed with a colleague about a model. We talked about it, "
        "we did some analysis and in the end things improved and everyone was happy with "
        "the outcome of the discussion we had together as a team."
    )
    assert grade_answer(CONFLICT, FULL_STORY).score > grade_answer(CONFLICT, vague).score + 0.2


def test_bank_behavioural_entries_are_star_graded():
    bank = load_bank()
    behavioural = [q for q in bank if q.kind == Kind.BEHAVIOURAL]
    assert behavioural
    for question in behavioural:
        own = grade_answer(question, question.answer)
        assert own.method == "star"
        assert own.score >= 0.9, question.id
        assert grade_answer(question, GENERIC).score < own.score - 0.5

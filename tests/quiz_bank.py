"""Quiz questions for tests: one single-answer choice, one select-all, one numeric."""

from __future__ import annotations

from question_bank.loader import QuestionBank
from question_bank.schema import Question

SINGLE = Question(
    id="quiz-single",
    topic="deep-learning",
    format="choice",
    prompt="Which activation is zero for every negative input?",
    answer="ReLU is max(0, x): it outputs 0 for any negative input.",
    options=[
        {"text": "Sigmoid", "why": "it is positive for every input, never exactly 0"},
        {"text": "Tanh", "why": "it is negative for negative inputs"},
        {"text": "ReLU", "correct": True, "why": "max(0, x) is 0 for x < 0"},
    ],
    follow_ups=["What is a dying ReLU?"],
)
SEVERAL = Question(
    id="quiz-several",
    topic="evaluation-metrics",
    format="choice",
    prompt="Which of these are threshold-free ranking metrics? Select all that apply.",
    answer="ROC AUC and average precision summarise every threshold; accuracy needs one.",
    options=[
        {"text": "ROC AUC", "correct": True, "why": "it integrates over all thresholds"},
        {"text": "Accuracy", "why": "it needs a threshold to turn scores into labels"},
        {"text": "Average precision", "correct": True, "why": "it sums over all thresholds"},
        {"text": "F1 at 0.5", "why": "it is computed at one threshold"},
    ],
)
NUMERIC = Question(
    id="quiz-numeric",
    topic="ml-infrastructure",
    format="numeric",
    prompt="How many GiB do 2^27 float32 values take? Answer in GiB.",
    answer="2^27 values x 4 bytes = 2^29 bytes = 0.5 GiB.",
    numeric={"value": 0.5, "relative_tolerance": 0.02, "unit": "GiB"},
)


def bank_of(*questions: Question) -> QuestionBank:
    return QuestionBank(questions={q.qualified_id: q for q in questions})

"""The calibrated score of a technical answer: a small ordinal model over grader features.

Fitted offline by bench/fit_grader.py (proportional-odds logistic regression, ridge 3.0)
on the 344 technical tuning rows of bench/data/grading_devset.jsonl and
grading_holdout.jsonl; the variant (content + reference_overlap) was chosen by
cross-validation by question (8 folds): out-of-fold rho 0.815 against 0.808 for the rule
score, a gain within noise. Refit after the bank's key points gained everyday-wording
alternatives (round 4): out-of-fold rho 0.828 against 0.824 for the rule score. Refit and
paste the printed numbers here when the features change:

    .venv/bin/python bench/fit_grader.py --variant content+overlap --ridge 3 --write

The model gives P(label >= 1) and P(label = 2); the expected label is rescaled so that an
answer with no credit and no shared vocabulary scores 0 and one with full credit that uses
the whole reference vocabulary scores 1 (a monotone map: it keeps the model's ranking).
Plain float arithmetic, no numpy at run time.
"""

from __future__ import annotations

import itertools
import math

from bot.grading.features import Features

CUTS = (0.7118, 2.4252)
WEIGHTS = {
    "content": 2.6471,
    "reference_overlap": 1.4011,
}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _expected(values: dict[str, float]) -> float:
    z = sum(w * values[name] for name, w in WEIGHTS.items())
    at_least_one = _sigmoid(z - CUTS[0])
    two = min(at_least_one, _sigmoid(z - CUTS[1]))
    return (at_least_one + two) / 2


_FLOOR = _expected(dict.fromkeys(WEIGHTS, 0.0))
_CEILING = _expected(dict.fromkeys(WEIGHTS, 1.0))


def calibrated(features: Features) -> float:
    """Score in [0, 1] before the keyword-list factor."""
    values = {name: getattr(features, name) for name in WEIGHTS}
    raw = (_expected(values) - _FLOOR) / (_CEILING - _FLOOR)
    return max(0.0, min(1.0, raw))


# --- reference recall -------------------------------------------------------------------
# How much of a reference an answer says (similarity.py) becomes a score through one
# monotone curve, the same for every question, so it keeps the ranking by recall (a flat
# clamp would tie every answer above it and lose that ranking). Chosen on the train splits
# of the real graded-answer sets in ../shared/asag (SAF, Mohler, SemEval-2013 Beetle and
# SciEntsBank) by `.venv/bin/python bench/fit_recall_curve.py`: of the curves through
# these knots, the one whose worst train set is closest to full-mark answers averaging at
# least 0.75 and zero-mark answers at most 0.25. People answer tersely: a complete real
# answer says about a fifth to a third of a long model answer's distinct terms.
RECALL_KNOTS = ((0.0, 0.0), (0.16, 0.05), (0.20, 0.95), (1.0, 1.0))
# With key points, recall weighs this share next to the calibrated key-point score. On real
# answers with stand-in key points (bench/keypoint_proxy.py) a larger share ranks better
# and stops complete answers from getting half marks; on our own labelled sets rho falls
# as it grows. 0.5 is the largest share of 0.3/0.5/0.7 that keeps rho within 0.01 of 0.3's
# on both of those regression sets in bench/grading_eval.py (bench/GRADING.md, round 6).
RECALL_SHARE_WITH_KEY_POINTS = 0.5


def recall_score(recall: float) -> float:
    """Piecewise-linear through RECALL_KNOTS, strictly increasing, in [0, 1]."""
    recall = max(0.0, min(1.0, recall))
    for (x0, y0), (x1, y1) in itertools.pairwise(RECALL_KNOTS):
        if recall <= x1:
            return y0 + (y1 - y0) * (recall - x0) / (x1 - x0)
    return 1.0

"""Fit the grader's calibration offline, on the tuning rows only.

    .venv/bin/python bench/fit_grader.py [--variant NAME] [--folds 8] [--write]

The tuning rows are ``grading_devset.jsonl`` and ``grading_holdout.jsonl`` (384 answers,
48 questions); ``grading_holdout2.jsonl`` is never read here. For every technical answer
the grader computes interpretable features (bot/grading/features.py). A proportional-odds
(ordinal logistic) model maps a few of them to P(label >= 1) and P(label = 2); the score is
the expected label over 2. Variants (feature subsets, ridge strength) are compared by
cross-validation BY QUESTION (whole questions held out per fold), reporting Spearman's rho
of the out-of-fold scores with the labels; the chosen variant is refit on all tuning rows
and, with ``--write``, its coefficients are printed in the form bot/grading/calibration.py
keeps them. Needs numpy and scipy (dev extra); the bot itself only does the arithmetic.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.grading.engine import features_for  # noqa: E402
from bot.grading.features import FEATURE_NAMES  # noqa: E402
from question_bank.loader import load_bank  # noqa: E402
from question_bank.schema import Kind  # noqa: E402

TUNING = (ROOT / "bench" / "data" / "grading_devset.jsonl",
          ROOT / "bench" / "data" / "grading_holdout.jsonl")

STYLE: tuple[str, ...] = ()  # the keyword-list factor multiplies the fitted score
VARIANTS: dict[str, tuple[str, ...]] = {
    "content": ("content", *STYLE),
    "content+overlap": ("content", "reference_overlap", *STYLE),
    "content+elab": ("content", "elaboration", *STYLE),
    "content+overlap+elab": ("content", "reference_overlap", "elaboration", *STYLE),
    "core": ("content", "coverage", "reference_overlap", "elaboration", *STYLE),
    "core+contra": ("content", "coverage", "reference_overlap", "elaboration",
                    "contradicted_share", *STYLE),
    "core+off": ("content", "coverage", "reference_overlap", "elaboration", "off_topic",
                 *STYLE),
    "all": FEATURE_NAMES,
}
RIDGE = (0.1, 1.0, 3.0)


def load_rows() -> list[dict]:
    bank = load_bank()
    rows = []
    for path in TUNING:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            question = bank.get(row["question"])
            if question is None or question.kind == Kind.BEHAVIOURAL:
                continue
            features = features_for(question, row["answer"])
            if features is None:
                continue
            row["x"] = dict(zip(FEATURE_NAMES, features.vector(), strict=True))
            row["style_factor"] = features.style_factor
            rows.append(row)
    return rows


def _probs(theta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(y >= 1), P(y >= 2) under proportional odds: two cut points, one weight vector."""
    c1, c2, w = theta[0], theta[1], theta[2:]
    z = x @ w
    p1 = 1 / (1 + np.exp(-(z - c1)))
    p2 = 1 / (1 + np.exp(-(z - c2)))
    return p1, np.minimum(p2, p1)


def fit(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    def loss(theta: np.ndarray) -> float:
        p1, p2 = _probs(theta, x)
        eps = 1e-9
        p = np.where(y == 0, 1 - p1, np.where(y == 1, p1 - p2, p2))
        return float(-np.log(np.clip(p, eps, 1)).sum() + ridge * (theta[2:] ** 2).sum())

    start = np.concatenate([[0.0, 1.0], np.zeros(x.shape[1])])
    return minimize(loss, start, method="L-BFGS-B").x


def expected(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    p1, p2 = _probs(theta, x)
    return (p1 + p2) / 2


def matrix(rows: Sequence[dict], names: Sequence[str]) -> np.ndarray:
    return np.array([[r["x"][n] for n in names] for r in rows], dtype=float)


def cross_validate(rows: Sequence[dict], names: Sequence[str], ridge: float,
                   folds: int) -> float:
    """Spearman's rho of out-of-fold scores; folds hold out whole questions."""
    questions = sorted({r["question"] for r in rows})
    fold_of = {q: i % folds for i, q in enumerate(questions)}
    y = np.array([r["label"] for r in rows])
    x = matrix(rows, names)
    out = np.zeros(len(rows))
    for k in range(folds):
        test = np.array([fold_of[r["question"]] == k for r in rows])
        theta = fit(x[~test], y[~test], ridge)
        out[test] = expected(theta, x[test])
    out *= np.array([r["style_factor"] for r in rows])
    return float(spearmanr(out, y).statistic)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="core+contra")
    parser.add_argument("--ridge", type=float, default=1.0)
    parser.add_argument("--folds", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="print the chosen coefficients")
    args = parser.parse_args(argv)
    rows = load_rows()
    y = [r["label"] for r in rows]
    print(f"{len(rows)} technical tuning rows, "
          f"{len({r['question'] for r in rows})} questions")
    rule = [r["x"]["content"] * r["style_factor"] for r in rows]
    print(f"rule-based score (no fit): rho {spearmanr(rule, y).statistic:.3f}")
    for name, names in VARIANTS.items():
        cells = [f"ridge {r}: {cross_validate(rows, names, r, args.folds):.3f}" for r in RIDGE]
        print(f"{name:24s} " + "  ".join(cells))
    if args.write:
        names = VARIANTS[args.variant]
        theta = fit(matrix(rows, names), np.array(y), args.ridge)
        print(f"\n# variant {args.variant}, ridge {args.ridge}, fitted on {len(rows)} rows")
        print(f"CUTS = ({theta[0]:.4f}, {theta[1]:.4f})")
        print("WEIGHTS = {")
        for n, w in zip(names, theta[2:], strict=True):
            print(f'    "{n}": {w:.4f},')
        print("}")
        assert all(math.isfinite(v) for v in theta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Choose the curve that turns reference recall into a score, on real train splits only.

    MLQ_ASAG_DIR=DIR .venv/bin/python bench/fit_recall_curve.py

The curve is piecewise linear through (0, 0), (low, a), (high, b), (1, 1) and strictly
increasing, so it keeps the ranking by recall. Of the grid below it picks the curve whose
worst train set is closest to the targets: full-mark answers average at least 0.75 on
every set, zero-mark answers at most 0.25 on the sets with partial credit. Paste the
printed knots into bot/grading/calibration.py (RECALL_KNOTS).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_answers import PARTIAL_CREDIT, load_sets, search_dirs  # noqa: E402
from bot.grading.similarity import best_recall, said_in_text  # noqa: E402

FULL_TARGET, ZERO_TARGET = 0.75, 0.25


def curve(x: float, low: float, high: float, a: float, b: float) -> float:
    if x <= low:
        return a * x / low
    if x <= high:
        return a + (b - a) * (x - low) / (high - low)
    return b + (1 - b) * (x - high) / (1 - high)


Data = dict[str, tuple[list[float], list[float]]]  # set -> (recalls, human grades)


def worst_margin(data: Data, low: float, high: float, a: float, b: float) -> float:
    """The smallest margin to the targets over the sets (negative: a target is missed)."""
    slack = 1.0
    for name, (recalls, grades) in data.items():
        scores = [curve(x, low, high, a, b) for x in recalls]
        full = [s for s, g in zip(scores, grades, strict=True) if g >= 1.0]
        slack = min(slack, sum(full) / len(full) - FULL_TARGET)
        if name in PARTIAL_CREDIT:
            zero = [s for s, g in zip(scores, grades, strict=True) if g <= 0.0]
            slack = min(slack, ZERO_TARGET - sum(zero) / len(zero))
    return slack


def best_curve(
    data: Data, lows: Sequence[float] = tuple(round(0.06 + 0.02 * i, 2) for i in range(8))
) -> tuple[float, float, float, float, float] | None:
    """(worst margin, low, high, a, b) of the best curve on the grid, None without data."""
    best = None
    for low, step, a, b in product(lows, (0.02, 0.04, 0.06, 0.08, 0.1),
                                   (0.05, 0.1, 0.15, 0.2), (0.8, 0.85, 0.9, 0.95)):
        high = low + step
        slack = worst_margin(data, low, high, a, b)
        if best is None or slack > best[0]:
            best = (slack, low, high, a, b)
    return best if data else None


def main() -> int:
    sets, notes = load_sets(search_dirs())
    for note in notes:
        print(f"note: {note}")
    data = {}
    for name, graded in sets.items():
        rows = graded.split("train")
        recalls = [
            best_recall(said_in_text(r["answer"]), r["question"], [r["reference"]])[0]
            for r in rows
        ]
        data[name] = (recalls, [r["grade_norm"] for r in rows])
    best = best_curve(data)
    if best is None:
        print("no real train split found")
        return 1
    slack, low, high, a, b = best
    print(f"RECALL_KNOTS = ((0.0, 0.0), ({low}, {a}), ({high}, {b}), (1.0, 1.0))")
    print(f"worst margin to the targets on the train splits: {slack:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Key points written as a teacher's marking scheme: does the grade survive the annotations?

    .venv/bin/python bench/marking_scheme.py

A team that pastes its exam rubric into a custom bank writes key points for the marker:
"(1 mark) ...", "Award 1 mark for stating that ...", "Mentions that ...", "1 pt: ...",
"... (or equivalent)". This takes the labelled regression sets (bench/data), rewrites every
key point of their questions in one of those styles (the style cycles with the point's
position, so each question mixes them), and grades every answer three ways in one run:
with the bank's own key points, with the annotated ones, and with the annotated ones while
``strip_marking`` is switched off (the grader before it existed). It prints Spearman's rho
with the labels the mean score of full-mark (label 2) and zero-mark answers, and the share of key
points the feedback reports covered on full-mark answers, for each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.grading.features as features  # noqa: E402
import bot.grading.rubric as rubric  # noqa: E402
import bot.grading.similarity as similarity  # noqa: E402
from bench.grading_eval import DEVSET, HOLDOUT, HOLDOUT2, HOLDOUT3, load_rows, rho  # noqa: E402
from bot.grading import grade_answer  # noqa: E402
from question_bank.loader import load_bank  # noqa: E402
from question_bank.schema import KeyPoint, Kind, Question  # noqa: E402

STYLES: tuple[Callable[[str], str], ...] = (
    lambda t: f"(1 mark) {t}",
    lambda t: f"Award 1 mark for stating that {t[0].lower()}{t[1:]}",
    lambda t: f"Mentions that {t[0].lower()}{t[1:]}",
    lambda t: f"1 pt: {t}",
    lambda t: f"{t} (or equivalent)",
)


def annotated(question: Question) -> Question:
    points = tuple(
        KeyPoint(text=STYLES[i % len(STYLES)](kp.text), alternatives=kp.alternatives)
        for i, kp in enumerate(question.key_points)
    )
    return question.model_copy(update={"key_points": points})


def grade_all(pairs: list[tuple[Question, str]]) -> list[tuple[float, float]]:
    """(score, share of key points reported covered) per answer."""
    grades = [(grade_answer(q, a), len(q.key_points)) for q, a in pairs]
    return [(g.score, len(g.covered) / n) for g, n in grades]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def switched_off() -> None:
    """The grader as it was before marking annotations were taken out."""
    for module in (rubric, features, similarity):
        module.strip_marking = lambda text: text  # type: ignore[attr-defined]
    rubric.rubric_for.cache_clear()
    features.reference_for.cache_clear()
    similarity.vocabulary.cache_clear()
    similarity.said_in_text.cache_clear()


def main() -> int:
    bank = load_bank()
    rows = []
    for path, split in ((DEVSET, "dev"), (HOLDOUT, "holdout"), (HOLDOUT2, "holdout2"),
                        (HOLDOUT3, "holdout3")):
        rows += [r for r in load_rows(path, split) if bank.get(r["question"]) is not None]
    questions = {q.id: q for q in bank if q.key_points and q.kind != Kind.BEHAVIOURAL}
    rows = [r for r in rows if r["question"] in questions]
    labels = [r["label"] for r in rows]
    own = [(questions[r["question"]], r["answer"]) for r in rows]
    marked = [(annotated(questions[r["question"]]), r["answer"]) for r in rows]
    results = {"bank's key points": grade_all(own), "annotated": grade_all(marked)}
    switched_off()
    results["annotated, annotations not taken out"] = grade_all(marked)
    print(f"{len(rows)} answers to {len({r['question'] for r in rows})} technical questions "
          "(bench/data regression sets)")
    print("| key points | rho | mean score, full marks | mean score, zero marks "
          "| points reported covered, full marks |")
    print("|---|---:|---:|---:|---:|")
    for name, graded in results.items():
        scores = [s for s, _ in graded]
        full = [(s, c) for (s, c), g in zip(graded, labels, strict=True) if g == 2]
        zero = [s for s, g in zip(scores, labels, strict=True) if g == 0]
        print(f"| {name} | {rho(scores, labels):.3f} | {_mean([s for s, _ in full]):.2f} | "
              f"{_mean(zero):.2f} | {_mean([c for _, c in full]):.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

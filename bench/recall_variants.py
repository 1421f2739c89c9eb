"""Other ways to weigh reference recall, compared on the real train splits.

    MLQ_ASAG_DIR=DIR .venv/bin/python bench/recall_variants.py [--split train|test]

The grader scores an answer without key points by the weighted share of the reference's
distinct terms it says, through one curve (bot/grading/calibration.py). Each variant
here changes only how that share is computed; for each it prints Spearman's rho with the
human grade per set and the worst margin to the targets (full-mark answers averaging at
least 0.75, zero-mark ones at most 0.25 on the sets with partial credit) of the best curve
on bench/fit_recall_curve.py's grid. A variant earns a place only by a better worst margin
on the train splits without a lower rho (bench/GRADING.md, round 8).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_recall_curve import best_curve  # noqa: E402
from bench.real_answers import load_sets, search_dirs, spearman  # noqa: E402
from bot.grading.rubric import term_weight  # noqa: E402
from bot.grading.similarity import _misspelt, said_in_text, vocabulary  # noqa: E402
from bot.grading.text import merge_phrases, scan  # noqa: E402

WIDE_LOWS = tuple(round(0.04 + 0.02 * i, 2) for i in range(25))


@dataclass(frozen=True, slots=True)
class RefTerm:
    weight: float  # as the grader weighs it (prompt words half)
    said: bool
    rubric_weight: float  # concepts 1.5, generic words 0.5, as key points weigh them
    idf: float  # rarity among the set's references
    first_sentence: bool
    count: int  # occurrences in the reference


@dataclass(frozen=True, slots=True)
class Row:
    terms: tuple[RefTerm, ...]
    answer_terms: int
    grade: float
    precision: float = 0.0  # share of the answer's own terms (not the prompt's) in the reference


def _reference_shape(reference: str) -> tuple[Counter[str], set[str]]:
    counts: Counter[str] = Counter()
    first: set[str] = set()
    for clause in scan(reference).clauses:
        for term, _, _ in merge_phrases(clause, keep_parts=True):
            counts[term] += 1
            if clause.sentence == 0:
                first.add(term)
    return counts, first


def load_rows(split: str) -> dict[str, list[Row]]:
    sets, notes = load_sets(search_dirs())
    for note in notes:
        print(f"note: {note}")
    out: dict[str, list[Row]] = {}
    for name, graded in sets.items():
        references = {r["question"]: r["reference"] for r in graded.rows}
        df: Counter[str] = Counter()
        for prompt, reference in references.items():
            df.update(vocabulary(prompt, reference).terms)
        shapes = {ref: _reference_shape(ref) for ref in {r["reference"] for r in graded.rows}}
        rows = []
        for r in graded.split(split):
            vocab = vocabulary(r["question"], r["reference"])
            said = said_in_text(r["answer"])
            misspelt = _misspelt(said, vocab)
            given = said_in_text(r["question"]).terms
            counts, first = shapes[r["reference"]]
            terms = tuple(
                RefTerm(
                    weight,
                    term in said.terms or term in misspelt,
                    term_weight(term, given),
                    math.log((len(references) + 1) / (df[term] + 0.5)),
                    term in first,
                    counts[term] or 1,
                )
                for term, weight, _ in vocab.weights
            )
            own = [t for t in said.terms if t not in given]
            precision = sum(1 for t in own if t in vocab.terms) / len(own) if own else 0.0
            rows.append(Row(terms, len(said.terms), r["grade_norm"], precision))
        out[name] = rows
    return out


def share(row: Row, weigh: Callable[[RefTerm], float], denominator_cap: float = 0.0) -> float:
    total = sum(weigh(t) for t in row.terms)
    got = sum(weigh(t) for t in row.terms if t.said)
    if denominator_cap:
        total = min(total, denominator_cap)
    return min(1.0, got / total) if total > 0 else 0.0


VARIANTS: dict[str, Callable[[Row], float]] = {
    "as shipped (prompt words half)": lambda r: share(r, lambda t: t.weight),
    "key-point weights (concepts 1.5, generic 0.5)": lambda r: share(r, lambda t: t.rubric_weight),
    "rarity among the set's references (IDF)": lambda r: share(r, lambda t: t.weight * t.idf),
    "denominator capped at 30 terms": lambda r: share(r, lambda t: t.weight, 30.0),
    "denominator capped at 40 terms": lambda r: share(r, lambda t: t.weight, 40.0),
    "first sentence weighs double": lambda r: share(
        r, lambda t: t.weight * (2.0 if t.first_sentence else 1.0)
    ),
    "repeated terms weigh more (sqrt count)": lambda r: share(
        r, lambda t: t.weight * math.sqrt(t.count)
    ),
    "plus answer length (0.05 x log distinct terms)": lambda r: share(r, lambda t: t.weight)
    + 0.05 * min(1.0, math.log1p(r.answer_terms) / math.log(40)),
    "precision alone (answer terms in the reference)": lambda r: r.precision,
    "plus 0.1 x precision": lambda r: min(1.0, share(r, lambda t: t.weight) + 0.1 * r.precision),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train", choices=("train", "test"))
    args = parser.parse_args(argv)
    rows = load_rows(args.split)
    if not rows:
        print("no real graded-answer set found")
        return 1
    names = list(rows)
    print(f"{args.split} splits: " + ", ".join(f"{n} ({len(rows[n]):,})" for n in names))
    print("| variant | " + " | ".join(f"rho {n}" for n in names) + " | mean rho | worst margin |")
    print("|---|" + "---:|" * (len(names) + 2))
    for label, measure in VARIANTS.items():
        data = {n: ([measure(r) for r in rows[n]], [r.grade for r in rows[n]]) for n in names}
        rhos = [spearman(*data[n]) for n in names]
        best = best_curve(data, WIDE_LOWS)
        margin = f"{best[0]:+.3f}" if best else "-"
        cells = " | ".join(f"{x:.3f}" for x in rhos)
        print(f"| {label} | {cells} | {sum(rhos) / len(rhos):.3f} | {margin} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How well does the grader agree with human labels? Spearman's rho against three baselines.

    .venv/bin/python bench/grading_eval.py [--devset FILE] [--holdout FILE | --no-holdout]
                                           [--holdout2 FILE | --no-holdout2]
                                           [--holdout3 FILE | --no-holdout3] [--json]

Four labelled files (labels 0/1/2, see bench/data/grading_guideline.md):
- ``grading_devset.jsonl`` (``dev``) and ``grading_holdout.jsonl`` (``holdout``): tuning
  rows (the holdout was blind in round 2, then looked at);
- ``grading_holdout2.jsonl`` (``holdout2``): the blind set of round 3, answers to 18
  questions neither other file uses, committed (a9dc5a5) before any grader run on them
  (looked at since round 3); these three files are reported together as ``tuning``;
- ``grading_holdout3.jsonl`` (``holdout3``): the blind set of round 4, 240 answers to 24
  questions no other file uses, written and labelled by a helper who never saw the grader,
  committed (6d34f43) before any grader run on them.

In one run on the same rows, every answer is scored with
- the grader (``grade_answer``),
- the grader without key points (model-answer mode, as for a custom bank),
- answer length in words,
- rapidfuzz ``token_set_ratio`` against the model answer,
- TF-IDF cosine similarity against the model answer (scikit-learn, dev extra),
and the script reports Spearman's rho with the labels per set, overall and per question
kind, the margin of the grader over the best baseline, and bootstrap 95% intervals (fixed
seed) for the grader's rho and for that margin on the holdout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_answers import (  # noqa: E402
    PARTIAL_CREDIT,
    SHORT_NAMES,
    accepted_split,
    baseline_scores,
    load_sets,
    search_dirs,
    spearman,
)
from bot.grading import grade_answer  # noqa: E402
from question_bank.loader import load_bank  # noqa: E402
from question_bank.schema import Question  # noqa: E402

DEVSET = ROOT / "bench" / "data" / "grading_devset.jsonl"
HOLDOUT = ROOT / "bench" / "data" / "grading_holdout.jsonl"
HOLDOUT2 = ROOT / "bench" / "data" / "grading_holdout2.jsonl"
HOLDOUT3 = ROOT / "bench" / "data" / "grading_holdout3.jsonl"
TARGET_RHO = 0.70
TARGET_MARGIN = 0.10
BOOTSTRAP_ROUNDS = 2000
BASELINES = ("length (words)", "token_set_ratio", "tfidf cosine")

Scorer = Callable[[Question, str], float]


def load_rows(path: Path, split: str) -> list[dict]:
    """Rows of one file, all put in ``split`` (the devset's own dev/test tags are kept as
    ``origin``)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["origin"] = row.get("split", split)
            row["split"] = split
            rows.append(row)
    return rows


def tfidf_scorer(questions: Sequence[Question], answers: Sequence[str]) -> Scorer:
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
    vectorizer.fit([q.answer for q in questions] + list(answers))

    def score(question: Question, answer: str) -> float:
        vectors = vectorizer.transform([question.answer, answer])
        return float(cosine_similarity(vectors[0], vectors[1])[0, 0])

    return score


def without_key_points(question: Question) -> Question:
    return question.model_copy(update={"key_points": ()})


def rho(scores: Sequence[float], labels: Sequence[int]) -> float:
    if len(set(labels)) < 2:
        return float("nan")
    return float(spearmanr(scores, labels).statistic)


def bootstrap_interval(
    scores: Sequence[float], labels: Sequence[int], versus: Sequence[float] | None = None
) -> tuple[float, float]:
    """95% interval of rho (or of rho minus the rho of ``versus`` on the same draw)."""
    rng = random.Random(7)  # fixed seed: the same run gives the same interval
    n = len(scores)
    values = []
    for _ in range(BOOTSTRAP_ROUNDS):
        picks = [rng.randrange(n) for _ in range(n)]
        drawn = [labels[i] for i in picks]
        value = rho([scores[i] for i in picks], drawn)
        if versus is not None:
            value -= rho([versus[i] for i in picks], drawn)
        if value == value:  # skip NaN draws with a single label
            values.append(value)
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--holdout", type=Path, default=HOLDOUT)
    parser.add_argument("--no-holdout", action="store_true", help="leave out the round-2 holdout")
    parser.add_argument("--holdout2", type=Path, default=HOLDOUT2)
    parser.add_argument("--no-holdout2", action="store_true",
                        help="leave out the round-3 holdout")
    parser.add_argument("--holdout3", type=Path, default=HOLDOUT3)
    parser.add_argument("--no-holdout3", action="store_true",
                        help="leave out the blind round-4 holdout (use while tuning)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--asag-dir", type=Path, action="append", default=[],
                        help="a folder with the real graded-answer sets (mohler.jsonl, "
                        "semeval2013_2way.jsonl, saf_en.jsonl); also $MLQ_ASAG_DIR and "
                        "../shared/asag are searched")
    parser.add_argument("--no-real", action="store_true", help="skip the real-answers table")
    parser.add_argument("--real-only", action="store_true", help="only the real-answers table")
    parser.add_argument("--split", default="test", choices=("train", "test"),
                        help="which split of the real sets to report (tune on train only)")
    args = parser.parse_args(argv)
    if not args.no_real:
        real_answers_table(args.asag_dir, args.split, as_json=args.json)
        if args.real_only:
            return 0

    bank = load_bank()
    rows = load_rows(args.devset, "dev")
    if not args.no_holdout:
        rows += load_rows(args.holdout, "holdout")
    if not args.no_holdout2:
        rows += load_rows(args.holdout2, "holdout2")
    if not args.no_holdout3 and args.holdout3.exists():
        rows += load_rows(args.holdout3, "holdout3")
    missing = sorted({r["question"] for r in rows if bank.get(r["question"]) is None})
    if missing:
        print(f"questions not in the bank, rows skipped: {missing}", file=sys.stderr)
        rows = [r for r in rows if bank.get(r["question"]) is not None]
    questions = [bank.get(r["question"]) for r in rows]
    answers = [r["answer"] for r in rows]
    tfidf = tfidf_scorer(list(bank), answers)

    scorers: dict[str, Scorer] = {
        "grader": lambda q, a: grade_answer(q, a).score,
        "grader (no key points)": lambda q, a: grade_answer(without_key_points(q), a).score,
        "length (words)": lambda q, a: float(len(a.split())),
        "token_set_ratio": lambda q, a: fuzz.token_set_ratio(q.answer, a),
        "tfidf cosine": tfidf,
    }
    scores = {name: [f(q, a) for q, a in zip(questions, answers, strict=True)]
              for name, f in scorers.items()}
    labels = [r["label"] for r in rows]

    groups: dict[str, list[int]] = defaultdict(list)
    for i, (row, question) in enumerate(zip(rows, questions, strict=True)):
        groups[row["split"]].append(i)
        if row["split"] in ("dev", "holdout", "holdout2"):
            groups["tuning"].append(i)
        groups[f"{row['split']}/{question.kind.value}"].append(i)
        if row["split"] == "dev":
            groups[f"dev (old {row['origin']} split)"].append(i)

    report: dict[str, dict[str, float | int]] = {}
    order = ("tuning", "dev", "holdout/", "holdout", "holdout2", "holdout3")
    for group in sorted(groups, key=lambda g: (
            [i for i, o in enumerate(order) if g.startswith(o)][-1:] or [9], g)):
        idx = groups[group]
        entry: dict[str, float | int] = {"n": len(idx)}
        for name in scorers:
            entry[name] = round(rho([scores[name][i] for i in idx], [labels[i] for i in idx]), 3)
        report[group] = entry

    verdict = {}
    intervals = {}
    for split in ("tuning", "dev", "holdout", "holdout2", "holdout3"):
        if split not in report:
            continue
        idx = groups[split]
        best_name = max(BASELINES, key=lambda b: report[split][b])
        best = report[split][best_name]
        verdict[split] = {
            "n": len(idx),
            "grader": report[split]["grader"],
            "best_baseline": best_name,
            "best_baseline_rho": best,
            "margin": round(report[split]["grader"] - best, 3),
            "meets_target": report[split]["grader"] >= TARGET_RHO
            and report[split]["grader"] - best >= TARGET_MARGIN,
        }
        mine = [scores["grader"][i] for i in idx]
        truth = [labels[i] for i in idx]
        low, high = bootstrap_interval(mine, truth)
        margin_low, margin_high = bootstrap_interval(
            mine, truth, [scores[best_name][i] for i in idx]
        )
        intervals[split] = {
            "grader_ci95": [round(low, 3), round(high, 3)],
            "margin_ci95": [round(margin_low, 3), round(margin_high, 3)],
        }

    if args.json:
        print(json.dumps(
            {"spearman": report, "verdict": verdict, "bootstrap": intervals}, indent=2
        ))
        return 0
    names = list(scorers)
    n_questions = len({r["question"] for r in rows})
    print(f"Spearman's rho with human labels ({len(rows)} answers, {n_questions} questions)")
    print(f"{'group':28s}{'n':>5s}" + "".join(f"{n[:22]:>24s}" for n in names))
    for group, entry in report.items():
        print(f"{group:28s}{entry['n']:>5d}" + "".join(f"{entry[n]:>24.3f}" for n in names))
    print()
    for split, v in verdict.items():
        status = "meets" if v["meets_target"] else "MISSES"
        ci = intervals[split]
        print(f"{split} (n={v['n']}): grader {v['grader']:.3f} "
              f"[95% CI {ci['grader_ci95'][0]:.3f}, {ci['grader_ci95'][1]:.3f}], "
              f"best baseline {v['best_baseline']} {v['best_baseline_rho']:.3f}, "
              f"margin {v['margin']:+.3f} "
              f"[95% CI {ci['margin_ci95'][0]:+.3f}, {ci['margin_ci95'][1]:+.3f}] "
              f"-> {status} target (rho >= {TARGET_RHO}, margin >= {TARGET_MARGIN})")
    return 0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def real_answers_table(dirs: Sequence[Path], split: str, *, as_json: bool) -> dict:
    """Spearman's rho of the grader and three baselines on real graded answers, the mean
    score of full- and zero-mark answers, the rate of "says the opposite" on full-mark
    answers, and the accepted-answers simulation (3 full-mark answers a question accepted,
    rho on the rest without and with them)."""
    sets, notes = load_sets(search_dirs(dirs))
    results: dict[str, dict] = {}
    for name, graded in sets.items():
        rows = graded.split(split)
        grades = [r["grade_norm"] for r in rows]
        grades_out = [grade_answer(graded.questions[r["qid"]], r["answer"]) for r in rows]
        mine = [g.score for g in grades_out]
        base = {k: spearman(v, grades) for k, v in baseline_scores(graded, rows).items()}
        best_name = max(base, key=lambda k: base[k])
        full = [i for i, g in enumerate(grades) if g >= 1.0]
        zero = [i for i, g in enumerate(grades) if g <= 0.0]
        accepted, rest = accepted_split(rows)
        rest_grades = [r["grade_norm"] for r in rest]
        without = [grade_answer(graded.questions[r["qid"]], r["answer"]).score for r in rest]
        with_accepted = [
            grade_answer(graded.questions[r["qid"]], r["answer"],
                         accepted_answers=accepted[r["qid"]]).score
            for r in rest
        ]
        rho = spearman(mine, grades)
        results[name] = {
            "n": len(rows),
            "questions": len({r["qid"] for r in rows}),
            "grader": round(rho, 3),
            **{k: round(v, 3) for k, v in base.items()},
            "best_baseline": best_name,
            "margin": round(rho - base[best_name], 3),
            "full_mark_mean": round(_mean([mine[i] for i in full]), 3),
            "zero_mark_mean": round(_mean([mine[i] for i in zero]), 3),
            "opposite_on_full": round(
                _mean([1.0 if grades_out[i].contradicted else 0.0 for i in full]), 4),
            "accepted_n": len(rest),
            "accepted_without": round(spearman(without, rest_grades), 3),
            "accepted_with": round(spearman(with_accepted, rest_grades), 3),
        }
    summary = {}
    if results:
        margins = [v["margin"] for v in results.values()]
        summary = {
            "mean_margin": round(_mean(margins), 3),
            "beats_best_baseline_everywhere": all(m > 0 for m in margins),
        }
    report = {"split": split, "sets": results, "summary": summary, "notes": notes}
    if as_json:
        print(json.dumps({"real_answers": report}, indent=2))
        return report
    print(f"Real, human-graded answers ({split} splits; Spearman's rho with the grade)")
    print("| set | n | grader rho | length | token_set_ratio | TF-IDF | margin over best "
          "| mean score, full marks | mean score, zero marks | 'opposite' on full marks "
          "| 3 accepted answers: rho without -> with |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, v in results.items():
        zero = f"{v['zero_mark_mean']:.2f}" + ("" if name in PARTIAL_CREDIT else " (2-way)")
        print(f"| {SHORT_NAMES.get(name, name)} | {v['n']:,} | {v['grader']:.3f} "
              f"| {v['length']:.3f} | {v['token_set_ratio']:.3f} | {v['tfidf']:.3f} "
              f"| {v['margin']:+.3f} | {v['full_mark_mean']:.2f} | {zero} "
              f"| {v['opposite_on_full']:.1%} "
              f"| {v['accepted_without']:.3f} -> {v['accepted_with']:.3f} "
              f"(n={v['accepted_n']:,}) |")
    if summary:
        print(f"mean margin over the best baseline: {summary['mean_margin']:+.3f}; "
              f"above the best baseline on every set: {summary['beats_best_baseline_everywhere']}")
    for note in notes:
        print(f"note: {note}")
    print()
    return report


if __name__ == "__main__":
    raise SystemExit(main())

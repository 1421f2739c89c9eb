"""Key-point mode on real answers: how much should reference recall weigh next to key points?

    MLQ_ASAG_DIR=DIR .venv/bin/python bench/keypoint_proxy.py [--split train|test]

The real graded-answer sets (../shared/asag) have reference answers but no key-point
rubrics. As a stand-in, each reference is cut into its sentences (or clauses when it has
fewer than three) and those become the key points; questions that still have fewer than
three are left out. Every answer is then scored both ways, by the calibrated key-point
score and by the reference-recall curve, and the script prints Spearman's rho with the
human grade for blends of the two (the share given to recall), and the mean blended score
of full-mark answers. Sentence-long key points are harder to cover than a teacher's short
claims, so the absolute means are pessimistic; the comparison between shares is the point.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_answers import load_sets, search_dirs, spearman  # noqa: E402
from bot.grading.calibration import calibrated, recall_score  # noqa: E402
from bot.grading.features import concept_features  # noqa: E402
from bot.grading.match import AnswerIndex, Matcher  # noqa: E402
from bot.grading.rubric import rubric_for  # noqa: E402
from bot.grading.similarity import best_recall, said_in  # noqa: E402
from bot.grading.style import judge_style  # noqa: E402
from bot.grading.text import scan  # noqa: E402
from question_bank.schema import MAX_KEY_POINTS, MIN_KEY_POINTS, KeyPoint, Question  # noqa: E402

SHARES = (0.0, 0.3, 0.5, 0.7, 1.0)


def stand_in_points(reference: str) -> list[str]:
    """The reference's sentences, or its clauses when it has fewer than three."""
    parts = [p.strip() for p in re.split(r"(?<=[.;!?])\s+|\n+", reference) if len(p.strip()) > 12]
    if len(parts) < MIN_KEY_POINTS:
        parts = [
            p.strip()
            for p in re.split(r"(?<=[.;!?,])\s+|\n+| and ", reference)
            if len(p.strip()) > 8
        ]
    unique = list(dict.fromkeys(p[:200] for p in parts).keys())
    folded: dict[str, str] = {}
    for part in unique:
        folded.setdefault(part.casefold(), part)
    return list(folded.values())[:MAX_KEY_POINTS]


def both_scores(question: Question, answer: str) -> tuple[float, float]:
    scanned = scan(answer[:8000])
    if not scanned.clauses:
        return 0.0, 0.0
    index = AnswerIndex.build(scanned)
    matches = Matcher(rubric_for(question), index).match_all()
    key_points = calibrated(concept_features(question, index, matches, judge_style(scanned)))
    recall, _ = best_recall(said_in(scanned), question.prompt, [question.answer])
    return key_points, recall_score(recall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "test"), default="test")
    args = parser.parse_args()
    sets, notes = load_sets(search_dirs())
    for note in notes:
        print(f"note: {note}")
    header = " | ".join(f"rho, recall share {s:.1f}" for s in SHARES)
    print(f"| set | n | {header} | full-mark mean at each share |")
    print("|---|---:|" + "---:|" * len(SHARES) + "---|")
    for name, graded in sets.items():
        questions = {}
        for qid, q in graded.questions.items():
            points = stand_in_points(q.answer)
            if len(points) >= MIN_KEY_POINTS:
                questions[qid] = q.model_copy(
                    update={"key_points": tuple(KeyPoint(text=p) for p in points)}
                )
        rows = [r for r in graded.split(args.split) if r["qid"] in questions]
        if not rows:
            print(f"| {name} | 0 | (no question with three stand-in key points) |")
            continue
        pairs = [both_scores(questions[r["qid"]], r["answer"]) for r in rows]
        grades = [r["grade_norm"] for r in rows]
        rhos, fulls = [], []
        for share in SHARES:
            blended = [(1 - share) * k + share * s for k, s in pairs]
            rhos.append(f"{spearman(blended, grades):.3f}")
            full = [b for b, g in zip(blended, grades, strict=True) if g >= 1.0]
            fulls.append(f"{sum(full) / len(full):.2f}" if full else "-")
        print(f"| {name} | {len(rows):,} | {' | '.join(rhos)} | {' / '.join(fulls)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

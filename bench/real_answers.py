"""Real, human-graded short answers (../shared/asag) as the grader's yardstick.

Each set is a JSON-lines file of graded answers (`dataset`, `qid`, `question`,
`reference`, `answer`, `grade_norm`, `split`), as described in ../shared/asag/README.md.
SAF is stored there; Mohler and SemEval-2013 are built by that folder's scripts from
local copies of their public repositories and are never committed here. Every question
becomes a bank entry with only `id`, `prompt` and `answer` (the set's reference answer),
which is what a team writes for a custom bank.

Used by bench/grading_eval.py (the table) and bench/fit_recall_curve.py (the fit, on the
train splits only).
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from question_bank.schema import Kind, Question

ROOT = Path(__file__).resolve().parent.parent
SHARED_ASAG = ROOT.parent / "shared" / "asag"
# file name -> the data sets it holds (a file may hold two, as SemEval's does)
FILES = {
    "saf_en.jsonl": ("saf_en_communication_networks",),
    "mohler.jsonl": ("mohler2011_unt_cs",),
    "semeval2013_2way.jsonl": ("semeval2013_beetle_2way", "semeval2013_scientsbank_2way"),
}
SHORT_NAMES = {
    "saf_en_communication_networks": "SAF (communication networks)",
    "mohler2011_unt_cs": "Mohler (data structures)",
    "semeval2013_beetle_2way": "SemEval-2013 Beetle, 2-way",
    "semeval2013_scientsbank_2way": "SemEval-2013 SciEntsBank, 2-way",
}
# The sets whose grades have partial credit (the 2-way sets are correct/incorrect only).
PARTIAL_CREDIT = ("saf_en_communication_networks", "mohler2011_unt_cs")


@dataclass
class GradedSet:
    name: str
    rows: list[dict] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)

    def split(self, split: str) -> list[dict]:
        return [r for r in self.rows if r["split"] == split]


def search_dirs(extra: Sequence[Path] = ()) -> list[Path]:
    dirs = [*extra]
    if os.environ.get("MLQ_ASAG_DIR"):
        dirs.append(Path(os.environ["MLQ_ASAG_DIR"]))
    dirs.append(SHARED_ASAG)
    return dirs


def _slug(qid: str) -> str:
    return "q-" + re.sub(r"[^a-z0-9]+", "-", qid.lower()).strip("-")[:70]


def load_sets(dirs: Sequence[Path]) -> tuple[dict[str, GradedSet], list[str]]:
    """The sets found in ``dirs`` (first hit per file wins) and a note per missing file."""
    sets: dict[str, GradedSet] = {}
    notes: list[str] = []
    for filename, names in FILES.items():
        path = next((d / filename for d in dirs if (d / filename).is_file()), None)
        if path is None:
            looked = ", ".join(str(d) for d in dirs)
            notes.append(f"{filename} not found (looked in {looked}); skipped "
                         f"{', '.join(names)}: see ../shared/asag/README.md to build it")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            graded = sets.setdefault(row["dataset"], GradedSet(row["dataset"]))
            graded.rows.append(row)
            if row["qid"] not in graded.questions:
                graded.questions[row["qid"]] = Question(
                    id=_slug(row["qid"]),
                    prompt=row["question"],
                    answer=row["reference"],
                    kind=Kind.CONCEPT,
                )
    return dict(sorted(sets.items())), notes


def accepted_split(
    rows: Sequence[dict], per_question: int = 3, seed: int = 1
) -> tuple[dict[str, list[str]], list[dict]]:
    """For the accepted-answers simulation: ``per_question`` full-mark answers of each
    question, drawn with a fixed seed, and the remaining rows to evaluate on."""
    by_question: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_question[row["qid"]].append(row)
    rng = random.Random(seed)
    accepted: dict[str, list[str]] = {}
    taken: set[int] = set()
    for qid in sorted(by_question):
        full = [r for r in by_question[qid] if r["grade_norm"] >= 1.0]
        rng.shuffle(full)
        accepted[qid] = [r["answer"] for r in full[:per_question]]
        taken.update(id(r) for r in full[:per_question])
    return accepted, [r for r in rows if id(r) not in taken]



def spearman(scores: Sequence[float], grades: Sequence[float]) -> float:
    from scipy.stats import spearmanr

    if len(set(scores)) < 2 or len(set(grades)) < 2:
        return float("nan")
    return float(spearmanr(scores, grades).statistic)


def baseline_scores(graded: GradedSet, rows: Sequence[dict]) -> dict[str, list[float]]:
    """The three trivial baselines, defined as in ../shared/asag/baselines.py: length in
    characters; rapidfuzz token_set_ratio with default_process; TF-IDF cosine with one
    scikit-learn TfidfVectorizer (defaults) per set, fitted on all its answers and its
    distinct references."""
    from rapidfuzz import fuzz, utils
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer()
    vectorizer.fit([r["answer"] for r in graded.rows]
                   + sorted({r["reference"] for r in graded.rows}))
    answers = vectorizer.transform([r["answer"] for r in rows])
    references = vectorizer.transform([r["reference"] for r in rows])
    cosine = answers.multiply(references).sum(axis=1).A1  # rows are L2-normalised
    return {
        "length": [float(len(r["answer"])) for r in rows],
        "token_set_ratio": [
            fuzz.token_set_ratio(r["answer"], r["reference"], processor=utils.default_process)
            for r in rows
        ],
        "tfidf": [float(c) for c in cosine],
    }

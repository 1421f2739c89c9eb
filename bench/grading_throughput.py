"""Grading throughput on one core, against a naive baseline in the same run.

    .venv/bin/python bench/grading_throughput.py [--answers N] [--round K] [--answers-from FILE]

Answers are the development-set answers (typical chat answers: terse to rambling, lists,
code, typos), cycled over their own questions until N gradings have run. The grader runs
twice: a first pass over every distinct answer (cold word caches, as right after start-up)
and a timed steady-state pass, timed in CPU seconds of this process (so other jobs on a
shared machine do not count against it). ``--round K`` also passes K earlier answers to the same
question as ``round_answers``, so the near-copy check runs as it would in a busy round.
Two naive baselines run on the same work: ``bot.grading.simple.grade_simple``, the plain
stem-overlap grader the project started with (it stems every word afresh), and rapidfuzz
``token_set_ratio`` against the model answer (one C call, no rubric, no feedback).
``--answers-from`` takes the answers from another labelled file (the holdout set's answers
are about twice as long); only their text is used here, never their labels.

On a shared machine the clock varies from run to run; instructions do not. ``--grader-only``
runs just the grader (first pass, then ``--answers`` gradings) for an instruction counter:

    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python \
        bench/grading_throughput.py --grader-only --answers N

for N = 0 and N = 720: (difference of the two totals) / 720 is the instructions per
steady-state grading.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from bot.grading import grade_answer  # noqa: E402
from bot.grading.simple import grade_simple  # noqa: E402
from question_bank.loader import load_bank  # noqa: E402
from question_bank.schema import Question  # noqa: E402

DEVSET = ROOT / "bench" / "data" / "grading_devset.jsonl"
TARGET_PER_SECOND = 2000


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity on this platform)"


def timed(
    fn: Callable[[Question, str, list[str]], object],
    work: list[tuple[Question, str, list[str]]],
) -> float:
    # CPU time of this process, not wall time: on a shared machine other jobs on the same
    # core stretch the wall clock but not the work the grader does.
    start = time.process_time()
    for question, answer, earlier in work:
        fn(question, answer, earlier)
    return len(work) / (time.process_time() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--round", type=int, default=0, help="earlier answers per grading")
    parser.add_argument("--answers-from", type=Path, default=DEVSET, help="JSON lines file")
    parser.add_argument(
        "--grader-only", action="store_true", help="no baselines, no timing (for callgrind)"
    )
    args = parser.parse_args(argv)

    where = pin_to_one_core()
    bank = load_bank()
    text = args.answers_from.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line]
    rows = [r for r in rows if bank.get(r["question"]) is not None]
    by_question: dict[str, list[str]] = defaultdict(list)
    base: list[tuple[Question, str, list[str]]] = []
    for r in rows:
        earlier = by_question[r["question"]][-args.round :] if args.round else []
        base.append((bank.get(r["question"]), r["answer"], list(earlier)))
        by_question[r["question"]].append(r["answer"])
    work = [base[i % len(base)] for i in range(args.answers)]
    words = sum(len(a.split()) for _, a, _ in base) / len(base)

    def grader(q: Question, a: str, earlier: list[str]) -> object:
        return grade_answer(q, a, round_answers=earlier)

    def naive(q: Question, a: str, earlier: list[str]) -> object:
        return grade_simple(q, a, round_answers=earlier)

    def fuzzy(q: Question, a: str, earlier: list[str]) -> object:
        return fuzz.token_set_ratio(q.answer, a)

    if args.grader_only:
        for question, answer, earlier in [*base, *work]:
            grader(question, answer, earlier)
        print(f"{len(base)} + {len(work)} gradings")
        return 0
    cold = timed(grader, base)  # first sight of every answer: caches fill up
    grader_rate = timed(grader, work)
    naive_rate = timed(naive, work)
    fuzzy_rate = timed(fuzzy, work)
    print(f"{len(work)} gradings of {len(base)} distinct answers "
          f"(mean {words:.0f} words), round_answers={args.round}, {where}")
    print(f"grader, first pass (cold caches): {cold:8.0f} answers/s")
    print(f"grader, steady state:             {grader_rate:8.0f} answers/s")
    print(f"naive baseline (grade_simple):    {naive_rate:8.0f} answers/s")
    print(f"token_set_ratio baseline:         {fuzzy_rate:8.0f} answers/s")
    print(f"ratio grader / grade_simple:      {grader_rate / naive_rate:8.2f}")
    print(f"ratio grader / token_set_ratio:   {grader_rate / fuzzy_rate:8.3f}")
    status = "meets" if grader_rate >= TARGET_PER_SECOND else "MISSES"
    print(f"{status} the target of {TARGET_PER_SECOND} answers/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

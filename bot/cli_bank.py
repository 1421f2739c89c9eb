"""`mlq bank ...`: check, browse, count, export and batch-grade the question bank.

The bank is the built-in one plus the custom bank files named in ``MLQ_BANK_PATHS``
(an ``os.pathsep``-separated list of files or folders).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.quiz.show import expected_text, letter
from bot.text import plural
from question_bank import loader
from question_bank.loader import (
    BankError,
    QuestionBank,
    load_bank,
    load_single_file,
    validate_paths,
)
from question_bank.schema import (
    BUILTIN_BANK,
    SEED_QUESTION_COUNTS,
    TOPICS,
    Format,
    Kind,
    Option,
    Question,
    seed_refs,
)

BANK_PATHS_ENV = "MLQ_BANK_PATHS"
BUILTIN_DIR = loader.BUILTIN_DIR  # module-level so tests can point it at a fixture bank
PROMPT_WIDTH = 72

bank_app = typer.Typer(
    name="bank",
    help="Check, browse, count, export and batch-grade the question bank.",
    no_args_is_help=True,
    add_completion=False,
)


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def custom_bank_paths(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The custom bank files or folders named in MLQ_BANK_PATHS, in order."""
    raw = environ.get(BANK_PATHS_ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _load() -> QuestionBank:
    """The bank the bot would run with; a broken built-in bank stops the command."""
    try:
        bank = load_bank(custom_bank_paths(), builtin_dir=BUILTIN_DIR)
    except BankError as exc:
        for problem in exc.problems:
            _err(str(problem))
        _err("the built-in bank is broken; run `mlq bank validate` for every problem")
        raise typer.Exit(1) from None
    if bank.problems:
        _err(f"note: {plural(len(bank.problems), 'problem')} in the bank; see `mlq bank validate`")
    return bank


@bank_app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Bank files or folders; default: built-in bank + MLQ_BANK_PATHS."),
    ] = None,
) -> None:
    """Print every problem as `file:line: id: field: what is wrong`; fail if there is any."""
    # Explicit paths are checked alone; no paths means what the bot would load.
    bank = (
        validate_paths(paths)
        if paths
        else load_bank(custom_bank_paths(), builtin_dir=BUILTIN_DIR, strict=False)
    )
    for problem in bank.problems:
        typer.echo(str(problem))
    errors = sum(p.is_error for p in bank.problems)
    warnings = len(bank.problems) - errors
    _err(
        f"{plural(len(bank), 'question')} loaded; {plural(errors, 'error')}, "
        f"{plural(warnings, 'warning')}"
    )
    if bank.problems:
        raise typer.Exit(1)


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@bank_app.command("list")
def list_questions(
    topic: Annotated[str | None, typer.Option(help="Only this topic (a slug).")] = None,
    difficulty: Annotated[
        int | None, typer.Option(min=1, max=3, help="Only this difficulty (1-3).")
    ] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only this kind.")] = None,
    bank: Annotated[
        str | None, typer.Option(help="Only this bank (builtin or a custom one).")
    ] = None,
) -> None:
    """One line per question: id, topic, difficulty, kind and the start of the prompt."""
    loaded = _load()
    if topic is not None and topic not in loaded.topics():
        close = difflib.get_close_matches(topic, loaded.topics(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        _err(f"no topic {topic!r}{hint}; topics: {', '.join(loaded.topics())}")
        raise typer.Exit(1)
    rows = [
        q
        for q in loaded
        if (topic is None or q.topic == topic)
        and (difficulty is None or q.difficulty == difficulty)
        and (kind is None or q.kind == kind)
        and (bank is None or q.bank == bank)
    ]
    if not rows:
        _err("no question matches")
        return
    id_width = max(len(q.qualified_id) for q in rows)
    topic_width = max(len(q.topic) for q in rows)
    for q in rows:
        typer.echo(
            f"{q.qualified_id:<{id_width}}  {q.topic:<{topic_width}}  {q.difficulty}  "
            f"{q.kind.value:<11}  {_one_line(q.prompt, PROMPT_WIDTH)}"
        )


@bank_app.command()
def show(
    question_id: Annotated[str, typer.Argument(help="A question id (custom: bank:id).")],
) -> None:
    """Everything about one question: prompt, model answer, key points, follow-ups, sources."""
    loaded = _load()
    question = loaded.get(question_id)
    if question is None:
        # A bare id of a custom entry is fine when only one bank has it.
        matches = [q for q in loaded if q.id == question_id]
        if len(matches) == 1:
            question = matches[0]
    if question is None:
        close = difflib.get_close_matches(question_id, list(loaded.questions), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        _err(f"no question {question_id!r}{hint}")
        raise typer.Exit(1)
    origin = loaded.origins.get(question.qualified_id)
    typer.echo(_render(question, f"{origin.file}:{origin.line}" if origin else None))


def _render(q: Question, where: str | None) -> str:
    lines = [
        f"{q.qualified_id}  ({q.topic_title}, difficulty {q.difficulty}, {q.kind.value})",
    ]
    if where:
        lines.append(f"defined at {where}")
    lines += ["", "Prompt:", q.prompt.strip()]
    lines += quiz_lines(q)
    lines += ["", "Model answer:", q.answer.strip()]
    if q.key_points:
        lines += ["", "Key points:"]
        for point in q.key_points:
            extra = f"  (or: {'; '.join(point.alternatives)})" if point.alternatives else ""
            lines.append(f"  - {point.text}{extra}")
    for title, values in (
        ("Follow-ups", q.follow_ups),
        ("Tags", q.tags),
        ("Sources", q.sources),
        ("References", q.references),
    ):
        if values:
            lines += ["", f"{title}:", *(f"  - {v}" for v in values)]
    if q.variant_of:
        lines += ["", f"Variant of: {q.variant_of}"]
    return "\n".join(lines)


def option_line(index: int, option: Option) -> str:
    """An option as the console shows it: its letter, a tick on the right ones, its why."""
    mark = "(correct)" if option.correct else "(wrong)"
    return f"{letter(index)}. {option.text} {mark}: {option.why}"


def quiz_lines(q: Question) -> list[str]:
    """The options (A/B/C) or the expected number of a quiz entry; nothing for open ones."""
    if q.options:
        several = " (select all that apply)" if len(q.correct_options) > 1 else ""
        return [
            "",
            f"Options{several}:",
            *(f"  {option_line(i, o)}" for i, o in enumerate(q.options)),
        ]
    if q.numeric is not None:
        return ["", f"Numeric answer: {expected_text(q.numeric)}"]
    return []


def seed_coverage(questions: Iterable[Question]) -> dict[str, dict[int, list[str]]]:
    """For each seed file, each of its question numbers and the entries that cover it."""
    coverage: dict[str, dict[int, list[str]]] = {
        seed: {n: [] for n in range(1, total + 1)} for seed, total in SEED_QUESTION_COUNTS.items()
    }
    for q in questions:
        for seed, number in seed_refs(q):
            if number in coverage.get(seed, {}):
                coverage[seed][number].append(q.qualified_id)
    return coverage


def bank_stats(bank: QuestionBank) -> dict[str, Any]:
    by_topic: dict[str, Counter[int]] = defaultdict(Counter)
    for q in bank:
        by_topic[q.topic][q.difficulty] += 1
    coverage = seed_coverage(q for q in bank if q.bank == BUILTIN_BANK)
    return {
        "questions": len(bank),
        "by_bank": dict(sorted(Counter(q.bank for q in bank).items())),
        "by_topic": {
            t: {"total": sum(c.values()), **{str(d): c[d] for d in (1, 2, 3)}}
            for t, c in sorted(by_topic.items())
        },
        "by_difficulty": {str(d): sum(q.difficulty == d for q in bank) for d in (1, 2, 3)},
        "by_kind": {k.value: sum(q.kind == k for q in bank) for k in Kind},
        "by_format": {f.value: sum(q.format == f for q in bank) for f in Format},
        "seed_coverage": {
            seed: {
                "total": len(numbers),
                "covered": sum(bool(ids) for ids in numbers.values()),
                "missing": [n for n, ids in numbers.items() if not ids],
            }
            for seed, numbers in coverage.items()
        },
    }


@bank_app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Counts by topic, difficulty and kind, and which seed questions the bank covers."""
    figures = bank_stats(_load())
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    out = [f"{figures['questions']} questions"]
    out += [f"  bank {name}: {n}" for name, n in figures["by_bank"].items()]
    width = max((len(t) for t in figures["by_topic"]), default=5)
    out += ["", f"{'topic':<{width}}  total  d1  d2  d3"]
    for t, row in figures["by_topic"].items():
        unknown = "" if t in TOPICS else "  (custom topic)"
        out.append(
            f"{t:<{width}}  {row['total']:>5}  {row['1']:>2}  {row['2']:>2}  {row['3']:>2}{unknown}"
        )
    out += [
        "",
        "by difficulty: " + ", ".join(f"{d}: {n}" for d, n in figures["by_difficulty"].items()),
    ]
    out += ["by kind: " + ", ".join(f"{k}: {n}" for k, n in figures["by_kind"].items())]
    quiz = sum(n for f, n in figures["by_format"].items() if f != Format.OPEN)
    out += [
        "by format: "
        + ", ".join(f"{f}: {n}" for f, n in figures["by_format"].items())
        + f" (quiz: {quiz})"
    ]
    out += ["", "seed coverage (from `sources`):"]
    for seed, row in figures["seed_coverage"].items():
        missing = ", ".join(map(str, row["missing"])) or "none"
        out.append(f"  {seed}: {row['covered']}/{row['total']} covered; missing: {missing}")
    typer.echo("\n".join(out))


def entry_dict(q: Question) -> dict[str, Any]:
    """Every field of an entry, plus the qualified id the bot stores."""
    return {"qualified_id": q.qualified_id, **q.model_dump(mode="json")}


CSV_COLUMNS = (
    "qualified_id", "bank", "id", "topic", "difficulty", "kind", "prompt", "answer",
    "key_points", "follow_ups", "tags", "sources", "references", "variant_of",
    "format", "options", "numeric",
)  # fmt: skip


def _csv_text(bank: QuestionBank) -> str:
    # A spreadsheet is for reading, so list cells hold one item per line and a key
    # point's alternatives follow it in brackets; JSON is the lossless format.
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for q in bank:
        row = entry_dict(q)
        row["key_points"] = "\n".join(
            p.text + (f" [or: {'; '.join(p.alternatives)}]" if p.alternatives else "")
            for p in q.key_points
        )
        for name in ("follow_ups", "tags", "sources", "references"):
            row[name] = "\n".join(row[name])
        row["variant_of"] = row["variant_of"] or ""
        row["options"] = "\n".join(option_line(i, o) for i, o in enumerate(q.options))
        row["numeric"] = expected_text(q.numeric) if q.numeric else ""
        writer.writerow({c: row[c] for c in CSV_COLUMNS})
    return buffer.getvalue()


@bank_app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json or csv.")] = (
        ExportFormat.JSON
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The whole bank: JSON (a list of entries with every field) or CSV."""
    bank = _load()
    if fmt is ExportFormat.JSON:
        text = json.dumps([entry_dict(q) for q in bank], indent=2, ensure_ascii=False) + "\n"
    else:
        text = _csv_text(bank)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err(f"wrote {len(bank)} entries to {output}")


@bank_app.command()
def grade(
    bank_file: Annotated[
        Path | None,
        typer.Option("--bank", help="Take the questions from this bank file instead."),
    ] = None,
) -> None:
    """Grade JSON lines {"question": ID, "answer": TEXT} from stdin, one JSON line out each."""
    if bank_file is not None:
        bank = load_single_file(bank_file)
        for problem in bank.problems:
            _err(str(problem))
        if not len(bank):
            _err(f"{bank_file}: no usable questions")
            raise typer.Exit(1)
    else:
        bank = _load()
    from bot.grading.batch import grade_lines  # the grader is heavy; only this command needs it

    lines = (line.rstrip("\r\n") for line in sys.stdin)
    for out in grade_lines(lines, bank):
        typer.echo(out.rstrip("\n"))
        sys.stdout.flush()  # one answer in, one verdict out, even in a pipeline


def _database(database: str | None) -> str:
    """The database to read: ``--database``, else the bot's own (MLQ_DATABASE_URL)."""
    if database:
        return database
    from bot.config import SettingsError, load_settings

    try:
        return load_settings().database_url
    except SettingsError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None


def _read(database: str | None, read: Any) -> list[str]:
    import asyncio

    from storage import Database

    async def run() -> list[str]:
        db = Database(_database(database))
        try:
            return await read(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except Exception as exc:  # a missing or unmigrated database: one line, not a traceback
        _err(f"could not read the database: {type(exc).__name__}: {exc}"[:300])
        raise typer.Exit(1) from None


DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: MLQ_DATABASE_URL, as the bot)."),
]


@bank_app.command("export-feedback")
def export_feedback(
    database: DatabaseOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """JSON lines per question: accepted and rejected answers and resolved disputes (text
    only, no user ids), to improve a custom bank or send fixes upstream."""
    from bot.disputes.export import feedback_lines

    bank = _load()
    lines = _read(database, lambda db: feedback_lines(db, bank))
    text = "".join(line + "\n" for line in lines)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err(f"wrote {plural(len(lines), 'question')} to {output}")


@bank_app.command("reports")
def reports(database: DatabaseOption = None) -> None:
    """Questions people reported (`/mlq report`), most reported first, for maintainers."""
    from bot.disputes.export import report_lines

    bank = _load()
    lines = _read(database, lambda db: report_lines(db, bank))
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no question has been reported")

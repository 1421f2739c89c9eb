"""Reads bank files and reports every problem as ``file:line: id: field: what is wrong``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from question_bank.schema import Question

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "data"
BANK_SUFFIXES = {".yaml", ".yml", ".json"}


@dataclass(frozen=True)
class BankProblem:
    file: str
    line: int
    entry_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.entry_id}: {self.field}: {self.message}"


class BankError(Exception):
    def __init__(self, problems: Sequence[BankProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class QuestionBank:
    """All loaded questions, by qualified id, in a stable order."""

    questions: dict[str, Question] = field(default_factory=dict)
    problems: list[BankProblem] = field(default_factory=list)

    def get(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self):
        return iter(self.questions.values())

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions.values()})

    def banks(self) -> list[str]:
        return sorted({q.bank for q in self.questions.values()})


def _entry_lines(node: yaml.Node) -> list[tuple[int, dict[str, int]]]:
    """For each list item: its first line and the line of each of its keys (1-based)."""
    result: list[tuple[int, dict[str, int]]] = []
    if not isinstance(node, yaml.SequenceNode):
        return result
    for item in node.value:
        keys: dict[str, int] = {}
        if isinstance(item, yaml.MappingNode):
            for key_node, _ in item.value:
                keys[str(key_node.value)] = key_node.start_mark.line + 1
        result.append((item.start_mark.line + 1, keys))
    return result


def parse_bank_file(path: Path, bank: str = "builtin") -> tuple[list[Question], list[BankProblem]]:
    """Parse one file; never raises for bad content, returns the problems instead."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [BankProblem(name, 0, "-", "file", f"cannot be read: {exc}")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        return [], [BankProblem(name, line, "-", "file", f"is not valid YAML: {reason}")]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [BankProblem(name, 1, "-", "file", "must be a list of entries")]

    lines = _entry_lines(node)
    questions: list[Question] = []
    problems: list[BankProblem] = []
    for index, raw in enumerate(data):
        line, key_lines = lines[index] if index < len(lines) else (0, {})
        if not isinstance(raw, dict):
            problems.append(BankProblem(name, line, f"#{index + 1}", "entry", "must be a mapping"))
            continue
        entry_id = str(raw.get("id") or f"#{index + 1}")
        try:
            questions.append(Question.model_validate({**raw, "bank": bank}))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(part) for part in err["loc"]]
                top = loc[0] if loc else "entry"
                where = ".".join(loc) if loc else "entry"
                message = err["msg"].removeprefix("Value error, ")
                problems.append(
                    BankProblem(name, key_lines.get(top, line), entry_id, where, message)
                )
    return questions, problems


def bank_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in BANK_SUFFIXES)
    return [path]


def load_bank(
    custom_paths: Iterable[Path] = (),
    *,
    builtin_dir: Path | None = BUILTIN_DIR,
) -> QuestionBank:
    """Load the built-in bank, then each custom path.

    A broken built-in file is a bug and raises. A broken custom file is reported and
    skipped, so one team's typo never takes the built-in questions down with it.
    """
    bank = QuestionBank()
    if builtin_dir is not None:
        problems = _add_files(bank, bank_files(builtin_dir), "builtin")
        if problems:
            raise BankError(problems)
    for path in custom_paths:
        namespace = path.stem if path.is_file() else path.name
        problems = _add_files(bank, bank_files(path), namespace, atomic=True)
        for problem in problems:
            log.error("custom bank skipped: %s", problem)
        bank.problems.extend(problems)
    return bank


def _add_files(
    bank: QuestionBank, files: Sequence[Path], namespace: str, *, atomic: bool = False
) -> list[BankProblem]:
    all_problems: list[BankProblem] = []
    for path in files:
        if not path.exists():
            all_problems.append(BankProblem(str(path), 0, "-", "file", "does not exist"))
            continue
        questions, problems = parse_bank_file(path, namespace)
        seen: set[str] = set()
        for question in questions:
            qid = question.qualified_id
            if qid in bank.questions or qid in seen:
                problems.append(BankProblem(str(path), 0, question.id, "id", "is used twice"))
            seen.add(qid)
        all_problems.extend(problems)
        if problems and atomic:
            continue
        for question in questions:
            bank.questions.setdefault(question.qualified_id, question)
    return all_problems

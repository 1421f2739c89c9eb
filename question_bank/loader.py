"""Reads bank files and reports every problem as ``file:line: id: field: what is wrong``.

Two kinds of problem: errors (the entry or file cannot be used: bad YAML, a missing or
mistyped field, a duplicate id, an unknown built-in topic) and warnings (the bank works but
should be fixed: near-duplicate prompts, two entries about the same thing in other words,
a dangling ``variant_of``). At start-up a built-in error raises, a custom file with an
error is skipped, and warnings are only logged; ``mlq bank validate`` prints both and
fails on either.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rapidfuzz import fuzz, process, utils

from question_bank.duplicates import SEMANTIC_DUPLICATE_COSINE, similar_pairs
from question_bank.schema import (
    BUILTIN_BANK,
    BUILTIN_MAX_CHARS,
    MAX_FOLLOW_UPS,
    MAX_KEY_POINTS,
    MIN_KEY_POINTS,
    SEED_QUESTION_COUNTS,
    TOPICS,
    Format,
    KeyPoint,
    Kind,
    NumericAnswer,
    Option,
    Question,
    as_slug,
    seed_refs,
)

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "data"
BANK_SUFFIXES = {".yaml", ".yml", ".json"}
NEAR_DUPLICATE_RATIO = 90  # rapidfuzz ratio (0-100) from which two prompts count as the same
ERROR, WARNING = "error", "warning"
# How close (difflib's ratio) a custom topic must be to a built-in one to be taken for a typo.
TOPIC_TYPO_RATIO = 0.85

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class BankProblem:
    file: str
    line: int
    entry_id: str
    field: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.entry_id}: {self.field}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class BankError(Exception):
    def __init__(self, problems: Sequence[BankProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Origin:
    """Where an entry was written: its file, its first line and the line of each key."""

    file: str
    line: int
    key_lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        # "key_points.2" is reported at its field's line when the item's own is not known.
        return self.key_lines.get(key, self.key_lines.get(key.split(".")[0], self.line))

    def problem(self, entry_id: str, key: str, message: str, severity: str = ERROR) -> BankProblem:
        """A problem with one field of this entry, at that field's line."""
        return BankProblem(self.file, self.line_of(key), entry_id, key, message, severity)


@dataclass
class QuestionBank:
    """All loaded questions, by qualified id, in a stable order."""

    questions: dict[str, Question] = field(default_factory=dict)
    problems: list[BankProblem] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)

    def get(self, question_id: str) -> Question | None:
        found = self.questions.get(question_id)
        if found is None and isinstance(question_id, str):
            # As a team wrote it ("team:Q3") rather than as it is known ("team:q3").
            found = self.questions.get(":".join(as_slug(part) for part in question_id.split(":")))
        return found

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions.values())

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.questions

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions.values()})

    def banks(self) -> list[str]:
        return sorted({q.bank for q in self.questions.values()})

    def _add(self, key: str, question: Question, origin: Origin) -> None:
        self.questions[key] = question
        self.origins[key] = origin


# --- reading one file -----------------------------------------------------------------


def display_name(path: Path) -> str:
    """A path as a person wants to see it in a message: relative to here when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    finally:
        loader.dispose()


def _syntax_problem(name: str, path: Path, text: str, exc: yaml.YAMLError) -> BankProblem:
    if path.suffix == ".json":
        # A JSON file gets JSON's own diagnosis, which names the real mistake.
        try:
            json.loads(text)
        except json.JSONDecodeError as jexc:
            return BankProblem(name, jexc.lineno, "-", "file", f"is not valid JSON: {jexc.msg}")
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else 0
    reason = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        # e.g. an unclosed quote: the error shows at the end, the cause is where it opened
        reason = f"{reason} ({context} that starts on line {context_mark.line + 1})"
    elif context:
        reason = f"{reason} ({context})"
    return BankProblem(name, line, "-", "file", f"is not valid YAML: {reason}")


def _key_lines(item: yaml.Node) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Line of each key of a mapping node, and the keys that appear more than once."""
    lines: dict[str, int] = {}
    repeated: list[tuple[str, int]] = []
    if isinstance(item, yaml.MappingNode):
        for key_node, _ in item.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in lines:
                repeated.append((key, line))
            else:
                lines[key] = line
    return lines, repeated


def _locate(node: yaml.Node, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest node on a pydantic error path that exists in the file."""
    line: int | None = None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value) == str(part):
                    line = key_node.start_mark.line + 1
                    child = value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


_TYPE_NAMES = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "dict": "a mapping",
    "NoneType": "nothing",
}
_FIELDS = tuple(Question.model_fields)
_WRITABLE_FIELDS = tuple(f for f in _FIELDS if f != "bank")
# Fields of the mappings nested in an entry, for "did you mean" on a misspelt one.
_NESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "key_points": tuple(KeyPoint.model_fields),
    "options": tuple(Option.model_fields),
    "numeric": tuple(NumericAnswer.model_fields),
}


def _got(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = repr(value)
        return shown if len(shown) <= 40 else shown[:36] + "...'"
    return _TYPE_NAMES.get(type(value).__name__, type(value).__name__)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe_error(error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into what a person editing the file needs to know."""
    kind = error["type"]
    loc = error.get("loc") or ()
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = str(loc[-1]) if loc else "entry"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        allowed = _NESTED_FIELDS.get(str(loc[0]) if loc else "", _WRITABLE_FIELDS)
        return f"is not a known field{_did_you_mean(name, allowed)}; known: {', '.join(allowed)}"
    if name == "difficulty" and kind in {
        "less_than_equal",
        "greater_than_equal",
        "int_parsing",
        "int_from_float",
        "int_type",
    }:
        return f"must be 1 (easy), 2 (medium) or 3 (hard), got {_got(value)}"
    if kind == "enum":
        choices = Format if name == "format" else Kind
        return f"must be one of {', '.join(k.value for k in choices)}, got {_got(value)}"
    if kind == "string_type":
        return f"should be text, got {_got(value)}"
    if kind in {"tuple_type", "list_type"}:
        return f"should be a list, got {_got(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"should be a whole number, got {_got(value)}"
    if kind == "model_type":
        return f"should be text or a mapping with text and alternatives, got {_got(value)}"
    if kind == "string_too_short":
        return f"is too short ({len(value)} characters, at least {ctx['min_length']})"
    if kind == "string_too_long":
        return f"is too long ({len(value)} characters, at most {ctx['max_length']})"
    if kind == "too_long":
        limit = ctx.get("max_length", MAX_FOLLOW_UPS)
        return f"has {ctx.get('actual_length', '?')} entries, at most {limit}"
    return str(error["msg"]).removeprefix("Value error, ")


@dataclass
class _ParsedFile:
    name: str
    entries: list[tuple[Question, Origin]] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)


def _parse(path: Path, bank: str) -> _ParsedFile:
    name = display_name(path)
    parsed = _ParsedFile(name)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        parsed.problems.append(BankProblem(name, 0, "-", "file", f"cannot be read: {reason}"))
        return parsed
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.problems.append(_not_utf8(name, raw_bytes, exc))
        return parsed
    if path.suffix == ".json":
        # JSON is YAML except that YAML forbids tabs as indentation; in valid JSON a tab
        # can only be whitespace (inside strings it must be escaped), so this is safe.
        text = text.replace("\t", " ")
    try:
        root, data = _compose(text)
    except yaml.YAMLError as exc:
        parsed.problems.append(_syntax_problem(name, path, text, exc))
        return parsed
    if data is None:  # empty, or comments only: most likely not the file meant
        parsed.problems.append(
            BankProblem(name, 1, "-", "file", "has no entries (it is empty)", WARNING)
        )
        return parsed
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        parsed.problems.append(
            BankProblem(name, 1, "-", "file", f"must be a list of entries, got {_got(data)}")
        )
        return parsed

    for index, (raw, item) in enumerate(zip(data, root.value, strict=True)):
        line = item.start_mark.line + 1
        if not isinstance(raw, dict):
            parsed.problems.append(
                BankProblem(
                    name, line, f"#{index + 1}", "entry", f"must be a mapping, got {_got(raw)}"
                )
            )
            continue
        raw_id = raw.get("id")
        entry_id = (
            str(raw_id) if isinstance(raw_id, str | int) and raw_id != "" else f"#{index + 1}"
        )
        key_lines, repeated = _key_lines(item)
        origin = Origin(name, line, key_lines)
        bad = False
        for key, key_line in repeated:
            bad = True
            parsed.problems.append(
                BankProblem(name, key_line, entry_id, key, "appears twice in this entry")
            )
        fields = dict(raw)
        if "bank" in fields:
            del fields["bank"]
            bad = True
            parsed.problems.append(
                origin.problem(entry_id, "bank", "is set from the file name, not in the file")
            )
        try:
            question = Question.model_validate({**fields, "bank": bank})
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                where = ".".join(str(part) for part in loc) if loc else "entry"
                found = _locate(item, loc) if loc else None
                parsed.problems.append(
                    BankProblem(name, found or line, entry_id, where, describe_error(err))
                )
            continue
        if isinstance(raw_id, str | int) and str(raw_id).strip() != question.id:
            builtin = bank == BUILTIN_BANK
            bad = bad or builtin
            parsed.problems.append(
                origin.problem(
                    entry_id,
                    "id",
                    f"is known as {question.id!r}: ids are lowercase letters, digits and "
                    "hyphens (either spelling finds it)",
                    ERROR if builtin else WARNING,
                )
            )
        if not bad:
            parsed.entries.append((question, origin))
    return parsed


_KEY_AT_START = re.compile(r"^\s*(?:-\s+)?([A-Za-z_]+)\s*:")


def _not_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> BankProblem:
    """Where the first byte that is not UTF-8 is, as an editor counts: line and column,
    and the field whose line it is on."""
    start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    before = data[start : exc.start].decode("utf-8", errors="replace")
    key = _KEY_AT_START.match(before)
    return BankProblem(
        name,
        line,
        "-",
        key.group(1) if key else "file",
        f"is not UTF-8: byte {data[exc.start]:#04x} at column {len(before) + 1}; save it as UTF-8",
    )


def parse_bank_file(
    path: Path, bank: str = BUILTIN_BANK
) -> tuple[list[Question], list[BankProblem]]:
    """Parse one file on its own; never raises for bad content, returns the problems instead."""
    parsed = _parse(Path(path), bank)
    return [question for question, _ in parsed.entries], parsed.problems


# --- loading banks --------------------------------------------------------------------


def bank_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in BANK_SUFFIXES and p.is_file())
    return [path]


def bank_name(path: Path) -> str:
    """A custom bank's namespace: the file's stem (or the folder's name), as a slug."""
    return as_slug(path.name if path.is_dir() else path.stem)


def _entry_checks(question: Question, origin: Origin, *, builtin: bool) -> list[BankProblem]:
    """Checks one entry can only fail inside a bank: built-in topics and seed references.
    A custom bank may bring topics of its own; one a typo away from a built-in topic is
    most likely that topic, misspelt, so it is a warning."""
    if not builtin:
        close = difflib.get_close_matches(question.topic, TOPICS, n=1, cutoff=TOPIC_TYPO_RATIO)
        if question.topic in TOPICS or not close:
            return []
        message = (
            f"{question.topic!r} is not a built-in topic (did you mean {close[0]!r}?); "
            "fix it, or keep it as a new topic of this bank"
        )
        return [origin.problem(question.id, "topic", message, WARNING)]
    problems = []
    count = len(question.key_points)
    if count and not MIN_KEY_POINTS <= count <= MAX_KEY_POINTS:
        problems.append(
            origin.problem(
                question.id,
                "key_points",
                f"has {count} entries; a built-in question gives {MIN_KEY_POINTS} to "
                f"{MAX_KEY_POINTS}",
            )
        )
    lengths = [("prompt", "prompt", question.prompt), ("answer", "answer", question.answer)]
    lengths += [
        (f"key_points.{i}", "key point", text)
        for i, point in enumerate(question.key_points)
        for text in (point.text, *point.alternatives)
    ]
    for field_name, what, text in lengths:
        limit = BUILTIN_MAX_CHARS[what]
        if len(text) > limit:
            problems.append(
                origin.problem(
                    question.id,
                    field_name,
                    f"is {len(text)} characters; a built-in {what} keeps to {limit}",
                )
            )
    if question.topic not in TOPICS:
        hint = _did_you_mean(question.topic, TOPICS)
        problems.append(
            origin.problem(
                question.id,
                "topic",
                f"{question.topic!r} is not a built-in topic{hint}; known: {', '.join(TOPICS)}",
            )
        )
    for seed, number in seed_refs(question):
        total = SEED_QUESTION_COUNTS.get(seed)
        if total is None:
            message = f"{seed!r} is not a seed file; known: {', '.join(SEED_QUESTION_COUNTS)}"
        elif not 1 <= number <= total:
            message = f"{seed} has questions 1-{total}, not {number}"
        else:
            continue
        problems.append(origin.problem(question.id, "sources", message))
    return problems


def _load_group(
    bank: QuestionBank,
    files: Sequence[Path],
    namespace: str,
    *,
    builtin: bool,
    skip_broken: bool,
    semantic: bool = True,
) -> list[BankProblem]:
    """Add files that share one namespace; a file with errors is skipped if ``skip_broken``.
    ``semantic`` runs the TF-IDF duplicate check (a few tenths of a second per bank)."""
    problems: list[BankProblem] = []
    added: list[str] = []
    for path in files:
        if not path.exists():
            problems.append(BankProblem(display_name(path), 0, "-", "file", "does not exist"))
            continue
        parsed = _parse(path, namespace)
        file_problems = list(parsed.problems)
        accepted: dict[str, tuple[Question, Origin]] = {}
        for question, origin in parsed.entries:
            key = question.qualified_id
            first = bank.origins.get(key) or (accepted[key][1] if key in accepted else None)
            if first is not None:
                file_problems.append(_duplicate(question, origin, first))
                continue
            file_problems.extend(_entry_checks(question, origin, builtin=builtin))
            accepted[key] = (question, origin)
        problems.extend(file_problems)
        if skip_broken and any(p.is_error for p in file_problems):
            continue
        for key, (question, origin) in accepted.items():
            bank._add(key, question, origin)
            added.append(key)
    problems.extend(_check_variants(bank, added))
    problems.extend(_near_duplicates(bank, namespace, set(added)))
    if semantic:
        problems.extend(_semantic_duplicates(bank, namespace, set(added)))
    return problems


def _duplicate(question: Question, origin: Origin, first: Origin) -> BankProblem:
    where = f"{first.file}:{first.line_of('id')}"
    return origin.problem(question.id, "id", f"is already used at {where}")


def _check_variants(bank: QuestionBank, keys: Iterable[str]) -> list[BankProblem]:
    problems = []
    for key in keys:
        question = bank.questions[key]
        target = question.variant_of
        if target is None:
            continue
        origin = bank.origins[key]
        if target == question.id:
            message = "names the entry itself"
        elif _variant_target(bank, question) is None:
            message = f"names {target!r}, which is not in the bank"
        else:
            continue
        problems.append(origin.problem(question.id, "variant_of", message, WARNING))
    return problems


def _variant_target(bank: QuestionBank, question: Question) -> Question | None:
    # A custom entry may be a variant of one in its own bank or of a built-in one.
    if question.variant_of is None:
        return None
    target = question.variant_of
    own = target if question.bank == BUILTIN_BANK else f"{question.bank}:{target}"
    return bank.get(own) or bank.get(target)


def _is_variant_pair(bank: QuestionBank, a: Question, b: Question) -> bool:
    return _variant_target(bank, a) is b or _variant_target(bank, b) is a


def _near_duplicates(bank: QuestionBank, namespace: str, new: set[str]) -> list[BankProblem]:
    """New prompts that nearly repeat an earlier one of the same bank (unless variants)."""
    keys = [k for k, q in bank.questions.items() if q.bank == namespace]
    prompts = [utils.default_process(bank.questions[k].prompt) for k in keys]
    # Variant pairs, by index both ways: found once, not checked for every match.
    index = {id(bank.questions[k]): i for i, k in enumerate(keys)}
    partners: dict[int, set[int]] = {}
    for i, key in enumerate(keys):
        target = _variant_target(bank, bank.questions[key])
        if target is not None and id(target) in index:
            j = index[id(target)]
            partners.setdefault(i, set()).add(j)
            partners.setdefault(j, set()).add(i)
    problems = []
    for i, key in enumerate(keys):
        if key not in new:
            continue
        # Compare with the earlier entries only, so each pair is reported once, on the later.
        matches = process.extract(
            prompts[i],
            prompts[:i],
            scorer=fuzz.ratio,
            score_cutoff=NEAR_DUPLICATE_RATIO,
            limit=None,
        )
        question, origin = bank.questions[key], bank.origins[key]
        # Once per entry, against the closest (extract sorts by score): a warning per pair
        # grows with the square of a templated file, to millions of lines.
        found = [(score, j) for _, score, j in matches if j not in partners.get(i, ())]
        if not found:
            continue
        score, j = found[0]
        other, where = bank.questions[keys[j]], bank.origins[keys[j]]
        problems.append(
            origin.problem(
                question.id,
                "prompt",
                f"is a near-duplicate of {other.id} ({where.file}:{where.line_of('prompt')},"
                f" similarity {score:.0f}){_and_more(len(found) - 1)}; reword it or set"
                f" variant_of: {other.id}",
                WARNING,
            )
        )
    return problems


def _and_more(count: int) -> str:
    return f" and {count} more" if count else ""


def _semantic_duplicates(bank: QuestionBank, namespace: str, new: set[str]) -> list[BankProblem]:
    """New entries that ask and answer what an earlier one of the bank does, in other words.

    Reported on the later entry, like near-duplicate prompts; a pair whose prompts are
    already a near-duplicate is left to that warning, and marked variants are accepted.
    """
    if not new:
        return []
    keys = [k for k, q in bank.questions.items() if q.bank == namespace]
    texts = [f"{bank.questions[k].prompt}\n{bank.questions[k].answer}" for k in keys]
    # Each later entry's earlier matches, closest first; reported once per entry, as
    # near-duplicate prompts are.
    matches: dict[int, list[tuple[float, int]]] = {}
    for i, j, cosine in similar_pairs(texts):
        if keys[j] not in new:
            continue
        question, other = bank.questions[keys[j]], bank.questions[keys[i]]
        prompt_ratio = fuzz.ratio(question.prompt, other.prompt, processor=utils.default_process)
        if _is_variant_pair(bank, question, other) or prompt_ratio >= NEAR_DUPLICATE_RATIO:
            continue
        matches.setdefault(j, []).append((cosine, i))
    problems = []
    for j, found in matches.items():
        cosine, i = max(found, key=lambda pair: (pair[0], -pair[1]))
        question, other = bank.questions[keys[j]], bank.questions[keys[i]]
        where = bank.origins[keys[i]]
        problems.append(
            bank.origins[keys[j]].problem(
                question.id,
                "prompt",
                f"covers the same ground as {other.id} ({where.file}:{where.line_of('prompt')},"
                f" TF-IDF cosine of prompt and answer {cosine:.2f}, limit"
                f" {SEMANTIC_DUPLICATE_COSINE}){_and_more(len(found) - 1)}; ask something"
                f" different, merge them or set variant_of: {other.id}",
                WARNING,
            )
        )
    return problems


def _is_builtin_path(path: Path) -> bool:
    return path.resolve().is_relative_to(BUILTIN_DIR.resolve())


def _unique(paths: Iterable[Path | str]) -> list[Path]:
    seen: set[Path] = set()
    result = []
    for raw in paths:
        path = Path(raw).expanduser()
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            result.append(path)
    return result


def _add_custom(bank: QuestionBank, path: Path) -> list[BankProblem]:
    namespace = bank_name(path)
    if not namespace or namespace == BUILTIN_BANK:
        return [
            BankProblem(
                display_name(path),
                0,
                "-",
                "file",
                f"{namespace or path.name!r} cannot be a bank name; rename the file",
            )
        ]
    files = bank_files(path)
    if path.is_dir() and not files:
        return [
            BankProblem(
                display_name(path),
                0,
                "-",
                "file",
                "contains no .yaml, .yml or .json files",
                WARNING,
            )
        ]
    return _load_group(bank, files, namespace, builtin=False, skip_broken=True)


def load_bank(
    custom_paths: Iterable[Path | str] = (),
    *,
    builtin_dir: Path | None = BUILTIN_DIR,
    strict: bool = True,
) -> QuestionBank:
    """Load the built-in bank, then each custom path (a file or a folder of files).

    A broken built-in file is a bug and raises ``BankError`` (unless ``strict`` is false,
    for validation, which wants every problem). A broken custom file is reported in
    ``bank.problems``, logged and skipped, so one team's typo never takes the built-in
    questions down with it. Warnings never stop loading.
    """
    bank = QuestionBank()
    if builtin_dir is not None:
        # The shipped bank's duplicates are checked by its tests (validate_paths), not again
        # at every start; a non-strict load is a validation and checks everything.
        problems = _load_group(
            bank,
            bank_files(builtin_dir),
            BUILTIN_BANK,
            builtin=True,
            skip_broken=False,
            semantic=not strict or builtin_dir != BUILTIN_DIR,
        )
        errors = [p for p in problems if p.is_error]
        if errors and strict:
            raise BankError(errors)
        bank.problems.extend(problems)
    for path in _unique(custom_paths):
        bank.problems.extend(_add_custom(bank, path))
    if strict:
        _log_problems(bank.problems)
    return bank


def _log_problems(problems: Sequence[BankProblem]) -> None:
    """At start-up, say which custom files were skipped and why, one line per file."""
    by_file: dict[str, list[BankProblem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    for name, found in by_file.items():
        errors = [p for p in found if p.is_error]
        if errors:
            log.error(
                "custom bank file %s skipped, %d error(s): %s",
                name,
                len(errors),
                " | ".join(str(p) for p in errors),
            )
        for problem in found:
            if not problem.is_error:
                log.warning("bank: %s", problem)


def validate_paths(paths: Iterable[Path | str]) -> QuestionBank:
    """Load exactly these paths the way start-up would and collect every problem.

    Paths inside the built-in data folder are checked as built-in files (known topics,
    seed references); anything else as a custom bank named after its file.
    """
    bank = QuestionBank()
    unique = _unique(paths)
    builtin_files = [f for p in unique if _is_builtin_path(p) for f in bank_files(p)]
    if builtin_files:
        bank.problems.extend(
            _load_group(bank, builtin_files, BUILTIN_BANK, builtin=True, skip_broken=False)
        )
    for path in unique:
        if not _is_builtin_path(path):
            bank.problems.extend(_add_custom(bank, path))
    return bank


def load_single_file(path: Path | str) -> QuestionBank:
    """One bank file on its own, its entries addressed by their bare ids.

    For tools that work on one file (``mlq bank grade --bank FILE``): with no other bank
    loaded there is nothing to clash with, so no namespace prefix is needed.
    """
    path = Path(path)
    parsed = _parse(path, bank_name(path) or "file")
    bank = QuestionBank(problems=list(parsed.problems))
    for question, origin in parsed.entries:
        if question.id in bank.questions:
            first = bank.origins[question.id]
            bank.problems.append(_duplicate(question, origin, first))
            continue
        bank._add(question.id, question, origin)
    return bank

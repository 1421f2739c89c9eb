"""`mlq bank ...` commands, run through Typer's CliRunner against fixture banks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli_bank
from bot.cli_bank import bank_app
from question_bank import Question, load_bank
from question_bank.schema import SEED_QUESTION_COUNTS

BANKS = Path(__file__).parent / "data" / "banks"
FIXTURE_BUILTIN = BANKS / "builtin"
TEAM = BANKS / "team-good.yaml"

runner = CliRunner()


@pytest.fixture(autouse=True)
def fixture_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command sees the small fixture bank plus the team bank, not the shipped data."""
    monkeypatch.setattr(cli_bank, "BUILTIN_DIR", FIXTURE_BUILTIN)
    monkeypatch.setenv("MLQ_BANK_PATHS", str(TEAM))


def expected_bank():
    return load_bank([TEAM], builtin_dir=FIXTURE_BUILTIN)


def test_custom_bank_paths_split_on_pathsep(tmp_path: Path) -> None:
    env = {"MLQ_BANK_PATHS": f"{tmp_path / 'a.yaml'}:{tmp_path / 'b'}::"}
    assert cli_bank.custom_bank_paths(env) == [tmp_path / "a.yaml", tmp_path / "b"]
    assert cli_bank.custom_bank_paths({}) == []


def test_validate_without_paths_checks_builtin_and_env_banks() -> None:
    result = runner.invoke(bank_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert f"{len(expected_bank())} questions loaded; 0 errors, 0 warnings" in result.stderr


def test_validate_env_bank_with_problems_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLQ_BANK_PATHS", str(BANKS / "broken" / "bad-difficulty.yaml"))
    result = runner.invoke(bank_app, ["validate"])
    assert result.exit_code == 1
    assert "bad-difficulty.yaml:2: too-hard: difficulty: must be 1 (easy)" in result.stdout


def test_validate_paths_prints_every_problem_and_fails() -> None:
    broken = sorted((BANKS / "broken").iterdir())
    result = runner.invoke(bank_app, ["validate", *map(str, broken)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert {Path(line.split(":")[0]).name for line in lines} == {p.name for p in broken}
    assert all(len(line.split(": ", 3)) == 4 for line in lines)  # file:line: id: field: msg


def test_validate_reports_near_duplicates() -> None:
    result = runner.invoke(bank_app, ["validate", str(BANKS / "near-duplicates.yaml")])
    assert result.exit_code == 1
    assert "what-is-dropout-again: prompt: is a near-duplicate of what-is-dropout" in result.stdout
    assert "0 errors, 1 warning" in result.stderr


def test_validate_a_good_file_passes() -> None:
    result = runner.invoke(bank_app, ["validate", str(TEAM)])
    assert result.exit_code == 0
    assert result.stdout == ""


def test_list_filters_by_topic_difficulty_and_kind() -> None:
    everything = runner.invoke(bank_app, ["list"]).stdout.splitlines()
    assert len(everything) == len(expected_bank())
    rows = runner.invoke(bank_app, ["list", "--topic", "fundamentals"]).stdout.splitlines()
    assert sorted(r.split()[0] for r in rows) == ["bias-variance-basics", "overfitting-basics"]
    rows = runner.invoke(bank_app, ["list", "--difficulty", "3"]).stdout.splitlines()
    assert [r.split()[0] for r in rows] == ["team-good:our-ranking-metric"]
    rows = runner.invoke(bank_app, ["list", "--kind", "design"]).stdout.splitlines()
    assert [r.split()[0] for r in rows] == ["team-good:our-ranking-metric"]
    rows = runner.invoke(bank_app, ["list", "--bank", "builtin", "--difficulty", "1"]).stdout
    assert sorted(r.split()[0] for r in rows.splitlines()) == [
        "overfitting-basics",
        "precision-recall-basics",
    ]


def test_list_rejects_unknown_topic_and_bad_difficulty() -> None:
    result = runner.invoke(bank_app, ["list", "--topic", "fundamental"])
    assert result.exit_code == 1
    assert "did you mean 'fundamentals'?" in result.stderr
    assert runner.invoke(bank_app, ["list", "--difficulty", "4"]).exit_code == 2


def test_show_prints_the_whole_entry() -> None:
    question = expected_bank().get("precision-recall-basics")
    result = runner.invoke(bank_app, ["show", "precision-recall-basics"])
    assert result.exit_code == 0
    out = result.stdout
    assert "Evaluation and metrics, difficulty 1, concept" in out
    assert question.prompt in out and question.answer.splitlines()[0] in out
    for point in question.key_points:
        assert f"- {point.text}" in out
    assert "evaluation-metrics.yaml:1" in out


def test_show_custom_entry_by_qualified_or_unique_bare_id() -> None:
    by_qualified = runner.invoke(bank_app, ["show", "team-good:our-ranking-metric"])
    by_bare = runner.invoke(bank_app, ["show", "our-ranking-metric"])
    assert by_qualified.exit_code == by_bare.exit_code == 0
    assert by_qualified.stdout == by_bare.stdout
    assert "Follow-ups:" in by_bare.stdout and "Tags:\n  - search" in by_bare.stdout


def test_show_unknown_id_suggests_close_ones() -> None:
    result = runner.invoke(bank_app, ["show", "precision-recal-basics"])
    assert result.exit_code == 1
    assert "did you mean precision-recall-basics?" in result.stderr


def test_stats_counts_and_seed_coverage() -> None:
    bank = expected_bank()
    figures = json.loads(runner.invoke(bank_app, ["stats", "--json"]).stdout)
    assert figures["questions"] == len(bank)
    assert figures["by_bank"] == {"builtin": 3, "team-good": 3}
    assert figures["by_topic"]["fundamentals"] == {"total": 2, "1": 1, "2": 1, "3": 0}
    assert sum(figures["by_kind"].values()) == sum(figures["by_difficulty"].values()) == len(bank)
    assert figures["by_kind"]["design"] == 1
    seeds = figures["seed_coverage"]
    assert seeds["000_49013d5f2da82ec6.txt"]["covered"] == 1  # the fixture cites only #4
    assert 4 not in seeds["000_49013d5f2da82ec6.txt"]["missing"]
    assert {s: r["total"] for s, r in seeds.items()} == SEED_QUESTION_COUNTS
    text = runner.invoke(bank_app, ["stats"]).stdout
    assert "000_49013d5f2da82ec6.txt: 1/25 covered" in text
    assert "001_879e05dd63d5b465.txt: 0/55 covered" in text
    assert "search-ranking" in text and "(custom topic)" in text


def test_export_json_has_every_field_and_round_trips() -> None:
    bank = expected_bank()
    result = runner.invoke(bank_app, ["export", "--format", "json"])
    entries = json.loads(result.stdout)
    assert [e["qualified_id"] for e in entries] == list(bank.questions)
    for entry in entries:
        assert set(entry) == {"qualified_id", *Question.model_fields}
        rebuilt = Question.model_validate({k: v for k, v in entry.items() if k != "qualified_id"})
        assert rebuilt == bank.get(entry["qualified_id"])


def test_export_csv_one_row_per_entry(tmp_path: Path) -> None:
    out = tmp_path / "bank.csv"
    result = runner.invoke(bank_app, ["export", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    bank = expected_bank()
    assert [r["qualified_id"] for r in rows] == list(bank.questions)
    row = next(r for r in rows if r["id"] == "our-ranking-metric")
    assert row["key_points"].splitlines() == [
        p.text for p in bank.get(row["qualified_id"]).key_points
    ]
    assert row["difficulty"] == "3" and row["tags"] == "search"


def test_export_rejects_unknown_format() -> None:
    assert runner.invoke(bank_app, ["export", "--format", "xml"]).exit_code == 2


def test_broken_builtin_bank_stops_commands_with_the_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.yaml").write_text("- id: only-id\n")
    monkeypatch.setattr(cli_bank, "BUILTIN_DIR", tmp_path)
    result = runner.invoke(bank_app, ["list"])
    assert result.exit_code == 1
    assert "x.yaml:1: only-id: prompt: is required" in result.stderr


def grade_input(*pairs: tuple[str, str]) -> str:
    return "".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in pairs)


def test_grade_reads_json_lines_and_writes_one_verdict_each() -> None:
    bank = expected_bank()
    good = bank.get("precision-recall-basics").answer
    stdin = grade_input(
        ("precision-recall-basics", good),
        ("precision-recall-basics", "It depends on the data and the model."),
        ("team-good:our-ranking-metric", "NDCG at the page size, checked against A/B tests."),
    )
    result = runner.invoke(bank_app, ["grade"], input=stdin)
    assert result.exit_code == 0, result.output
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["question"] for v in verdicts] == [
        "precision-recall-basics",
        "precision-recall-basics",
        "team-good:our-ranking-metric",
    ]
    assert verdicts[0]["score"] > verdicts[1]["score"]
    assert {"score", "covered", "missed"} <= set(verdicts[0])


def test_grade_with_bank_file_uses_its_bare_ids_and_reports_bad_lines() -> None:
    stdin = grade_input(("our-ranking-metric", "NDCG at the page size.")) + "not json\n"
    stdin += grade_input(("precision-recall-basics", "not in this file"))
    result = runner.invoke(bank_app, ["grade", "--bank", str(TEAM)], input=stdin)
    assert result.exit_code == 0, result.output
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == 3
    assert "score" in verdicts[0] and "error" not in verdicts[0]
    assert "error" in verdicts[1] and "error" in verdicts[2]


def test_grade_with_unusable_bank_file_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n")
    result = runner.invoke(bank_app, ["grade", "--bank", str(bad)], input="")
    assert result.exit_code == 1
    assert "no usable questions" in result.stderr

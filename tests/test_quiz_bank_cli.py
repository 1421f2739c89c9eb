"""`mlq bank show` and `mlq bank export` know quiz entries: options as A/B/C with their
whys, and the expected number with its tolerance and unit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli_bank
from bot.cli_bank import bank_app

runner = CliRunner()

QUIZ = """\
- id: kv-half
  format: numeric
  prompt: How many GiB do 2^27 float32 values take? Answer in GiB.
  answer: 2^27 values of 4 bytes are 2^29 bytes, which is half a GiB.
  numeric: {value: 0.5, relative_tolerance: 0.05, unit: GiB}
- id: pick-relu
  format: choice
  prompt: Which activation is zero for every negative input?
  answer: ReLU is max(0, x), so it outputs zero for any negative input.
  options:
    - {text: Sigmoid, why: it is positive everywhere}
    - {text: ReLU, correct: true, why: "max(0, x) is 0 for x < 0"}
"""


@pytest.fixture(autouse=True)
def quiz_bank(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "builtin").mkdir()
    monkeypatch.setattr(cli_bank, "BUILTIN_DIR", tmp_path / "builtin")
    path = tmp_path / "quiz.yaml"
    path.write_text(QUIZ)
    monkeypatch.setenv("MLQ_BANK_PATHS", str(path))


def test_show_lists_options_with_letters_and_whys() -> None:
    result = runner.invoke(bank_app, ["show", "pick-relu"])
    assert result.exit_code == 0, result.output
    assert "A. Sigmoid (wrong): it is positive everywhere" in result.output
    assert "B. ReLU (correct): max(0, x) is 0 for x < 0" in result.output


def test_show_gives_the_expected_number() -> None:
    result = runner.invoke(bank_app, ["show", "kv-half"])
    assert "Numeric answer: 0.5 GiB (± 5%)" in result.output


def test_export_keeps_options_and_numbers() -> None:
    as_json = json.loads(runner.invoke(bank_app, ["export"]).output)
    by_id = {entry["id"]: entry for entry in as_json}
    assert by_id["kv-half"]["numeric"]["unit"] == "GiB"
    assert by_id["pick-relu"]["options"][1]["correct"] is True
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(bank_app, ["export", "-f", "csv"]).output))
    )
    by_id = {row["id"]: row for row in rows}
    assert by_id["pick-relu"]["format"] == "choice"
    assert "B. ReLU (correct)" in by_id["pick-relu"]["options"]
    assert by_id["kv-half"]["numeric"] == "0.5 GiB (± 5%)"

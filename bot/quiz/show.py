"""How quiz answers are written back to people: option letters and numbers with units.

Kept free of the grader's imports, so that `mlq bank show` stays quick to start."""

from __future__ import annotations

import string

from question_bank.schema import NumericAnswer

LETTERS = string.ascii_uppercase


def letter(index: int) -> str:
    return LETTERS[index]


def letters(picks: tuple[int, ...]) -> str:
    """Picks as the text an answer stores and shows: ``(0, 2)`` -> ``"A, C"``."""
    return ", ".join(letter(i) for i in picks)


def show_number(value: float, unit: str | None) -> str:
    """A number as people write it: 0.5 GiB, 2,048 tokens, 8.389 million parameters."""
    if 1e6 <= abs(value) < 1e15:
        scale, word = (1e9, "billion") if abs(value) >= 1e9 else (1e6, "million")
        shown = f"{value / scale:.4g} {word}"
    else:
        shown = f"{value:,.6g}"
    return f"{shown} {unit}".strip() if unit and unit != "%" else f"{shown}{unit or ''}"


def expected_text(target: NumericAnswer) -> str:
    if target.tolerance is not None:
        margin = f"± {show_number(target.tolerance, target.unit)}"
    else:
        margin = f"± {round((target.relative_tolerance or 0) * 100, 4):g}%"
    return f"{show_number(target.value, target.unit)} ({margin})"

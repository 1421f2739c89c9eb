"""Reading a typed number with its unit: "0.5", "~0.5 GiB", "512 MiB", "5e-1", "1,024", "50%".

A unit belongs to a family (bytes, time, ratio); a number converts only within its family,
through the family's base unit (bytes, seconds, a plain fraction). A unit this module does
not know (``tokens``, ``users``) is only a label: a bare number is read in it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

KIB = 1024


@dataclass(frozen=True)
class Unit:
    family: str  # bytes | time | ratio
    factor: float  # how many base units one of it is
    name: str  # how it is written back to people


def _bytes() -> dict[str, Unit]:
    units = {"b": Unit("bytes", 1, "B"), "byte": Unit("bytes", 1, "B")}
    for power, letter in enumerate("kmgtp", start=1):
        upper = letter.upper()
        units[f"{letter}b"] = Unit("bytes", 1000.0**power, f"{upper if letter != 'k' else 'k'}B")
        units[f"{letter}ib"] = Unit("bytes", float(KIB**power), f"{upper}iB")
    return units


_TIME = {
    "ns": Unit("time", 1e-9, "ns"),
    "us": Unit("time", 1e-6, "µs"),
    "µs": Unit("time", 1e-6, "µs"),
    "μs": Unit("time", 1e-6, "µs"),
    "ms": Unit("time", 1e-3, "ms"),
    "s": Unit("time", 1.0, "s"),
    "sec": Unit("time", 1.0, "s"),
    "second": Unit("time", 1.0, "s"),
    "min": Unit("time", 60.0, "min"),
    "minute": Unit("time", 60.0, "min"),
    "h": Unit("time", 3600.0, "h"),
    "hr": Unit("time", 3600.0, "h"),
    "hour": Unit("time", 3600.0, "h"),
    "day": Unit("time", 86400.0, "days"),
    "d": Unit("time", 86400.0, "days"),
}
_RATIO = {
    "%": Unit("ratio", 0.01, "%"),
    "percent": Unit("ratio", 0.01, "%"),
    "pct": Unit("ratio", 0.01, "%"),
    "fraction": Unit("ratio", 1.0, ""),
}
UNITS: dict[str, Unit] = {**_bytes(), **_TIME, **_RATIO}
FAMILY_NAMES = {"bytes": "a size", "time": "a duration", "ratio": "a share or percentage"}
# Counting suffixes for plain numbers ("7B parameters", "1.5k users"): only where the
# expected unit is not bytes, since there "B" means bytes.
SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}

_NUMBER = re.compile(
    r"(?P<sign>[-+−]?)\s*(?P<int>\d[\d,_]*\d|\d)?(?P<frac>\.\d+)?(?:[eE](?P<exp>[-+−]?\d+))?"
)
_FRACTION = re.compile(r"^\s*([-+−]?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(.*)$")
_POWER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*([-−]?\d+)\s*(.*)$")
# "3 x 10^8", "3×10⁸", "6.02·10^23": a mantissa times a power of ten.
_TIMES_TEN = re.compile(
    r"^\s*([-+−]?\d+(?:\.\d+)?)\s*(?:[x×*·]|\\times|\\cdot)\s*10\s*(?:\^|\*\*)\s*([-−]?\d+)\s*(.*)$"
)
# Superscript digits as typed on phones and copied from the reveal ("10⁸", "2⁻³").
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)")
_LEAD = re.compile(r"^(?:about|approx\.?|approximately|around|roughly|circa|ca\.|~|≈|=|\s)+", re.I)


def lookup(unit: str | None) -> Unit | None:
    """The known unit spelled ``unit`` (case-insensitive, plural "s" allowed), or None."""
    if not unit:
        return None
    key = unit.strip().casefold()
    if key in UNITS:
        return UNITS[key]
    if key.endswith("s") and key[:-1] in UNITS and len(key) > 2:
        return UNITS[key[:-1]]
    return None


@dataclass(frozen=True)
class Reading:
    """A number as typed, and the unit word after it ("" when none)."""

    value: float
    unit: str


class Unreadable(ValueError):
    """No number could be read."""


def _to_float(text: str) -> float:
    text = text.replace("−", "-").replace("_", "").replace(" ", "")
    if "," in text and "." not in text and re.fullmatch(r"-?\d+,\d{1,2}", text):
        text = text.replace(",", ".")  # "0,5": a decimal comma
    else:
        text = text.replace(",", "")  # "1,024": thousands
    return float(text)


def read_number(text: str) -> Reading:
    """The first number in ``text`` with the word after it. An ``=`` means the result
    follows it ("2 * 1024 = 2048 MiB"), so only what comes after the last one is read."""
    if "=" in text.strip("= "):
        text = text.rsplit("=", 1)[1]
    text = _LEAD.sub("", text.strip())
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m[1].translate(_SUPERSCRIPT), text)
    for pattern, combine in (
        (_FRACTION, lambda a, b: a / b),
        (_TIMES_TEN, lambda a, b: a * 10.0**b),
        (_POWER, lambda a, b: a**b),
    ):
        match = pattern.match(text)
        if match:
            first, second = _to_float(match[1]), _to_float(match[2])
            try:
                value = float(combine(first, second))
            except (OverflowError, ZeroDivisionError) as exc:
                raise Unreadable(text) from exc
            if not math.isfinite(value):
                raise Unreadable(text)
            return Reading(value, _unit_word(match[3]))
    match = _NUMBER.match(text)
    if match is None or not (match["int"] or match["frac"]):
        raise Unreadable(text)
    number = (match["sign"] or "") + (match["int"] or "0") + (match["frac"] or "")
    try:
        value = _to_float(number)
        if match["exp"]:
            value *= 10.0 ** int(match["exp"].replace("−", "-"))
    except (ValueError, OverflowError) as exc:
        raise Unreadable(text) from exc
    return Reading(value, _unit_word(text[match.end() :]))


def _unit_word(rest: str) -> str:
    """The unit right after the number: "%", or a word ("GiB", "ms", "tokens")."""
    rest = rest.strip()
    if rest.startswith("%"):
        return "%"
    match = re.match(r"[A-Za-zµμ]+", rest)
    return match[0] if match else ""

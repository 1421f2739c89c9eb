"""Exact grading of quiz questions: a choice of options, or a number within a tolerance.

The result is the same ``Grade`` the rubric grader returns, so points, best answers,
streaks, reviews and digests treat a quiz round like any other.

Choice: with one correct option a pick is right (1) or wrong (0). With several correct
("select all that apply") the score is (right picks - wrong picks) / number correct,
floored at 0: picking everything earns nothing, and each miss or wrong pick costs the
same share.

Numeric: right (1) when the number, converted to the expected unit, is within the
tolerance; else 0. A size given in GB where GiB is asked (or the reverse) that is right
only when the prefixes are read the other way still counts, with a note: people say GB
for GiB all the time, and the quiz is not about that. An answer with no readable number,
or with a unit of another kind (ms for a size), scores 0 and says why; it is stored like
any answer, so replying again replaces it.
"""

from __future__ import annotations

import re

from bot.grading.result import Grade, PointResult
from bot.grading.units import FAMILY_NAMES, SCALES, Reading, Unit, Unreadable, lookup, read_number
from bot.quiz.show import expected_text, letter, letters, show_number
from question_bank.schema import Format, NumericAnswer, Question

UNREADABLE = "unreadable"  # flag: nothing in the answer could be read as a pick or number
WRONG_UNIT = "wrong_unit"  # flag: a number with a unit of another kind

_FILLER = re.compile(r"\b(?:and|or|options?|answers?|choices?|picks?|i|my|is|are|pick)\b", re.I)


def parse_picks(question: Question, text: str) -> tuple[int, ...] | None:
    """The options ``text`` picks, sorted: letters ("b", "a,c", "A and C"), option
    numbers ("2") or an option's exact text; None when it names none of them."""
    count = len(question.options)
    cleaned = _FILLER.sub(" ", text.casefold())
    tokens = [t for t in re.split(r"[\s,;/&+()\[\].:)]+", cleaned) if t]
    picks: set[int] = set()
    for token in tokens:
        if len(token) == 1 and token.isalpha() and ord(token) - ord("a") < count:
            picks.add(ord(token) - ord("a"))
        elif token.isdigit() and 1 <= int(token) <= count:
            picks.add(int(token) - 1)
        else:
            picks.clear()
            break
    if picks:
        return tuple(sorted(picks))
    wanted = " ".join(text.split()).casefold()
    for index, option in enumerate(question.options):
        if " ".join(option.text.split()).casefold() == wanted:
            return (index,)
    return None


def grade_choice(question: Question, text: str) -> Grade:
    picks = parse_picks(question, text)
    count = len(question.options)
    if picks is None:
        return Grade(
            score=0.0,
            confidence=1.0,
            feedback=(
                "I could not read a pick in that. Answer with a letter from A to "
                + letter(count - 1)
                + (" (several: `a,c`)." if len(question.correct_options) > 1 else ".")
            ),
            flags=(UNREADABLE,),
            method="choice",
        )
    correct = set(question.correct_options)
    right = [i for i in picks if i in correct]
    wrong = [i for i in picks if i not in correct]
    score = max(0.0, (len(right) - len(wrong)) / len(correct))

    def results(indexes: list[int]) -> tuple[PointResult, ...]:
        return tuple(PointResult(f"{letter(i)}. {question.options[i].text}") for i in indexes)

    if score == 1.0:
        verdict = f"Right: {letters(picks)}."
    else:
        verdict = f"You picked {letters(picks)}; the answer is {letters(tuple(sorted(correct)))}."
    return Grade(
        score=score,
        covered=results(right),
        missed=results(sorted(correct - set(picks))),
        contradicted=results(wrong),
        confidence=1.0,
        feedback=verdict,
        method="choice",
    )


def _scaled(reading: Reading, unit: Unit | None) -> Reading:
    """``7B`` or ``1.5k`` as a plain count, where the expected unit is not bytes."""
    scale = SCALES.get(reading.unit.casefold())
    if scale is None or (unit is not None and unit.family == "bytes"):
        return reading
    return Reading(reading.value * scale, "")


def _swap_prefix(unit: Unit) -> Unit | None:
    """The binary unit for a decimal one and the reverse (GB <-> GiB); None for bytes."""
    name = unit.name
    other = name.replace("iB", "B") if "iB" in name else name[:-1] + "iB"
    swapped = lookup(other if other != "kiB" else "KiB")
    return swapped if swapped is not None and swapped is not unit and name != "B" else None


def _within(value: float, target: NumericAnswer) -> bool:
    allowed = (
        target.tolerance
        if target.tolerance is not None
        else abs(target.value) * (target.relative_tolerance or 0.0)
    )
    return abs(value - target.value) <= allowed + 1e-12 * max(1.0, abs(target.value))


def read_answer(target: NumericAnswer, text: str) -> tuple[float, str] | Grade:
    """The answer's number in the expected unit, with a note; or a Grade saying why not."""
    unit = lookup(target.unit)
    try:
        reading = _scaled(read_number(text), unit)
    except Unreadable:
        return _refused(
            UNREADABLE,
            "I could not read a number in that. Reply with just the number"
            + (f", in {target.unit}." if target.unit else "."),
        )
    given = lookup(reading.unit)
    if given is None or unit is None:
        if given is not None and given.family != "ratio":
            return _wrong_family(target, given)
        if given is not None:  # a percentage where a plain number is asked: 50% -> 0.5
            return reading.value * given.factor, ""
        # A bare number where % is asked: read in %, or as a fraction if only that fits.
        if (
            unit is not None
            and unit.family == "ratio"
            and unit.factor != 1.0
            and abs(reading.value) <= 1
            and not _within(reading.value, target)
            and _within(reading.value / unit.factor, target)
        ):
            return reading.value / unit.factor, "read as a fraction"
        return reading.value, ""
    if given.family != unit.family:
        return _wrong_family(target, given)
    converted = reading.value * given.factor / unit.factor
    if given.family == "bytes" and not _within(converted, target):
        swapped = _swap_prefix(given)
        if swapped is not None and _within(reading.value * swapped.factor / unit.factor, target):
            note = f"counted as {swapped.name}: {given.name} is a power of 10, {swapped.name} of 2"
            return reading.value * swapped.factor / unit.factor, note
    return converted, ""


def _wrong_family(target: NumericAnswer, given: Unit) -> Grade:
    unit = lookup(target.unit)
    wanted = f"{FAMILY_NAMES[unit.family]} in {target.unit}" if unit else "a plain number"
    if unit is None and target.unit:
        wanted = f"a number of {target.unit}"
    return _refused(
        WRONG_UNIT,
        f"`{given.name}` makes that {FAMILY_NAMES[given.family]}, but this question asks for "
        f"{wanted}. Reply again with a number in that unit.",
    )


def _refused(flag: str, why: str) -> Grade:
    return Grade(score=0.0, confidence=1.0, feedback=why, flags=(flag,), method="numeric")


def grade_numeric(question: Question, text: str) -> Grade:
    target = question.numeric
    assert target is not None  # the schema guarantees it for format numeric
    read = read_answer(target, text)
    if isinstance(read, Grade):
        return read
    value, note = read
    right = _within(value, target)
    point = PointResult(f"{expected_text(target)}", (show_number(value, target.unit),))
    verdict = (
        f"Right: {show_number(value, target.unit)}."
        if right
        else f"You said {show_number(value, target.unit)}; the answer is {expected_text(target)}."
    )
    return Grade(
        score=1.0 if right else 0.0,
        covered=(point,) if right else (),
        missed=() if right else (point,),
        confidence=1.0,
        feedback=verdict + (f" ({note})" if note else ""),
        method="numeric",
    )


def grade_exact(question: Question, text: str) -> Grade:
    """Grade a quiz answer (``question.is_quiz``)."""
    if question.format == Format.CHOICE:
        return grade_choice(question, text)
    return grade_numeric(question, text)


def answer_summary(question: Question, text: str) -> str:
    """What the answer says, read the way the grader reads it: "B", "A, C", "0.5 GiB"."""
    if question.format == Format.CHOICE:
        picks = parse_picks(question, text)
        return letters(picks) if picks else "nothing I could read"
    if question.numeric is None:
        return text
    read = read_answer(question.numeric, text)
    if isinstance(read, Grade):
        return "nothing I could read"
    return show_number(read[0], question.numeric.unit)

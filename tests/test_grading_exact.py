"""Exact grading: picks read from letters, numbers read with their units and converted
within a family; what cannot be read is said clearly and scores 0."""

from __future__ import annotations

import pytest

from adapters.discord.inbound import pick_letters
from adapters.slack import translate
from bot.grading import grade_answer
from bot.grading.exact import UNREADABLE, WRONG_UNIT, parse_picks
from question_bank.schema import Question
from tests.quiz_bank import NUMERIC, SEVERAL, SINGLE
from tests.slack import payloads


def numeric(value: float, unit: str | None, **tolerance: float) -> Question:
    tolerance = tolerance or {"relative_tolerance": 0.05}
    return Question(
        id="n-q",
        prompt="How much?",
        answer="Worked out.",
        format="numeric",
        numeric={"value": value, "unit": unit, **tolerance},
    )


@pytest.mark.parametrize(
    "typed",
    ["0.5", "~0.5 GiB", "512 MiB", "5e-1", "0.5GB", "about 0.5 gib", "536870912 bytes",
     "2^29 B", "1/2", "0,5 GiB", "2 * 256 = 512 MiB", "524288 KiB"],
)  # fmt: skip
def test_half_a_gib_written_every_way_is_right(typed: str) -> None:
    assert grade_answer(NUMERIC, typed).score == 1.0, typed


@pytest.mark.parametrize("typed", ["0.6", "1 GiB", "400 MiB", "1,024"])
def test_wrong_sizes_score_zero_and_say_the_answer(typed: str) -> None:
    grade = grade_answer(NUMERIC, typed)
    assert grade.score == 0.0 and not grade.flags
    assert "the answer is 0.5 GiB (± 2%)" in grade.feedback


def test_gb_for_gib_counts_with_a_note_but_a_real_gb_value_is_read_as_gb() -> None:
    assert "counted as GiB" in grade_answer(NUMERIC, "0.5 GB").feedback
    exact_gb = numeric(1.0, "GB", relative_tolerance=0.01)
    assert grade_answer(exact_gb, "1000 MB").score == 1.0
    assert grade_answer(exact_gb, "953.67 MiB").score == 1.0  # 10^9 bytes in MiB


def test_time_converts_between_units() -> None:
    two_ms = numeric(2, "ms")
    for typed in ("2ms", "2000 us", "2000 µs", "0.002 s", "2e6 ns"):
        assert grade_answer(two_ms, typed).score == 1.0, typed
    minutes = numeric(90, "min")
    assert grade_answer(minutes, "1.5 h").score == 1.0


def test_percent_and_fraction() -> None:
    half = numeric(50, "%", tolerance=1)
    for typed in ("50%", "50", "50 percent", "0.5"):  # a bare 0.5 fits only as a fraction
        assert grade_answer(half, typed).score == 1.0, typed
    fraction = numeric(0.5, None, tolerance=0.01)
    assert grade_answer(fraction, "50%").score == 1.0
    assert grade_answer(numeric(2048, "tokens", tolerance=1), "2,048 tokens").score == 1.0
    assert grade_answer(numeric(7e9, None), "7B").score == 1.0  # a count, not bytes


@pytest.mark.parametrize(
    "typed", ["10⁸", "1e8", "10^8", "10**8", "1 x 10^8", "1×10⁸", "1.0 · 10^8", "100000000"]
)
def test_powers_of_ten_read_however_they_are_typed(typed: str) -> None:
    """The bank's own reveals write "10⁸"; a person copying that was told "You said 10"."""
    assert grade_answer(numeric(1e8, None), typed).score == 1.0, typed


def test_negative_and_huge_powers() -> None:
    milli = numeric(1e-3, "s")
    for typed in ("10^-3 s", "10⁻³ s", "1 ms"):
        assert grade_answer(milli, typed).score == 1.0, typed
    for typed in ("10^999", "1e999", "0^-1"):  # overflowed into an exception before
        grade = grade_answer(milli, typed)
        assert grade.score == 0.0 and grade.flags == (UNREADABLE,), typed


def test_a_unit_of_another_kind_or_no_number_is_explained() -> None:
    grade = grade_answer(NUMERIC, "300 ms")
    assert grade.score == 0.0 and grade.flags == (WRONG_UNIT,)
    assert "`ms` makes that a duration" in grade.feedback and "GiB" in grade.feedback
    grade = grade_answer(NUMERIC, "a lot")
    assert grade.flags == (UNREADABLE,) and "could not read a number" in grade.feedback


def test_choice_reads_letters_numbers_and_option_text() -> None:
    assert parse_picks(SINGLE, "c") == (2,)
    assert parse_picks(SINGLE, "(C)") == (2,)
    assert parse_picks(SINGLE, "option 3") == (2,)
    assert parse_picks(SINGLE, "relu") == (2,)
    assert parse_picks(SEVERAL, "A and C") == (0, 2)
    assert parse_picks(SEVERAL, "a,c") == (0, 2)
    assert parse_picks(SINGLE, "z") is None  # no option z
    assert parse_picks(SINGLE, "I think it is the ReLU one") is None


def test_one_correct_is_right_or_wrong_several_get_partial_credit() -> None:
    assert grade_answer(SINGLE, "c").score == 1.0
    assert grade_answer(SINGLE, "b").score == 0.0
    assert grade_answer(SINGLE, "b, c").score == 0.0  # (1 right - 1 wrong) / 1
    assert grade_answer(SEVERAL, "a, c").score == 1.0
    assert grade_answer(SEVERAL, "a").score == 0.5
    assert grade_answer(SEVERAL, "a, b").score == 0.0
    assert grade_answer(SEVERAL, "a, b, c, d").score == 0.0  # picking everything earns nothing
    unread = grade_answer(SINGLE, "dunno")
    assert unread.flags == (UNREADABLE,) and "A to C" in unread.feedback


def test_quiz_questions_never_reach_the_rubric_grader() -> None:
    grade = grade_answer(SINGLE, "ReLU is max(0, x): it outputs 0 for any negative input.")
    assert grade.method == "choice" and grade.score == 0.0


def test_platform_pick_values_are_checked() -> None:
    assert pick_letters(["2", "0"]) == "A, C"
    for odd in ([], ["x"], ["99"], "0", [0], None, ["-1"]):
        assert pick_letters(odd) is None, odd
    body = payloads.block_actions("mlq:quiz_pick", "", message_ts="1.0")
    good = {"action_id": "mlq:quiz_pick", "selected_option": {"value": "12:1"}, "action_ts": "9"}
    event, context = translate.quiz_pick(body, good)
    assert (event.post_id, event.text, context.thread_ts) == (12, "B", "1.0")
    mixed = {"selected_options": [{"value": "12:1"}, {"value": "13:0"}]}
    huge = {"selected_option": {"value": "99999999999999999999:1"}}
    for action in (mixed, huge, {"selected_option": {"value": "12"}}, {"selected_options": 5}):
        assert isinstance(translate.quiz_pick(body, action), str), action
    assert "No option picked" in translate.quiz_pick(body, {"selected_options": []})

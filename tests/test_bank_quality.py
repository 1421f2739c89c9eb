"""Quality gates on the shipped bank: size, coverage, rubric shape and gradability.

Each test checks every entry and lists all offenders at once, so one run tells the
content writers everything that is left to fix.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process, utils

from bot.grading import grade_answer
from bot.grading.exact import grade_numeric
from question_bank import Kind, QuestionBank, load_bank, validate_paths
from question_bank.loader import BUILTIN_DIR
from question_bank.schema import SEED_QUESTION_COUNTS, TOPICS, Question, seed_refs

MIN_ENTRIES, MIN_TOPICS = 200, 12
MIN_WORDS, MAX_WORDS = 60, 200
# Slack for answers with a ``` code block: code is dense, so the prose may be shorter
# (from 40 words) and prose plus code may run 25% over the limit.
MIN_PROSE_WORDS_WITH_CODE, MAX_WORDS_WITH_CODE = 40, 250
MIN_QUIZ_WORDS = 15
# A design case's model answer walks through the whole shared rubric, about 350 words.
MIN_DESIGN_WORDS, MAX_DESIGN_WORDS = 300, 450
MIN_DESIGN_CASES = 25
DESIGN_RUBRIC = ("Requirements", "Data", "Model", "Serving", "Evaluation", "Monitoring")
MODEL_ANSWER_MIN_SCORE = 0.9
VAGUE_ANSWER = "It depends on the data and the model."
VAGUE_MAX_SCORE = 0.3
STAR_CUES = {  # each STAR part must be named by some key point
    "situation": ("situation", "context"),
    "task": ("task", "goal", "responsib"),
    "action": ("action",),
    "result": ("result", "outcome"),
}
CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)", re.S)
# A line may end where the next one starts a list item, a table row, a heading, a quote or
# a code fence; anywhere else a single newline is a hard break in running text, which Slack
# and Discord show as a ragged line.
BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\||#|>|```)")
# A hyphen then a space inside running text is a word split by a reflow ("content-
# dependent"), except a suspended hyphen: "zero- or few-shot", "pre- and post-".
BROKEN_HYPHEN = re.compile(r"[a-z]- (?!(?:or|and|to|nor)\b)[a-z]")
# The seed articles sit in shared/seeds beside the repository (or beside the folder of a
# worktree); they are not shipped, so the copying check runs only where they are.
SEED_DIRS = [Path(__file__).resolve().parents[n] / "shared" / "seeds" for n in (2, 3)]
# More consecutive words than this shared with a seed article is copying, not a topic.
MAX_SHARED_WORDS = 12
DECIMALS = re.compile(r"\b(\d|one|two|three|four|five|six) decimal", re.I)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


def offenders(found: list[str]) -> str:
    return f"{len(found)} entries:\n  " + "\n  ".join(found)


def words(text: str) -> int:
    return sum(1 for token in text.split() if re.search(r"[^\W_]", token))


def test_shipped_bank_has_no_problem_at_all() -> None:
    problems = validate_paths([BUILTIN_DIR]).problems
    assert not problems, "\n".join(map(str, problems))


def test_size_and_topics(bank: QuestionBank) -> None:
    assert len(bank) >= MIN_ENTRIES
    assert len(bank.topics()) >= MIN_TOPICS
    assert set(bank.topics()) <= set(TOPICS)


def test_every_technical_topic_has_every_difficulty(bank: QuestionBank) -> None:
    seen: dict[str, set[int]] = defaultdict(set)
    for q in bank:
        seen[q.topic].add(q.difficulty)
    missing = [
        f"{topic}: no difficulty {sorted({1, 2, 3} - levels)}"
        for topic, levels in sorted(seen.items())
        if topic != "behavioural" and levels != {1, 2, 3}
    ]
    assert not missing, offenders(missing)


def test_every_seed_question_is_covered(bank: QuestionBank) -> None:
    covered = {ref for q in bank for ref in seed_refs(q)}
    missing = [
        f"{seed}#{n}"
        for seed, total in SEED_QUESTION_COUNTS.items()
        for n in range(1, total + 1)
        if (seed, n) not in covered
    ]
    assert sum(SEED_QUESTION_COUNTS.values()) == 80
    assert not missing, f"seed questions without an entry: {', '.join(missing)}"


def open_entries(bank: QuestionBank) -> list[Question]:
    """Entries graded on their rubric; quiz entries (choice, numeric) are graded exactly."""
    return [q for q in bank if not q.is_quiz]


def test_every_entry_has_three_to_six_key_points(bank: QuestionBank) -> None:
    bad = [
        f"{q.id}: {len(q.key_points)}"
        for q in open_entries(bank)
        if not 3 <= len(q.key_points) <= 6
    ]
    assert not bad, offenders(bad)


def answer_length_problem(q: Question) -> str | None:
    total = words(q.answer)
    if q.is_quiz:  # the explanation shown at the reveal, next to each option's why
        ok = MIN_QUIZ_WORDS <= total <= MAX_WORDS
        return None if ok else f"{q.id}: {total} words (quiz)"
    if q.kind == Kind.DESIGN:
        ok = MIN_DESIGN_WORDS <= total <= MAX_DESIGN_WORDS
        return None if ok else f"{q.id}: {total} words (design)"
    if "```" not in q.answer:
        ok = MIN_WORDS <= total <= MAX_WORDS
        return None if ok else f"{q.id}: {total} words"
    prose = words(CODE_BLOCK.sub(" ", q.answer))
    ok = prose >= MIN_PROSE_WORDS_WITH_CODE and total <= MAX_WORDS_WITH_CODE
    return None if ok else f"{q.id}: {prose} words of prose, {total} with code"


def test_model_answers_are_60_to_200_words(bank: QuestionBank) -> None:
    bad = [problem for q in bank if (problem := answer_length_problem(q))]
    assert not bad, offenders(bad)


def test_behavioural_entries_have_a_star_rubric(bank: QuestionBank) -> None:
    bad = []
    for q in bank:
        if q.kind != Kind.BEHAVIOURAL:
            continue
        text = " ".join(p for point in q.key_points for p in point.phrasings).lower()
        absent = [part for part, cues in STAR_CUES.items() if not any(c in text for c in cues)]
        if absent:
            bad.append(f"{q.id}: no key point for {', '.join(absent)}")
    assert any(q.kind == Kind.BEHAVIOURAL for q in bank), "no behavioural entries"
    assert not bad, offenders(bad)


def test_design_cases_share_one_rubric(bank: QuestionBank) -> None:
    # Six key points, one per part, each opening with its part's name; the model answer
    # has a section for each, so the grader and a reader can see what is covered.
    designs = [q for q in bank if q.kind == Kind.DESIGN]
    assert len(designs) >= MIN_DESIGN_CASES
    bad = []
    for q in designs:
        parts = tuple(point.text.split(":", 1)[0] for point in q.key_points)
        if parts != DESIGN_RUBRIC:
            bad.append(f"{q.id}: key points open with {parts}")
        absent = [part for part in DESIGN_RUBRIC if f"**{part}**" not in q.answer]
        if absent:
            bad.append(f"{q.id}: no section for {', '.join(absent)}")
    assert not bad, offenders(bad)


def test_no_near_duplicate_prompts_unless_variants(bank: QuestionBank) -> None:
    questions = list(bank)
    prompts = [utils.default_process(q.prompt) for q in questions]
    bad = []
    for i, q in enumerate(questions):
        for _, score, j in process.extract(
            prompts[i], prompts[i + 1 :], scorer=fuzz.ratio, score_cutoff=90, limit=None
        ):
            other = questions[i + 1 + j]
            if other.id not in {q.variant_of} and q.id not in {other.variant_of}:
                bad.append(f"{q.id} ~ {other.id}: {score:.0f}")
    assert not bad, offenders(bad)


def test_every_entry_has_one_to_three_follow_ups(bank: QuestionBank) -> None:
    # An interviewer always has a next question; it must be a real one, not the prompt again.
    bad = []
    for q in bank:
        if not 1 <= len(q.follow_ups) <= 3:
            bad.append(f"{q.id}: {len(q.follow_ups)} follow-ups")
        elif len({f.casefold() for f in q.follow_ups}) != len(q.follow_ups):
            bad.append(f"{q.id}: the same follow-up twice")
        elif any(words(f) < 4 or f.casefold() == q.prompt.casefold() for f in q.follow_ups):
            bad.append(f"{q.id}: a follow-up under 4 words or repeating the prompt")
    assert not bad, offenders(bad)


def test_every_model_answer_scores_high_on_its_own_rubric(bank: QuestionBank) -> None:
    bad = []
    for q in open_entries(bank):
        grade = grade_answer(q, q.answer)
        if grade.score < MODEL_ANSWER_MIN_SCORE:
            missed = "; ".join(p.text for p in grade.missed)
            bad.append(f"{q.id}: {grade.score:.2f} (missed: {missed})")
    assert not bad, offenders(bad)


def test_a_vague_answer_scores_low_everywhere(bank: QuestionBank) -> None:
    bad = []
    for q in open_entries(bank):
        vague = grade_answer(q, VAGUE_ANSWER).score
        model = grade_answer(q, q.answer).score
        if vague > VAGUE_MAX_SCORE or vague >= model:
            bad.append(f"{q.id}: vague {vague:.2f} vs model {model:.2f}")
    assert not bad, offenders(bad)


def mid_sentence_breaks(text: str) -> list[str]:
    """The places where running text is broken across lines (code blocks are left alone)."""
    found = []
    in_code = False
    lines = text.split("\n")
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line.strip() or not following.strip():
            continue
        if not BLOCK_START.match(following):
            found.append(f"{line[-30:]!r} / {following[:30]!r}")
    return found


def bank_texts(q: Question) -> list[tuple[str, str]]:
    texts = [("prompt", q.prompt), ("answer", q.answer)]
    texts += [("key_points", p) for point in q.key_points for p in point.phrasings]
    texts += [("follow_ups", f) for f in q.follow_ups]
    texts += [("options", t) for option in q.options for t in (option.text, option.why)]
    return texts


def test_no_line_break_in_the_middle_of_a_sentence(bank: QuestionBank) -> None:
    bad = [
        f"{q.id}: {name}: {where}"
        for q in bank
        for name, text in bank_texts(q)
        for where in mid_sentence_breaks(text)
    ]
    assert not bad, offenders(bad)


def test_the_line_break_check_allows_paragraphs_lists_and_code() -> None:
    fine = "Intro:\n- one\n- two\n\nNext paragraph.\n```python\nx = 1\ny = 2\n```\n| a |\n| b |"
    assert mid_sentence_breaks(fine) == []
    assert mid_sentence_breaks("A sentence broken\nin the middle.") == [
        "'A sentence broken' / 'in the middle.'"
    ]
    assert len(mid_sentence_breaks("- an item whose text\n  runs on")) == 1


def test_no_broken_hyphenated_word_in_running_text(bank: QuestionBank) -> None:
    bad = [
        f"{q.id}: {name}: {match.group(0)!r}"
        for q in bank
        for name, text in bank_texts(q)
        for match in BROKEN_HYPHEN.finditer(CODE_BLOCK.sub(" ", text))
    ]
    assert not bad, offenders(bad)


def test_the_broken_hyphen_check_allows_suspended_hyphens() -> None:
    assert not BROKEN_HYPHEN.search("zero- or few-shot, pre- and post-processing")
    assert BROKEN_HYPHEN.search("with content- dependent weights")


def seed_word_runs() -> set[tuple[str, ...]]:
    """Every run of MAX_SHARED_WORDS + 1 consecutive words in the seed articles."""
    runs: set[tuple[str, ...]] = set()
    n = MAX_SHARED_WORDS + 1
    for folder in SEED_DIRS:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
            tokens = word_tokens(path.read_text(encoding="utf-8"))
            runs.update(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return runs


def word_tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold().replace("\u2019", "'"))


def copied_runs(text: str, runs: set[tuple[str, ...]]) -> list[str]:
    n = MAX_SHARED_WORDS + 1
    tokens = word_tokens(text)
    return [
        " ".join(tokens[i : i + n])
        for i in range(len(tokens) - n + 1)
        if tuple(tokens[i : i + n]) in runs
    ]


def test_no_text_is_copied_from_the_seed_articles(bank: QuestionBank) -> None:
    # The seeds gave the topics; every prompt, answer and rubric is in the bank's own words.
    runs = seed_word_runs()
    if not runs:
        pytest.skip("the seed articles are not beside this checkout")
    bad = [
        f"{q.id}: {name}: {found[0]!r}"
        for q in bank
        for name, text in bank_texts(q)
        if (found := copied_runs(text, runs))
    ]
    assert not bad, offenders(bad)


def test_the_copying_check_finds_a_long_shared_run_only() -> None:
    runs = {
        tuple(
            word_tokens("one two three four five six seven eight nine ten eleven twelve thirteen")
        )
    }
    copied = "Intro: One two three four five six seven eight nine ten eleven twelve thirteen."
    assert copied_runs(copied, runs)
    assert not copied_runs("one two three four five six seven eight nine ten eleven twelve", runs)


def test_numeric_quizzes_state_an_answer_their_grader_accepts(bank: QuestionBank) -> None:
    # The explanation shown at the reveal must agree with `numeric`: some number in it,
    # read by the quiz grader itself, is right. A value edited without its explanation
    # (or the reverse) fails here.
    bad = []
    for q in bank:
        if q.numeric is None:
            continue
        # Superscript powers ("10⁸") are written the way people type them ("10^8").
        text = SUPERSCRIPT.sub(
            lambda m: "^" + m.group(0).translate(SUPERSCRIPT_DIGITS), CODE_BLOCK.sub(" ", q.answer)
        )
        starts = [m.start() for m in re.finditer(r"(?<![\w.,^−-])[-−]?\d", text)]
        # One line, up to the next "=": the grader reads what follows an "=" as the result.
        fragments = [re.split(r"[=\n]", text[i : i + 40])[0] for i in starts]
        fragments += [
            str(NUMBER_WORDS[m.group(0).casefold()])
            for m in re.finditer(r"\b(?:" + "|".join(NUMBER_WORDS) + r")\b", text, re.I)
        ]
        if not any(grade_numeric(q, fragment).score == 1.0 for fragment in fragments):
            bad.append(f"{q.id}: no number in the answer is within tolerance of {q.numeric.value}")
    assert not bad, offenders(bad)


def test_a_requested_rounding_is_within_the_tolerance(bank: QuestionBank) -> None:
    # "Answer to two decimal places" must accept every correctly rounded answer, which can
    # sit half a unit of the last place away from the exact value.
    bad = []
    for q in bank:
        match = DECIMALS.search(q.prompt)
        if q.numeric is None or match is None:
            continue
        word = match.group(1).casefold()
        places = int(word) if word.isdigit() else NUMBER_WORDS[word]
        target = q.numeric
        allowed = target.tolerance
        if allowed is None:
            allowed = abs(target.value) * (target.relative_tolerance or 0.0)
        if allowed < 0.5 * 10.0**-places:
            bad.append(f"{q.id}: tolerance {allowed} rejects answers rounded to {places} places")
    assert not bad, offenders(bad)

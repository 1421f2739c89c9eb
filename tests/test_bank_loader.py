"""Loader errors name file, line, entry and field; custom banks are namespaced and skippable."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from question_bank import BankError, Kind, load_bank, parse_bank_file, validate_paths
from question_bank.duplicates import (
    SEMANTIC_DUPLICATE_COSINE,
    all_cosines,
    similar_pairs,
    terms,
    tfidf_vectors,
)
from question_bank.loader import BUILTIN_DIR, NEAR_DUPLICATE_RATIO, load_single_file

BANKS = Path(__file__).parent / "data" / "banks"
BROKEN = BANKS / "broken"
FIXTURE_BUILTIN = BANKS / "builtin"
PROBLEM_FORMAT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<id>[^:]+): (?P<field>[^:]+): .+")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``: what a person would look for."""
    hits = [n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    return hits[occurrence - 1]


def only_problem(path: Path):
    _, problems = parse_bank_file(path)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("path", sorted(BROKEN.iterdir()), ids=lambda p: p.name)
def test_every_problem_reads_file_line_id_field_message(path: Path) -> None:
    bank = validate_paths([path])
    assert bank.problems, f"{path.name} should have a problem"
    for problem in bank.problems:
        match = PROBLEM_FORMAT.match(str(problem))
        assert match, str(problem)
        assert match["file"].endswith(path.name)
        assert int(match["line"]) >= 1


def test_bad_yaml_points_at_the_line_and_where_the_quote_opened() -> None:
    path = BROKEN / "bad-yaml.yaml"
    problem = only_problem(path)
    assert problem.field == "file"
    assert "not valid YAML" in problem.message
    assert f"starts on line {line_of(path, 'An unterminated quote')}" in problem.message
    assert problem.line >= line_of(path, "An unterminated quote")


def test_missing_field_names_the_entry_and_keeps_the_good_one() -> None:
    path = BROKEN / "missing-field.yaml"
    questions, problems = parse_bank_file(path)
    assert [q.id for q in questions] == ["has-everything"]
    [problem] = problems
    assert (problem.entry_id, problem.field, problem.message) == (
        "no-answer-here",
        "answer",
        "is required",
    )
    assert problem.line == line_of(path, "id: no-answer-here")
    assert problem.file.endswith("missing-field.yaml")


def test_wrong_types_are_reported_at_their_own_lines() -> None:
    path = BROKEN / "wrong-type.yaml"
    _, problems = parse_bank_file(path)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"prompt", "tags"}
    assert by_field["prompt"].line == line_of(path, "prompt:")
    assert by_field["prompt"].message == "should be text, got a list"
    assert by_field["tags"].line == line_of(path, "tags:")
    assert by_field["tags"].message == "should be a list, got a mapping"


def test_bad_difficulty_says_what_is_allowed() -> None:
    path = BROKEN / "bad-difficulty.yaml"
    problem = only_problem(path)
    assert (problem.entry_id, problem.field) == ("too-hard", "difficulty")
    assert problem.line == line_of(path, "difficulty: 5")
    assert "1 (easy), 2 (medium) or 3 (hard)" in problem.message
    assert problem.message.endswith("got 5")


def test_unknown_field_suggests_the_intended_one() -> None:
    path = BROKEN / "unknown-field.yaml"
    _, problems = parse_bank_file(path)
    by_field = {p.field: p for p in problems}
    assert "did you mean 'prompt'?" in by_field["promt"].message
    assert by_field["promt"].line == line_of(path, "promt:")
    assert by_field["prompt"].message == "is required"


def test_duplicate_id_gives_both_lines_and_skips_the_custom_file(caplog) -> None:
    path = BROKEN / "duplicate-id.yaml"
    with caplog.at_level(logging.ERROR, logger="question_bank.loader"):
        bank = load_bank([path], builtin_dir=None)
    [problem] = bank.problems
    assert (problem.entry_id, problem.field) == ("same-id", "id")
    assert problem.line == line_of(path, "id: same-id", occurrence=2)
    assert f"duplicate-id.yaml:{line_of(path, 'id: same-id')}" in problem.message
    assert len(bank) == 0  # the whole file is skipped, not just the second entry
    assert "duplicate-id.yaml skipped" in caplog.text


def test_duplicate_ids_across_builtin_files_raise_with_both_places(tmp_path: Path) -> None:
    entry = "- id: twice\n  topic: fundamentals\n  prompt: {p}\n  answer: {a}\n"
    (tmp_path / "a.yaml").write_text(entry.format(p="A prompt long enough.", a="x" * 30))
    (tmp_path / "b.yaml").write_text("\n" + entry.format(p="Another prompt here.", a="y" * 30))
    with pytest.raises(BankError) as info:
        load_bank(builtin_dir=tmp_path)
    [problem] = info.value.problems
    assert problem.file.endswith("b.yaml") and problem.line == 2
    assert problem.message.endswith("a.yaml:1")


def test_builtin_unknown_topic_raises_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "- id: typo-topic\n  topic: deep-learnin\n  prompt: What is a residual connection?\n"
        "  answer: A skip path that adds a block's input to its output.\n"
    )
    with pytest.raises(BankError) as info:
        load_bank(builtin_dir=tmp_path)
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (2, "topic")
    assert "did you mean 'deep-learning'?" in problem.message
    # Validation wants every problem instead of an exception.
    assert load_bank(builtin_dir=tmp_path, strict=False).problems == [problem]


def test_builtin_sources_must_name_a_real_seed_question(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "- id: bad-source\n  topic: fundamentals\n  prompt: What is a validation set for?\n"
        "  answer: Choosing models and hyperparameters without touching the test set.\n"
        '  sources: ["000_49013d5f2da82ec6.txt#26", "nope.txt#1"]\n'
    )
    problems = load_bank(builtin_dir=tmp_path, strict=False).problems
    assert [p.field for p in problems] == ["sources", "sources"]
    assert "questions 1-25, not 26" in problems[0].message
    assert "'nope.txt' is not a seed file" in problems[1].message
    assert {p.line for p in problems} == {5}


def test_repeated_key_and_bank_key_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "- id: twice-keyed\n  prompt: First version of the prompt.\n"
        "  answer: An answer that is long enough.\n  prompt: Second version of it.\n"
        "  bank: builtin\n"
    )
    _, problems = parse_bank_file(path)
    assert {(p.field, p.line) for p in problems} == {("prompt", 4), ("bank", 5)}


def test_json_bank_with_tabs_loads_and_bad_json_gets_a_json_message(tmp_path: Path) -> None:
    questions, problems = parse_bank_file(BANKS / "team-json.json", "team-json")
    assert problems == []
    assert [q.qualified_id for q in questions] == ["team-json:json-entry"]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "a-b",\n   "prompt": "unclosed"\n]\n')
    [problem] = parse_bank_file(broken)[1]
    assert problem.message.startswith("is not valid JSON")
    assert problem.line == 4


def test_top_level_must_be_a_list_and_entries_mappings(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("id: not-a-list\n")
    assert "must be a list of entries" in only_problem(mapping).message
    scalars = tmp_path / "scalars.yaml"
    scalars.write_text("- just a string\n")
    problem = only_problem(scalars)
    assert (problem.entry_id, problem.field, problem.line) == ("#1", "entry", 1)


def test_key_point_problems_point_into_the_list(tmp_path: Path) -> None:
    path = tmp_path / "kp.yaml"
    path.write_text(
        "- id: kp-entry\n  prompt: What does a key point look like?\n"
        "  answer: A short checkable claim the grader can look for.\n"
        "  key_points:\n    - one fine point\n    - text: ok\n    - another fine point\n"
    )
    problem = only_problem(path)
    assert problem.field == "key_points.1.text"
    assert problem.line == 6
    assert "too short" in problem.message


def _kp_entry(entry_id: str, count: int, topic: str = "") -> str:
    points = "".join(f"    - the answer states claim number {i + 1}\n" for i in range(count))
    topic_line = f"  topic: {topic}\n" if topic else ""
    return (
        f"- id: {entry_id}\n{topic_line}  prompt: What does rubric {entry_id} ask for?\n"
        f"  answer: Every claim the marking scheme lists, stated plainly.\n"
        f"  key_points:\n{points}"
    )


def test_a_custom_rubric_may_have_one_or_many_key_points(tmp_path: Path) -> None:
    """A teacher's marking scheme with two or eight points is graded as written (it was
    rejected, and its answers came back 'unknown question id'); only absurd lengths are
    refused, with the count."""
    path = tmp_path / "exam.yaml"
    path.write_text(
        _kp_entry("one-point", 1)
        + _kp_entry("two-points", 2)
        + _kp_entry("eight-points", 8)
        + _kp_entry("too-many", 21)
    )
    questions, problems = parse_bank_file(path)
    assert {q.id: len(q.key_points) for q in questions} == {
        "one-point": 1,
        "two-points": 2,
        "eight-points": 8,
    }
    [problem] = problems
    assert (problem.entry_id, problem.field) == ("too-many", "key_points")
    assert "has 21 entries; give at most 20" in problem.message


def test_a_builtin_question_still_gives_three_to_six_key_points(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(_kp_entry("two-points", 2, "fundamentals"))
    [problem] = load_bank(builtin_dir=tmp_path, strict=False).problems
    assert (problem.entry_id, problem.field, problem.line) == ("two-points", "key_points", 5)
    assert "has 2 entries; a built-in question gives 3 to 6" in problem.message


def test_custom_entries_may_run_longer_than_builtin_ones(tmp_path: Path) -> None:
    """A team's case-study prompt (2,000 characters) and a marking-scheme line of 300 load
    from a custom file; the built-in bank keeps its shorter limits, named with the length."""
    long_prompt = "A case study. " * 150 + "What would you do?"
    long_point = "states that " + "the penalty grows with the weights and " * 7 + "why"
    entry = (
        f"- id: case-study\n  topic: fundamentals\n  prompt: {long_prompt}\n"
        f"  answer: Regularise.\n  key_points:\n    - {long_point}\n"
        "    - names a second claim\n    - names a third claim\n"
    )
    custom = tmp_path / "team.yaml"
    custom.write_text(entry)
    questions, problems = parse_bank_file(custom)
    assert problems == [] and len(questions[0].prompt) > 2000
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "x.yaml").write_text(entry)
    problems = load_bank(builtin_dir=builtin, strict=False).problems
    assert [(p.field, p.line) for p in problems] == [("prompt", 3), ("key_points.0", 5)]
    assert "a built-in prompt keeps to 1500" in problems[0].message
    assert f"is {len(long_point)} characters; a built-in key point keeps to 200" in (
        problems[1].message
    )


def test_custom_bank_is_namespaced_and_gets_defaults() -> None:
    bank = load_bank([BANKS / "team-good.yaml"], builtin_dir=FIXTURE_BUILTIN)
    assert bank.problems == []
    assert bank.banks() == ["builtin", "team-good"]
    builtin, custom = bank.get("overfitting-basics"), bank.get("team-good:overfitting-basics")
    assert builtin is not None and custom is not None and builtin.prompt != custom.prompt
    assert (custom.bank, custom.topic, custom.difficulty, custom.kind, custom.key_points) == (
        "team-good",
        "custom",
        2,
        Kind.CONCEPT,
        (),
    )
    assert bank.get("team-good:our-ranking-metric").tags == ("search",)
    assert "search-ranking" in bank.topics()


def test_broken_custom_files_are_skipped_and_the_rest_still_loads(caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="question_bank.loader"):
        bank = load_bank([BROKEN, BANKS / "team-good.yaml"], builtin_dir=FIXTURE_BUILTIN)
    assert bank.banks() == ["builtin", "team-good"]
    assert len([q for q in bank if q.bank == "builtin"]) == 3
    broken_files = {p.name for p in BROKEN.iterdir()}
    reported = {Path(p.file).name for p in bank.problems}
    assert reported == broken_files
    for name in broken_files:
        assert f"{name} skipped" in caplog.text


def test_a_custom_bank_cannot_pose_as_builtin(tmp_path: Path) -> None:
    path = tmp_path / "builtin.yaml"
    path.write_text((BANKS / "team-good.yaml").read_text())
    bank = load_bank([path], builtin_dir=FIXTURE_BUILTIN)
    assert len(bank) == 3
    assert "cannot be a bank name" in bank.problems[0].message


def test_same_custom_path_twice_loads_once() -> None:
    path = BANKS / "team-good.yaml"
    bank = load_bank([path, str(path)], builtin_dir=None)
    assert bank.problems == [] and len(bank) == 3


def test_missing_custom_path_is_reported() -> None:
    bank = load_bank([BANKS / "no-such-bank.yaml"], builtin_dir=FIXTURE_BUILTIN)
    assert len(bank) == 3
    [problem] = bank.problems
    assert (problem.field, problem.message) == ("file", "does not exist")


def test_near_duplicate_prompts_warn_unless_marked_variant() -> None:
    path = BANKS / "near-duplicates.yaml"
    bank = validate_paths([path])
    [problem] = bank.problems
    assert not problem.is_error
    assert (problem.entry_id, problem.field) == ("what-is-dropout-again", "prompt")
    assert problem.line == line_of(path, "prompt:", occurrence=2)
    assert "near-duplicate of what-is-dropout" in problem.message
    # The fixture's variant pair is just as close, and is accepted because it is marked.
    team = load_bank([BANKS / "team-good.yaml"], builtin_dir=None)
    a, b = team.get("team-good:our-ranking-metric"), team.get("team-good:our-ranking-metric-short")
    assert fuzz.ratio(a.prompt, b.prompt) >= NEAR_DUPLICATE_RATIO
    assert b.variant_of == a.id and team.problems == []


def test_dangling_variant_of_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "- id: orphan\n  prompt: A variant of something that is gone.\n"
        "  answer: The entry it varies was deleted.\n  variant_of: gone-entry\n"
    )
    bank = load_bank([path], builtin_dir=None)
    assert len(bank) == 1
    [problem] = bank.problems
    assert (problem.field, problem.line, problem.severity) == ("variant_of", 4, "warning")


def test_single_file_keeps_bare_ids() -> None:
    bank = load_single_file(BANKS / "team-good.yaml")
    assert bank.get("our-ranking-metric") is not None
    assert bank.get("our-ranking-metric").bank == "team-good"


def _semantic(problems):
    return [p for p in problems if "covers the same ground" in p.message]


def test_the_duplicates_issue_16_found_score_above_the_threshold(tmp_path: Path) -> None:
    # The shipped bank plus the two entries since removed, as a built-in file among the rest:
    # IDF is measured on the real bank, as in production.
    for path in BUILTIN_DIR.iterdir():
        shutil.copy(path, tmp_path)
    old = BANKS / "semantic" / "old-duplicates.yaml"
    shutil.copy(old, tmp_path / "zz-old.yaml")
    problems = load_bank(builtin_dir=tmp_path, strict=False).problems
    found = {(p.entry_id, p.field, p.line): p for p in _semantic(problems)}
    assert set(found) == {
        ("roc-auc-from-ranks", "prompt", line_of(old, "prompt:")),
        ("stable-softmax-log-sum-exp", "prompt", line_of(old, "prompt:", occurrence=2)),
    }, problems
    roc = found["roc-auc-from-ranks", "prompt", line_of(old, "prompt:")]
    assert not roc.is_error
    assert PROBLEM_FORMAT.match(str(roc)) and roc.file.endswith("zz-old.yaml")
    assert "roc-auc-from-scores-coding (" in roc.message
    assert "evaluation-metrics.yaml:" in roc.message
    assert "set variant_of: roc-auc-from-scores-coding" in roc.message
    # Their prompts are far apart in spelling: the old ratio check could not see them.
    assert all(fuzz.ratio(a, b) < NEAR_DUPLICATE_RATIO for a, b in _old_prompt_pairs(tmp_path))


def _old_prompt_pairs(builtin: Path) -> list[tuple[str, str]]:
    bank = load_bank(builtin_dir=builtin, strict=False)
    pairs = [
        ("roc-auc-from-ranks", "roc-auc-from-scores-coding"),
        ("stable-softmax-log-sum-exp", "implement-stable-softmax-cross-entropy"),
    ]
    return [(bank.get(a).prompt, bank.get(b).prompt) for a, b in pairs]


def test_distinct_shipped_entries_score_below_the_threshold() -> None:
    bank = load_bank()
    questions = list(bank)
    cosines = all_cosines([f"{q.prompt}\n{q.answer}" for q in questions])
    i, j, highest = max(cosines, key=lambda pair: pair[2])
    assert highest < SEMANTIC_DUPLICATE_COSINE, (questions[i].id, questions[j].id, highest)


def test_same_subject_in_other_words_warns_unless_marked_variant(tmp_path: Path) -> None:
    entry = "- id: {id}\n  prompt: {prompt}\n  answer: {answer}\n"
    first = entry.format(
        id="dropout-what",
        prompt="What does dropout do during training?",
        answer="It zeroes random activations with probability p and rescales the survivors"
        " by 1/(1-p), so units cannot co-adapt; at inference every unit is kept.",
    )
    second = entry.format(
        id="dropout-why",
        prompt="Why does randomly silencing neurons regularise a network?",
        answer="Dropout zeroes activations at random with probability p, rescaling survivors"
        " by 1/(1-p); units cannot co-adapt, and inference keeps every unit.",
    )
    other = entry.format(
        id="batch-norm",
        prompt="What does batch normalisation compute?",
        answer="Per feature it subtracts the mini-batch mean, divides by the batch standard"
        " deviation, then applies a learned scale and shift.",
    )
    path = tmp_path / "team.yaml"
    path.write_text(first + second + other)
    bank = load_bank([path], builtin_dir=None)
    assert len(bank) == 3  # a warning never drops an entry
    [problem] = _semantic(bank.problems)
    assert (problem.entry_id, problem.field, problem.line) == ("dropout-why", "prompt", 5)
    assert "dropout-what (" in problem.message and not problem.is_error
    path.write_text(first + second.rstrip("\n") + "\n  variant_of: dropout-what\n" + other)
    assert _semantic(load_bank([path], builtin_dir=None).problems) == []


def test_tfidf_cosine_is_one_for_a_copy_and_zero_without_shared_words() -> None:
    texts = [
        "Gradient boosting fits shallow trees to residuals.",
        "Gradient boosting fits shallow trees to residuals.",
        "A hash map stores keys in buckets.",
    ]
    pairs = {(i, j): round(c, 6) for i, j, c in all_cosines(texts)}
    assert pairs[0, 1] == 1.0
    assert pairs[0, 2] == pairs[1, 2] == 0.0
    assert similar_pairs(texts) == [(0, 1, pytest.approx(1.0))]


def test_tfidf_matches_scikit_learn_on_the_shipped_bank() -> None:
    # scikit-learn is a development dependency only; the loader's own version must agree.
    text = pytest.importorskip("sklearn.feature_extraction.text")
    texts = [f"{q.prompt}\n{q.answer}" for q in load_bank()]
    vectorizer = text.TfidfVectorizer(
        analyzer=lambda t: list(terms(t).elements()), sublinear_tf=True, max_df=0.1
    )
    matrix = vectorizer.fit_transform(texts)
    ours = tfidf_vectors(texts)
    vocabulary = vectorizer.vocabulary_
    assert set(vocabulary) == {term for vector in ours for term in vector}
    for row, vector in enumerate(ours[:40]):
        theirs = {term: matrix[row, column] for term, column in vocabulary.items()}
        assert {t: round(w, 9) for t, w in vector.items()} == {
            t: round(w, 9) for t, w in theirs.items() if w
        }


def test_numbered_exam_ids_are_folded_into_slugs_and_found_either_way(tmp_path: Path) -> None:
    """An exam set numbers its questions (12, "Q3", "Exam 1.2"); each entry loads under a
    slug, with a warning naming it, and the id as written still finds it. The built-in bank
    must use the slug itself."""
    path = tmp_path / "exam.json"
    path.write_text(
        '[{"id": 12, "prompt": "What is overfitting?", "answer": "Fitting noise."},\n'
        ' {"id": "Q3", "prompt": "What is a learning rate?", "answer": "The step size."},\n'
        ' {"id": "Exam 1.2", "prompt": "What is dropout?", "answer": "Zeroing units."},\n'
        ' {"id": "!!!", "prompt": "What is nothing?", "answer": "Nothing at all."}]\n'
    )
    bank = load_single_file(path)
    assert sorted(q.id for q in bank) == ["12", "exam-1-2", "q3"]
    for written, known in (("12", "12"), ("Q3", "q3"), ("Exam 1.2", "exam-1-2")):
        assert bank.get(written) is bank.get(known) is not None
    warnings = {p.entry_id: p for p in bank.problems if not p.is_error}
    assert set(warnings) == {"Q3", "Exam 1.2"}
    assert warnings["Q3"].field == "id" and "is known as 'q3'" in warnings["Q3"].message
    [error] = [p for p in bank.problems if p.is_error]
    assert (error.entry_id, error.field, error.line) == ("!!!", "id", 4)
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "x.yaml").write_text(
        "- id: Q3\n  topic: fundamentals\n  prompt: What is a learning rate?\n"
        "  answer: The step size of gradient descent.\n"
    )
    [problem] = load_bank(builtin_dir=builtin, strict=False).problems
    assert (problem.field, problem.is_error) == ("id", True)


def test_a_templated_bank_warns_once_per_entry_not_once_per_pair(tmp_path: Path) -> None:
    """Entries written from one template all nearly repeat each other: a warning per pair
    grew with the square of the file (1,000 entries gave 499,500 lines; 20,000 took the
    machine's memory). Each entry is reported once, against its closest earlier one."""
    path = tmp_path / "templated.yaml"
    entries = [
        f"- id: metric-{n}\n  prompt: What does metric number {n} measure in a classifier?\n"
        f"  answer: Metric number {n} measures how well the classifier ranks positives.\n"
        for n in range(40)
    ]
    path.write_text("".join(entries))
    bank = validate_paths([path])
    assert len(bank) == 40
    near = [p for p in bank.problems if "near-duplicate" in p.message]
    assert len(near) == 39  # every entry after the first, once
    assert len({p.entry_id for p in near}) == 39
    last = next(p for p in near if p.entry_id == "metric-39")
    assert "and 38 more" in last.message  # how many others it repeats is still said
    assert len(bank.problems) <= 2 * 39  # the TF-IDF check is once per entry too


def test_a_file_not_in_utf8_points_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    """A file saved as Latin-1 was reported at line 0 with a byte offset from the start of
    the file, which no editor shows."""
    path = tmp_path / "team.yaml"
    path.write_bytes(
        b"- id: cafe\n  prompt: What is a caf\xe9 latte?\n  answer: Espresso and milk.\n"
    )
    problem = only_problem(path)
    assert (problem.line, problem.field) == (2, "prompt")
    assert "not UTF-8" in problem.message and "0xe9" in problem.message
    assert "column 24" in problem.message and "save it as UTF-8" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n"])
def test_an_empty_bank_file_is_a_warning_not_silence(tmp_path: Path, text: str) -> None:
    """``mlq bank validate`` said "0 questions loaded; 0 errors, 0 warnings" and exit 0 for
    an empty file: an MLQ_BANK_PATHS typo or an unsaved file passed unnoticed."""
    path = tmp_path / "team.yaml"
    path.write_text(text)
    problem = only_problem(path)
    assert (problem.line, problem.field, problem.severity) == (1, "file", "warning")
    assert "no entries" in problem.message


def test_a_custom_topic_one_typo_from_a_built_in_one_is_a_warning(tmp_path: Path) -> None:
    """A custom bank may bring its own topics, so `deep-learnin` was taken as a new topic
    without a word: its questions never came with `/mlq deep-learning`."""
    path = tmp_path / "team.yaml"
    path.write_text(
        "- id: typo\n  prompt: What does batch normalisation do?\n"
        "  answer: It normalises activations per mini-batch.\n  topic: deep-learnin\n"
        "- id: own\n  prompt: How do we deploy a model on our platform?\n"
        "  answer: Through the release train.\n  topic: our-platform\n"
    )
    bank = load_bank([path], builtin_dir=None)
    assert len(bank) == 2  # a warning: both still load
    [problem] = bank.problems
    assert (problem.entry_id, problem.field, problem.line) == ("typo", "topic", 4)
    assert problem.severity == "warning" and "'deep-learning'" in problem.message

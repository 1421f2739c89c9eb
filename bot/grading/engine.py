"""Puts the pieces together: scan the answer once, then grade by rubric or by STAR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.grading.behavioural import (
    PART_LABELS,
    StarScore,
    part_of_point,
    score_star,
    story_factor,
)
from bot.grading.calibration import (
    RECALL_SHARE_WITH_KEY_POINTS,
    calibrated,
    recall_score,
)
from bot.grading.features import Features, concept_features, marked_share
from bot.grading.feedback import (
    NOT_ENGLISH_NOTE,
    PASSING_SCORE,
    concept_feedback,
    star_feedback,
)
from bot.grading.language import looks_english
from bot.grading.match import AnswerIndex, Matcher, PointMatch
from bot.grading.nearcopy import is_near_copy
from bot.grading.result import Grade, PointResult
from bot.grading.rubric import build_phrasing, rubric_for
from bot.grading.similarity import best_recall, references_for, said_in, said_of
from bot.grading.style import judge_style
from bot.grading.text import Scan, scan, stem_word
from question_bank.schema import Kind, Question

GRADED_PREFIX_CHARS = 8000  # longer answers are graded on their start, and flagged
PART_OK = 0.5
TOPICAL_WEIGHT = 0.25
LONG_ANSWER_WORDS = 400
# Without key points a model-answer sentence is listed as covered from this share of its
# terms, and as missed only below the lower one: sentences of prose are no checked
# claims, and real answers paraphrase them (between the two it is listed as neither).
SENTENCE_COVERED = 0.34
SENTENCE_MISSED_BELOW = 0.15
# Flag: nothing in the answer the grader can read ("ok", "+1", emoji only).
NO_WORDS = "no_words"
# Chat acknowledgements that say nothing about any question.
_NOT_AN_ANSWER = frozenset(
    stem_word(w)
    for w in ("ok", "okay", "k", "kk", "lol", "thanks", "thx", "ty", "nice", "cool", "agreed")
)


def grade(
    question: Question,
    text: str,
    round_answers: Sequence[str] = (),
    accepted: Sequence[str] = (),
) -> Grade:
    text = text if isinstance(text, str) else ""
    flags: list[str] = []
    if len(text) > GRADED_PREFIX_CHARS:
        text = text[:GRADED_PREFIX_CHARS]
        flags.append("truncated")
    if not looks_english(text):
        return _not_english(flags)
    scanned = scan(text)
    terms = [t for clause in scanned.clauses for t in clause.terms]
    if all(t in _NOT_AN_ANSWER or (t.isdigit() and len(t) == 1) for t in terms):
        flags.append(NO_WORDS)
    near_copy = is_near_copy(text, terms, round_answers)
    if near_copy:
        flags.append("near_copy")
    if question.kind == Kind.BEHAVIOURAL:
        return _grade_star(question, text, scanned, flags)
    return _grade_concepts(question, scanned, flags, accepted)


def _not_english(flags: list[str]) -> Grade:
    # Graded as English it would be told it missed everything; say why instead.
    return Grade(
        score=0.0,
        confidence=0.3,
        feedback=NOT_ENGLISH_NOTE,
        flags=(*flags, "not_english"),
        method="not_english",
    )


def features_for(question: Question, text: str) -> Features | None:
    """The calibration features of a technical answer (None for behavioural questions or
    an empty answer); bench/fit_grader.py fits the calibration on these."""
    scanned = scan(text[:GRADED_PREFIX_CHARS])
    if question.kind == Kind.BEHAVIOURAL or not scanned.clauses:
        return None
    index = AnswerIndex.build(scanned)
    matches = Matcher(rubric_for(question), index).match_all()
    return concept_features(question, index, matches, judge_style(scanned))


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _grade_concepts(
    question: Question, scanned: Scan, flags: list[str], accepted: Sequence[str]
) -> Grade:
    rubric = rubric_for(question)
    empty = not scanned.clauses
    index = None if empty else AnswerIndex.build(scanned)
    matches: list[PointMatch] = [] if index is None else Matcher(rubric, index).match_all()
    style = judge_style(scanned)
    if style.keyword_list:
        flags.append("keyword_list")
    method = "key_points" if rubric.from_key_points else "model_answer"
    if not rubric.from_key_points:
        # Sentences of a model answer are not vetted claims: on real answers their
        # "opposite" readings were mostly paraphrases, so none is reported.
        matches = [replace(m, contradicted=False, against=()) for m in matches]

    # How much of the model answer, or of an answer the team accepted, this one says.
    said = said_in(scanned) if index is None else said_of(index.said_terms, index.words)
    recall, closest = best_recall(
        said, question.prompt, references_for(question.answer, accepted)
    )
    if closest > 0:
        flags.append("near_accepted")
    similarity = recall_score(recall)
    if matches and index is not None and rubric.from_key_points:
        # Key-point credit and shared vocabulary, combined by the fitted calibration.
        kp_content = calibrated(concept_features(question, index, matches, style))
        share = RECALL_SHARE_WITH_KEY_POINTS
        # Words used in claims the answer gets backwards are no evidence for it.
        backwards = marked_share(matches, lambda m: m.contradicted)
        content = (1 - share) * kp_content + share * similarity * (1 - backwards)
    elif matches:
        content = similarity
    else:
        content = 0.0
    score = _clamp(content * style.factor)

    if rubric.from_key_points:
        is_covered = [m.covered for m in matches]
        is_missed = [not c for c in is_covered]
        # A point earning part credit is named as said in part only in an answer that
        # scores at least half: below that, a few shared words are no part of a claim.
        is_partly = [
            not m.covered and m.credit > 0 and score >= PASSING_SCORE for m in matches
        ]
    else:
        is_covered = [m.coverage >= SENTENCE_COVERED for m in matches]
        is_missed = [m.coverage < SENTENCE_MISSED_BELOW for m in matches]
        is_partly = [False] * len(matches)  # prose sentences: see SENTENCE_COVERED
    covered = tuple(
        PointResult(m.point.text, m.matched) for m, c in zip(matches, is_covered, strict=True) if c
    )
    contradicted = tuple(PointResult(m.point.text, m.against) for m in matches if m.contradicted)
    partly = tuple(
        PointResult(m.point.text, m.matched) for m, p in zip(matches, is_partly, strict=True) if p
    )
    if matches:
        missed = tuple(
            PointResult(m.point.text, m.matched)
            for m, x in zip(matches, is_missed, strict=True)
            if x
        )
    else:
        missed = tuple(PointResult(p.text) for p in rubric.points)

    said_in_part = {p.text for p in partly}
    feedback = concept_feedback(
        [p.text for p in covered],
        [p.text for p in missed if p not in contradicted and p.text not in said_in_part],
        [p.text for p in contradicted],
        partly=[p.text for p in partly],
        keyword_list=style.keyword_list,
        near_copy="near_copy" in flags,
        empty=empty,
        score=score,
    )
    confidence = _concept_confidence(matches, rubric.from_key_points, style.words, flags)
    return Grade(
        score=round(score, 4),
        covered=covered,
        missed=missed,
        confidence=round(confidence, 3),
        feedback=feedback,
        flags=tuple(flags),
        contradicted=contradicted,
        partly=partly,
        method=method,
    )


def _concept_confidence(
    matches: Sequence[PointMatch], from_key_points: bool, words: int, flags: Sequence[str]
) -> float:
    if not matches:
        return 0.95  # nothing to grade is a sure zero
    base = 0.9 if from_key_points else 0.6
    # A point matched at 50% could go either way; at 0% or 100% it is clear-cut.
    decisive = sum(abs(min(1.0, m.coverage) - 0.5) * 2 for m in matches) / len(matches)
    confidence = base * (0.6 + 0.4 * decisive)
    if any(m.fuzzy for m in matches):
        confidence *= 0.95
    if any(m.contradicted for m in matches):
        confidence *= 0.9
    if "keyword_list" in flags:
        confidence *= 0.9
    if words > LONG_ANSWER_WORDS:
        confidence *= 0.85
    return _clamp(confidence)


def _relevance(question: Question, scanned: Scan) -> float:
    """Share of the prompt's content the story touches, 0..1 (a weak signal)."""
    prompt = build_phrasing(question.prompt)
    if not prompt.terms:
        return 1.0
    answer_terms = {t for clause in scanned.clauses for t in clause.terms}
    hit = sum(t.weight for t in prompt.terms if t.term in answer_terms)
    return _clamp(hit / prompt.total / 0.3)


def _grade_star(question: Question, text: str, scanned: Scan, flags: list[str]) -> Grade:
    empty = not scanned.clauses
    star: StarScore = score_star(text, scanned)
    if star.generic:
        flags.append("generic")
    rubric = rubric_for(question)
    matches = [] if empty else Matcher(rubric, AnswerIndex.build(scanned)).match_all()
    if matches and rubric.from_key_points:
        # The tailored rubric says what this story should be about; it weighs a quarter.
        topical = sum(m.credit for m in matches) / len(matches)
    else:
        topical = _relevance(question, scanned)
    content = (1 - TOPICAL_WEIGHT) * star.score + TOPICAL_WEIGHT * topical
    score = 0.0 if empty else content * story_factor(star)

    covered: list[PointResult] = []
    missed: list[PointResult] = []
    by_point = {m.point.text: m for m in matches} if rubric.from_key_points else {}
    points = [(kp.text, part_of_point(kp.text)) for kp in question.key_points]
    if not points:
        points = [(label, part) for part, label in PART_LABELS.items()]
    for point_text, part in points:
        match = by_point.get(point_text)
        part_ok = part is not None and star.parts[part] >= PART_OK
        if part_ok or (match is not None and match.covered):
            words = match.matched if match is not None and match.covered else ()
            covered.append(PointResult(point_text, words + star.cues.get(part or "", ())))
        else:
            missed.append(PointResult(point_text, match.matched if match is not None else ()))

    strong = [p for p in STAR_PARTS if star.parts[p] >= PART_OK]
    weak = [PART_LABELS[p] for p in star.parts if star.parts[p] < PART_OK]
    feedback = star_feedback(
        [_STRONG_WORDING[p] for p in strong],
        weak,
        generic=star.generic,
        near_copy="near_copy" in flags,
        empty=empty,
    )
    confidence = 0.95 if empty else 0.65 * (0.7 + 0.3 * min(1.0, star.words / 60))
    return Grade(
        score=round(_clamp(score), 4),
        covered=tuple(covered),
        missed=tuple(missed),
        confidence=round(confidence, 3),
        feedback=feedback,
        flags=tuple(flags),
        method="star",
    )


STAR_PARTS = ("situation", "task", "action", "result", "concrete")
_STRONG_WORDING = {
    "situation": "a clear situation",
    "task": "your task",
    "action": "your own actions",
    "result": "a result",
    "concrete": "concrete detail",
}

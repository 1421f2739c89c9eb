"""Behavioural answers are judged on story structure (STAR) and concreteness, not keywords.

Situation, task, action and result are recognised by the way people narrate them ("at my
last job", "I was asked to", "I rewrote", "latency dropped 40%"). Concreteness comes from
numbers, named tools and ML terms, and from saying "I" rather than "we". A generic answer
("I would usually...") earns little however well it is worded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.grading.text import CONCEPT_PREFIX, Scan

_F = re.I


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), _F)


_PLACE = (
    r"\b(?:at|in|on|with|for) (?:my|a|an|our|the) (?:(?:previous|last|former|current|old|"
    r"first|second|early|big|small|mid-sized|large) )*(?:job|role|company|team|employer|startup|"
    r"start-up|internship|project|position|client|bank|retailer|firm|lab|org\w*|agency|insurer|"
    r"marketplace|platform)\b"
)
SITUATION = _rx(
    _PLACE,
    r"\bwhen i (?:was|joined|worked|started|led|owned)\b",
    r"\bi (?:was|am) (?:working|a|an|the|on)\b",
    r"\b(?:last|this|previous) (?:year|quarter|month|summer|spring|autumn|fall|winter)\b",
    r"\b(?:19|20)\d\d\b",
    r"\b(?:a|one|two|three|several|few) (?:years?|months?|weeks?) ago\b",
    r"\b(?:situation|context|background)\b",
    r"\bour (?:team|product|model|company|system|pipeline|service|data|client|app)\b",
    r"\bwe (?:were|had|ran|used|built|had been)\b",
    r"\bwhile (?:working|at|building)\b",
)
TASK = _rx(
    r"\bmy (?:goal|task|job|responsibility|role|mandate|assignment|objective|brief)\b",
    r"\bi was (?:responsible|asked|tasked|in charge|assigned|expected|supposed|hired|the one)\b",
    r"\bi (?:needed|had|wanted|was trying) to\b",
    r"\bwe (?:needed|had) to\b",
    r"\bthe (?:goal|task|challenge|problem|objective|ask|deadline|target) (?:was|were|is)\b",
    r"\b(?:deadline|goal|objective|challenge|task)\b",
    r"\bi owned\b",
    r"\b(?:in charge of|accountable for|my part was)\b",
)
_IRREGULAR = (
    "built|wrote|made|ran|set|led|took|began|chose|sent|met|spoke|told|gave|found|drew|brought|"
    "sought|thought|did|put|kept|held|got|went|cut|split|rewrote|rebuilt|sat|dug|paired|"
    "taught|won|lost|left|read|broke|hid|fed|shut|sold|bought|paid|laid|spent|stood|began"
)
ACTION = re.compile(
    r"\bi (?:\w+ly |then |first |also |personally |finally |immediately )?"
    rf"(?:\w{{3,}}ed|{_IRREGULAR})\b",
    _F,
)
# "Action (what I changed): ..." followed by a real sentence states the action part.
ACTION_LABEL = re.compile(
    r"\b(?:action|actions|what i did|my approach|steps i took)\b[^:\n]{0,80}:\s*(?:\S+\s+){5}", _F
)
WE_ACTION = re.compile(rf"\bwe (?:then |first |also )?(?:\w{{3,}}ed|{_IRREGULAR})\b", _F)
RESULT = _rx(
    r"\bas a result\b",
    r"\bresult(?:ed|s)?\b",
    r"\boutcome\b",
    r"\bin the end\b",
    r"\b(?:eventually|ultimately|afterwards)\b",
    r"\b(?:reduced|improved|increased|cut|saved|shipped|launched|raised|lowered|dropped|grew|"
    r"doubled|halved|recovered|fell|rose|went (?:from|down|up)|adopted|approved|caught|"
    r"prevented|unblocked|delivered)\b",
)
REFLECTION = _rx(
    r"\b(?:learned|learnt|lesson|takeaway|since then|now i|next time|in hindsight|"
    r"looking back|i would do differently|i now)\b",
)
MEASURE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|percent|x\b|ms\b|s\b|seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|points?|pp\b|k\b|m\b|users?|customers?|people|engineers?|\$)|\$\s?\d+",
    _F,
)
GENERIC = _rx(
    r"\bi would\b",
    r"\bi'd\b",
    r"\bi will\b",
    r"\bi'll\b",
    r"\bi (?:usually|always|generally|"
    r"normally|typically|tend to)\b",
    r"\bin general\b",
    r"\bit depends\b",
    r"\bi try to\b",
)
TOOLS = _rx(
    r"\b(?:python|sql|spark|airflow|kubernetes|k8s|pytorch|tensorflow|sklearn|scikit-learn|"
    r"xgboost|lightgbm|aws|gcp|azure|bigquery|snowflake|dbt|kafka|docker|mlflow|tableau|looker|"
    r"jira|excel|pandas|notebook|dashboard|grafana|sagemaker|redshift|postgres|jupyter|git|"
    r"slack|confluence|a/b test|ab test|shap|optuna|feature store)\b",
)
_I = re.compile(r"\bi\b", _F)
_WE = re.compile(r"\bwe\b", _F)

WEIGHTS = {"situation": 0.2, "task": 0.15, "action": 0.3, "result": 0.2, "concrete": 0.15}
FULL_LENGTH_WORDS = 90  # a STAR story shorter than this is thin


@dataclass(frozen=True, slots=True)
class StarScore:
    parts: dict[str, float]  # situation, task, action, result, concrete -> 0..1
    cues: dict[str, tuple[str, ...]]  # the phrases that earned each part
    generic: bool
    words: int
    score: float


def _cue_strength(count: int) -> float:
    """One clear cue says most of it; a second one settles it."""
    return 0.0 if count == 0 else min(1.0, 0.5 + 0.3 * count)


def _found(pattern: re.Pattern[str], text: str, limit: int = 4) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text)][:limit]


def score_star(text: str, scanned: Scan) -> StarScore:
    words = scanned.prose_words + scanned.code_words
    situation = _found(SITUATION, text)
    task = _found(TASK, text)
    actions = _found(ACTION, text, limit=8)
    action_label = _found(ACTION_LABEL, text, limit=1)
    we_actions = _found(WE_ACTION, text, limit=8)
    results = _found(RESULT, text)
    reflection = _found(REFLECTION, text)
    measures = _found(MEASURE, text)
    tools = _found(TOOLS, text)
    concepts = {t for c in scanned.clauses for t in c.terms if t.startswith(CONCEPT_PREFIX)}
    generic_cues = _found(GENERIC, text)

    i_count = len(_I.findall(text))
    we_count = len(_WE.findall(text))
    ownership = 1.0 if i_count + we_count == 0 else 0.5 + 0.5 * i_count / (i_count + we_count)

    parts = {
        "situation": _cue_strength(len(situation)),
        "task": _cue_strength(len(task)),
        "action": min(1.0, (len(actions) + 0.5 * len(we_actions) + 2 * len(action_label)) / 2),
        "result": min(1.0, 0.4 * len(results) + 0.4 * bool(measures) + 0.3 * bool(reflection)),
        "concrete": min(1.0, (len(measures) + len(tools) + 0.5 * len(concepts)) / 3) * ownership,
    }
    generic = len(generic_cues) > len(actions)
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    cues = {
        "situation": tuple(situation),
        "task": tuple(task),
        "action": tuple(actions or we_actions or [c.split(":")[0] for c in action_label]),
        "result": tuple(results + measures + reflection)[:4],
        "concrete": tuple(measures + tools)[:4],
    }
    return StarScore(parts, cues, generic, words, max(0.0, min(1.0, score)))


def story_factor(star: StarScore) -> float:
    """Shrinks thin or hypothetical stories: a STAR answer needs room and a real event."""
    factor = 0.4 + 0.6 * min(1.0, star.words / FULL_LENGTH_WORDS)
    if star.generic:
        factor *= 0.6  # a description of habits, not of something that happened
    return factor


_STAR_LABEL = re.compile(
    r"^\s*(?:situation|task|action|actions|result|results)(?:\s+and\s+\w+)?\s*[,:(—-]\s*", _F
)


def strip_star_label(text: str) -> str:
    """'Action, proposed a fair experiment' -> 'proposed a fair experiment'."""
    return _STAR_LABEL.sub("", text)


# Which STAR part a tailored key point speaks about, from its wording.
_PART_OF_POINT = (
    ("situation", re.compile(r"\b(?:situation|context|background|setting)\b", _F)),
    ("task", re.compile(r"\b(?:task|goal|responsib\w*|role|objective|stakes)\b", _F)),
    ("action", re.compile(r"\b(?:action|actions|did|steps|approach)\b", _F)),
    ("result", re.compile(r"\b(?:result|results|outcome|impact|learn\w*|measur\w*)\b", _F)),
)
PART_LABELS = {
    "situation": "Situation: where and when, and what was at stake",
    "task": "Task: what you were responsible for",
    "action": "Action: what you did yourself, step by step",
    "result": "Result: a measurable outcome and what you learned",
    "concrete": "Concrete detail: numbers, tools, names",
}


_LEADING_PART = re.compile(r"^\s*(situation|task|action|result)s?\b", _F)


def part_of_point(text: str) -> str | None:
    leading = _LEADING_PART.match(text)
    if leading:
        return leading.group(1).lower()
    for part, pattern in _PART_OF_POINT:
        if pattern.search(text):
            return part
    return None

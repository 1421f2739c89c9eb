"""The shape of one bank entry.

A bank file is a YAML (or JSON) list of these. Only ``id``, ``prompt`` and ``answer``
are required so that a team can write a custom bank quickly; everything else has a
default the grader and the selection policy can live with.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SOURCE_PATTERN = re.compile(r"^(?P<file>[\w.-]+\.txt)#(?P<number>\d+)$")


def as_slug(value: str | int) -> str:
    """The id a team's own id is known by: "Q3" -> "q3", "Exam 1.2" -> "exam-1-2", 12 ->
    "12". Lookups fold what people type the same way, so both spellings find it."""
    return _NOT_SLUG.sub("-", str(value).strip().lower()).strip("-")


TOPICS: dict[str, str] = {
    "fundamentals": "ML fundamentals",
    "supervised-learning": "Supervised learning",
    "unsupervised-learning": "Unsupervised learning",
    "evaluation-metrics": "Evaluation and metrics",
    "data-feature-engineering": "Data and feature engineering",
    "regularisation-optimisation": "Regularisation and optimisation",
    "trees-ensembles": "Trees and ensembles",
    "deep-learning": "Deep learning",
    "nlp-llms": "NLP, transformers and LLMs",
    "recommender-systems": "Recommender systems",
    "ml-system-design-mlops": "ML system design and MLOps",
    "probability-statistics": "Probability and statistics",
    "sql-data-engineering": "SQL and data engineering",
    "coding-cs": "Coding and CS fundamentals",
    "behavioural": "Behavioural",
    "generative-ai": "Generative AI: LLM training, inference, RAG and agents",
    "computer-vision": "Computer vision",
    "reinforcement-learning": "Reinforcement learning and bandits",
    "math-foundations": "Linear algebra, calculus and probability puzzles",
    "experimentation-causal": "Experimentation and causal inference",
    "time-series": "Time series and forecasting",
    "ml-infrastructure": "Distributed training, memory sizing and compression",
    "responsible-ai": "Privacy, fairness and responsible AI",
}
CUSTOM_TOPIC = "custom"
BUILTIN_BANK = "builtin"

# The seed articles the built-in bank was derived from (they live in ../shared/seeds next
# to the repository, which is not shipped). Only their question counts matter here: they
# let `mlq bank stats` and the quality tests say which seed questions `sources` covers.
SEED_QUESTION_COUNTS: dict[str, int] = {
    "000_49013d5f2da82ec6.txt": 25,  # numbered "Question N"
    "001_879e05dd63d5b465.txt": 55,  # numbered "N."
}

# The built-in bank gives every question 3-6 key points (checked by the loader). A team's
# own rubric may have as few as one or many more: a teacher's marking scheme is what it is,
# and rejecting the entry would leave its answers ungraded.
MIN_KEY_POINTS, MAX_KEY_POINTS = 3, 6
MAX_CUSTOM_KEY_POINTS = 20
# Lengths the built-in bank keeps to (the loader checks them), and the looser ones any
# bank may use: a team's case-study prompt or a marking-scheme line runs longer.
BUILTIN_MAX_CHARS = {"prompt": 1500, "answer": 4000, "key point": 200}
MAX_PROMPT_CHARS, MAX_ANSWER_CHARS, MAX_KEY_POINT_CHARS = 6000, 12000, 600
MAX_FOLLOW_UPS = 3


class Kind(StrEnum):
    CONCEPT = "concept"
    CODING = "coding"
    DESIGN = "design"
    BEHAVIOURAL = "behavioural"


class Format(StrEnum):
    """How a question is answered: free text graded on the rubric, or a quiz graded exactly."""

    OPEN = "open"
    CHOICE = "choice"  # pick one or several options (several when more than one is correct)
    NUMERIC = "numeric"  # a number, right within a tolerance


MIN_OPTIONS, MAX_OPTIONS = 2, 6


def _one_item_list(value: Any) -> Any:
    # `tags: nlp` is an easy slip for `tags: [nlp]`; accept it rather than nag.
    return (value,) if isinstance(value, str) else value


class KeyPoint(BaseModel):
    """One checkable claim a good answer makes; ``alternatives`` are other ways to say it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    text: Annotated[str, Field(min_length=3, max_length=MAX_KEY_POINT_CHARS)]
    alternatives: tuple[
        Annotated[str, Field(min_length=2, max_length=MAX_KEY_POINT_CHARS)], ...
    ] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_plain_string(cls, value: Any) -> Any:
        # A bare string is shorthand for a key point with no alternatives.
        if isinstance(value, str):
            return {"text": value}
        return value

    @field_validator("alternatives", mode="before")
    @classmethod
    def _alternatives_list(cls, value: Any) -> Any:
        return _one_item_list(value)

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.text, *self.alternatives)


class Option(BaseModel):
    """One option of a multiple-choice question; ``why`` is shown at the reveal."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    text: Annotated[str, Field(min_length=1, max_length=300)]
    correct: bool = False
    why: Annotated[str, Field(min_length=3, max_length=600)]


class NumericAnswer(BaseModel):
    """The expected number of a numeric question and how far off an answer may be.

    Give exactly one of ``tolerance`` (absolute, in ``unit``) and ``relative_tolerance``
    (a fraction of ``value``, e.g. 0.05 for 5%).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    value: float
    tolerance: Annotated[float, Field(gt=0)] | None = None
    relative_tolerance: Annotated[float, Field(gt=0, lt=1)] | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None

    @model_validator(mode="after")
    def _one_tolerance(self) -> NumericAnswer:
        if (self.tolerance is None) == (self.relative_tolerance is None):
            raise ValueError("give exactly one of tolerance and relative_tolerance")
        return self


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str
    # Short is fine: "What does a stack pop return?" with the model answer "the top item".
    prompt: Annotated[str, Field(min_length=4, max_length=MAX_PROMPT_CHARS)]
    answer: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER_CHARS)]
    topic: str = CUSTOM_TOPIC
    difficulty: Annotated[int, Field(ge=1, le=3)] = 2
    kind: Kind = Kind.CONCEPT
    format: Format = Format.OPEN
    options: tuple[Option, ...] = ()
    numeric: NumericAnswer | None = None
    key_points: tuple[KeyPoint, ...] = ()
    follow_ups: Annotated[tuple[str, ...], Field(max_length=MAX_FOLLOW_UPS)] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    variant_of: str | None = None
    # Filled in by the loader, never by the file: which bank the entry came from.
    bank: str = BUILTIN_BANK

    @field_validator("id", "variant_of", mode="before")
    @classmethod
    def _check_slug(cls, value: Any) -> Any:
        # Exam sets number their questions (12, "Q3", "1.2"): such an id is folded into a
        # slug (the loader warns which one) rather than refused.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or ID_PATTERN.match(value):
            return value
        slug = as_slug(value)
        if not ID_PATTERN.match(slug):
            raise ValueError(
                f"{value!r} is not an id: use letters, digits and hyphens, at most 80 "
                "characters (e.g. bias-variance-tradeoff)"
            )
        return slug

    @field_validator("topic")
    @classmethod
    def _check_topic(cls, value: str) -> str:
        # Custom banks may invent topics, but they must be slugs so filters can name them.
        if not ID_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a lowercase slug (e.g. deep-learning)")
        return value

    @field_validator("follow_ups", "tags", "sources", "references", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _one_item_list(value)

    @field_validator("key_points")
    @classmethod
    def _check_key_points(cls, value: tuple[KeyPoint, ...]) -> tuple[KeyPoint, ...]:
        if len(value) > MAX_CUSTOM_KEY_POINTS:
            raise ValueError(
                f"has {len(value)} entries; give at most {MAX_CUSTOM_KEY_POINTS}, or leave it out"
            )
        texts = [point.text.casefold() for point in value]
        if len(set(texts)) != len(texts):
            raise ValueError("lists the same key point twice")
        return value

    @field_validator("options")
    @classmethod
    def _check_options(cls, value: tuple[Option, ...]) -> tuple[Option, ...]:
        if not value:
            return value
        if not MIN_OPTIONS <= len(value) <= MAX_OPTIONS:
            raise ValueError(f"has {len(value)} options; give {MIN_OPTIONS} to {MAX_OPTIONS}")
        if not any(option.correct for option in value):
            raise ValueError("marks no option correct: set `correct: true` on at least one")
        texts = [option.text.casefold() for option in value]
        if len(set(texts)) != len(texts):
            raise ValueError("lists the same option twice")
        return value

    @model_validator(mode="after")
    def _check_format_fields(self) -> Question:
        # Each format needs its own field and no other's, so a typo in `format` is caught.
        if self.format == Format.CHOICE and not self.options:
            raise ValueError("format choice needs `options` (2 to 6, at least one correct)")
        if self.format == Format.NUMERIC and self.numeric is None:
            raise ValueError("format numeric needs `numeric` (value and a tolerance)")
        if self.format != Format.CHOICE and self.options:
            raise ValueError(f"`options` only goes with format choice, not {self.format.value}")
        if self.format != Format.NUMERIC and self.numeric is not None:
            raise ValueError(f"`numeric` only goes with format numeric, not {self.format.value}")
        return self

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for source in value:
            if not SOURCE_PATTERN.match(source):
                raise ValueError(
                    f"{source!r} is not of the form <seed file name>#<number> "
                    "(e.g. 000_49013d5f2da82ec6.txt#5)"
                )
        return value

    @property
    def is_quiz(self) -> bool:
        """Graded exactly (choice or numeric) rather than on a rubric."""
        return self.format != Format.OPEN

    @property
    def correct_options(self) -> tuple[int, ...]:
        """Indexes of the correct options (empty unless format is choice)."""
        return tuple(i for i, option in enumerate(self.options) if option.correct)

    @property
    def topic_title(self) -> str:
        return TOPICS.get(self.topic, self.topic.replace("-", " ").capitalize())

    @property
    def qualified_id(self) -> str:
        """The id as the rest of the bot stores it: custom banks get a namespace prefix."""
        return self.id if self.bank == BUILTIN_BANK else f"{self.bank}:{self.id}"


def seed_refs(question: Question) -> list[tuple[str, int]]:
    """The ``(seed file, question number)`` pairs an entry's ``sources`` name."""
    refs = []
    for source in question.sources:
        match = SOURCE_PATTERN.match(source)
        if match:
            refs.append((match["file"], int(match["number"])))
    return refs

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

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
SOURCE_PATTERN = re.compile(r"^[\w.-]+\.txt#\d+$")

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
}
CUSTOM_TOPIC = "custom"


class Kind(StrEnum):
    CONCEPT = "concept"
    CODING = "coding"
    DESIGN = "design"
    BEHAVIOURAL = "behavioural"


class KeyPoint(BaseModel):
    """One checkable claim a good answer makes; ``alternatives`` are other ways to say it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(min_length=3, max_length=200)]
    alternatives: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_plain_string(cls, value: Any) -> Any:
        # A bare string is shorthand for a key point with no alternatives.
        if isinstance(value, str):
            return {"text": value}
        return value

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.text, *self.alternatives)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    prompt: Annotated[str, Field(min_length=10, max_length=1500)]
    answer: Annotated[str, Field(min_length=20, max_length=4000)]
    topic: str = CUSTOM_TOPIC
    difficulty: Annotated[int, Field(ge=1, le=3)] = 2
    kind: Kind = Kind.CONCEPT
    key_points: tuple[KeyPoint, ...] = ()
    follow_ups: Annotated[tuple[str, ...], Field(max_length=3)] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    variant_of: str | None = None
    # Filled in by the loader, never by the file: which bank the entry came from.
    bank: str = "builtin"

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(
                "must be a lowercase slug of letters, digits and hyphens, 2-80 characters "
                "(e.g. bias-variance-tradeoff)"
            )
        return value

    @field_validator("key_points")
    @classmethod
    def _check_key_points(cls, value: tuple[KeyPoint, ...]) -> tuple[KeyPoint, ...]:
        if value and not 3 <= len(value) <= 6:
            raise ValueError(f"has {len(value)} entries; give 3 to 6, or leave it out")
        return value

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for source in value:
            if not SOURCE_PATTERN.match(source):
                raise ValueError(f"{source!r} is not of the form <seed file name>#<number>")
        return value

    @property
    def topic_title(self) -> str:
        return TOPICS.get(self.topic, self.topic.replace("-", " ").capitalize())

    @property
    def qualified_id(self) -> str:
        """The id as the rest of the bot stores it: custom banks get a namespace prefix."""
        return self.id if self.bank == "builtin" else f"{self.bank}:{self.id}"

"""What grading returns: a score, which key points were covered or missed, and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PointResult:
    """One key point and the words of the answer that matched it (empty when missed)."""

    text: str
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grade:
    score: float  # in [0, 1]
    covered: tuple[PointResult, ...] = ()
    missed: tuple[PointResult, ...] = ()
    confidence: float = 0.5  # in [0, 1]: how much the grader trusts its own score
    feedback: str = ""
    # Reasons the answer earns no quality points even if it scores, e.g. "near_copy".
    flags: tuple[str, ...] = field(default=())
    # Points the answer states the opposite of ("does not reduce variance"); they are also
    # in ``missed``. ``matched`` holds the words used with the wrong polarity.
    contradicted: tuple[PointResult, ...] = ()
    # Points said in part (some of their words, short of covering them); with key points
    # they are also in ``missed``. The feedback names them, so an answer that scores well
    # in its own words is not told it "missed the key points".
    partly: tuple[PointResult, ...] = ()
    # How the score was reached: "key_points", "model_answer" (no key points) or "star".
    method: str = "key_points"

    @property
    def earns_quality_points(self) -> bool:
        return "near_copy" not in self.flags

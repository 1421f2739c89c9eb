"""Which answers a round confirms, to be recognised as model answers from then on.

Real people word a correct answer in ways no single model answer foresees. After a
reveal, the round's best answer and other on-time answers that scored high become
extra references for that question in that workspace (bench/GRADING.md measures the
gain: three accepted answers a question raise rho on every real set).
"""

from __future__ import annotations

from collections.abc import Sequence

# Score from which an on-time answer is accepted even if it was not the best.
ACCEPT_SCORE = 0.8
# The newest accepted answers a grading compares with; older ones add little and cost time.
ACCEPTED_PER_QUESTION = 20
# Flags that make an answer no evidence of a good wording.
_DISQUALIFYING = frozenset({"near_copy", "keyword_list", "not_english", "truncated"})


def accept_reason(*, score: float, best: bool, on_time: bool, flags: Sequence[str]) -> str | None:
    """ "best" or "high_score" when the round confirms this answer, else None."""
    if not on_time or _DISQUALIFYING.intersection(flags):
        return None
    if best and score > 0:
        return "best"
    if score >= ACCEPT_SCORE:
        return "high_score"
    return None

"""What ``mlq bank export-feedback`` and ``mlq bank reports`` print, for a team improving its
custom bank or sending fixes upstream. Only text and grades leave: no user ids, no names,
no workspace or channel ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from question_bank.loader import QuestionBank
from storage import Database
from storage.feedback import FeedbackStore


async def feedback_lines(db: Database, bank: QuestionBank | None = None) -> list[str]:
    """One JSON line per question that has accepted or rejected answers or disputes."""
    async with db.reading() as session:
        store = FeedbackStore(session)
        accepted = await store.accepted_by_question()
        rejected = await store.rejected_by_question()
        disputes = await store.resolved_disputes()
    entries: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"accepted": [], "rejected": [], "disputes": []}
    )
    for question_id, text in accepted:
        entries[question_id]["accepted"].append(text)
    for question_id, text in rejected:
        entries[question_id]["rejected"].append(text)
    for dispute, answer_text in disputes:
        entries[dispute.question_id]["disputes"].append(
            {
                "outcome": dispute.state,
                "answer": answer_text,
                "reason": dispute.reason,
                "score_before": round(dispute.old_score, 4),
                "score_after": None if dispute.new_score is None else round(dispute.new_score, 4),
                "note": dispute.resolution_note,
            }
        )
    lines = []
    for question_id in sorted(entries):
        question = bank.get(question_id) if bank is not None else None
        line = {"question": question_id}
        if question is not None:
            line["prompt"] = question.prompt
        lines.append(json.dumps({**line, **entries[question_id]}, ensure_ascii=False))
    return lines


async def report_lines(db: Database, bank: QuestionBank | None = None) -> list[str]:
    """Reported questions, most reported first: id, reports, workspaces retired in, reasons."""
    async with db.reading() as session:
        store = FeedbackStore(session)
        reports = await store.all_reports()
        retired = await store.retired_counts()
    grouped: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        grouped[report.question_id].append(report.reason)
    lines = []
    for question_id, reasons in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        known = bank is not None and bank.get(question_id) is not None
        shown = "; ".join(" ".join(r.split()) for r in reasons if r.strip()) or "no reason given"
        lines.append(
            f"{question_id}: {len(reasons)} report{'s' if len(reasons) != 1 else ''}, retired "
            f"in {retired.get(question_id, 0)} workspace(s)"
            + ("" if known or bank is None else " (not in this bank)")
            + f": {shown}"
        )
    return lines

"""What the bot says about disputes and reports. Every user text is quoted (defused)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import render
from bot.messages import Action, Button, Field, Message, MessageKind, Visibility
from bot.text import quote_user_text
from question_bank.schema import Question
from storage.models import Answer, Dispute, Member

DISPUTE_LABEL = "Dispute grade"
REPORT_LABEL = "Report a problem with this question"


def feedback_buttons(post_id: int) -> tuple[Button, ...]:
    """What the private feedback on a daily answer carries."""
    return (
        Button(Action.DISPUTE, DISPUTE_LABEL, str(post_id)),
        Button(Action.REPORT, REPORT_LABEL, str(post_id)),
    )


def private(body: str, title: str | None = None) -> Message:
    return Message(body=body, title=title, kind=MessageKind.INFO, visibility=Visibility.PRIVATE)


def reason_text(reason: str) -> str:
    return quote_user_text(reason, 300) if reason.strip() else "(no reason given)"


def dispute_card(
    dispute: Dispute, answer: Answer, member: Member, question: Question | None
) -> Message:
    """Everything an admin needs to decide: question, key points, answer, grade, reason."""
    fields: list[Field] = []
    if question is not None:
        fields.append(Field("Question", quote_user_text(question.prompt, 500)))
        numbered = "\n".join(f"{i}. {p.text}" for i, p in enumerate(question.key_points, 1))
        if numbered:
            fields.append(Field("Key points", numbered))
    fields.append(Field("Answer", quote_user_text(answer.text, 900)))
    graded = [f"- covered: {quote_user_text(p, 200)}" for p in answer.covered]
    graded += [f"- missed: {quote_user_text(p, 200)}" for p in answer.missed]
    if graded:
        fields.append(Field("The grader's reading", "\n".join(graded)))
    fields.append(Field("Reason", reason_text(dispute.reason)))
    return Message(
        title=(
            f"Dispute #{dispute.id} · {render.name(member.display_name)} · score "
            f"{render.percent(answer.score)} ({render.percent(dispute.old_score)} when filed)"
        ),
        body=(
            f"Decide with `/mlq resolve {dispute.id} keep`, `/mlq resolve {dispute.id} score "
            f"0-100` or `/mlq resolve {dispute.id} points 1,3` (the key points covered), "
            "optionally followed by why."
        ),
        fields=tuple(fields),
        kind=MessageKind.INFO,
        visibility=Visibility.PRIVATE,
    )


def outcome_for_member(
    dispute: Dispute, question: Question | None, old_points: int, new_points: int | None
) -> Message:
    prompt = quote_user_text(question.prompt, 160) if question else dispute.question_id
    why = f" Their note: {reason_text(dispute.resolution_note)}" if dispute.resolution_note else ""
    if dispute.state == "kept":
        body = f"An admin looked at your dispute about “{prompt}” and kept the grade.{why}"
    else:
        change = "raised" if dispute.state == "raised" else "lowered"
        body = (
            f"An admin {change} your grade on “{prompt}”: "
            f"{render.percent(dispute.old_score)} → {render.percent(dispute.new_score or 0.0)}"
        )
        if new_points is not None and new_points != old_points:
            body += f"; points {old_points} → {new_points}"
        body += f".{why}"
    return private(body, title=f"Your dispute #{dispute.id}")


def resolved_elsewhere(dispute: Dispute) -> Message:
    when = f" at {dispute.resolved_at:%Y-%m-%d %H:%M} UTC" if dispute.resolved_at else ""
    return private(
        f"Dispute #{dispute.id} was already resolved ({dispute.state}){when}; nothing changed."
    )


def correction_lines(rows: Sequence[tuple[Dispute, Member, str]], limit: int = 10) -> str:
    """The digest's note on grades changed since the last one: (dispute, member, day)."""
    lines = [
        f"- {render.name(m.display_name)} ({day}): {render.percent(d.old_score)} → "
        f"{render.percent(d.new_score or 0.0)}"
        + (
            f", points {d.old_points} → {d.new_points}"
            if d.new_points is not None and d.new_points != d.old_points
            else ""
        )
        for d, m, day in rows[:limit]
    ]
    if len(rows) > limit:
        lines.append(f"- and {len(rows) - limit} more")
    return "\n".join(lines)


def when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "—"

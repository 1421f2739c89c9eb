"""Reporting a wrong or unclear question, and retiring it for one workspace.

Anyone may report (the button on their feedback, or ``/mlq report <reason>`` for the
channel's latest question); one report per member and question, whose reason a later
report replaces. Admins list them with ``/mlq reports`` and ``/mlq retire`` a question: it
is never chosen for that workspace again (selection skips it), other workspaces keep it.
"""

from __future__ import annotations

from datetime import datetime

from bot import render
from bot.context import CoreContext
from bot.disputes import grammar, messages
from bot.messages import Message
from bot.text import quote_user_text
from storage.feedback import FeedbackStore
from storage.models import Member, Post
from storage.repository import Repository


async def report(
    ctx: CoreContext,
    repo: Repository,
    workspace_id: int,
    member: Member,
    post: Post | None,
    reason: str,
    now: datetime,
) -> Message:
    if post is None:
        return render.error("No question has been posted here yet, so there is none to report.")
    store = FeedbackStore(repo.session)
    question = ctx.bank.get(post.question_id)
    shown = quote_user_text(question.prompt, 120) if question else post.question_id
    report_id = await store.file_report(
        {
            "workspace_id": workspace_id,
            "channel_id": post.channel_id,
            "member_id": member.id,
            "question_id": post.question_id,
            "reason": reason,
            "state": "open",
            "created_at": now,
        }
    )
    if report_id is None:
        existing = await store.report_of(workspace_id, post.question_id, member.id)
        if existing is not None and reason:
            existing.reason = reason
            return messages.private(f"Your report on “{shown}” is updated. Thank you.")
        return messages.private(f"You reported “{shown}” already; the admins can see it.")
    more = "" if reason else " Say what is wrong with `/mlq report <reason>`."
    return messages.private(
        f"Thank you: “{shown}” is reported to this workspace's admins (report #{report_id}).{more}",
        title="Question reported",
    )


async def list_reports(ctx: CoreContext, repo: Repository, workspace_id: int) -> Message:
    reports = await FeedbackStore(repo.session).open_reports(workspace_id)
    if not reports:
        return messages.private("No open reports about questions.", title="Reports")
    lines = []
    for found in reports[:20]:
        question = ctx.bank.get(found.question_id)
        prompt = quote_user_text(question.prompt, 100) if question else "(no longer in the bank)"
        reasons = "; ".join(quote_user_text(r, 150) for r in found.reasons[:3]) or "no reason given"
        lines.append(
            f"- #{found.first_id} `{found.question_id}` ({found.count}×): {prompt}\n  {reasons}"
        )
    forms = getattr(ctx.adapter, "command_forms", None) or {}
    retire = forms.get("retire", "/mlq retire #N [why]")
    return messages.private(
        "\n".join(lines) + f"\n\nRetire one here for good with `{retire}`.",
        title="Reported questions",
    )


async def retire(
    ctx: CoreContext,
    repo: Repository,
    workspace_id: int,
    by: str,
    command: grammar.Retire,
    now: datetime,
) -> Message:
    store = FeedbackStore(repo.session)
    question_id = command.target
    if command.target.startswith("#"):
        number = command.target[1:]
        found = (
            await store.get_report(int(number)) if number.isdecimal() and len(number) < 19 else None
        )
        if found is None or found.workspace_id != workspace_id:
            return render.error(f"There is no report {command.target} here; see `/mlq reports`.")
        question_id = found.question_id
    elif ctx.bank.get(question_id) is None:
        return render.error(
            f"'{quote_user_text(question_id, 80)}' is not a question id; use a report number "
            "from `/mlq reports` (e.g. `#3`) or a question id as shown there."
        )
    if await store.retire(workspace_id, question_id, by, command.note, now):
        return messages.private(
            f"`{question_id}` is retired: it will not be posted in this workspace again."
        )
    return messages.private(f"`{question_id}` was retired already.")

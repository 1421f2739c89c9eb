"""A member's own page (Slack's App Home, a DM summary): streaks, points, recent grades."""

from __future__ import annotations

from bot import render
from bot.context import CoreContext
from bot.messages import Field, Message, MessageKind, Visibility
from bot.text import plural, shorten
from storage import unit_of_work
from storage.repository import DAILY

RECENT = 5


async def home_view(ctx: CoreContext, platform: str, workspace: str, user_id: str) -> Message:
    async with unit_of_work(ctx.db) as repo:
        workspace_id = await repo.workspace_id(platform, workspace, ctx.now())
        member = await repo.find_member(workspace_id, user_id)
        if member is None:
            return Message(
                title="Your mlq",
                body="No answers yet. Answer the daily question in its thread, or ask for a "
                "practice question with `/mlq`.",
                kind=MessageKind.INFO,
                visibility=Visibility.PRIVATE,
            )
        lines = []
        for channel, streak in await repo.member_channels(member.id):
            totals = await repo.member_totals(channel.id, member.id, DAILY)
            current = streak.current if streak else 0
            freezes = streak.freezes if streak else 0
            lines.append(
                f"- #{render.name(channel.external_id)}: {plural(totals.points, 'point')} · "
                f"streak {current} · {plural(freezes, 'freeze')}"
            )
        recent = await repo.recent_answers(member.id, RECENT)
    graded = []
    for answer, post in recent:
        question = ctx.bank.get(post.question_id)
        prompt = shorten(question.prompt, 90) if question else post.question_id
        kind = "practice" if post.kind != DAILY else plural(answer.points, "point")
        graded.append(
            f"- {post.local_date:%d %b}: {render.percent(answer.score)} ({kind}) · {prompt}"
        )
    fields = (
        Field("Channels", "\n".join(lines) or "No daily answers yet."),
        Field("Last graded answers", "\n".join(graded) or "None yet."),
    )
    return Message(
        title=f"Your mlq · {render.name(member.display_name)}",
        body="",
        fields=fields,
        kind=MessageKind.INFO,
        visibility=Visibility.PRIVATE,
    )

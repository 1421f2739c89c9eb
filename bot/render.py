"""Neutral messages for everything the bot says. No platform styling here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.commands import USAGE
from bot.events import ChannelAddress
from bot.grading import Grade
from bot.messages import Action, Button, Field, Message, MessageKind, Visibility
from bot.quiz import render as quiz
from bot.text import plural, quote_user_text, shorten
from question_bank.schema import Question

STARS = {1: "★☆☆ easy", 2: "★★☆ medium", 3: "★★★ hard"}


def name(display_name: str) -> str:
    """A member's name as shown in our messages: literal, never a mention."""
    return quote_user_text(display_name or "someone", 80)


def percent(score: float) -> str:
    return f"{round(score * 100)}%"


def question_post(
    question: Question, *, post_id: int, deadline: datetime, zone: ZoneInfo, late: bool
) -> Message:
    card = _question_card(
        question.topic_title, quiz.quiz_body(question), question.difficulty, deadline, zone, late
    )
    answer = Button(Action.ANSWER_PRIVATELY, "Answer privately", str(post_id))
    feedback = Button(Action.MY_FEEDBACK, "My feedback", str(post_id))
    if not question.is_quiz:
        return replace(card, buttons=(answer, feedback))
    # A pick is made in the menu; a number is typed in the thread or the private form.
    footer = quiz.how_to_answer(question, practice=False)
    return replace(
        card,
        buttons=(feedback,) if question.options else (answer, feedback),
        choices=quiz.menu(question, post_id),
        footer=f"Posted late (the bot was offline at the usual time). {footer}" if late else footer,
    )


@lru_cache(maxsize=1024)
def _question_card(
    topic_title: str, prompt: str, difficulty: int, deadline: datetime, zone: ZoneInfo, late: bool
) -> Message:
    """Everything in a daily post but its buttons. A fan-out posts each question with the
    same deadline to many channels and builds this once for all of them (keyed by plain
    values: hashing the question model itself costs more than building the card)."""
    local = deadline.astimezone(zone)
    footer = (
        "Reply in this thread. Your grade comes to you privately; the model answer and "
        "points are revealed at the deadline."
    )
    if late:
        footer = "Posted late (the bot was offline at the usual time). " + footer
    return Message(
        title=f"Question of the day · {topic_title}",
        body=prompt,
        fields=(
            Field("Topic", topic_title, inline=True),
            Field("Difficulty", STARS.get(difficulty, str(difficulty)), inline=True),
            Field("Answers close", f"{local:%a %d %b %H:%M} ({zone.key})", inline=True),
        ),
        footer=footer,
        kind=MessageKind.QUESTION,
        fallback=f"Question of the day: {shorten(prompt, 150)}",
    )


def key_point_lines(question: Question) -> str:
    return "\n".join(f"- {p.text}" for p in question.key_points)


@dataclass(frozen=True)
class RevealRow:
    display_name: str
    points: int
    score: float
    best: bool
    on_time: bool
    flagged: bool


def reveal(question: Question, rows: Sequence[RevealRow], best_excerpt: str | None) -> Message:
    fields: list[Field] = []
    if question.key_points:
        fields.append(Field("Key points", key_point_lines(question)))
    on_time = [r for r in rows if r.on_time]
    if on_time:
        lines = [
            f"- {name(r.display_name)}: {plural(r.points, 'point')} ({percent(r.score)})"
            + (" · best answer" if r.best else "")
            + (" · too close to an earlier answer" if r.flagged else "")
            for r in sorted(on_time, key=lambda r: (-r.points, r.display_name))
        ]
        fields.append(Field("Points", "\n".join(lines)))
    else:
        fields.append(Field("Points", "Nobody answered in time."))
    best = [r for r in rows if r.best]
    if best:
        names = ", ".join(name(r.display_name) for r in best)
        excerpt = f"\n> {best_excerpt}" if best_excerpt else ""
        fields.append(Field("Best answer", f"{names}{excerpt}"))
    late = sum(1 for r in rows if not r.on_time)
    footer = (
        f"{plural(late, 'late answer was', 'late answers were')} kept but "
        f"{'earns' if late == 1 else 'earn'} no points."
        if late
        else None
    )
    return Message(
        title="Model answer",
        body=question.answer,
        fields=tuple(fields),
        footer=footer,
        kind=MessageKind.REVEAL,
        fallback="The model answer is in.",
    )


def reveal_buttons(post_id: int) -> tuple[Button, ...]:
    """The reveal's button: one's own grade, points and best-answer mark next to the model
    answer. It also carries the reveal's claim key on Discord (adapters/discord)."""
    return (Button(Action.MY_FEEDBACK, "My feedback", str(post_id)),)


def answer_feedback(
    question: Question,
    grade: Grade,
    *,
    practice: bool,
    edited: bool = False,
    truncated: bool = False,
) -> Message:
    covered = len(grade.covered)
    in_part = {p.text for p in grade.partly}
    missed = [p for p in grade.missed if p.text not in in_part]
    total = covered + len(in_part) + len(missed)
    summary = f"Score {percent(grade.score)}"
    if total:
        summary += f" · {covered}/{total} key points"
    fields: list[Field] = []
    if grade.covered:
        fields.append(Field("Covered", "\n".join(f"- {p.text}" for p in grade.covered)))
    if grade.partly:
        fields.append(Field("Said in part", "\n".join(f"- {p.text}" for p in grade.partly)))
    if missed:
        fields.append(Field("Missed", "\n".join(f"- {p.text}" for p in missed)))
    if "near_copy" in grade.flags:
        fields.append(
            Field(
                "Note",
                "This is very close to an answer someone gave earlier in "
                "this round, so it earns no quality points.",
            )
        )
    if truncated:
        fields.append(
            Field("Note", "Your answer is kept whole; only its first 4,000 characters were graded.")
        )
    if practice:
        fields.append(Field("Model answer", question.answer))
    footer = (
        None
        if practice
        else ("Only you can see this. You can edit your reply before the reveal to improve it.")
    )
    return Message(
        title=("Updated grade" if edited else "Your grade") + f" · {summary}",
        body=grade.feedback or summary,
        fields=tuple(fields),
        footer=footer,
        kind=MessageKind.FEEDBACK,
        visibility=Visibility.PRIVATE,
    )


def practice_question(
    question: Question, post_id: int, *, review_of: float | None = None
) -> Message:
    """A private practice question; ``review_of`` is the last score when it is a review."""
    kind = "Practice" if review_of is None else f"Review (last time {percent(review_of)})"
    footer = (
        "Just for you: answer with the button (or, in the terminal, type your answer). "
        "Practice counts in your stats, not on the leaderboard."
    )
    if question.is_quiz:
        footer = f"Just for you. {quiz.how_to_answer(question, practice=True)}"
    answer = (Button(Action.ANSWER_PRIVATELY, "Answer privately", str(post_id)),)
    return Message(
        title=f"{kind} · {question.topic_title} · {STARS.get(question.difficulty, '')}",
        body=quiz.quiz_body(question),
        buttons=() if question.options else answer,
        choices=quiz.menu(question, post_id),
        footer=footer,
        kind=MessageKind.QUESTION,
        visibility=Visibility.PRIVATE,
    )


def info(text: str, title: str | None = None) -> Message:
    return Message(body=text, title=title, kind=MessageKind.INFO, visibility=Visibility.PRIVATE)


def error(text: str) -> Message:
    return Message(body=text, kind=MessageKind.ERROR, visibility=Visibility.PRIVATE)


# What an admin can do about the reasons platforms give most often (Slack error codes, and
# the Discord adapter's names for Discord's codes).
_FIXES = {
    "not_in_channel": "invite the bot to the channel (Slack: `/invite @mlq`)",
    "channel_not_found": "the channel is gone or private to the bot: invite the bot",
    "is_archived": "unarchive the channel",
    "unknown_channel": "the channel was deleted: subscribe another one",
    "unknown_guild": "the bot was removed from the server: add it again",
    "missing_access": "give the bot View Channel and Send Messages in the channel",
    "missing_permissions": (
        "give the bot Send Messages, Embed Links, Create Public Threads, Send Messages in "
        "Threads, Add Reactions and Read Message History in the channel"
    ),
    "missing_scope": "reinstall the app so that it gets the permissions it asks for",
    "invalid_auth": "reinstall the app (its token is no longer valid)",
    "token_revoked": "reinstall the app (its token was revoked)",
    "account_inactive": "reinstall the app (its token was deactivated)",
    "workspace_not_installed": "reinstall the app in this workspace",
    # What the platforms told us happened (bot/access/lifecycle.py).
    "removed_from_channel": "invite the bot back to the channel (Slack: `/invite @mlq`)",
    "channel_archived": "unarchive the channel",
    "channel_unarchived": (
        "the channel was unarchived: invite the bot back if it is no longer a member"
    ),
    "channel_deleted": "the channel was deleted: subscribe another one",
    "app_uninstalled": "install the app in the workspace again",
    "tokens_revoked": "install the app in the workspace again (its token was revoked)",
    "removed_from_server": "add the bot to the server again",
}


def suspension_fix(reason: str) -> str:
    """What an admin should do about a suspension, in a few words."""
    return _FIXES.get(reason, "give the bot access to the channel again")


def suspension_line(reason: str, since: datetime | None) -> str:
    when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
    return (
        f"Suspended{when}: the platform refused the bot here ({reason}). Nothing is posted, "
        f"revealed or sent until an admin fixes it ({suspension_fix(reason)}) and runs "
        "`/mlq resume`."
    )


def suspended_notice(where: ChannelAddress, reason: str) -> Message:
    """The direct message to the admin who subscribed a channel that got suspended."""
    if reason == "channel_deleted":
        return info(
            f"The channel <#{where.channel}> was deleted, so mlq's daily questions there have "
            "ended. Its history is kept; run `/mlq subscribe` in another channel to go on.",
            title="mlq lost a channel",
        )
    return info(
        f"I can no longer post in <#{where.channel}>: the platform says `{reason}`. I have "
        f"stopped trying, so daily questions, reveals and digests there are on hold. To fix "
        f"it: {suspension_fix(reason)}, then run `/mlq resume` in that channel.",
        title="mlq is suspended in a channel",
    )


def unarchived_notice(where: ChannelAddress) -> Message:
    """The direct message when a channel suspended for being archived comes back."""
    return info(
        f"<#{where.channel}> was unarchived. mlq is still on hold there: run `/mlq resume` "
        "in the channel to start again (if the bot is no longer a member, invite it first).",
        title="mlq can resume in a channel",
    )


def help_message(is_admin: bool, forms: Mapping[str, str] | None = None) -> Message:
    """Every command the person may use, in the platform's own spelling where it differs."""
    forms = forms or {}
    lines = [
        f"- `{forms.get(key, u.form)}`: {u.summary}"
        for key, u in USAGE.items()
        if is_admin or not u.admin
    ]
    note = (
        ""
        if is_admin
        else "\n\nAdmins also have schedule, reveal-after, digest, topic and bank limits, "
        "formats, pause, resume, skip, subscribe and unsubscribe."
    )
    body = "Answer the daily question in its thread. Commands:\n" + "\n".join(lines) + note
    return info(body, title="mlq help")


def standings_lines(rows: Sequence[tuple[str, int, int]]) -> str:
    """(name, points, streak) rows, best first, as a ranked list. Equal points share a rank
    (1, 2, 2, 4), as in `/mlq stats`: the streak and the name only order the rows."""
    lines: list[str] = []
    rank = 0
    for i, (n, points, streak) in enumerate(rows, start=1):
        if i == 1 or points != rows[i - 2][1]:
            rank = i
        lines.append(f"{rank}. {name(n)}: {plural(points, 'point')} · streak {streak}")
    return "\n".join(lines)


def leaderboard(scope: str, rows: Sequence[tuple[str, int, int]]) -> Message:
    title = "Leaderboard · this week" if scope == "week" else "Leaderboard · all time"
    body = standings_lines(rows) if rows else "No points yet. Answer today's question!"
    return Message(
        title=title, body=body, kind=MessageKind.LEADERBOARD, visibility=Visibility.PRIVATE
    )


@dataclass(frozen=True)
class DigestFacts:
    iso_year: int
    iso_week: int
    posts: int
    top: Sequence[tuple[str, int, int]]
    streaks: Sequence[tuple[str, int]]
    team_streak: int
    team_streak_best: int
    participation: float | None
    hardest: tuple[str, float] | None  # (prompt, mean score)
    most_missed: tuple[str, int] | None  # (key point, how many missed it)
    # Grades admins changed since the last digest (bot/disputes), one line each.
    corrections: str = ""


def digest(facts: DigestFacts) -> Message:
    fields = [
        Field("Top five this week", standings_lines(facts.top) or "Nobody scored this week."),
        Field(
            "Longest streaks",
            "\n".join(f"- {name(n)}: {s}" for n, s in facts.streaks) or "No streaks running.",
        ),
        Field("Team streak", f"{facts.team_streak} (best {facts.team_streak_best})", inline=True),
    ]
    if facts.participation is not None:
        fields.append(Field("Participation", percent(facts.participation), inline=True))
    if facts.hardest:
        prompt, mean = facts.hardest
        fields.append(Field("Hardest question", f"{shorten(prompt, 200)} (mean {percent(mean)})"))
    if facts.most_missed:
        point, count = facts.most_missed
        fields.append(Field("Most-missed key point", f"{point} (missed {count}×)"))
    if facts.corrections:
        fields.append(Field("Corrections (disputed grades an admin changed)", facts.corrections))
    return Message(
        title=f"Weekly digest · {facts.iso_year}-W{facts.iso_week:02d}",
        body=f"{plural(facts.posts, 'question')} this week.",
        fields=tuple(fields),
        # Where someone reading the standings sees their own. It also carries the digest's
        # claim key on Discord, whose history returns component ids (adapters/discord).
        buttons=(Button(Action.MY_STATS, "My stats", f"{facts.iso_year}{facts.iso_week:02d}"),),
        kind=MessageKind.DIGEST,
        fallback="This week's mlq digest",
    )

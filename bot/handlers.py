"""What each ``/mlq`` command does once parsed. Replies are returned, never sent here."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from bot import commands as cmd
from bot import render
from bot.access import checks
from bot.context import CoreContext, channel_zone
from bot.disputes import admins as feedback_admins
from bot.disputes import grammar as feedback_grammar
from bot.disputes import messages as feedback_messages
from bot.disputes import service as feedback_service
from bot.disputes.filing import Notices
from bot.events import Actor, ButtonPressed, ChannelAddress, CommandInvoked, ThreadAddress
from bot.messages import Action, Message, Visibility
from bot.ports import DeliveryError
from bot.quiz.formats import DEFAULT_MODE, MODES, formats_of
from bot.quiz.render import feedback_of as quiz_feedback
from bot.schedule import (
    end_of_local_day,
    format_duration,
    format_hhmm,
    format_weekdays,
    local_date,
    week_bounds,
)
from bot.text import plural, said
from question_bank.selection import choose_question, eligible_questions
from storage import unit_of_work
from storage.feedback import FeedbackStore
from storage.models import Channel, Member
from storage.repository import DAILY, PRACTICE, Repository

log = logging.getLogger(__name__)


def public(text: str, title: str | None = None) -> Message:
    return Message(body=text, title=title, visibility=Visibility.CHANNEL)


class CommandContext:
    """The resolved who-and-where of one command, inside its transaction."""

    def __init__(
        self,
        repo: Repository,
        workspace_id: int,
        channel: Channel,
        member: Member,
        actor: Actor,
        now: datetime,
    ) -> None:
        self.repo = repo
        self.workspace_id = workspace_id
        self.channel = channel
        self.member = member
        self.actor = actor
        self.now = now
        # Threads to close once the transaction has committed (a cancelled round's).
        self.threads_to_close: list[str] = []
        # Private messages to send once it has committed (disputes, their outcomes).
        self.notices = Notices()


def _practice_form(ctx: CoreContext) -> str:
    """The practice command as the platform spells it, without its argument."""
    forms = getattr(ctx.adapter, "command_forms", None) or {}
    return str(forms.get("", cmd.USAGE[""].form)).split(" [", 1)[0]


async def on_command(ctx: CoreContext, event: CommandInvoked) -> list[Message]:
    try:
        command = cmd.parse_command(
            event.text, known_topics=ctx.topics, known_banks=frozenset(ctx.bank.banks())
        )
    except cmd.UnknownTopic as exc:
        return [render.error(exc.text(_practice_form(ctx)))]
    except cmd.CommandError as exc:
        return [render.error(str(exc))]
    if isinstance(command, cmd.Subscribe | cmd.Resume):
        return await _confirmed(ctx, event, command)
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        c = await _resolve(repo, event.where, event.actor, now)
        if cmd.needs_admin(command) and not c.actor.is_admin:
            return [render.error(feedback_admins.NOT_ADMIN)]
        if event.event_id and not await repo.first_delivery(
            event.where.platform, f"cmd:{event.event_id}", now
        ):
            return []
        replies = await _run(ctx, c, command)
    await c.notices.send(ctx)
    for thread_id in c.threads_to_close:
        try:
            await ctx.adapter.close_thread(ThreadAddress(event.where, thread_id))
        except Exception:
            log.exception("closing the thread of a cancelled round failed")
    return replies


async def _confirmed(
    ctx: CoreContext, event: CommandInvoked, command: cmd.Subscribe | cmd.Resume
) -> list[Message]:
    """Subscribe and resume: the channel changes only once the bot has shown it can work
    there. The adapter's checks come first (bot/access/checks.py); then the confirmation
    is posted in the channel, and only if it landed is the change stored. The post is
    made between two transactions, not inside one: no write lock waits on the platform."""
    what = "subscribed" if isinstance(command, cmd.Subscribe) else "resumed"
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        preview = await _resolve(repo, event.where, event.actor, now)
        if not preview.actor.is_admin:
            return [render.error(feedback_admins.NOT_ADMIN)]
        if event.event_id and not await repo.first_delivery(
            event.where.platform, f"cmd:{event.event_id}", now
        ):
            return []
    problems = await checks.access_problems(ctx, event.where)
    if problems:
        return [checks.refused(what, problems)]
    # The session is closed: changing its channel object changes nothing stored, and gives
    # the confirmation exactly as the channel will be.
    confirmation = _admin(preview, command)
    try:
        await ctx.adapter.post(event.where, confirmation)
    except DeliveryError as exc:
        log.info("%s in %s refused: %s", what, event.where.channel, exc)
        return [checks.not_posted(what, exc)]
    async with unit_of_work(ctx.db) as repo:
        c = await _resolve(repo, event.where, event.actor, now)
        _admin(c, command)
        if isinstance(command, cmd.Resume):
            # Also what was held back or given up: posts and reveals are tried again now.
            await repo.retry_channel_now(c.channel.id, now)
    return []


async def _resolve(
    repo: Repository, where: ChannelAddress, actor: Actor, now: datetime
) -> CommandContext:
    workspace_id = await repo.workspace_id(where.platform, where.workspace, now)
    channel = await repo.channel(workspace_id, where.channel, now)
    member = await repo.member(workspace_id, actor.user_id, actor.display_name, now)
    # Admin also when an admin added them with /mlq admins add (bot/disputes/admins.py).
    actor = await feedback_admins.effective_actor(repo, workspace_id, actor)
    return CommandContext(repo, workspace_id, channel, member, actor, now)


async def _run(ctx: CoreContext, c: CommandContext, command: cmd.Command) -> list[Message]:
    match command:
        case cmd.Help():
            forms = getattr(ctx.adapter, "command_forms", None)
            shown = render.help_message(c.actor.is_admin, forms)
            if c.actor.is_admin and c.channel.suspended_reason:
                # The admin is who can fix it: say so before the list.
                warning = render.suspension_line(c.channel.suspended_reason, c.channel.suspended_at)
                shown = replace(shown, body=f"{warning}\n\n{shown.body}")
            return [shown]
        case cmd.Status():
            return [_status(c)]
        case cmd.Topics():
            return [_topics(ctx)]
        case cmd.Practice(topic=topic, format=wanted):
            return [await _practice(ctx, c, topic, wanted)]
        case cmd.Stats(member_ref=ref):
            return [await _stats(c, ref)]
        case cmd.StreakInfo():
            return [await _streak(c)]
        case cmd.Leaderboard(scope=scope):
            return [await _leaderboard(c, scope)]
        case cmd.Skip():
            return [await _skip(c)]
        case cmd.Schedule():
            changed = _admin(c, command)
            await _keep_the_calendar_forward(c)
            return [changed]
        case _ if isinstance(command, feedback_grammar.FEEDBACK_COMMANDS):
            return await feedback_service.run_command(ctx, c, command, c.notices)
        case _:
            return [_admin(c, command)]


def _topics(ctx: CoreContext) -> Message:
    counts: dict[str, int] = {}
    titles: dict[str, str] = {}
    for question in ctx.bank:
        counts[question.topic] = counts.get(question.topic, 0) + 1
        titles[question.topic] = question.topic_title
    lines = [f"- `{t}`: {titles[t]} ({counts[t]} questions)" for t in sorted(counts)]
    return render.info("\n".join(lines) + "\n\nAsk for one with `/mlq <topic>`.", title="Topics")


async def _practice(
    ctx: CoreContext, c: CommandContext, topic: str | None, wanted: str | None = None
) -> Message:
    """A due review first (most overdue), else a question the member has not seen yet;
    ``wanted`` asks for a format (quiz, open, choice, numeric)."""
    topics = [topic] if topic else (c.channel.topic_filter or None)
    banks = c.channel.bank_filter or None
    retired = await FeedbackStore(c.repo.session).retired_ids(c.workspace_id)
    formats = formats_of(wanted or c.channel.formats or DEFAULT_MODE)
    eligible = {
        q.qualified_id
        for q in eligible_questions(ctx.bank, topics=topics, banks=banks, formats=formats)
    } - retired
    if not eligible and not wanted:  # the channel's formats leave nothing: take any
        formats = None
        eligible = {
            q.qualified_id for q in eligible_questions(ctx.bank, topics=topics, banks=banks)
        } - retired
    if not eligible:
        if wanted:
            return render.error(
                f"No {wanted} question matches that here. Try `/mlq {topic or ''}` "
                "without a format, or see `/mlq topics`."
            )
        return render.error("No question matches that topic. See `/mlq topics`.")
    # Practice shows the model answer at once: a question whose daily round is still open
    # here or in another channel of the workspace waits for its reveal.
    held = await c.repo.open_daily_question_ids(c.workspace_id) & eligible
    available = eligible - held
    if not available:
        return render.info(
            "The only questions that match are in a daily round still open; ask again "
            "after its reveal, or for another topic (`/mlq topics`).",
            title="Practice",
        )
    review = next(
        (
            card
            for card in await c.repo.due_reviews(c.member.id, reviews_due_by(c))
            if card.question_id in available and ctx.bank.get(card.question_id) is not None
        ),
        None,
    )
    if review is not None:
        question = ctx.bank.get(review.question_id)
    else:
        reviewed = await c.repo.reviewed_question_ids(c.member.id)
        # An answered question comes back only when FSRS says it is due (above); served
        # again as "new" it could be the one answered right a minute ago.
        if not available - set(reviewed):
            return await _all_answered(c, available)
        seen = reviewed + await c.repo.practice_question_ids(c.member.id)
        question = choose_question(
            ctx.bank,
            seen,
            seed=f"practice:{c.member.id}:{len(seen)}",
            topics=topics,
            banks=banks,
            exclude=retired | set(reviewed) | held,
            formats=formats,
        )
    post_id = await c.repo.claim_post(
        claim_key=f"practice:{uuid.uuid4().hex}",
        channel_id=c.channel.id,
        question_id=question.qualified_id,
        local_date=local_date(c.now, channel_zone(c.channel)),
        kind=PRACTICE,
        owner=ctx.instance_id,
        lease_until=c.now,
        now=c.now,
        member_id=c.member.id,
    )
    await c.repo.set_post_state(post_id, "posted", posted_at=c.now, lease_until=None)
    last_score = review.last_score if review is not None else None
    return render.practice_question(question, post_id, review_of=last_score)


async def _all_answered(c: CommandContext, eligible: set[str]) -> Message:
    """Every question that matches has been answered and none is due: say when one is."""
    cards = await c.repo.review_cards([(c.member.id, q) for q in eligible])
    next_due = min(card.due for card in cards.values())
    day = local_date(next_due, channel_zone(c.channel))
    return render.info(
        f"You have answered every question that matches ({len(eligible)}), and none is due "
        f"for review yet; the next one is due on {day:%a %d %b}. Ask for another topic "
        "(`/mlq topics`) or format, or come back then.",
        title="Practice",
    )


def reviews_due_by(c: CommandContext) -> datetime:
    """Reviews are due by the day (FSRS intervals are whole days): a card due at any time
    of the channel's local today is served all of today, not from the minute of the
    earlier answer, which a daylight-saving change also moves by an hour."""
    # The repository counts due <= this instant; the next midnight is tomorrow's.
    return end_of_local_day(c.now, channel_zone(c.channel)) - timedelta(microseconds=1)


async def _target_member(c: CommandContext, ref: str | None) -> Member | None:
    if ref is None:
        return c.member
    return await c.repo.find_member(c.workspace_id, ref)


async def _stats(c: CommandContext, ref: str | None) -> Message:
    member = await _target_member(c, ref)
    if member is None:
        return render.error(f"I have no answers from {said(ref)} yet.")
    daily = await c.repo.member_totals(c.channel.id, member.id, DAILY)
    practice = await c.repo.member_totals(c.channel.id, member.id, PRACTICE)
    streak = await c.repo.streak_for(c.channel.id, member.id)
    rank = await c.repo.rank_of(c.channel.id, daily.points) if daily.points else None
    lines = [
        f"- Points: {daily.points}" + (f" (rank {rank})" if rank else ""),
        f"- Daily answers: {daily.answers}"
        + (
            f", mean grade {render.percent(daily.mean_score)}"
            if daily.mean_score is not None
            else ""
        ),
        f"- Best answers: {daily.best_answers}",
        f"- Streak: {streak.current if streak else 0} (best {streak.best if streak else 0})",
        f"- Reviews due: {await c.repo.count_due_reviews(member.id, reviews_due_by(c))}"
        " (`/mlq` serves them first)",
        f"- Practice answers: {practice.answers}"
        + (
            f", mean grade {render.percent(practice.mean_score)}"
            if practice.mean_score is not None
            else ""
        ),
    ]
    return render.info("\n".join(lines), title=f"Stats · {render.name(member.display_name)}")


async def _streak(c: CommandContext) -> Message:
    streak = await c.repo.streak_for(c.channel.id, c.member.id)
    current, best, freezes = (streak.current, streak.best, streak.freezes) if streak else (0, 0, 0)
    body = (
        f"Your streak: **{current}** (best {best}). Freezes held: {freezes} of 2; you earn one "
        f"for every 5 on-time answers in a row, and one is spent for you if you miss a day.\n"
        f"Team streak: **{c.channel.team_streak}** (best {c.channel.team_streak_best}): days "
        f"with at least {plural(c.channel.team_streak_threshold, 'on-time answer')}."
    )
    return render.info(body, title="Streak")


async def _leaderboard(c: CommandContext, scope: str) -> Message:
    if scope == "week":
        start, end = week_bounds(local_date(c.now, channel_zone(c.channel)))
        rows = await c.repo.standings(c.channel.id, start=start, end=end)
    else:
        rows = await c.repo.standings(c.channel.id)
    return render.leaderboard(scope, [(r.display_name, r.points, r.streak) for r in rows])


async def _skip(c: CommandContext) -> Message:
    """No daily question today: before the post, none is made; after it, the round is
    cancelled (never revealed, so it gives no points and moves no streak)."""
    channel = c.channel
    today = local_date(c.now, channel_zone(channel))
    channel.skip_date = today
    day = f"{today:%a %d %b}"
    post = await c.repo.daily_post_on(channel.id, today)
    if post is None:
        return public(f"No daily question today ({day}). Streaks are not affected.")
    if post.state == "cancelled":
        return public(f"Today's question ({day}) is already cancelled.")
    if post.state == "revealed":
        return public(
            f"Today's question ({day}) is already revealed, so its points and streaks stand. "
            "There is no other daily question today."
        )
    if not await c.repo.cancel_daily_post(post.id):
        return public(
            f"Today's question ({day}) is being posted right now; run `/mlq skip` again in a "
            "minute to cancel it."
        )
    if post.thread_ref or post.message_ref:
        c.threads_to_close.append(post.thread_ref or post.message_ref or "")
    return public(
        f"Today's question ({day}) is cancelled: it will not be revealed, its answers earn no "
        "points, and streaks are not affected."
    )


async def _keep_the_calendar_forward(c: CommandContext) -> None:
    """A new zone behind the old one can make today a date the channel is already past
    (Tokyo's Monday is Honolulu's Sunday): that day gets no question, or one would go out
    at once, labelled as posted late while the day's question is still open."""
    today = local_date(c.now, channel_zone(c.channel))
    latest = await c.repo.latest_daily_date(c.channel.id)
    if latest is not None and latest > today:
        c.channel.skip_date = today


def _schedule_summary(channel: Channel) -> str:
    state = "suspended" if channel.suspended_reason else "paused" if channel.paused else "active"
    return (
        f"Daily question at {channel.post_time} {channel.timezone} on "
        f"{format_weekdays(channel.weekdays)}; answers revealed after "
        f"{format_duration(channel.reveal_after_minutes)}; digest "
        f"{format_weekdays(str(channel.digest_weekday))} {channel.digest_time}. ({state})"
    )


def _status(c: CommandContext) -> Message:
    channel = c.channel
    if not channel.subscribed:
        body = "This channel is not subscribed. An admin can run `/mlq subscribe`."
    else:
        body = _schedule_summary(channel)
        mode = channel.formats or DEFAULT_MODE
        body += f"\nFormats: {mode} ({MODES.get(mode, '')})."
    if channel.suspended_reason:
        body += "\n\n" + render.suspension_line(channel.suspended_reason, channel.suspended_at)
    return render.info(body, title="Status")


def _admin(c: CommandContext, command: cmd.Command) -> Message:
    channel = c.channel
    match command:
        case cmd.Subscribe():
            if not channel.subscribed:
                channel.subscribed = True
                channel.subscribed_at = c.now
            channel.subscribed_by = c.actor.user_id  # told if the channel gets suspended
            channel.paused = False
            return public("This channel is subscribed. " + _schedule_summary(channel), title="mlq")
        case cmd.Unsubscribe():
            channel.subscribed = False
            return public(
                "This channel will get no more daily questions. History is kept; "
                "`/mlq subscribe` brings it back."
            )
        case cmd.Schedule(at=at, timezone=zone, weekdays=days):
            channel.post_time = format_hhmm(at)
            channel.timezone = zone
            if days:
                channel.weekdays = days
            return public("Schedule updated. " + _schedule_summary(channel))
        case cmd.RevealAfter(delay=delay):
            channel.reveal_after_minutes = int(delay / timedelta(minutes=1))
            return render.info(
                "Reveal delay updated for future questions. " + _schedule_summary(channel)
            )
        case cmd.DigestAt(weekday=day, at=at):
            channel.digest_weekday = day
            channel.digest_time = format_hhmm(at)
            return render.info("Digest time updated. " + _schedule_summary(channel))
        case cmd.LimitTopics(topics=topics):
            channel.topic_filter = list(topics)
            shown = ", ".join(topics) if topics else "every topic"
            return public(f"Daily questions here now come from: {shown}.")
        case cmd.LimitBanks(banks=banks):
            channel.bank_filter = list(banks)
            shown = ", ".join(banks) if banks else "every bank"
            return public(f"Daily questions here now come from these banks: {shown}.")
        case cmd.TeamStreakThreshold(answers=answers):
            channel.team_streak_threshold = answers
            return public(
                "The team streak now grows on days with at least "
                f"{plural(answers, 'on-time answer')}."
            )
        case cmd.Formats(mode=mode):
            channel.formats = mode
            return public(f"Daily questions here are now {mode}: {MODES[mode]}.")
        case cmd.Pause():
            channel.paused = True
            return public("Daily questions are paused here. `/mlq resume` starts them again.")
        case cmd.Resume():
            channel.paused = False
            return public(_resume(c))
    raise AssertionError(f"unhandled command {command!r}")


def _resume(c: CommandContext) -> str:
    """Clear a pause and a suspension. A suspended channel's unsent posts and reveals are
    tried again at the next tick; if the platform still refuses, it is suspended again."""
    channel = c.channel
    reason = channel.suspended_reason
    channel.suspended_reason = None
    channel.suspended_at = None
    if reason is None:
        return "Daily questions resume. " + _schedule_summary(channel)
    return (
        f"mlq will try this channel again (it was suspended: `{reason}`). If the problem "
        f"is fixed, what was held back goes out within a minute. " + _schedule_summary(channel)
    )


async def on_button(ctx: CoreContext, event: ButtonPressed) -> list[Message]:
    if event.action == Action.ANSWER_PRIVATELY:
        return [
            render.info("Type your answer and send it; only the grader sees it until the reveal.")
        ]
    if event.action in (Action.DISPUTE, Action.REPORT):
        return await feedback_service.on_button(ctx, event)
    if event.action == Action.MY_STATS:
        # The same as /mlq stats, for the person who clicked (the value, the digest's
        # week, is not needed: the stats are the current ones).
        async with unit_of_work(ctx.db) as repo:
            return [await _stats(await _resolve(repo, event.where, event.actor, ctx.now()), None)]
    if event.action != Action.MY_FEEDBACK:
        return [render.error("That button is no longer supported.")]
    try:
        post_id = int(event.value)
    except ValueError:
        return [render.error("That button refers to no question.")]
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        c = await _resolve(repo, event.where, event.actor, now)
        post = await repo.get_post(post_id)
        if post is None or post.channel_id != c.channel.id:
            return [render.error("That question is not in this channel.")]
        answer = await repo.answer_for(post.id, c.member.id)
        question = ctx.bank.get(post.question_id)
        if answer is None or answer.withdrawn:
            return [
                render.info(
                    "You have not answered this question yet. Reply in its thread "
                    "or use *Answer privately*."
                )
            ]
        if question is not None and question.is_quiz:
            return [quiz_feedback(question, post, answer)]
        body = answer.feedback or f"Score {render.percent(answer.score)}"
        lines = [f"- covered: {p}" for p in answer.covered]
        lines += [f"- missed: {p}" for p in answer.missed]
        if post.state == "revealed" and question is not None:
            lines.append(f"\nPoints: {answer.points}" + (" · best answer" if answer.best else ""))
        title = f"Your feedback · score {render.percent(answer.score)}"
        shown = render.info(body + ("\n" + "\n".join(lines) if lines else ""), title=title)
        if post.kind == DAILY:
            shown = replace(shown, buttons=feedback_messages.feedback_buttons(post.id))
        return [shown]

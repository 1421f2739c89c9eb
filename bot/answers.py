"""Turning thread replies (and private submissions) into graded answers, exactly once.

The delivery is recorded, the answer stored and the reaction and private grade owed
(bot/outbox) in one transaction, so a platform retry finds the delivery already taken and
changes nothing but making sure the feedback went out. One answer per (post, member):
a later reply or an edit before the reveal replaces the text and is graded again.

On time means sent before the deadline (``sent_time``), however late the bot gets to it:
a Retry-After, an inbox resumed after a crash or a catch-up after an outage can hand an
answer over after the reveal. Such an answer is credited then (``credit_late``): points,
streak and team streak, once, by conditional updates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import outbox, render
from bot.context import CoreContext, log
from bot.disputes.messages import feedback_buttons
from bot.events import (
    Actor,
    AnswerDeleted,
    AnswerEdited,
    AnswerPosted,
    ChannelAddress,
    PrivateAnswerSubmitted,
)
from bot.grading import Grade, grade_answer
from bot.grading.engine import NO_WORDS
from bot.grading.exact import UNREADABLE, WRONG_UNIT
from bot.grading.learned import ACCEPTED_PER_QUESTION
from bot.messages import Message, Reaction
from bot.quiz import render as quiz_render
from bot.review import record_review
from bot.scoring import Streak, advance_streak, round_points
from bot.text import MAX_GRADED_CHARS, is_blank
from storage import unit_of_work
from storage.models import Answer, Member, MemberStreak, Post
from storage.repository import DAILY, PRACTICE, Repository

EMPTY_HINT = "Your reply looks empty, so it was not counted. Write your answer in the thread."
NO_WORDS_HINT = (
    "That reply has nothing to grade (a word like 'ok', or emoji only), so it was not counted. "
    "Write your answer in a sentence or two."
)
NO_WORDS_KEPT = (
    "That reply has nothing to grade (a word like 'ok', or emoji only), so your earlier "
    "answer stands."
)


@dataclass(frozen=True)
class Outcome:
    """What to tell the platform after the transaction has committed."""

    reaction: Reaction | None = None
    private: Message | None = None


def delivery_key(kind: str, where: ChannelAddress, message_id: str, extra: str = "") -> str:
    return f"{kind}:{where.workspace}:{where.channel}:{message_id}{extra}"


async def _find_post(repo: Repository, where: ChannelAddress, thread_id: str) -> Post | None:
    """The post whose thread this is, or None; a read only, so foreign threads cost no writes."""
    return await repo.post_in_thread(where.platform, where.workspace, where.channel, thread_id)


async def _member(repo: Repository, where: ChannelAddress, actor: Actor, now: datetime) -> Member:
    known = await repo.member_by_address(where.platform, where.workspace, actor.user_id)
    if known is not None:
        if actor.display_name and known.display_name != actor.display_name[:200]:
            known.display_name = actor.display_name[:200]
        return known
    workspace_id = await repo.workspace_id(where.platform, where.workspace, now)
    return await repo.member(workspace_id, actor.user_id, actor.display_name, now)


CANCELLED = "cancelled"


def is_open(post: Post, now: datetime) -> bool:
    return post.state == "posted" and (post.reveal_at is None or now < post.reveal_at)


# A sent-time older than this at receipt is not believed (a wrong clock, not a delay:
# reveals come at most 7 days after a post); a sent-time in the future is not either.
# Either way the answer is judged by when we received it, so no clock can be gamed.
MAX_SENT_AGE = timedelta(days=7)


def sent_time(sent_at: datetime | None, received: datetime) -> datetime:
    """When the answer counts as sent: the event's own time if believable, else receipt."""
    if sent_at is None or sent_at > received or received - sent_at > MAX_SENT_AGE:
        return received
    return sent_at


def sent_in_time(post: Post, sent: datetime) -> bool:
    """Whether an answer sent at ``sent`` is on time. A daily round counts what was sent
    before its deadline even once revealed (``credit_late`` credits it then)."""
    if post.kind == PRACTICE or post.reveal_at is None:
        return is_open(post, sent)
    return post.state in ("posted", "revealed") and sent < post.reveal_at


def earns_quality(flags: list[str]) -> bool:
    return "near_copy" not in flags


def grade_for(
    ctx: CoreContext,
    post: Post,
    text: str,
    others: list[str],
    accepted: Sequence[str] = (),
) -> tuple[Grade, bool]:
    question = ctx.bank.get(post.question_id)
    if question is None:
        raise LookupError(f"question {post.question_id} is not in the bank")
    truncated = len(text) > MAX_GRADED_CHARS
    grade = grade_answer(
        question, text[:MAX_GRADED_CHARS], round_answers=others, accepted_answers=accepted
    )
    return grade, truncated


def grade_values(grade: Grade) -> dict[str, object]:
    """The answer columns a grade fills."""
    return {
        "score": grade.score,
        "confidence": grade.confidence,
        "covered": [p.text for p in grade.covered],
        "missed": [p.text for p in grade.missed],
        "feedback": grade.feedback,
        "flags": list(grade.flags),
    }


async def store_answer(
    ctx: CoreContext,
    repo: Repository,
    post: Post,
    member: Member,
    text: str,
    message_id: str | None,
    now: datetime,
    sent: datetime | None = None,
) -> Outcome:
    """Insert or replace this member's answer to ``post`` and grade it; ``sent`` (default
    ``now``) is when the member sent it."""
    existing = await repo.answer_for(post.id, member.id)
    on_time = sent_in_time(post, sent or now)
    practice = post.kind == PRACTICE
    revealed = post.kind == DAILY and post.state == "revealed"
    refused = refusal(
        existing,
        on_time=on_time,
        practice=practice,
        cancelled=post.state == CANCELLED,
        revealed=revealed,
    )
    if refused is not None:
        return refused
    others = await repo.round_texts(post.id, member.id)
    accepted = await repo.accepted_texts([post.id], ACCEPTED_PER_QUESTION)
    grade, truncated = grade_for(ctx, post, text, others, accepted.get(post.id, ()))
    kept = does_not_count(ctx, post, grade, existing.text if existing else None, existing)
    if kept is not None:
        return kept
    replaced = existing is not None
    # Sent in time but reaching us after the reveal: its points are final at once.
    late_credit = on_time and revealed
    points = (
        round_points(
            on_time=True, score=grade.score, earns_quality=earns_quality(grade.flags), best=False
        )
        if late_credit
        else 0
    )
    credited = False
    if existing is None:
        # A new answer goes in whole, grade included: one statement, no read-back.
        answer_id = await repo.insert_answer(
            {
                "post_id": post.id,
                "member_id": member.id,
                "channel_id": post.channel_id,
                "kind": post.kind,
                "post_date": post.local_date,
                "text": text,
                "message_ref": message_id,
                "received_at": now,
                "on_time": on_time,
                "withdrawn": False,
                "points": points,
                "best": False,
                **grade_values(grade),
            }
        )
        if answer_id is None:  # a concurrent twin stored one a moment ago: replace it
            existing = await repo.answer_for(post.id, member.id)
        else:
            credited = late_credit
    if existing is not None:
        if late_credit:
            # The database decides: only the write that turns it on time credits it.
            credited = await repo.turn_answer_on_time(existing.id)
            existing.points, existing.best = points, False
        existing.text = text
        existing.message_ref = message_id or existing.message_ref
        existing.edited_at = now
        existing.withdrawn = False
        existing.on_time = on_time
        for name, value in grade_values(grade).items():
            setattr(existing, name, value)
    if on_time:
        await record_review(repo, member.id, post.question_id, post.id, grade.score, now)
    if credited:
        await credit_late(repo, post, member.id)
    if practice and not unreadable(grade.flags):
        await repo.set_post_state(post.id, "revealed", revealed_at=now)
    return graded_outcome(
        ctx, post, grade, on_time=on_time, replaced=replaced, truncated=truncated, text=text
    )


def refusal(
    existing: Answer | None,
    *,
    on_time: bool,
    practice: bool,
    cancelled: bool = False,
    revealed: bool = False,
) -> Outcome | None:
    """Why a new reply is not stored at all, or None when it is. After the reveal an
    on-time answer stands: a reply sent in time but reaching us late does not replace it."""
    if cancelled:
        return Outcome(
            None,
            render.info("This round was cancelled (`/mlq skip`), so your reply was not counted."),
        )
    if (
        existing is not None
        and existing.on_time
        and not existing.withdrawn
        and (not on_time or revealed)
    ):
        return Outcome(
            Reaction.LATE,
            render.info(
                "This round is closed, so your new reply was not counted; your earlier answer "
                "stands."
            ),
        )
    if (
        existing is not None
        and practice
        and not existing.withdrawn
        and not unreadable(existing.flags)  # a quiz answer we could not read may be retried
    ):
        return Outcome(
            None,
            render.info(
                "You already answered this practice question. Ask for another with `/mlq`."
            ),
        )
    return None


def does_not_count(
    ctx: CoreContext, post: Post, grade: Grade, earlier: str | None, stored: Answer | None
) -> Outcome | None:
    """A reply that does not count, with what to tell the member; None when it counts.

    "ok" or a row of emoji is no attempt: counting it would pay the on-time point and a
    streak day for nothing, so like an empty reply it is not stored (an earlier answer
    stands). A quiz reply naming no option or number ("nice one!", "why not B?") does not
    replace a readable answer: talk in the thread must not erase a pick. ``earlier`` is
    the text of the member's current answer (None when there is none)."""
    if NO_WORDS in grade.flags:
        standing = earlier is not None and not (stored is not None and stored.withdrawn)
        return Outcome(None, render.info(NO_WORDS_KEPT if standing else NO_WORDS_HINT))
    question = ctx.bank.get(post.question_id)
    if (
        question is None
        or not question.is_quiz
        or earlier is None
        or (stored is not None and stored.withdrawn)
        or not unreadable(grade.flags)
        or unreadable(grade_for(ctx, post, earlier, [])[0].flags)
    ):
        return None
    return Outcome(None, quiz_render.not_replaced(question, earlier, grade))


def unreadable(flags: Sequence[str] | None) -> bool:
    """A quiz answer naming no option or no number in the right unit: kept, scoring 0,
    and replaceable even where one answer is the rule (practice)."""
    return bool(flags) and bool(set(flags) & {UNREADABLE, WRONG_UNIT})


def graded_outcome(
    ctx: CoreContext,
    post: Post,
    grade: Grade,
    *,
    on_time: bool,
    replaced: bool,
    truncated: bool,
    text: str = "",
) -> Outcome:
    """What the member is told once the answer is stored."""
    question = ctx.bank.get(post.question_id)
    if on_time and question is not None and question.is_quiz:
        # A daily quiz says only what was recorded: right or wrong waits for the reveal.
        if post.kind == PRACTICE and not unreadable(grade.flags):
            told = quiz_render.verdict(question, grade, practice=True)
        else:
            retry = post.id if post.kind == PRACTICE else None
            told = quiz_render.confirmation(question, text, grade, replaced=replaced, retry=retry)
        return Outcome(Reaction.UPDATED if replaced else Reaction.RECEIVED, told)
    if not on_time:
        return Outcome(
            Reaction.LATE,
            render.info(
                "This round is already revealed: your answer is kept as late and earns no points."
            ),
        )
    feedback = render.answer_feedback(
        ctx.bank.get(post.question_id),
        grade,
        practice=post.kind == PRACTICE,
        edited=replaced,
        truncated=truncated,
    )
    if post.kind == DAILY:  # a grade the member thinks wrong can be disputed (bot/disputes)
        feedback = replace(feedback, buttons=feedback_buttons(post.id))
    return Outcome(Reaction.UPDATED if replaced else Reaction.RECEIVED, feedback)


async def credit_late(repo: Repository, post: Post, member_id: int) -> None:
    """Credit a member's streak and the team streak for an answer to ``post`` that was sent
    in time but stored after its reveal, as if the reveal had seen it.

    The reveal kept each streak's state before it (``MemberStreak.previous``) and the team
    streak's; the credit redoes that step with the answer counted. Conditional updates make
    it happen once. Once a later round has been revealed the streaks have moved on, so only
    the points stand."""
    stored = await repo.streak_for(post.channel_id, member_id)
    if stored is None:
        if await repo.revealed_after(post):
            log.info("post %s: a later round is revealed; late answer earns points only", post.id)
        else:
            state = advance_streak(Streak(), answered_on_time=True)
            repo.add(
                MemberStreak(
                    channel_id=post.channel_id,
                    member_id=member_id,
                    current=state.current,
                    best=state.best,
                    freezes=state.freezes,
                    run=state.run,
                    freezes_used=state.freezes_used,
                    settled_post_id=post.id,
                    settled_on_time=True,
                    previous=[0, 0, 0, 0, 0],
                )
            )
    elif stored.settled_post_id == post.id and stored.previous is not None:
        state = advance_streak(Streak(*stored.previous), answered_on_time=True)
        await repo.settle_streak_late(stored.id, post.id, state)
    else:
        log.info("post %s: a later round is revealed; late answer earns points only", post.id)
    await repo.flush()
    channel = await repo.channel_for_update(post.channel_id)
    if (
        channel.team_streak_post_id == post.id
        and not channel.team_streak_post_met
        and await repo.on_time_count(post.id) >= channel.team_streak_threshold
    ):
        await repo.meet_team_streak_late(channel.id, post.id, channel.team_streak_previous + 1)


def debt_for(key: str, event: AnswerPosted | AnswerEdited, outcome: Outcome) -> outbox.Debt:
    """What the author of a thread reply is owed: a reaction on it, a private message."""
    recipient = outbox.Recipient(
        event.where, event.actor.user_id, event.message_id, event.thread_id
    )
    return outbox.Debt(key, recipient, outcome.reaction, outcome.private)


Handler = Callable[[Repository, Post, Member, datetime], Awaitable[Outcome | None]]


async def _in_question_thread(
    ctx: CoreContext, event: AnswerPosted | AnswerEdited, delivery_key: str, handle: Handler
) -> list[Message]:
    """The path replies and edits share: our thread only, each delivery once, then ``handle``."""
    if event.actor.is_bot:
        return []
    now = ctx.now()
    owed: list[outbox.Owed] = []
    async with unit_of_work(ctx.db) as repo:
        post = await _find_post(repo, event.where, event.thread_id)
        if post is None or post.kind != DAILY:
            return []  # a thread that is not one of our questions
        first = await repo.first_delivery(event.where.platform, delivery_key, now)
        if first:
            member = await _member(repo, event.where, event.actor, now)
            outcome = await handle(repo, post, member, now)
            if outcome is not None:
                # Owed in the answer's own transaction: stored and owed, or neither.
                debts = [debt_for(delivery_key, event, outcome)]
                owed = (await outbox.record(ctx, repo, debts, now)).get(delivery_key, [])
    if not first:
        # Stored before: make sure its feedback went out (the storer may have died).
        await outbox.pay_redelivered(ctx, [delivery_key])
        return []
    await outbox.pay(ctx, owed)
    return []


async def on_answer_posted(ctx: CoreContext, event: AnswerPosted) -> list[Message]:
    async def handle(repo: Repository, post: Post, member: Member, now: datetime) -> Outcome:
        if is_blank(event.text):
            return Outcome(None, render.info(EMPTY_HINT))
        sent = sent_time(event.sent_at, now)
        return await store_answer(ctx, repo, post, member, event.text, event.message_id, now, sent)

    key = delivery_key("msg", event.where, event.message_id)
    return await _in_question_thread(ctx, event, key, handle)


async def on_private_answer(ctx: CoreContext, event: PrivateAnswerSubmitted) -> list[Message]:
    """A form's answer or a quiz pick. Where the adapter says so (``private_answers_owed``)
    and the delivery has an id, the reply is owed through the outbox in the answer's own
    transaction and sent by whoever holds it, exactly once; else it is returned."""
    owe = bool(getattr(ctx.adapter, "private_answers_owed", False)) and bool(event.event_id)
    key = f"private:{event.event_id}"
    now = ctx.now()
    owed: list[outbox.Owed] = []
    async with unit_of_work(ctx.db) as repo:
        channel = await repo.channel_by_address(
            event.where.platform, event.where.workspace, event.where.channel
        )
        member = await _member(repo, event.where, event.actor, now)
        post = await repo.get_post(event.post_id)
        if (
            post is None
            or channel is None
            or post.channel_id != channel.id
            or (post.kind == PRACTICE and post.member_id != member.id)
        ):
            return [render.error("That question is not open to you here.")]
        first = not event.event_id or await repo.first_delivery(event.where.platform, key, now)
        if first:
            if is_blank(event.text):
                outcome = Outcome(
                    None, render.info("Your answer was empty, so it was not counted.")
                )
            else:
                sent = sent_time(event.sent_at, now)
                outcome = await store_answer(ctx, repo, post, member, event.text, None, now, sent)
            if owe and outcome.private is not None:
                recipient = outbox.Recipient(
                    event.where, event.actor.user_id, None, post.thread_ref
                )
                debt = outbox.Debt(key, recipient, None, outcome.private)
                owed = (await outbox.record(ctx, repo, [debt], now)).get(key, [])
    if not first:
        if owe:  # stored before: make sure its reply went out (the storer may have died)
            await outbox.pay_redelivered(ctx, [key])
        return []
    if owe:
        await outbox.pay(ctx, owed)
        return []
    return [outcome.private] if outcome.private else []


async def on_answer_edited(ctx: CoreContext, event: AnswerEdited) -> list[Message]:
    async def handle(repo: Repository, post: Post, member: Member, now: datetime) -> Outcome | None:
        answer = await repo.answer_for(post.id, member.id)
        if answer is None or answer.message_ref != event.message_id:
            return None  # an edit to a reply that is not the member's current answer
        # An edit made in time counts until the reveal has scored the round.
        sent = sent_time(event.sent_at, now)
        if post.state != "posted" or not sent_in_time(post, sent):
            return Outcome(
                None,
                render.info(
                    "This round is closed: your edit is not counted; the answer you had stands."
                ),
            )
        if is_blank(event.text):
            return Outcome(None, render.info(EMPTY_HINT))
        return await store_answer(ctx, repo, post, member, event.text, event.message_id, now, sent)

    # An edit is keyed by its new text: the same edit redelivered counts once, a new one counts.
    digest = hashlib.sha256(event.text.encode("utf-8", "replace")).hexdigest()[:16]
    key = delivery_key("edit", event.where, event.message_id, f":{digest}")
    return await _in_question_thread(ctx, event, key, handle)


async def on_answer_deleted(ctx: CoreContext, event: AnswerDeleted) -> list[Message]:
    """Withdraw the answer a deleted message carried, if the round is still open.

    Some platforms (Discord's raw delete) do not say who deleted; an empty ``user_id``
    means "unknown", and the answer is found by its message id alone.
    """
    now = ctx.now()
    async with unit_of_work(ctx.db) as repo:
        post = await _find_post(repo, event.where, event.thread_id)
        if post is None or not is_open(post, now):
            return []  # after the reveal the points stand
        answer = await repo.answer_by_message(post.id, event.message_id)
        if answer is None:
            return []
        if event.actor.user_id:
            member = await _member(repo, event.where, event.actor, now)
            if answer.member_id != member.id:
                return []  # only the author's own deletion withdraws an answer
        # Kept, not erased: withdrawn answers earn nothing but are not lost.
        answer.withdrawn = True
    return []

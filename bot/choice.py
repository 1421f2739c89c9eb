"""A channel's daily question: when it is due, and which question it gets.

The choice depends only on the bank, the channel's filters, its past daily questions, its
mean grades per topic and a seed of channel and date, so a pick made a little ahead (see
``bot.lookahead``) is the one the due instant would make, up to grades given meanwhile.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache

from bot.context import CoreContext, channel_zone, log, zone_named
from bot.quiz.formats import DEFAULT_MODE, formats_of
from bot.schedule import is_scheduled, local_date, local_instant, parse_hhmm, previous_scheduled
from question_bank.schema import Question
from question_bank.selection import NoEligibleQuestion, choose_question
from storage.claims import DailyClaims
from storage.feedback import FeedbackStore
from storage.models import Channel
from storage.repository import ChannelRow, Repository


def daily_claim_key(channel_id: int, day: object) -> str:
    return f"daily:{channel_id}:{day}"


def topic_means(ctx: CoreContext, by_question: Mapping[str, float]) -> dict[str, float]:
    """Per-question mean grades folded into the team's mean grade per topic."""
    sums: dict[str, list[float]] = {}
    for question_id, mean in by_question.items():
        question = ctx.bank.get(question_id)
        if question is not None:
            sums.setdefault(question.topic, []).append(mean)
    return {topic: sum(v) / len(v) for topic, v in sums.items()}


async def topic_scores(repo: Repository, ctx: CoreContext, channel_id: int) -> dict[str, float]:
    """The team's mean grade per topic, from its past answers."""
    return topic_means(ctx, await repo.mean_score_by_question(channel_id))


def filters_of(channel: Channel) -> tuple[tuple[str, ...], ...]:
    """The channel settings a choice depends on: its topic, bank and format filters."""
    return (
        tuple(channel.topic_filter or ()),
        tuple(channel.bank_filter or ()),
        (channel.formats or DEFAULT_MODE,),
    )


@dataclass(frozen=True)
class DueToday:
    """A channel whose post for its local ``today`` is due (scheduled, time reached)."""

    row: ChannelRow
    today: date
    post_at: datetime

    @cached_property  # read several times per channel in every fan-out
    def claim_key(self) -> str:
        return daily_claim_key(self.row.channel.id, self.today)

    def late(self, ctx: CoreContext, now: datetime) -> bool:
        return now > self.post_at + ctx.late_grace

    def previous_to_check(self) -> date | None:
        """The previous scheduled day, if the channel was subscribed before it.

        A missing post on that day means the bot was down then; it is not made up.
        """
        channel = self.row.channel
        previous = previous_scheduled(self.today, channel.weekdays)
        if (
            previous is not None
            and channel.subscribed_at is not None
            and local_date(channel.subscribed_at, channel_zone(channel)) < previous
        ):
            return previous
        return None


def due_today(row: ChannelRow, now: datetime) -> DueToday | None:
    """The channel's post for today if the schedule says it is due now; else None."""
    channel = row.channel
    if channel.paused or not channel.subscribed:
        return None
    slot = _post_slot(now, channel.timezone, channel.post_time, channel.weekdays)
    if slot is None or channel.skip_date == slot[0]:
        return None
    today, post_at = slot
    if now < post_at or (channel.subscribed_at and channel.subscribed_at > post_at):
        return None
    return DueToday(row, today, post_at)


@lru_cache(maxsize=4096)
def _post_slot(
    now: datetime, timezone: str, post_time: str, weekdays: str
) -> tuple[date, datetime] | None:
    """The local date at ``now`` and that day's post instant, or None if the day is off.

    Worked out once per tick for all the channels that share a schedule (most keep the
    defaults), not once per channel."""
    zone = zone_named(timezone)
    today = local_date(now, zone)
    if not is_scheduled(today, weekdays):
        return None
    return today, local_instant(today, parse_hhmm(post_time), zone)


def pick_question(
    ctx: CoreContext,
    channel: Channel,
    today: date,
    history: Sequence[str],
    scores: Mapping[str, float],
    retired: Collection[str] = (),
) -> Question | None:
    """Today's question for the channel; None (logged) when its filters leave none.
    ``retired``: the questions an admin retired for the channel's workspace."""
    try:
        return choose_question(
            ctx.bank,
            history,
            seed=f"{channel.id}:{today.isoformat()}",
            topics=channel.topic_filter or None,
            banks=channel.bank_filter or None,
            topic_scores=scores,
            exclude=retired,
            formats=formats_of(channel.formats),
        )
    except NoEligibleQuestion:
        log.error("channel %s: no question matches its topic filter", channel.id)
        return None


def log_missed(channel_id: int, previous: date) -> None:
    log.warning(
        "channel %s: the post of %s was missed (offline) and is skipped", channel_id, previous
    )


@dataclass
class Choices:
    """Questions for channels that have no post for their day yet."""

    picks: list[tuple[DueToday, Question]] = field(default_factory=list)
    # channel id -> its previous scheduled day, which has no post (the bot was down).
    missed: dict[int, date] = field(default_factory=dict)


async def choose_for(ctx: CoreContext, queries: DailyClaims, due: Sequence[DueToday]) -> Choices:
    """Choose for every channel in ``due`` without a post on its day, in a few bulk reads."""
    choices = Choices()
    if not due:
        return choices
    previous = {d.row.channel.id: p for d in due if (p := d.previous_to_check()) is not None}
    existing = await queries.daily_posts_on(
        [d.row.channel.id for d in due], {d.today for d in due} | set(previous.values())
    )
    todo = [d for d in due if (d.row.channel.id, d.today) not in existing]
    if not todo:
        return choices
    ids = [d.row.channel.id for d in todo]
    histories = await queries.histories(ids)
    means = await queries.mean_scores(ids)
    retired = await FeedbackStore(queries.session).retired_for_channels(ids)
    for d in todo:
        channel_id = d.row.channel.id
        try:
            question = pick_question(
                ctx,
                d.row.channel,
                d.today,
                histories[channel_id],
                topic_means(ctx, means[channel_id]),
                retired.get(channel_id, frozenset()),
            )
        except Exception:
            # One channel's bad data must not hold back every other channel's post.
            log.exception("channel %s: choosing today's question failed", channel_id)
            continue
        if question is None:
            continue
        choices.picks.append((d, question))
        missed = previous.get(channel_id)
        if missed is not None and (channel_id, missed) not in existing:
            choices.missed[channel_id] = missed
    return choices

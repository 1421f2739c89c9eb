"""The weekly digest: claimed once per (channel, ISO week), computed from stored rounds.

It covers the rounds revealed since the previous week's digest time (``digest_window``),
so every round lands in exactly one digest even when a Friday round is revealed after
Friday's digest.

The claim has a lease. A digest whose sender died, or whose send failed for a passing
reason (the lease is then pushed out by a wait that doubles each time), is taken over by
``recover_digests`` once the lease runs out, and is sent again only if the channel holds
no message carrying its key (``digest_key``), as for posts and reveals (bot/rounds.py).
A permanent refusal suspends the channel (bot/access) and gives the digest up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, time, timedelta

from bot import access, render
from bot.context import CoreContext, address_of, channel_zone, log
from bot.disputes.messages import correction_lines
from bot.ports import DeliveryError
from bot.schedule import iso_week, local_date, local_instant, parse_hhmm, week_bounds
from storage import unit_of_work
from storage.feedback import FeedbackStore
from storage.repository import ChannelRow, Repository

ACTIVE_WINDOW = timedelta(days=28)


def digest_instant(row: ChannelRow, now: datetime) -> datetime:
    """When this week's digest is due, in UTC."""
    channel = row.channel
    zone = channel_zone(channel)
    monday, _ = week_bounds(local_date(now, zone))
    day = monday + timedelta(days=channel.digest_weekday)
    return local_instant(day, parse_hhmm(channel.digest_time), zone)


def digest_window(row: ChannelRow, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the rounds a digest due at ``end`` covers: from the previous week's
    digest instant, worked out in local time. Seven days of UTC would be an hour too long
    or too short in a week whose clocks change, counting a round in two digests or in none."""
    zone = channel_zone(row.channel)
    monday, _ = week_bounds(local_date(end, zone))
    # Any instant of the previous local week (its Sunday noon) names that week.
    last_week = local_instant(monday - timedelta(days=1), time(12, 0), zone)
    return digest_instant(row, last_week), end


async def digest_facts(
    repo: Repository, ctx: CoreContext, row: ChannelRow, end: datetime
) -> render.DigestFacts:
    channel = row.channel
    zone = channel_zone(channel)
    year, week = iso_week(local_date(end, zone))
    start, end = digest_window(row, end)
    posts = await repo.revealed_between(channel.id, start, end)
    answers = await repo.answers_for_posts([p.id for p in posts])
    streaks = await repo.streaks(channel.id)

    points: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    scores_by_post: dict[int, list[float]] = defaultdict(list)
    missed: Counter[str] = Counter()
    on_time = 0
    for answer, member in answers:
        names[member.id] = member.display_name
        points[member.id] += answer.points
        if answer.on_time:
            on_time += 1
            scores_by_post[answer.post_id].append(answer.score)
            missed.update(answer.missed)
    ranked = sorted(
        points,
        key=lambda m: (-points[m], -(streaks[m].current if m in streaks else 0), names[m]),
    )
    top = [
        (names[m], points[m], streaks[m].current if m in streaks else 0)
        for m in ranked[:5]
        if points[m] > 0
    ]
    active = await repo.active_member_count(
        channel.id, local_date(end - ACTIVE_WINDOW, zone), local_date(end, zone)
    )
    participation = on_time / (len(posts) * active) if posts and active else None
    hardest = None
    if len(scores_by_post) > 1:  # "hardest" of one question says nothing
        post_id, scores = min(scores_by_post.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
        post = next(p for p in posts if p.id == post_id)
        question = ctx.bank.get(post.question_id)
        if question is not None:
            hardest = (question.prompt, sum(scores) / len(scores))
    most_missed = missed.most_common(1)[0] if missed else None
    return render.DigestFacts(
        iso_year=year,
        iso_week=week,
        posts=len(posts),
        top=top,
        streaks=await repo.top_streaks(channel.id),
        team_streak=channel.team_streak,
        team_streak_best=channel.team_streak_best,
        participation=participation,
        hardest=hardest,
        most_missed=most_missed,
        corrections=await _corrections(repo, channel.id, start, end),
    )


async def _corrections(repo: Repository, channel_id: int, start: datetime, end: datetime) -> str:
    """Grades changed by a dispute since the previous digest: a digest already posted is
    not rewritten, the next one says what changed."""
    rows = await FeedbackStore(repo.session).corrections_between(channel_id, start, end)
    return correction_lines([(d, m, f"{p.local_date:%a %d %b}") for d, m, p in rows])


def digest_due_at(row: ChannelRow, now: datetime) -> datetime | None:
    """This week's digest instant if it has come for the channel; None if not (yet)."""
    channel = row.channel
    if channel.paused or not channel.subscribed:
        return None
    due_at = digest_instant(row, now)
    if now < due_at or (channel.subscribed_at and channel.subscribed_at > due_at):
        return None
    return due_at


def digest_key(channel_id: int, iso_year: int, iso_week: int) -> str:
    """The claim key a digest's message carries."""
    return f"digest:{channel_id}:{iso_year}-W{iso_week:02d}"


async def digest_due(ctx: CoreContext, row: ChannelRow, now: datetime) -> bool:
    """Post this week's digest in the channel if it is due and nobody has; True if we did."""
    due_at = digest_due_at(row, now)
    if due_at is None:
        return False
    channel = row.channel
    year, week = iso_week(local_date(due_at, channel_zone(channel)))
    async with unit_of_work(ctx.db) as repo:
        # Claimed before (a send failed or its sender died): ``recover_digests`` retries it
        # once its lease is over, after looking for it on the platform.
        if await repo.digest_exists(channel.id, year, week):
            return False
        digest_id = await repo.claim_digest(
            channel.id, year, week, owner=ctx.instance_id, now=now, lease_until=now + ctx.lease
        )
        if digest_id is None:
            return False
        facts = await digest_facts(repo, ctx, row, due_at)
        if facts.posts == 0:
            # Nothing happened this week: no digest is better than an empty one.
            await repo.finish_digest(digest_id, "empty", now=now)
            return False
    return await _send(ctx, row, digest_id, digest_key(channel.id, year, week), facts, now)


async def _send(
    ctx: CoreContext,
    row: ChannelRow,
    digest_id: int,
    key: str,
    facts: render.DigestFacts,
    now: datetime,
) -> bool:
    channel = row.channel
    try:
        ref = await ctx.adapter.post(address_of(row), replace(render.digest(facts), key=key))
    except Exception as exc:
        # Permanent: the channel is suspended and the digest given up. Otherwise it stays
        # claimed and is tried again after a wait that doubles each time (this week only).
        await access.send_failed(ctx, channel.id, exc, now, what="the weekly digest")
        async with unit_of_work(ctx.db) as repo:
            if access.is_permanent(exc):
                await repo.finish_digest(digest_id, "failed", now=now)
            else:
                await repo.back_off_digest(digest_id, now, ctx.lease, access.MAX_BACKOFF)
        return False
    async with unit_of_work(ctx.db) as repo:
        await repo.finish_digest(digest_id, "posted", now=now, message_ref=ref.message_id)
    return True


async def recover_digests(ctx: CoreContext, now: datetime) -> int:
    """Finish the digests whose sender died: mark one found on the platform, else send it
    (within the week it is for). Returns how many were sent or found."""
    async with unit_of_work(ctx.db) as repo:
        stalled = await repo.stalled_digests(now)
    done = 0
    for digest in stalled:
        if digest.lease_until is None:
            continue
        held = now + ctx.lease
        async with unit_of_work(ctx.db) as repo:
            if not await repo.take_digest_lease(
                digest.id, owner=ctx.instance_id, old_lease=digest.lease_until, new_lease=held
            ):
                continue  # another process took it over
            row = await repo.channel_row(digest.channel_id)
        if row is None:
            continue
        key = digest_key(digest.channel_id, digest.iso_year, digest.iso_week)
        try:
            found = await ctx.adapter.find_sent(address_of(row), key, digest.created_at)
        except DeliveryError as exc:
            if access.is_permanent(exc):
                # The channel refuses us for good: suspend it and give the digest up.
                await access.send_failed(ctx, row.channel.id, exc, now, what="the weekly digest")
                async with unit_of_work(ctx.db) as repo:
                    await repo.finish_digest(digest.id, "failed", now=now)
                continue
            log.warning("digest %s: could not check what was sent (%s); will retry", key, exc)
            continue
        if found is not None:
            log.info("digest %s: found on the platform as %s; not sent again", key, found)
            async with unit_of_work(ctx.db) as repo:
                await repo.finish_digest(digest.id, "posted", now=now, message_ref=found.message_id)
            done += 1
            continue
        due_at = digest_instant(row, now)
        if iso_week(local_date(due_at, channel_zone(row.channel))) != (
            digest.iso_year,
            digest.iso_week,
        ):
            log.error("digest %s was never delivered in its week; given up", key)
            async with unit_of_work(ctx.db) as repo:
                await repo.finish_digest(digest.id, "failed", now=now)
            continue
        async with unit_of_work(ctx.db) as repo:
            # The look-up can outlast the lease: a process that took the digest over
            # meanwhile may have looked, found nothing and sent it. Still ours, it is
            # renewed by the same compare-and-set.
            kept = await repo.take_digest_lease(
                digest.id, owner=ctx.instance_id, old_lease=held, new_lease=ctx.now() + ctx.lease
            )
            facts = await digest_facts(repo, ctx, row, due_at) if kept else None
        if facts is None:
            log.info("digest %s: lease lost while looking; left to its new holder", key)
            continue
        if await _send(ctx, row, digest.id, key, facts, now):
            done += 1
    return done

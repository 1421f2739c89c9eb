"""Every query the bot runs, behind methods named for what they mean.

One ``Repository`` wraps one session (one transaction); services open it through
``storage.unit_of_work``. Nothing outside ``storage/`` writes SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AcceptedAnswer,
    Answer,
    AppState,
    Channel,
    Digest,
    Member,
    MemberStreak,
    Post,
    ProcessedEvent,
    ReviewCard,
    Workspace,
)
from storage.upsert import insert_ignore, insert_many_ignore, upsert

DAILY = "daily"
PRACTICE = "practice"
MAX_ROW_ID = 2**63 - 1  # the largest BIGINT; SQLite's INTEGER is the same size


@dataclass(frozen=True)
class ChannelRow:
    channel: Channel
    platform: str
    workspace_external_id: str


@dataclass(frozen=True)
class Standing:
    member_id: int
    external_id: str
    display_name: str
    points: int
    answers: int
    streak: int


@dataclass(frozen=True)
class MemberTotals:
    points: int
    answers: int
    mean_score: float | None
    best_answers: int


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- identities -------------------------------------------------------------------

    async def _get_or_insert(
        self, lookup: Select[Any], table: Any, values: dict[str, Any], keys: tuple[str, ...]
    ) -> Any:
        """The row ``lookup`` finds, inserting ``values`` first if there is none yet.

        Reading first keeps the usual case (the row exists) free of writes; the insert
        ignores a conflict, so two processes creating the same row both end up reading it.
        """
        found = await self.session.scalar(lookup)
        if found is not None:
            return found
        await insert_ignore(self.session, table, values, keys)
        return await self.session.scalar(lookup)

    async def workspace_id(self, platform: str, external_id: str, now: datetime) -> int:
        return await self._get_or_insert(
            select(Workspace.id).where(
                Workspace.platform == platform, Workspace.external_id == external_id
            ),
            Workspace.__table__,
            {"platform": platform, "external_id": external_id, "created_at": now},
            ("platform", "external_id"),
        )

    async def channel(self, workspace_id: int, external_id: str, now: datetime) -> Channel:
        """The channel, created with the model's defaults on first sight."""
        return await self._get_or_insert(
            select(Channel).where(
                Channel.workspace_id == workspace_id, Channel.external_id == external_id
            ),
            Channel.__table__,
            {"workspace_id": workspace_id, "external_id": external_id, "created_at": now},
            ("workspace_id", "external_id"),
        )

    async def member(
        self, workspace_id: int, external_id: str, display_name: str, now: datetime
    ) -> Member:
        name = display_name[:200]
        member = await self._get_or_insert(
            select(Member).where(
                Member.workspace_id == workspace_id, Member.external_id == external_id
            ),
            Member.__table__,
            {
                "workspace_id": workspace_id,
                "external_id": external_id,
                "display_name": name,
                "created_at": now,
            },
            ("workspace_id", "external_id"),
        )
        if name and member.display_name != name:
            member.display_name = name  # people rename themselves
        return member

    async def find_member(self, workspace_id: int, ref: str) -> Member | None:
        """By platform id, or else by display name (case-insensitive)."""
        by_id = await self.session.scalar(
            select(Member).where(Member.workspace_id == workspace_id, Member.external_id == ref)
        )
        if by_id is not None:
            return by_id
        return await self.session.scalar(
            select(Member)
            .where(
                Member.workspace_id == workspace_id,
                func.lower(Member.display_name) == ref.lower(),
            )
            .limit(1)
        )

    async def channel_by_address(
        self, platform: str, workspace: str, channel: str
    ) -> Channel | None:
        return await self.session.scalar(
            select(Channel)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                Channel.external_id == channel,
            )
        )

    async def member_by_address(
        self, platform: str, workspace: str, external_id: str
    ) -> Member | None:
        return await self.session.scalar(
            select(Member)
            .join(Workspace, Workspace.id == Member.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                Member.external_id == external_id,
            )
        )

    async def members_by_address(
        self, platform: str, workspace: str, external_ids: Sequence[str]
    ) -> dict[str, Member]:
        if not external_ids:
            return {}
        rows = await self.session.scalars(
            select(Member)
            .join(Workspace, Workspace.id == Member.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                Member.external_id.in_(list(set(external_ids))),
            )
        )
        return {member.external_id: member for member in rows}

    async def insert_members(self, workspace_id: int, names: dict[str, str], now: datetime) -> None:
        """Create members by external id -> display name; existing ones are left alone."""
        rows = [
            {
                "workspace_id": workspace_id,
                "external_id": user,
                "display_name": name,
                "created_at": now,
            }
            for user, name in names.items()
        ]
        await insert_many_ignore(
            self.session, Member.__table__, rows, ("workspace_id", "external_id"), ("id",)
        )

    async def active_channels(self, platform: str) -> list[ChannelRow]:
        rows = await self.session.execute(
            select(Channel, Workspace.platform, Workspace.external_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(
                Channel.subscribed.is_(True),
                Channel.suspended_reason.is_(None),  # nothing is sent there until resumed
                Workspace.platform == platform,
            )
            .order_by(Channel.id)
        )
        return [ChannelRow(c, platform, ws) for c, platform, ws in rows]

    # --- suspended channels: the platform refused the bot for good ----------------------

    async def suspend_channel(self, channel_id: int, reason: str, now: datetime) -> bool:
        """Suspend a channel; False if it already was (so one caller tells the admin)."""
        result = await self.session.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.suspended_reason.is_(None))
            .values(suspended_reason=reason[:300], suspended_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def suspend_workspace(
        self, platform: str, workspace: str, reason: str, now: datetime
    ) -> int:
        """Suspend every channel of a workspace not suspended already; how many were."""
        ids = select(Workspace.id).where(
            Workspace.platform == platform, Workspace.external_id == workspace
        )
        result = await self.session.execute(
            update(Channel)
            .where(
                Channel.workspace_id.in_(ids.scalar_subquery()), Channel.suspended_reason.is_(None)
            )
            .values(suspended_reason=reason[:300], suspended_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0

    async def change_suspension(self, channel_id: int, reason: str, to: str) -> bool:
        """Replace a suspension's reason, only if it still is ``reason``."""
        result = await self.session.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.suspended_reason == reason)
            .values(suspended_reason=to[:300])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def end_subscription(self, channel_id: int) -> bool:
        """Unsubscribe a channel (its suspension, if any, stays as the record of why)."""
        result = await self.session.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.subscribed.is_(True))
            .values(subscribed=False)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def suspended_channels(self, platform: str | None = None) -> list[ChannelRow]:
        query = (
            select(Channel, Workspace.platform, Workspace.external_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(Channel.suspended_reason.is_not(None))
            .order_by(Channel.id)
        )
        if platform is not None:
            query = query.where(Workspace.platform == platform)
        rows = await self.session.execute(query)
        return [ChannelRow(c, p, ws) for c, p, ws in rows]

    async def retry_channel_now(self, channel_id: int, now: datetime) -> None:
        """Make the channel's unsent posts and reveals due for a retry at once."""
        await self.session.execute(
            update(Post)
            .where(
                Post.channel_id == channel_id,
                Post.kind == DAILY,
                or_(Post.lease_until > now, Post.lease_until.is_(None)),  # waiting or given up
                or_(
                    Post.state == "claimed",
                    and_(Post.state == "revealed", Post.reveal_message_ref.is_(None)),
                ),
            )
            .values(lease_until=now - timedelta(seconds=1), send_attempts=0)  # stalled now
            .execution_options(synchronize_session=False)
        )

    async def back_off_post(
        self,
        post_id: int,
        now: datetime,
        base: timedelta,
        cap: timedelta,
        give_up_after: int | None = None,
    ) -> bool:
        """A send of this post failed for a passing reason: retry it after a wait that
        doubles with every failure, up to ``cap``; after ``give_up_after`` failures, never
        (no lease: the recovery pass stops picking it). True when given up."""
        attempts = await self.session.scalar(select(Post.send_attempts).where(Post.id == post_id))
        if attempts is None:
            return False
        give_up = give_up_after is not None and attempts + 1 >= give_up_after
        await self.session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(
                send_attempts=attempts + 1,
                lease_until=None if give_up else now + min(base * 2**attempts, cap),
            )
            .execution_options(synchronize_session=False)
        )
        return give_up

    async def channel_row(self, channel_id: int) -> ChannelRow | None:
        row = (
            await self.session.execute(
                select(Channel, Workspace.platform, Workspace.external_id)
                .join(Workspace, Workspace.id == Channel.workspace_id)
                .where(Channel.id == channel_id)
            )
        ).first()
        return ChannelRow(row[0], row[1], row[2]) if row else None

    # --- small facts kept between starts ------------------------------------------------

    async def app_state(self, key: str) -> str | None:
        return await self.session.scalar(select(AppState.value).where(AppState.key == key))

    async def set_app_state(self, key: str, value: str, now: datetime) -> None:
        await upsert(
            self.session,
            AppState.__table__,
            {"key": key[:200], "value": value[:500], "updated_at": now},
            ("key",),
        )

    # --- events -----------------------------------------------------------------------

    async def first_delivery(self, platform: str, event_key: str, now: datetime) -> bool:
        """Record a platform delivery; False when it was seen before (a retry or a twin)."""
        values = {"platform": platform, "event_key": event_key[:200], "processed_at": now}
        new_id = await insert_ignore(
            self.session, ProcessedEvent.__table__, values, ("platform", "event_key")
        )
        return new_id is not None

    async def prune_deliveries(self, before: datetime) -> int:
        """Forget deliveries older than any platform retries; keeps the table small."""
        result = await self.session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.processed_at < before)
        )
        return result.rowcount or 0

    # --- posts ------------------------------------------------------------------------

    async def claim_post(
        self,
        *,
        claim_key: str,
        channel_id: int,
        question_id: str,
        local_date: date,
        kind: str,
        owner: str,
        lease_until: datetime,
        now: datetime,
        late: bool = False,
        member_id: int | None = None,
    ) -> int | None:
        values: dict[str, Any] = {
            "claim_key": claim_key,
            "channel_id": channel_id,
            "question_id": question_id,
            "local_date": local_date,
            "kind": kind,
            "state": "claimed",
            "member_id": member_id,
            "claim_owner": owner,
            "lease_until": lease_until,
            "late": late,
            "created_at": now,
        }
        return await insert_ignore(self.session, Post.__table__, values, ("claim_key",))

    async def get_post(self, post_id: int) -> Post | None:
        # Ids come back from buttons and forms: one beyond any database integer is no
        # post (the driver would refuse it with an error, not an empty answer).
        if not 0 < post_id <= MAX_ROW_ID:
            return None
        return await self.session.get(Post, post_id)

    async def daily_post_on(self, channel_id: int, day: date) -> Post | None:
        return await self.session.scalar(
            select(Post).where(
                Post.channel_id == channel_id, Post.kind == DAILY, Post.local_date == day
            )
        )

    async def mark_posted(
        self,
        post_id: int,
        *,
        message_ref: str,
        thread_ref: str,
        posted_at: datetime,
        reveal_at: datetime | None,
    ) -> None:
        await self.session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(
                state="posted",
                message_ref=message_ref,
                thread_ref=thread_ref,
                posted_at=posted_at,
                reveal_at=reveal_at,
                lease_until=None,
            )
        )

    async def cancel_daily_post(self, post_id: int) -> bool:
        """``posted``/``failed`` -> ``cancelled`` (``/mlq skip`` after the post), or False when
        the round was revealed or is being sent meanwhile. Exclusive with ``claim_reveal``:
        both are conditional updates from ``posted``, so exactly one of them wins."""
        result = await self.session.execute(
            update(Post)
            .where(Post.id == post_id, Post.state.in_(("posted", "failed")))
            .values(state="cancelled", lease_until=None)
        )
        return result.rowcount == 1

    async def set_post_state(self, post_id: int, state: str, **values: Any) -> None:
        await self.session.execute(
            update(Post).where(Post.id == post_id).values(state=state, **values)
        )

    async def take_lease(
        self, post_id: int, *, owner: str, old_lease: datetime | None, new_lease: datetime
    ) -> bool:
        """Take over an expired claim; the compare-and-set lets only one process win."""
        condition = (
            Post.lease_until.is_(None) if old_lease is None else (Post.lease_until == old_lease)
        )
        result = await self.session.execute(
            update(Post)
            .where(Post.id == post_id, condition)
            .values(claim_owner=owner, lease_until=new_lease)
        )
        return result.rowcount == 1

    async def stalled_posts(self, now: datetime) -> list[Post]:
        """Claimed but never sent, or revealed but the reveal never delivered; lease over.
        Suspended channels' posts wait for /mlq resume."""
        return list(
            await self.session.scalars(
                select(Post)
                .join(Channel, Channel.id == Post.channel_id)
                .where(
                    Channel.suspended_reason.is_(None),
                    Post.kind == DAILY,
                    Post.lease_until < now,
                    or_(
                        Post.state == "claimed",
                        and_(Post.state == "revealed", Post.reveal_message_ref.is_(None)),
                    ),
                )
                .order_by(Post.id)
            )
        )

    async def post_in_thread(
        self, platform: str, workspace: str, channel: str, thread_ref: str
    ) -> Post | None:
        """The post a platform thread belongs to, found in one query from the addresses."""
        return await self.session.scalar(
            select(Post)
            .join(Channel, Channel.id == Post.channel_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                Channel.external_id == channel,
                Post.thread_ref == thread_ref,
            )
        )

    async def posts_in_threads(
        self, platform: str, workspace: str, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Post]:
        """Posts by (channel external id, thread ref), for many threads in one query."""
        if not pairs:
            return {}
        rows = await self.session.execute(
            select(Channel.external_id, Post)
            .join(Channel, Channel.id == Post.channel_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                tuple_(Channel.external_id, Post.thread_ref).in_(list(set(pairs))),
            )
        )
        return {(channel, post.thread_ref): post for channel, post in rows}

    async def post_by_thread(self, channel_id: int, thread_ref: str) -> Post | None:
        return await self.session.scalar(
            select(Post).where(Post.channel_id == channel_id, Post.thread_ref == thread_ref)
        )

    async def latest_daily_date(self, channel_id: int) -> date | None:
        """The latest local date the channel has a daily post for (given up ones aside)."""
        return await self.session.scalar(
            select(func.max(Post.local_date)).where(
                Post.channel_id == channel_id, Post.kind == DAILY, Post.state != "failed"
            )
        )

    async def open_daily_post(self, channel_id: int) -> Post | None:
        return await self.session.scalar(
            select(Post)
            .where(Post.channel_id == channel_id, Post.kind == DAILY, Post.state == "posted")
            .order_by(Post.id.desc())
            .limit(1)
        )

    async def open_daily_question_ids(self, workspace_id: int) -> set[str]:
        """The questions of the workspace's daily rounds not yet revealed (claimed or
        posted): their model answers must not be shown before the deadline."""
        rows = await self.session.scalars(
            select(Post.question_id)
            .join(Channel, Channel.id == Post.channel_id)
            .where(
                Channel.workspace_id == workspace_id,
                Post.kind == DAILY,
                Post.state.in_(("claimed", "posted")),
            )
        )
        return set(rows)

    async def open_daily_threads(
        self, platform: str, revealed_since: datetime | None = None
    ) -> list[tuple[str, str, str]]:
        """(workspace, channel, thread) of the platform's daily posts still taking answers,
        and of those revealed since ``revealed_since`` (they may hold answers sent in time
        that we have not seen)."""
        state = Post.state == "posted"
        if revealed_since is not None:
            state = or_(state, and_(Post.state == "revealed", Post.revealed_at >= revealed_since))
        rows = await self.session.execute(
            select(Workspace.external_id, Channel.external_id, Post.thread_ref)
            .join(Channel, Channel.id == Post.channel_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(
                Workspace.platform == platform,
                Post.kind == DAILY,
                state,
                Post.thread_ref.is_not(None),
            )
            .order_by(Post.id)
        )
        return [(str(w), str(c), str(t)) for w, c, t in rows.all()]

    async def latest_post_time(self, platform: str) -> datetime | None:
        """When the platform's most recent post went out (the console resumes from it)."""
        return await self.session.scalar(
            select(func.max(Post.posted_at))
            .join(Channel, Channel.id == Post.channel_id)
            .join(Workspace, Workspace.id == Channel.workspace_id)
            .where(Workspace.platform == platform)
        )

    async def due_reveals(self, now: datetime) -> list[Post]:
        """Rounds whose deadline has come, except in suspended channels (the reveal could
        not be shown: the round waits, streaks untouched, until /mlq resume)."""
        return list(
            await self.session.scalars(
                select(Post)
                .join(Channel, Channel.id == Post.channel_id)
                .where(
                    Channel.suspended_reason.is_(None),
                    Post.state == "posted",
                    Post.kind == DAILY,
                    Post.reveal_at <= now,
                )
                .order_by(Post.reveal_at, Post.id)
            )
        )

    async def claim_reveal(
        self, post_id: int, *, owner: str, now: datetime, lease_until: datetime
    ) -> bool:
        result = await self.session.execute(
            update(Post)
            .where(Post.id == post_id, Post.state == "posted")
            .values(
                state="revealed",
                revealed_at=now,
                claim_owner=owner,
                lease_until=lease_until,
                send_attempts=0,  # the reveal's own retries back off from the start
            )
        )
        return result.rowcount == 1

    async def next_reveal_at(self, after: datetime) -> datetime | None:
        """The earliest reveal still to come after ``after`` (an overdue one is the tick's)."""
        return await self.session.scalar(
            select(func.min(Post.reveal_at)).where(
                Post.state == "posted", Post.kind == DAILY, Post.reveal_at > after
            )
        )

    async def asked_question_ids(self, channel_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(Post.question_id)
                .where(Post.channel_id == channel_id, Post.kind == DAILY)
                .order_by(Post.local_date, Post.id)
            )
        )

    async def revealed_between(self, channel_id: int, start: datetime, end: datetime) -> list[Post]:
        """Daily posts revealed in [start, end): each round lands in exactly one digest."""
        return list(
            await self.session.scalars(
                select(Post)
                .where(
                    Post.channel_id == channel_id,
                    Post.kind == DAILY,
                    Post.state == "revealed",
                    Post.revealed_at >= start,
                    Post.revealed_at < end,
                )
                .order_by(Post.local_date)
            )
        )

    async def answers_for_posts(self, post_ids: Sequence[int]) -> list[tuple[Answer, Member]]:
        if not post_ids:
            return []
        rows = await self.session.execute(
            select(Answer, Member)
            .join(Member, Member.id == Answer.member_id)
            .where(Answer.post_id.in_(list(post_ids)), Answer.withdrawn.is_(False))
        )
        return [(a, m) for a, m in rows]

    async def mean_score_by_question(self, channel_id: int) -> dict[str, float]:
        rows = await self.session.execute(
            select(Post.question_id, func.avg(Answer.score))
            .join(Post, Post.id == Answer.post_id)
            .where(
                Answer.channel_id == channel_id,
                Answer.kind == DAILY,
                Answer.on_time.is_(True),
                Answer.withdrawn.is_(False),
            )
            .group_by(Post.question_id)
        )
        return {qid: float(mean) for qid, mean in rows if mean is not None}

    async def open_practice_post(self, channel_id: int, member_id: int) -> Post | None:
        """The member's latest practice question here still waiting for an answer."""
        return await self.session.scalar(
            select(Post)
            .where(
                Post.channel_id == channel_id,
                Post.member_id == member_id,
                Post.kind == PRACTICE,
                Post.state == "posted",
            )
            .order_by(Post.id.desc())
            .limit(1)
        )

    async def practice_question_ids(self, member_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(Post.question_id)
                .where(Post.member_id == member_id, Post.kind == PRACTICE)
                .order_by(Post.id)
            )
        )

    # --- answers ----------------------------------------------------------------------

    async def answer_for(self, post_id: int, member_id: int) -> Answer | None:
        return await self.session.scalar(
            select(Answer).where(Answer.post_id == post_id, Answer.member_id == member_id)
        )

    async def answer_by_message(self, post_id: int, message_ref: str) -> Answer | None:
        return await self.session.scalar(
            select(Answer).where(Answer.post_id == post_id, Answer.message_ref == message_ref)
        )

    async def answers_for_pairs(
        self, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Answer]:
        """Answers by (post id, member id), for many at once."""
        if not pairs:
            return {}
        rows = await self.session.scalars(
            select(Answer).where(tuple_(Answer.post_id, Answer.member_id).in_(list(set(pairs))))
        )
        return {(a.post_id, a.member_id): a for a in rows}

    async def round_texts_for(self, post_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """(member id, text) of the on-time answers of each post, oldest first."""
        result: dict[int, list[tuple[int, str]]] = {}
        if not post_ids:
            return result
        rows = await self.session.execute(
            select(Answer.post_id, Answer.member_id, Answer.text)
            .where(
                Answer.post_id.in_(list(set(post_ids))),
                Answer.withdrawn.is_(False),
                Answer.on_time.is_(True),
            )
            .order_by(Answer.received_at, Answer.id)
        )
        for post_id, member_id, text in rows:
            result.setdefault(post_id, []).append((member_id, text))
        return result

    async def insert_answers(self, rows: Sequence[dict[str, Any]]) -> set[tuple[int, int]]:
        """Insert many answers; returns the (post, member) pairs actually inserted."""
        if not rows:
            return set()
        return {
            (post_id, member_id)
            for post_id, member_id in await insert_many_ignore(
                self.session,
                Answer.__table__,
                rows,
                ("post_id", "member_id"),
                ("post_id", "member_id"),
            )
        }

    async def first_deliveries(self, platform: str, keys: Sequence[str], now: datetime) -> set[str]:
        """Record many deliveries; returns the keys seen for the first time."""
        unique = list(dict.fromkeys(k[:200] for k in keys))
        if not unique:
            return set()
        rows = [{"platform": platform, "event_key": k, "processed_at": now} for k in unique]
        inserted = await insert_many_ignore(
            self.session,
            ProcessedEvent.__table__,
            rows,
            ("platform", "event_key"),
            ("event_key",),
        )
        return {key for (key,) in inserted}

    async def review_cards(
        self, pairs: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], ReviewCard]:
        if not pairs:
            return {}
        rows = await self.session.scalars(
            select(ReviewCard).where(
                tuple_(ReviewCard.member_id, ReviewCard.question_id).in_(list(set(pairs)))
            )
        )
        return {(c.member_id, c.question_id): c for c in rows}

    async def insert_answer(self, values: dict[str, Any]) -> int | None:
        return await insert_ignore(self.session, Answer.__table__, values, ("post_id", "member_id"))

    async def answers_for_post(self, post_id: int) -> list[tuple[Answer, Member]]:
        rows = await self.session.execute(
            select(Answer, Member)
            .join(Member, Member.id == Answer.member_id)
            .where(Answer.post_id == post_id)
            .order_by(Answer.received_at, Answer.id)
        )
        return [(a, m) for a, m in rows]

    # --- accepted answers -------------------------------------------------------------

    async def accept_answers(self, rows: Sequence[dict[str, Any]]) -> None:
        """Keep confirmed answers as extra model answers; each answer once, however often
        its round is revealed."""
        if rows:
            await insert_many_ignore(
                self.session, AcceptedAnswer.__table__, rows, ["answer_id"], ["id"]
            )

    async def accepted_texts(
        self, post_ids: Sequence[int], per_question: int
    ) -> dict[int, list[str]]:
        """For each post, the newest accepted answers to its question in its workspace."""
        result: dict[int, list[str]] = {}
        if not post_ids:
            return result
        rows = await self.session.execute(
            select(Post.id, AcceptedAnswer.text)
            .join(Channel, Channel.id == Post.channel_id)
            .join(
                AcceptedAnswer,
                and_(
                    AcceptedAnswer.workspace_id == Channel.workspace_id,
                    AcceptedAnswer.question_id == Post.question_id,
                ),
            )
            .where(Post.id.in_(list(set(post_ids))))
            .order_by(AcceptedAnswer.id.desc())
        )
        for post_id, text in rows:
            texts = result.setdefault(post_id, [])
            if len(texts) < per_question:
                texts.append(text)
        return result

    async def round_texts(self, post_id: int, except_member: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(Answer.text)
                .where(
                    Answer.post_id == post_id,
                    Answer.member_id != except_member,
                    Answer.withdrawn.is_(False),
                    Answer.on_time.is_(True),
                )
                .order_by(Answer.received_at)
            )
        )

    async def recent_answers(self, member_id: int, limit: int = 5) -> list[tuple[Answer, Post]]:
        rows = await self.session.execute(
            select(Answer, Post)
            .join(Post, Post.id == Answer.post_id)
            .where(Answer.member_id == member_id, Answer.withdrawn.is_(False))
            .order_by(Answer.received_at.desc())
            .limit(limit)
        )
        return [(a, p) for a, p in rows]

    async def member_channels(self, member_id: int) -> list[tuple[Channel, MemberStreak | None]]:
        """Channels the member has answered in, with their streak there."""
        rows = await self.session.execute(
            select(Channel, MemberStreak)
            .join(Answer, Answer.channel_id == Channel.id)
            .outerjoin(
                MemberStreak,
                and_(MemberStreak.channel_id == Channel.id, MemberStreak.member_id == member_id),
            )
            .where(Answer.member_id == member_id)
            .group_by(Channel.id, MemberStreak.id)
            .order_by(Channel.id)
        )
        return [(c, s) for c, s in rows]

    # --- spaced repetition ------------------------------------------------------------

    async def review_card(self, member_id: int, question_id: str) -> ReviewCard | None:
        return await self.session.scalar(
            select(ReviewCard).where(
                ReviewCard.member_id == member_id, ReviewCard.question_id == question_id
            )
        )

    async def due_reviews(self, member_id: int, now: datetime, limit: int = 50) -> list[ReviewCard]:
        """The member's due cards, most overdue first."""
        return list(
            await self.session.scalars(
                select(ReviewCard)
                .where(ReviewCard.member_id == member_id, ReviewCard.due <= now)
                .order_by(ReviewCard.due, ReviewCard.id)
                .limit(limit)
            )
        )

    async def reviewed_question_ids(self, member_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(ReviewCard.question_id)
                .where(ReviewCard.member_id == member_id)
                .order_by(ReviewCard.id)
            )
        )

    async def count_due_reviews(self, member_id: int, now: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ReviewCard)
                .where(ReviewCard.member_id == member_id, ReviewCard.due <= now)
            )
            or 0
        )

    # --- streaks ----------------------------------------------------------------------

    # --- late credit: an answer sent in time, stored after the reveal -----------------------

    async def turn_answer_on_time(self, answer_id: int) -> bool:
        """Make a late or withdrawn answer an on-time one; False if it already was (so
        whoever turned it gets to credit it, once)."""
        result = await self.session.execute(
            update(Answer)
            .where(
                Answer.id == answer_id,
                or_(Answer.on_time.is_(False), Answer.withdrawn.is_(True)),
            )
            .values(on_time=True, withdrawn=False)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def revealed_after(self, post: Post) -> bool:
        """Whether a later daily round of the post's channel has been revealed."""
        found = await self.session.scalar(
            select(Post.id)
            .where(
                Post.channel_id == post.channel_id,
                Post.kind == DAILY,
                Post.state == "revealed",
                Post.id != post.id,
                Post.reveal_at > post.reveal_at,
            )
            .limit(1)
        )
        return found is not None

    async def settle_streak_late(self, streak_id: int, post_id: int, state: Any) -> bool:
        """Redo the reveal's step of one streak with the answer counted; once."""
        result = await self.session.execute(
            update(MemberStreak)
            .where(
                MemberStreak.id == streak_id,
                MemberStreak.settled_post_id == post_id,
                MemberStreak.settled_on_time.is_(False),
            )
            .values(
                current=state.current,
                best=state.best,
                freezes=state.freezes,
                run=state.run,
                freezes_used=state.freezes_used,
                settled_on_time=True,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def channel_for_update(self, channel_id: int) -> Channel:
        channel = await self.session.get(Channel, channel_id, populate_existing=True)
        assert channel is not None
        return channel

    async def on_time_count(self, post_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count(Answer.id)).where(
                    Answer.post_id == post_id,
                    Answer.on_time.is_(True),
                    Answer.withdrawn.is_(False),
                )
            )
            or 0
        )

    async def meet_team_streak_late(self, channel_id: int, post_id: int, value: int) -> bool:
        """The round now has enough on-time answers: extend the team streak, once."""
        result = await self.session.execute(
            update(Channel)
            .where(
                Channel.id == channel_id,
                Channel.team_streak_post_id == post_id,
                Channel.team_streak_post_met.is_(False),
            )
            .values(team_streak=value, team_streak_post_met=True)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            await self.session.execute(
                update(Channel)
                .where(Channel.id == channel_id, Channel.team_streak_best < value)
                .values(team_streak_best=value)
                .execution_options(synchronize_session=False)
            )
        return result.rowcount == 1

    async def streaks(self, channel_id: int) -> dict[int, MemberStreak]:
        rows = await self.session.scalars(
            select(MemberStreak).where(MemberStreak.channel_id == channel_id)
        )
        return {row.member_id: row for row in rows}

    async def streak_for(self, channel_id: int, member_id: int) -> MemberStreak | None:
        return await self.session.scalar(
            select(MemberStreak).where(
                MemberStreak.channel_id == channel_id, MemberStreak.member_id == member_id
            )
        )

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    # --- standings --------------------------------------------------------------------

    async def standings(
        self,
        channel_id: int,
        *,
        start: date | None = None,
        end: date | None = None,
        limit: int = 10,
    ) -> list[Standing]:
        """Points per member in a channel's daily rounds, best first (points, then streak)."""
        conditions = [Answer.channel_id == channel_id, Answer.kind == DAILY]
        if start is not None:
            conditions.append(Answer.post_date >= start)
        if end is not None:
            conditions.append(Answer.post_date <= end)
        totals = (
            select(
                Answer.member_id.label("member_id"),
                func.sum(Answer.points).label("points"),
                func.count(Answer.id).filter(Answer.on_time.is_(True)).label("answers"),
            )
            .where(*conditions)
            .group_by(Answer.member_id)
            .subquery()
        )
        streak = func.coalesce(MemberStreak.current, 0)
        rows = await self.session.execute(
            select(
                Member.id,
                Member.external_id,
                Member.display_name,
                totals.c.points,
                totals.c.answers,
                streak,
            )
            .join(totals, totals.c.member_id == Member.id)
            .outerjoin(
                MemberStreak,
                and_(MemberStreak.member_id == Member.id, MemberStreak.channel_id == channel_id),
            )
            .where(totals.c.points > 0)
            .order_by(totals.c.points.desc(), streak.desc(), Member.display_name)
            .limit(limit)
        )
        return [Standing(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0), int(r[5])) for r in rows]

    async def member_totals(self, channel_id: int, member_id: int, kind: str) -> MemberTotals:
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(Answer.points), 0),
                    func.count(Answer.id),
                    func.avg(Answer.score),
                    func.count(Answer.id).filter(Answer.best.is_(True)),
                ).where(
                    Answer.channel_id == channel_id,
                    Answer.member_id == member_id,
                    Answer.kind == kind,
                    Answer.withdrawn.is_(False),
                )
            )
        ).one()
        mean = float(row[2]) if row[2] is not None else None
        return MemberTotals(int(row[0]), int(row[1]), mean, int(row[3]))

    async def rank_of(self, channel_id: int, points: int) -> int:
        """1 + how many members have more all-time points in the channel."""
        totals = (
            select(func.sum(Answer.points).label("points"))
            .where(Answer.channel_id == channel_id, Answer.kind == DAILY)
            .group_by(Answer.member_id)
            .subquery()
        )
        ahead = await self.session.scalar(
            select(func.count()).select_from(totals).where(totals.c.points > points)
        )
        return int(ahead or 0) + 1

    async def active_member_count(self, channel_id: int, since: date, until: date) -> int:
        return int(
            await self.session.scalar(
                select(func.count(func.distinct(Answer.member_id))).where(
                    Answer.channel_id == channel_id,
                    Answer.kind == DAILY,
                    Answer.post_date >= since,
                    Answer.post_date <= until,
                    Answer.withdrawn.is_(False),
                )
            )
            or 0
        )

    async def top_streaks(self, channel_id: int, limit: int = 3) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(Member.display_name, MemberStreak.current)
            .join(Member, Member.id == MemberStreak.member_id)
            .where(MemberStreak.channel_id == channel_id, MemberStreak.current > 0)
            .order_by(MemberStreak.current.desc(), Member.display_name)
            .limit(limit)
        )
        return [(name, int(current)) for name, current in rows]

    # --- digests ----------------------------------------------------------------------

    async def claim_digest(
        self,
        channel_id: int,
        iso_year: int,
        iso_week: int,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime | None = None,
    ) -> int | None:
        values = {
            "channel_id": channel_id,
            "iso_year": iso_year,
            "iso_week": iso_week,
            "state": "claimed",
            "claim_owner": owner,
            "lease_until": lease_until,
            "created_at": now,
            "attempts": 0,
        }
        return await insert_ignore(
            self.session, Digest.__table__, values, ("channel_id", "iso_year", "iso_week")
        )

    async def back_off_digest(
        self, digest_id: int, now: datetime, base: timedelta, cap: timedelta
    ) -> None:
        """A send of this digest failed for a passing reason: the recovery pass
        (``stalled_digests``) tries it again once a wait that doubles each time is over."""
        attempts = await self.session.scalar(select(Digest.attempts).where(Digest.id == digest_id))
        attempts = attempts or 0
        await self.session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(attempts=attempts + 1, lease_until=now + min(base * 2**attempts, cap))
            .execution_options(synchronize_session=False)
        )

    async def digest_exists(self, channel_id: int, iso_year: int, iso_week: int) -> bool:
        found = await self.session.scalar(
            select(Digest.id).where(
                Digest.channel_id == channel_id,
                Digest.iso_year == iso_year,
                Digest.iso_week == iso_week,
            )
        )
        return found is not None

    async def finish_digest(
        self, digest_id: int, state: str, *, now: datetime, message_ref: str | None = None
    ) -> None:
        await self.session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(state=state, posted_at=now, message_ref=message_ref, lease_until=None)
        )

    async def stalled_digests(self, now: datetime) -> list[Digest]:
        """Claimed digests whose lease ran out before they were marked sent."""
        return list(
            await self.session.scalars(
                select(Digest)
                .where(Digest.state == "claimed", Digest.lease_until < now)
                .order_by(Digest.id)
            )
        )

    async def take_digest_lease(
        self, digest_id: int, *, owner: str, old_lease: datetime, new_lease: datetime
    ) -> bool:
        """Take over an expired digest claim; the compare-and-set lets one process win."""
        result = await self.session.execute(
            update(Digest)
            .where(
                Digest.id == digest_id,
                Digest.state == "claimed",
                Digest.lease_until == old_lease,
            )
            .values(claim_owner=owner, lease_until=new_lease)
        )
        return result.rowcount == 1

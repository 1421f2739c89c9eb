"""Bulk queries for the daily fan-out: many channels' posts read, claimed and marked at once.

The one-by-one path in ``Repository`` costs several statements per channel; a tick over
thousands of channels instead runs a handful of statements in total. The claim is still
the same ``INSERT ... ON CONFLICT (claim_key) DO NOTHING``, only multi-row, and
``RETURNING`` lists exactly the rows this process inserted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Post
from storage.repository import DAILY
from storage.upsert import insert_many_ignore

T = TypeVar("T")

# Bound parameters per statement stay far below SQLite's and asyncpg's 32,767 limit.
IDS_PER_QUERY = 2000
ROWS_PER_INSERT = 1000


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class DailyClaim:
    """One channel's daily post to claim."""

    claim_key: str
    channel_id: int
    question_id: str
    local_date: date
    late: bool


@dataclass(frozen=True)
class Delivered:
    """A claimed post the platform accepted."""

    post_id: int
    message_ref: str
    thread_ref: str
    reveal_at: datetime | None


class DailyClaims:
    """The fan-out's queries over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def daily_posts_on(
        self, channel_ids: Collection[int], days: Collection[date]
    ) -> set[tuple[int, date]]:
        """Which (channel, local date) pairs among these already have a daily post.

        Channels sit in different zones, so the caller asks for every date any of them
        cares about and picks its own pairs from the answer.
        """
        found: set[tuple[int, date]] = set()
        wanted_days = sorted(set(days))
        for ids in _chunks(sorted(set(channel_ids)), IDS_PER_QUERY):
            rows = await self.session.execute(
                select(Post.channel_id, Post.local_date).where(
                    Post.kind == DAILY,
                    Post.channel_id.in_(list(ids)),
                    Post.local_date.in_(wanted_days),
                )
            )
            found.update((channel_id, day) for channel_id, day in rows)
        return found

    async def histories(self, channel_ids: Collection[int]) -> dict[int, list[str]]:
        """Each channel's daily question ids, oldest first (as ``asked_question_ids``)."""
        history: dict[int, list[str]] = {channel_id: [] for channel_id in channel_ids}
        for ids in _chunks(sorted(history), IDS_PER_QUERY):
            rows = await self.session.execute(
                select(Post.channel_id, Post.question_id)
                .where(Post.kind == DAILY, Post.channel_id.in_(list(ids)))
                .order_by(Post.channel_id, Post.local_date, Post.id)
            )
            for channel_id, question_id in rows:
                history[channel_id].append(question_id)
        return history

    async def mean_scores(self, channel_ids: Collection[int]) -> dict[int, dict[str, float]]:
        """Each channel's mean on-time grade per question (as ``mean_score_by_question``)."""
        means: dict[int, dict[str, float]] = {channel_id: {} for channel_id in channel_ids}
        for ids in _chunks(sorted(means), IDS_PER_QUERY):
            rows = await self.session.execute(
                select(Answer.channel_id, Post.question_id, func.avg(Answer.score))
                .join(Post, Post.id == Answer.post_id)
                .where(
                    Answer.channel_id.in_(list(ids)),
                    Answer.kind == DAILY,
                    Answer.on_time.is_(True),
                    Answer.withdrawn.is_(False),
                )
                .group_by(Answer.channel_id, Post.question_id)
            )
            for channel_id, question_id, mean in rows:
                if mean is not None:
                    means[channel_id][question_id] = float(mean)
        return means

    async def claim(
        self,
        claims: Sequence[DailyClaim],
        *,
        owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> dict[str, int]:
        """Insert the claims whose key is free; returns claim key -> new post id.

        Keys missing from the answer were taken already, by another process; only the
        returned posts are this process's to send.
        """
        rows = [
            {
                "claim_key": c.claim_key,
                "channel_id": c.channel_id,
                "question_id": c.question_id,
                "local_date": c.local_date,
                "kind": DAILY,
                "state": "claimed",
                "member_id": None,
                "claim_owner": owner,
                "lease_until": lease_until,
                "late": c.late,
                "created_at": now,
            }
            for c in claims
        ]
        won: dict[str, int] = {}
        for chunk in _chunks(rows, ROWS_PER_INSERT):
            inserted = await insert_many_ignore(
                self.session, Post.__table__, chunk, ("claim_key",), ("claim_key", "id")
            )
            won.update((key, post_id) for key, post_id in inserted)
        return won

    async def mark_posted(self, delivered: Sequence[Delivered], *, posted_at: datetime) -> None:
        """Record every delivered post as posted: one executemany UPDATE by primary key."""
        if not delivered:
            return
        await self.session.execute(
            update(Post),
            [
                {
                    "id": d.post_id,
                    "state": "posted",
                    "message_ref": d.message_ref,
                    "thread_ref": d.thread_ref,
                    "posted_at": posted_at,
                    "reveal_at": d.reveal_at,
                    "lease_until": None,
                }
                for d in delivered
            ],
        )

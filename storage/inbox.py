"""The inbox table's statements: accept in bulk, lease, finish, find the stranded, prune."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxEvent
from storage.upsert import insert_many_ignore


class InboxStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accept(
        self,
        platform: str,
        items: Sequence[Mapping[str, Any]],
        now: datetime,
        lease_until: datetime,
    ) -> dict[str, int]:
        """Insert the new events, leased to the caller; returns event_key -> id of those
        inserted. A key already present (a retry, or another copy took it) is left out."""
        rows = [
            {
                "platform": platform,
                "event_key": item["event_key"],
                "kind": item["kind"],
                "payload": item["payload"],
                "received_at": now,
                "attempts": 1,
                "lease_until": lease_until,
                "done_at": None,
            }
            for item in items
        ]
        inserted = await insert_many_ignore(
            self.session,
            InboxEvent.__table__,
            rows,
            ("platform", "event_key"),
            returning=("event_key", "id"),
        )
        return {key: row_id for key, row_id in inserted}

    async def finish(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            await self.session.execute(
                update(InboxEvent).where(InboxEvent.id.in_(list(ids))).values(done_at=now)
            )

    async def release(self, ids: Sequence[int]) -> None:
        """Give up the lease now (handling failed), so the next sweep retries at once."""
        if ids:
            await self.session.execute(
                update(InboxEvent).where(InboxEvent.id.in_(list(ids))).values(lease_until=None)
            )

    async def lease_stranded(
        self, platform: str, now: datetime, lease_until: datetime, *, max_attempts: int, limit: int
    ) -> list[InboxEvent]:
        """Events not done whose lease ran out (their process died or gave up): lease them
        to the caller, oldest first. The conditional update decides between two copies."""
        candidates = (
            (
                await self.session.execute(
                    select(InboxEvent.id)
                    .where(
                        InboxEvent.platform == platform,
                        InboxEvent.done_at.is_(None),
                        InboxEvent.attempts < max_attempts,
                        or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now),
                    )
                    .order_by(InboxEvent.received_at, InboxEvent.id)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        taken: list[InboxEvent] = []
        for row_id in candidates:
            result = await self.session.execute(
                update(InboxEvent)
                .where(
                    InboxEvent.id == row_id,
                    InboxEvent.done_at.is_(None),
                    or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now),
                )
                .values(lease_until=lease_until, attempts=InboxEvent.attempts + 1)
            )
            if result.rowcount:
                taken.append(await self.session.get_one(InboxEvent, row_id))
        return taken

    async def count_pending(self, platform: str) -> int:
        count = await self.session.scalar(
            select(func.count()).where(
                InboxEvent.platform == platform, InboxEvent.done_at.is_(None)
            )
        )
        return int(count or 0)

    async def prune(self, before: datetime) -> int:
        """Forget handled events older than any platform retry."""
        result = await self.session.execute(
            delete(InboxEvent).where(
                and_(InboxEvent.done_at.is_not(None), InboxEvent.done_at < before)
            )
        )
        return result.rowcount or 0

"""The feedback outbox's statements: record what is owed, lease it, mark it sent or given up.

Every hand-over is a conditional update, so two processes never both take one row: the
process that wins the update is the one that sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FeedbackOutbox
from storage.upsert import insert_many_ignore


def _owed_and_free(now: datetime) -> Any:
    """Not sent, not given up, and nobody's lease holds it."""
    return and_(
        FeedbackOutbox.sent_at.is_(None),
        FeedbackOutbox.given_up.is_(None),
        or_(FeedbackOutbox.lease_until.is_(None), FeedbackOutbox.lease_until < now),
    )


class OutboxStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
        """Insert the rows whose (platform, delivery, kind) is new; (delivery key, kind) ->
        id of those inserted. A key already present (a redelivery) is left out."""
        inserted = await insert_many_ignore(
            self.session,
            FeedbackOutbox.__table__,
            rows,
            ("platform", "delivery_key", "kind"),
            ("delivery_key", "kind", "id"),
        )
        return {(key, kind): row_id for key, kind, row_id in inserted}

    async def take(
        self,
        platform: str,
        now: datetime,
        lease_until: datetime,
        owner: str,
        *,
        keys: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[FeedbackOutbox]:
        """Lease to ``owner`` the owed rows nobody holds (of these deliveries, or the
        oldest), oldest first; the conditional update decides between two processes."""
        query = select(FeedbackOutbox.id).where(
            FeedbackOutbox.platform == platform, _owed_and_free(now)
        )
        if keys is not None:
            if not keys:
                return []
            query = query.where(FeedbackOutbox.delivery_key.in_([k[:200] for k in keys]))
        candidates = list(
            (
                await self.session.scalars(
                    query.order_by(FeedbackOutbox.created_at, FeedbackOutbox.id).limit(limit)
                )
            ).all()
        )
        if not candidates:
            return []
        taken = (
            await self.session.scalars(
                update(FeedbackOutbox)
                .where(FeedbackOutbox.id.in_(candidates), _owed_and_free(now))
                .values(
                    lease_until=lease_until,
                    claim_owner=owner,
                    attempts=FeedbackOutbox.attempts + 1,
                )
                .returning(FeedbackOutbox.id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if not taken:
            return []
        rows = await self.session.scalars(
            select(FeedbackOutbox)
            .where(FeedbackOutbox.id.in_(list(taken)))
            .order_by(FeedbackOutbox.created_at, FeedbackOutbox.id)
        )
        return list(rows.all())

    async def extend(self, row_id: int, owner: str, now: datetime, lease_until: datetime) -> bool:
        """Keep holding a row whose lease is still ours; False if it was lost (ran out)."""
        result = await self.session.execute(
            update(FeedbackOutbox)
            .where(
                FeedbackOutbox.id == row_id,
                FeedbackOutbox.claim_owner == owner,
                FeedbackOutbox.sent_at.is_(None),
                FeedbackOutbox.given_up.is_(None),
                FeedbackOutbox.lease_until >= now,
            )
            .values(lease_until=lease_until)
        )
        return bool(result.rowcount)

    async def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            await self.session.execute(
                update(FeedbackOutbox)
                .where(FeedbackOutbox.id.in_(list(ids)), FeedbackOutbox.sent_at.is_(None))
                .values(sent_at=now, lease_until=None)
            )

    async def retry_after(self, row_id: int, until: datetime) -> None:
        """A passing failure: nobody takes the row again before ``until``."""
        await self.session.execute(
            update(FeedbackOutbox)
            .where(FeedbackOutbox.id == row_id, FeedbackOutbox.sent_at.is_(None))
            .values(lease_until=until)
        )

    async def give_up(self, row_id: int, reason: str) -> None:
        await self.session.execute(
            update(FeedbackOutbox)
            .where(FeedbackOutbox.id == row_id, FeedbackOutbox.sent_at.is_(None))
            .values(given_up=reason[:300], lease_until=None)
        )

    async def prune(self, before: datetime) -> int:
        """Forget rows settled (sent or given up) and older than ``before``."""
        result = await self.session.execute(
            delete(FeedbackOutbox).where(
                FeedbackOutbox.created_at < before,
                or_(FeedbackOutbox.sent_at.is_not(None), FeedbackOutbox.given_up.is_not(None)),
            )
        )
        return result.rowcount or 0

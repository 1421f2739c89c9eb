"""Queries for who may configure mlq, grade disputes, question reports and retirements.

Exactly once lives here: a dispute is unique per answer (so once per member per round), a
resolution is a conditional update from ``pending`` (so two admins resolving at the same
moment, or one command delivered twice, resolve it once), a retirement is unique per
workspace and question.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AcceptedAnswer,
    Answer,
    Channel,
    Dispute,
    Member,
    Post,
    QuestionReport,
    RejectedAnswer,
    RetiredQuestion,
    WorkspaceAdmin,
)
from storage.repository import MAX_ROW_ID
from storage.upsert import insert_ignore

PENDING = "pending"


@dataclass(frozen=True)
class PendingDispute:
    dispute: Dispute
    answer: Answer
    member: Member


@dataclass(frozen=True)
class OpenReport:
    question_id: str
    count: int
    reasons: list[str]
    first_id: int


class FeedbackStore:
    """One session's (one transaction's) queries; see the module docstring."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- mlq admins ----------------------------------------------------------------------

    async def is_added_admin(self, workspace_id: int, user_id: str) -> bool:
        found = await self.session.scalar(
            select(WorkspaceAdmin.id).where(
                WorkspaceAdmin.workspace_id == workspace_id, WorkspaceAdmin.user_id == user_id
            )
        )
        return found is not None

    async def add_admin(
        self, workspace_id: int, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """False when they already were one."""
        values = {
            "workspace_id": workspace_id,
            "user_id": user_id,
            "added_by": added_by,
            "added_at": now,
        }
        new_id = await insert_ignore(
            self.session, WorkspaceAdmin.__table__, values, ("workspace_id", "user_id")
        )
        return new_id is not None

    async def remove_admin(self, workspace_id: int, user_id: str) -> bool:
        result = await self.session.execute(
            delete(WorkspaceAdmin).where(
                WorkspaceAdmin.workspace_id == workspace_id, WorkspaceAdmin.user_id == user_id
            )
        )
        return bool(result.rowcount)

    async def admins(self, workspace_id: int) -> list[WorkspaceAdmin]:
        return list(
            await self.session.scalars(
                select(WorkspaceAdmin)
                .where(WorkspaceAdmin.workspace_id == workspace_id)
                .order_by(WorkspaceAdmin.added_at, WorkspaceAdmin.id)
            )
        )

    # --- disputes ------------------------------------------------------------------------

    async def file_dispute(self, values: dict[str, Any]) -> int | None:
        """The new dispute's id, or None when this answer was disputed before."""
        return await insert_ignore(self.session, Dispute.__table__, values, ("answer_id",))

    async def dispute_for_answer(self, answer_id: int) -> Dispute | None:
        return await self.session.scalar(select(Dispute).where(Dispute.answer_id == answer_id))

    async def get_dispute(self, dispute_id: int) -> Dispute | None:
        if not 0 < dispute_id <= MAX_ROW_ID:
            return None
        return await self.session.get(Dispute, dispute_id, populate_existing=True)

    async def latest_answered_round(
        self, channel_id: int, member_id: int
    ) -> tuple[Post, Answer] | None:
        """The channel's most recent daily round this member answered."""
        row = (
            await self.session.execute(
                select(Post, Answer)
                .join(Answer, Answer.post_id == Post.id)
                .where(
                    Post.channel_id == channel_id,
                    Post.kind == "daily",
                    Answer.member_id == member_id,
                    Answer.withdrawn.is_(False),
                )
                .order_by(Post.local_date.desc(), Post.id.desc())
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def latest_round(self, channel_id: int) -> Post | None:
        """The channel's most recent daily question that went out."""
        return await self.session.scalar(
            select(Post)
            .where(
                Post.channel_id == channel_id,
                Post.kind == "daily",
                Post.state.in_(("posted", "revealed")),
            )
            .order_by(Post.local_date.desc(), Post.id.desc())
            .limit(1)
        )

    async def disputes_filed_since(self, member_id: int, since: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count(Dispute.id)).where(
                    Dispute.member_id == member_id, Dispute.filed_at >= since
                )
            )
            or 0
        )

    async def set_dispute_reason(self, dispute_id: int, reason: str) -> bool:
        """A pending dispute's reason replaced (a button first, the words after)."""
        result = await self.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute_id, Dispute.state == PENDING)
            .values(reason=reason)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def pending_disputes(self, workspace_id: int) -> list[PendingDispute]:
        rows = await self.session.execute(
            select(Dispute, Answer, Member)
            .join(Answer, Answer.id == Dispute.answer_id)
            .join(Member, Member.id == Dispute.member_id)
            .join(Channel, Channel.id == Dispute.channel_id)
            .where(Channel.workspace_id == workspace_id, Dispute.state == PENDING)
            .order_by(Dispute.filed_at, Dispute.id)
        )
        return [PendingDispute(d, a, m) for d, a, m in rows]

    async def resolve(
        self,
        dispute_id: int,
        *,
        state: str,
        by: str,
        at: datetime,
        note: str,
        new_score: float | None,
    ) -> bool:
        """``pending`` -> ``state``; False when it was resolved already (by anyone, at any
        moment: the database decides, so the recount that follows runs once)."""
        result = await self.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute_id, Dispute.state == PENDING)
            .values(
                state=state,
                resolved_by=by,
                resolved_at=at,
                resolution_note=note,
                new_score=new_score,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def set_new_points(self, dispute_id: int, points: int) -> None:
        await self.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute_id)
            .values(new_points=points)
            .execution_options(synchronize_session=False)
        )

    async def post_for_update(self, post_id: int) -> Post | None:
        """The post, locked until the transaction ends (PostgreSQL; SQLite's writer lock
        already serialises): recounts of one round never interleave."""
        return await self.session.scalar(
            select(Post)
            .where(Post.id == post_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def corrections_between(
        self, channel_id: int, start: datetime, end: datetime
    ) -> list[tuple[Dispute, Member, Post]]:
        """Grades an admin changed in [start, end): what the next digest notes."""
        rows = await self.session.execute(
            select(Dispute, Member, Post)
            .join(Member, Member.id == Dispute.member_id)
            .join(Post, Post.id == Dispute.post_id)
            .where(
                Dispute.channel_id == channel_id,
                Dispute.state.in_(("raised", "lowered")),
                Dispute.resolved_at >= start,
                Dispute.resolved_at < end,
            )
            .order_by(Dispute.resolved_at, Dispute.id)
        )
        return [(d, m, p) for d, m, p in rows]

    # --- what disputes teach the grader --------------------------------------------------

    async def forget_accepted(self, answer_id: int) -> None:
        await self.session.execute(
            delete(AcceptedAnswer).where(AcceptedAnswer.answer_id == answer_id)
        )

    async def reject_answer(self, values: dict[str, Any]) -> None:
        await insert_ignore(self.session, RejectedAnswer.__table__, values, ("answer_id",))

    async def forget_rejected(self, answer_id: int) -> None:
        await self.session.execute(
            delete(RejectedAnswer).where(RejectedAnswer.answer_id == answer_id)
        )

    # --- question reports and retirements ------------------------------------------------

    async def file_report(self, values: dict[str, Any]) -> int | None:
        """The new report's id, or None when this member reported this question before."""
        return await insert_ignore(
            self.session,
            QuestionReport.__table__,
            values,
            ("workspace_id", "question_id", "member_id"),
        )

    async def report_of(
        self, workspace_id: int, question_id: str, member_id: int
    ) -> QuestionReport | None:
        return await self.session.scalar(
            select(QuestionReport).where(
                QuestionReport.workspace_id == workspace_id,
                QuestionReport.question_id == question_id,
                QuestionReport.member_id == member_id,
            )
        )

    async def get_report(self, report_id: int) -> QuestionReport | None:
        if not 0 < report_id <= MAX_ROW_ID:
            return None
        return await self.session.get(QuestionReport, report_id)

    async def open_reports(self, workspace_id: int) -> list[OpenReport]:
        rows = await self.session.execute(
            select(QuestionReport)
            .where(QuestionReport.workspace_id == workspace_id, QuestionReport.state == "open")
            .order_by(QuestionReport.created_at, QuestionReport.id)
        )
        grouped: dict[str, OpenReport] = {}
        for (report,) in rows:
            found = grouped.get(report.question_id)
            reasons = [report.reason] if report.reason else []
            if found is None:
                grouped[report.question_id] = OpenReport(report.question_id, 1, reasons, report.id)
            else:
                grouped[report.question_id] = OpenReport(
                    found.question_id, found.count + 1, found.reasons + reasons, found.first_id
                )
        return list(grouped.values())

    async def retire(
        self, workspace_id: int, question_id: str, by: str, reason: str, now: datetime
    ) -> bool:
        """False when it was retired before."""
        values = {
            "workspace_id": workspace_id,
            "question_id": question_id,
            "retired_by": by,
            "reason": reason,
            "retired_at": now,
        }
        new_id = await insert_ignore(
            self.session, RetiredQuestion.__table__, values, ("workspace_id", "question_id")
        )
        await self.session.execute(
            update(QuestionReport)
            .where(
                QuestionReport.workspace_id == workspace_id,
                QuestionReport.question_id == question_id,
            )
            .values(state="retired")
            .execution_options(synchronize_session=False)
        )
        return new_id is not None

    async def retired_ids(self, workspace_id: int) -> frozenset[str]:
        return frozenset(
            await self.session.scalars(
                select(RetiredQuestion.question_id).where(
                    RetiredQuestion.workspace_id == workspace_id
                )
            )
        )

    async def retired_for_channels(self, channel_ids: Collection[int]) -> dict[int, frozenset[str]]:
        """Each channel's workspace's retired questions (only channels that have some)."""
        if not channel_ids:
            return {}
        rows = await self.session.execute(
            select(Channel.id, RetiredQuestion.question_id)
            .join(RetiredQuestion, RetiredQuestion.workspace_id == Channel.workspace_id)
            .where(Channel.id.in_(list(set(channel_ids))))
        )
        found: dict[int, set[str]] = {}
        for channel_id, question_id in rows:
            found.setdefault(channel_id, set()).add(question_id)
        return {k: frozenset(v) for k, v in found.items()}

    # --- for maintainers (no user ids leave here) ----------------------------------------

    async def accepted_by_question(self) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(AcceptedAnswer.question_id, AcceptedAnswer.text).order_by(AcceptedAnswer.id)
        )
        return [(q, t) for q, t in rows]

    async def rejected_by_question(self) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(RejectedAnswer.question_id, RejectedAnswer.text).order_by(RejectedAnswer.id)
        )
        return [(q, t) for q, t in rows]

    async def resolved_disputes(self) -> list[tuple[Dispute, str]]:
        """Resolved disputes with the disputed answer's text."""
        rows = await self.session.execute(
            select(Dispute, Answer.text)
            .join(Answer, Answer.id == Dispute.answer_id)
            .where(Dispute.state != PENDING)
            .order_by(Dispute.id)
        )
        return [(d, t) for d, t in rows]

    async def all_reports(self) -> list[QuestionReport]:
        return list(
            await self.session.scalars(
                select(QuestionReport).order_by(QuestionReport.question_id, QuestionReport.id)
            )
        )

    async def retired_counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(RetiredQuestion.question_id, func.count(RetiredQuestion.id)).group_by(
                RetiredQuestion.question_id
            )
        )
        return {q: int(n) for q, n in rows}

"""mlq admins added by admins, grade disputes, known wrong answers, question reports and
questions retired for a workspace

Revision ID: 0010_disputes_reports
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010_disputes_reports"
down_revision = "0009_channel_lifecycle"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "workspace_admin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(), nullable=False),
        _fk("workspace_admin", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_admin")),
        sa.UniqueConstraint(
            "workspace_id", "user_id", name=op.f("uq_workspace_admin_workspace_id_user_id")
        ),
    )
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("filed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("old_score", sa.Float(), nullable=False),
        sa.Column("old_points", sa.Integer(), nullable=False),
        sa.Column("new_score", sa.Float(), nullable=True),
        sa.Column("new_points", sa.Integer(), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        _fk("dispute", "answer_id", "answer"),
        _fk("dispute", "post_id", "post"),
        _fk("dispute", "channel_id", "channel"),
        _fk("dispute", "member_id", "member"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_dispute_answer_id")),
    )
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.create_index("ix_dispute_channel_state", ["channel_id", "state"], unique=False)
        batch_op.create_index("ix_dispute_member_filed", ["member_id", "filed_at"], unique=False)
    op.create_table(
        "rejected_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rejected_at", storage.types.UTCDateTime(), nullable=False),
        _fk("rejected_answer", "workspace_id", "workspace"),
        _fk("rejected_answer", "answer_id", "answer"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_answer")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_rejected_answer_answer_id")),
    )
    with op.batch_alter_table("rejected_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rejected_answer_question", ["workspace_id", "question_id"], unique=False
        )
    op.create_table(
        "question_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        _fk("question_report", "workspace_id", "workspace"),
        _fk("question_report", "channel_id", "channel"),
        _fk("question_report", "member_id", "member"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_report")),
        sa.UniqueConstraint(
            "workspace_id",
            "question_id",
            "member_id",
            name=op.f("uq_question_report_workspace_id_question_id_member_id"),
        ),
    )
    with op.batch_alter_table("question_report", schema=None) as batch_op:
        batch_op.create_index("ix_question_report_state", ["workspace_id", "state"], unique=False)
    op.create_table(
        "retired_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("retired_by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("retired_at", storage.types.UTCDateTime(), nullable=False),
        _fk("retired_question", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retired_question")),
        sa.UniqueConstraint(
            "workspace_id", "question_id", name=op.f("uq_retired_question_workspace_id_question_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("retired_question")
    with op.batch_alter_table("question_report", schema=None) as batch_op:
        batch_op.drop_index("ix_question_report_state")
    op.drop_table("question_report")
    with op.batch_alter_table("rejected_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_answer_question")
    op.drop_table("rejected_answer")
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_index("ix_dispute_member_filed")
        batch_op.drop_index("ix_dispute_channel_state")
    op.drop_table("dispute")
    op.drop_table("workspace_admin")

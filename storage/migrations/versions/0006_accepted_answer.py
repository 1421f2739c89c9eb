"""answers a round confirmed, kept as extra model answers per workspace and question

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accepted_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("accepted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
            name=op.f("fk_accepted_answer_answer_id_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_accepted_answer_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accepted_answer")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_accepted_answer_answer_id")),
    )
    with op.batch_alter_table("accepted_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_accepted_answer_question", ["workspace_id", "question_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("accepted_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_accepted_answer_question")
    op.drop_table("accepted_answer")

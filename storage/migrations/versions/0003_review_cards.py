"""review cards for spaced-repetition practice

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("last_post_id", sa.Integer(), nullable=True),
        sa.Column("due", storage.types.UTCDateTime(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("last_score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_review_card_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_card")),
        sa.UniqueConstraint(
            "member_id", "question_id", name=op.f("uq_review_card_member_id_question_id")
        ),
    )
    with op.batch_alter_table("review_card", schema=None) as batch_op:
        batch_op.create_index("ix_review_card_member_due", ["member_id", "due"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_card", schema=None) as batch_op:
        batch_op.drop_index("ix_review_card_member_due")
    op.drop_table("review_card")

"""feedback outbox: reactions and private grades owed, written with the answer

Revision ID: 0008_feedback_outbox
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008_feedback_outbox"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("delivery_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("thread_id", sa.String(length=128), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claim_owner", sa.String(length=64), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("given_up", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_outbox")),
        sa.UniqueConstraint(
            "platform",
            "delivery_key",
            "kind",
            name=op.f("uq_feedback_outbox_platform_delivery_key_kind"),
        ),
    )
    with op.batch_alter_table("feedback_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_outbox_owed", ["sent_at", "given_up", "lease_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_outbox_owed")
    op.drop_table("feedback_outbox")

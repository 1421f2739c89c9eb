"""suspended channels, send backoff, digest retry counts (the wait is
digest.lease_until from 0005), late-credit bookkeeping for streaks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscribed_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("suspended_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("team_streak_post_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("team_streak_previous", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "team_streak_post_met", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("member_streak", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_post_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("settled_on_time", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("previous", sa.JSON(), nullable=True))
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_column("attempts")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("send_attempts")
    with op.batch_alter_table("member_streak", schema=None) as batch_op:
        batch_op.drop_column("previous")
        batch_op.drop_column("settled_on_time")
        batch_op.drop_column("settled_post_id")
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("team_streak_post_met")
        batch_op.drop_column("team_streak_previous")
        batch_op.drop_column("team_streak_post_id")
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("subscribed_by")

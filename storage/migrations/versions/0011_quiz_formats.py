"""per-channel question formats for daily rounds (open | mixed | quiz)

Revision ID: 0011_quiz_formats
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_quiz_formats"
down_revision = "0010_disputes_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("formats", sa.String(length=8), nullable=False, server_default="open")
        )


def downgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_column("formats")

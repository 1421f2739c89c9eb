"""answer standings covering index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_answer_standings",
        "answer",
        ["channel_id", "kind", "member_id", "points", "on_time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_answer_standings", table_name="answer")

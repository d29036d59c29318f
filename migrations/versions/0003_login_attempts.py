"""The login limiter's attempt log (used when no Redis is configured).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("attempt_id", sa.String(36), nullable=False),
        sa.Column("occurred_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_attempts_key_occurred_at", "login_attempts", ["key", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_key_occurred_at", "login_attempts")
    op.drop_table("login_attempts")

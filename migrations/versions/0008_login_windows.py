"""The limiter keeps one row per key (its window's attempts as JSON) instead of one per attempt.

Check-and-count becomes one statement that locks the key's row, so a burst of concurrent attempts
still cannot slip past the limit. Counts in flight are not carried over: at worst a client gets
one fresh window after the upgrade.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_windows",
        sa.Column("key", sa.String(320), primary_key=True),
        sa.Column("entries", sa.Text().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_windows_expires_at", "login_windows", ["expires_at"])
    op.drop_index("ix_login_attempts_attempt_id", "login_attempts")
    op.drop_index("ix_login_attempts_key_occurred_at", "login_attempts")
    op.drop_table("login_attempts")


def downgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("attempt_id", sa.String(36), nullable=False),
        sa.Column("occurred_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_attempts_key_occurred_at", "login_attempts", ["key", "occurred_at"])
    op.create_index("ix_login_attempts_attempt_id", "login_attempts", ["attempt_id"])
    op.drop_index("ix_login_windows_expires_at", "login_windows")
    op.drop_table("login_windows")

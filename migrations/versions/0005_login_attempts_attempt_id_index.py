"""Index the limiter's attempt ids: a successful login deletes its own attempt by id.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_attempts_attempt_id", "login_attempts", ["attempt_id"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_attempt_id", "login_attempts")

"""Customer avatars (the re-encoded image, one per customer) and push tokens (one customer each).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_avatars",
        sa.Column(
            "customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("content_type", sa.String(16), nullable=False),
        sa.Column("bytes", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customer_push_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_digest", name="uq_customer_push_tokens_token_digest"),
    )
    op.create_index(
        "ix_customer_push_tokens_customer_id_created_at",
        "customer_push_tokens",
        ["customer_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_push_tokens_customer_id_created_at", "customer_push_tokens")
    op.drop_table("customer_push_tokens")
    op.drop_table("customer_avatars")

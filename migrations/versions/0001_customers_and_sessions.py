"""Customers, reference sequences, sessions, refresh tokens and customer events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_reference_sequences",
        sa.Column("store", sa.String(16), primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("email_key", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("salutation", sa.String(8), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("gender", sa.String(8), nullable=True),
        sa.Column("date_of_birth", sa.Date, nullable=True),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("anonymized_at", Timestamp, nullable=True),
        sa.UniqueConstraint("store", "email_key", name="uq_customers_store_email_key"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
    )
    op.create_index("ix_sessions_customer_id", "sessions", ["customer_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("rotated_at", Timestamp, nullable=True),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])
    op.create_table(
        "customer_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_customer_events_customer_id", "customer_events", ["customer_id"])


def downgrade() -> None:
    op.drop_table("customer_events")
    op.drop_table("refresh_tokens")
    op.drop_table("sessions")
    op.drop_table("customers")
    op.drop_table("customer_reference_sequences")

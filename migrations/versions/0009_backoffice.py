"""The back-office: operators, their sessions and refresh tokens, integration clients, audit

BO §2 and §4.12: operators with their sessions, refresh tokens and MFA recovery codes, integration
clients, and the audit trail.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("email_key", sa.String(255), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("permissions", sa.String(255), nullable=False),
        sa.Column("stores", sa.Text, nullable=True),
        sa.Column("pos_id", sa.String(36), nullable=True),
        sa.Column("allow_point_transfer", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("mfa_secret", sa.Text, nullable=True),
        sa.Column("mfa_active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("mfa_last_step", sa.BigInteger, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
    )
    op.create_index("ix_operators_pos_id", "operators", ["pos_id"])
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
    )
    op.create_index("ix_operator_sessions_operator_id", "operator_sessions", ["operator_id"])
    op.create_table(
        "operator_refresh_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("operator_sessions.id"), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("rotated_at", Timestamp, nullable=True),
    )
    op.create_index("ix_operator_refresh_tokens_session_id", "operator_refresh_tokens", ["session_id"])
    op.create_table(
        "operator_recovery_codes",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
    )
    op.create_index("ix_operator_recovery_codes_operator_id", "operator_recovery_codes", ["operator_id"])
    op.create_table(
        "integration_clients",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_digest", sa.String(64), nullable=False),
        sa.Column("permissions", sa.String(255), nullable=False),
        sa.Column("stores", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("token_generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("last_token_at", Timestamp, nullable=True),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("operator_id", sa.String(64), nullable=True),
        sa.Column("operator_role", sa.String(16), nullable=True),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("customer_reference", sa.String(40), nullable=True),
        sa.Column("store", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_operator_id", "audit_events", ["operator_id"])
    op.create_index("ix_audit_events_customer_reference", "audit_events", ["customer_reference"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("integration_clients")
    op.drop_table("operator_recovery_codes")
    op.drop_table("operator_refresh_tokens")
    op.drop_table("operator_sessions")
    op.drop_table("operators")

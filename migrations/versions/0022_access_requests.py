"""Access requests, their events, and the companies' invitation symbols (CB §5).

One open request per store and normalised e-mail (a partial unique index); a request keeps its
confirmation key as a digest only. Symbols are unique per store, kind and value.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_OPEN_REQUEST = "state IN ('unconfirmed', 'pending', 'accepted')"

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation_symbols",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(36), sa.ForeignKey("companies.id"), nullable=False),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(253), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("auto_approve", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer, nullable=True),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("store", "kind", "value", name="uq_invitation_symbols_store_kind_value"),
        sa.Index("ix_invitation_symbols_company_created_at", "company_id", "created_at", "id"),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("email_key", sa.String(255), nullable=False),
        sa.Column("salutation", sa.String(8), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("company_hint", sa.String(255), nullable=True),
        sa.Column("request_code", sa.String(64), nullable=True),
        sa.Column("company_id", sa.String(36), sa.ForeignKey("companies.id"), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("decline_reason", sa.Text, nullable=True),
        sa.Column("invalid_reason", sa.String(32), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("key_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("key_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_access_requests_created_at_id", "created_at", "id"),
        sa.Index("ix_access_requests_company_created_at", "company_id", "created_at", "id"),
    )
    op.create_index(
        "uq_access_requests_open_store_email_key",
        "access_requests",
        ["store", "email_key"],
        unique=True,
        postgresql_where=sa.text(_OPEN_REQUEST),
        sqlite_where=sa.text(_OPEN_REQUEST),
    )
    op.create_table(
        "access_request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "access_request_id",
            sa.String(36),
            sa.ForeignKey("access_requests.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("changed_fields", _JSON, nullable=False),
        sa.Column("values", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("access_request_events")
    op.drop_index("uq_access_requests_open_store_email_key", table_name="access_requests")
    op.drop_table("access_requests")
    op.drop_table("invitation_symbols")

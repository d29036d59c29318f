"""Levels (per store, with translations), points of sale, and the points ledger.

Levels: ``condition_value`` in the store's minor units, compared with the customers'
``transactions_amount_without_delivery_costs``; name and condition value unique per store. Points
of sale: the identifier unique case-insensitively (its lower-cased copy). Points transfers: one row
per add or spend, ``remaining_points`` what is left of an add to spend.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "levels",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("condition_value", sa.BigInteger, nullable=False),
        sa.Column("reward_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("translations", _JSON, nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.UniqueConstraint("store", "name", name="uq_levels_store_name"),
        sa.UniqueConstraint("store", "condition_value", name="uq_levels_store_condition_value"),
    )
    op.create_table(
        "points_of_sale",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("identifier", sa.String(64), nullable=False),
        sa.Column("identifier_key", sa.String(64), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.UniqueConstraint("identifier_key", name="uq_points_of_sale_identifier_key"),
    )
    op.create_table(
        "points_transfers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("transfer_type", sa.String(8), nullable=False),
        sa.Column("points", sa.Numeric(14, 2), nullable=False),
        sa.Column("remaining_points", sa.Numeric(14, 2), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(255), nullable=True),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.Column("locked_until", sa.Date, nullable=True),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("canceled_at", _TIMESTAMP, nullable=True),
        sa.Column("expired_at", _TIMESTAMP, nullable=True),
        sa.Index("ix_points_transfers_customer_id_created_at", "customer_id", "created_at"),
        sa.Index("ix_points_transfers_state_expires_on", "state", "expires_on"),
    )


def downgrade() -> None:
    op.drop_table("points_transfers")
    op.drop_table("points_of_sale")
    op.drop_table("levels")

"""Addresses, and the customer's default billing and shipping pointers.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("salutation", sa.String(8), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("address1", sa.String(255), nullable=False),
        sa.Column("address2", sa.String(255), nullable=True),
        sa.Column("address3", sa.String(255), nullable=True),
        sa.Column("zip_code", sa.String(15), nullable=False),
        sa.Column("city", sa.String(255), nullable=False),
        sa.Column("iso2_code", sa.String(2), nullable=False),
        sa.Column("company", sa.String(255), nullable=True),
        sa.Column("phone", sa.String(255), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_index("ix_addresses_customer_id", "addresses", ["customer_id"])
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("default_billing_address_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("default_shipping_address_id", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("default_shipping_address_id")
        batch.drop_column("default_billing_address_id")
    op.drop_index("ix_addresses_customer_id", "addresses")
    op.drop_table("addresses")

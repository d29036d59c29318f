"""Stores as data: the customer's default contact address pointer (CB §2.4, §3).

Customers already carry their store and their references come from their store's sequence, so
existing data stays as it is; the new pointer starts as the default billing address (CB §2.4), so
every customer with an address has a contact default from the start.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("default_contact_address_id", sa.String(36), nullable=True))
    op.execute("UPDATE customers SET default_contact_address_id = default_billing_address_id")


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("default_contact_address_id")

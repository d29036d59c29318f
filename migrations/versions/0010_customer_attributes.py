"""The shared customer schema: status, phone, loyalty card, agreements, company, labels, history.

BO §3, §3.1, §4.4: besides the attributes above, the read-only columns later parts fill (level,
point of sale, seller, order aggregates, pending credentials, avatar flag) with their defaults, and
the customer history reshaped into typed events.

- ``status`` replaces ``awaiting_confirmation``: a customer awaiting confirmation is ``pending``, an
  anonymised one (``anonymized_at`` set) ``anonymized``, every other ``active``; ``agreement1`` (the
  terms every existing customer accepted at registration) is true.
- ``phone`` (E.164) is unique per store among the customers that have one; the loyalty card number
  is unique per store case-insensitively through its lower-cased key, as the e-mail is.
- ``customer_events`` keeps its rows and their sequence numbers: ``kind`` becomes ``event_type``
  (``anonymized`` is ``CustomerWasAnonymized``), the actor is the customer, and the customer's
  reference is copied into the event so that it outlives an erasure of the customer row.

Down again, ``pending`` is ``awaiting_confirmation``; events keep their rows, their type back as
``kind`` (events of erased customers, which the old schema cannot hold, are dropped); the new
columns and the labels are dropped.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
# Re-chained after 0009 (operators) when the back-office face joins; independent of its tables.
down_revision = "0009"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# The event types of the kinds the previous schema recorded.
_KIND_TO_TYPE = {"anonymized": "CustomerWasAnonymized"}


_REFERENCE = "(SELECT reference FROM customers WHERE customers.id = customer_events.customer_id)"


def _customer_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("loyalty_card_number", sa.String(64), nullable=True),
        sa.Column("loyalty_card_key", sa.String(64), nullable=True),
        sa.Column("agreement1", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("agreement2", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("agreement3", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("company_name", sa.String(255), nullable=True),
        sa.Column("company_tax_id", sa.String(64), nullable=True),
        sa.Column("level_id", sa.String(36), nullable=True),
        sa.Column("manually_assigned_level", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pos_id", sa.String(36), nullable=True),
        sa.Column("seller_id", sa.String(36), nullable=True),
        sa.Column("transactions_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("transactions_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column(
            "transactions_amount_without_delivery_costs", sa.BigInteger, nullable=False, server_default="0"
        ),
        sa.Column("average_transaction_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("orders_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_transaction_date", Timestamp, nullable=True),
        sa.Column("pending_email", sa.String(255), nullable=True),
        sa.Column("pending_phone", sa.String(32), nullable=True),
        sa.Column("has_avatar", sa.Boolean, nullable=False, server_default=sa.false()),
    ]


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        for column in _customer_columns():
            batch.add_column(column)
    op.execute(
        "UPDATE customers SET agreement1 = true, status = CASE "
        "WHEN anonymized_at IS NOT NULL THEN 'anonymized' "
        "WHEN awaiting_confirmation THEN 'pending' ELSE 'active' END"
    )
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("awaiting_confirmation")
        batch.create_unique_constraint("uq_customers_store_phone", ["store", "phone"])
        batch.create_unique_constraint("uq_customers_store_loyalty_card_key", ["store", "loyalty_card_key"])
        batch.create_index("ix_customers_status", ["status"])

    op.create_table(
        "customer_labels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("key_lower", sa.String(64), nullable=False),
        sa.Column("value_lower", sa.String(255), nullable=False),
    )
    op.create_index("ix_customer_labels_customer_id", "customer_labels", ["customer_id"])
    op.create_index(
        "ix_customer_labels_key_lower_value_lower_customer_id",
        "customer_labels",
        ["key_lower", "value_lower", "customer_id"],
    )

    with op.batch_alter_table("customer_events") as batch:
        batch.add_column(sa.Column("customer_reference", sa.String(40), nullable=True))
        batch.add_column(sa.Column("event_type", sa.String(64), nullable=True))
        batch.add_column(sa.Column("actor_type", sa.String(16), nullable=False, server_default="customer"))
        batch.add_column(sa.Column("actor_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("changed_fields", Json, nullable=True))
        batch.add_column(sa.Column("values", Json, nullable=True))
        batch.add_column(sa.Column("points_balance", sa.Numeric(14, 2), nullable=True))
    event_type = "CASE " + " ".join(
        f"WHEN kind = '{kind}' THEN '{name}'" for kind, name in _KIND_TO_TYPE.items()
    )
    op.execute(
        "UPDATE customer_events SET "  # noqa: S608 - fixed texts
        f"event_type = {event_type} ELSE kind END, "
        f"customer_reference = {_REFERENCE}, actor_id = {_REFERENCE}, "
        "changed_fields = '[]', \"values\" = '{}'"
    )
    with op.batch_alter_table("customer_events") as batch:
        batch.drop_column("kind")
        batch.alter_column("customer_reference", existing_type=sa.String(40), nullable=False)
        batch.alter_column("event_type", existing_type=sa.String(64), nullable=False)
        batch.alter_column("changed_fields", existing_type=Json, nullable=False)
        batch.alter_column("values", existing_type=Json, nullable=False)
        batch.alter_column("actor_type", existing_type=sa.String(16), server_default=None)
        # Erasure deletes the customer row; its events keep the reference.
        batch.alter_column("customer_id", existing_type=sa.Integer, nullable=True)
        batch.create_index("ix_customer_events_customer_reference", ["customer_reference"])
        batch.create_index("ix_customer_events_event_type", ["event_type"])


def downgrade() -> None:
    op.execute("DELETE FROM customer_events WHERE customer_id IS NULL")
    with op.batch_alter_table("customer_events") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), nullable=True))
    kind = "CASE " + " ".join(
        f"WHEN event_type = '{name}' THEN '{kind}'" for kind, name in _KIND_TO_TYPE.items()
    )
    op.execute(f"UPDATE customer_events SET kind = {kind} ELSE substr(event_type, 1, 40) END")  # noqa: S608
    with op.batch_alter_table("customer_events") as batch:
        batch.drop_index("ix_customer_events_event_type")
        batch.drop_index("ix_customer_events_customer_reference")
        batch.alter_column("kind", existing_type=sa.String(40), nullable=False)
        batch.alter_column("customer_id", existing_type=sa.Integer, nullable=False)
        for name in (
            "customer_reference",
            "event_type",
            "actor_type",
            "actor_id",
            "changed_fields",
            "values",
            "points_balance",
        ):
            batch.drop_column(name)

    op.drop_index("ix_customer_labels_key_lower_value_lower_customer_id", "customer_labels")
    op.drop_index("ix_customer_labels_customer_id", "customer_labels")
    op.drop_table("customer_labels")

    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("awaiting_confirmation", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE customers SET awaiting_confirmation = (status = 'pending')")
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_status")
        batch.drop_constraint("uq_customers_store_loyalty_card_key", type_="unique")
        batch.drop_constraint("uq_customers_store_phone", type_="unique")
        for column in reversed(_customer_columns()):
            batch.drop_column(column.name)

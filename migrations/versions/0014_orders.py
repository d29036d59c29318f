"""Orders and payment instruments and the indexes of the customers' transaction aggregates.

Read models of the commerce system's orders and the instruments its payment provider returned, and
a B-tree index on each shown aggregate column of ``customers`` (added by 0010) the orders feed
(CB §6, §7).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COUNTED = "status IN ('new', 'processing', 'shipped', 'delivered')"

# The customers' transaction aggregates (CB §6.3) are columns since 0010; the back-office filters
# and sorts on each shown one.
SHOWN_AGGREGATES = (
    "transactions_count",
    "transactions_amount",
    "transactions_amount_without_delivery_costs",
    "average_transaction_amount",
    "last_transaction_date",
)


def _add_aggregates() -> None:
    for name in SHOWN_AGGREGATES:
        op.create_index(f"ix_customers_{name}", "customers", [name])


def _drop_aggregates() -> None:
    for name in SHOWN_AGGREGATES:
        op.drop_index(f"ix_customers_{name}", "customers")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("grand_total", sa.BigInteger, nullable=False),
        sa.Column("delivery_costs", sa.BigInteger, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("company_id", sa.String(36), nullable=True),
        sa.Column("company_user_id", sa.String(36), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("store", "order_number", name="uq_orders_store_order_number"),
    )
    op.create_index("ix_orders_customer_list", "orders", ["customer_id", "order_date", "order_number"])
    op.create_index("ix_orders_company_list", "orders", ["company_id", "order_date", "order_number"])
    op.create_index(
        "ix_orders_customer_last_counted",
        "orders",
        ["customer_id", sa.text("order_date DESC")],
        postgresql_where=sa.text(COUNTED),
        sqlite_where=sa.text(COUNTED),
    )
    op.create_table(
        "payment_instruments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("provider_token", sa.String(255), nullable=False),
        sa.Column("brand", sa.String(32), nullable=False),
        sa.Column("masked_card_number", sa.String(19), nullable=False),
        sa.Column("expiration_month", sa.SmallInteger, nullable=False),
        sa.Column("expiration_year", sa.SmallInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "store", "provider", "provider_token", name="uq_payment_instruments_store_provider_token"
        ),
    )
    _add_aggregates()


def downgrade() -> None:
    _drop_aggregates()
    op.drop_table("payment_instruments")
    op.drop_index("ix_orders_customer_last_counted", "orders")
    op.drop_table("orders")

"""The search's range and sort indexes carry the store (PostgreSQL only).

Every search is limited to the caller's stores (BO §4.5), so each bounded count and each probe of a
customer by id also tests ``store``. Without it in the index, an index-only range count of, say, an
amount range reads the heap page of every row it counts, and a label's semi-join probes the table
or hashes all of it. ``INCLUDE (store)`` keeps the keys (``(key, id)``, BO §4.5) and lets those
scans answer from the index; ``ix_customers_id_store`` serves the probes by id (labels, addresses).

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# 0015's (key, id) indexes that range filters and counts read: rebuilt with the store included.
_COVERED = {
    "ix_customers_created_at_id": "created_at, id",
    "ix_customers_updated_at_id": "updated_at, id",
    "ix_customers_transactions_count_id": "transactions_count, id",
    "ix_customers_transactions_amount_id": "transactions_amount, id",
    "ix_customers_transactions_amount_wdc_id": "transactions_amount_without_delivery_costs, id",
    "ix_customers_average_transaction_amount_id": "average_transaction_amount, id",
    "ix_customers_last_transaction_date_id": "last_transaction_date, id",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, keys in _COVERED.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON customers ({keys}) INCLUDE (store)")
    op.execute("CREATE INDEX ix_customers_id_store ON customers (id) INCLUDE (store)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_customers_id_store")
    for name, keys in _COVERED.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON customers ({keys})")

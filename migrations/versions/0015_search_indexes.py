"""Indexes for the back-office search and the registration statistics (PostgreSQL only).

pg_trgm and its GIN indexes on each text filter's lower-cased column (substring search); a btree
``(key, id)`` per sort key (``lower()`` for text) and per exact filter, so that keyset pages and
equal values read an index range; ``(store, created_at)`` for the statistics. SQLite gets none: it
searches with escaped LIKE and counts exactly (BO §4.5).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# name → (table, the indexed expressions, USING method or None for btree)
_INDEXES: dict[str, tuple[str, str, str | None]] = {
    # Sort keys, ties by id.
    "ix_customers_created_at_id": ("customers", "created_at, id", None),
    "ix_customers_updated_at_id": ("customers", "updated_at, id", None),
    "ix_customers_first_name_lower_id": ("customers", "lower(first_name), id", None),
    "ix_customers_last_name_lower_id": ("customers", "lower(last_name), id", None),
    "ix_customers_email_key_id": ("customers", "email_key, id", None),
    "ix_customers_loyalty_card_key_id": ("customers", "loyalty_card_key, id", None),
    "ix_customers_transactions_count_id": ("customers", "transactions_count, id", None),
    "ix_customers_transactions_amount_id": ("customers", "transactions_amount, id", None),
    "ix_customers_transactions_amount_wdc_id": (
        "customers",
        "transactions_amount_without_delivery_costs, id",
        None,
    ),
    "ix_customers_average_transaction_amount_id": ("customers", "average_transaction_amount, id", None),
    "ix_customers_last_transaction_date_id": ("customers", "last_transaction_date, id", None),
    # Exact filters (e-mail, card: the sort keys' indexes; labels: 0010's index).
    "ix_customers_phone_id": ("customers", "phone, id", None),
    "ix_customers_level_id_id": ("customers", "level_id, id", None),
    "ix_customers_pos_id_id": ("customers", "pos_id, id", None),
    "ix_customers_seller_id_id": ("customers", "seller_id, id", None),
    "ix_addresses_city_lower": ("addresses", "lower(city), customer_id", None),
    "ix_addresses_zip_code_lower": ("addresses", "lower(zip_code), customer_id", None),
    # Substrings: trigrams of each text filter's lower-cased column.
    "ix_customers_first_name_trgm": ("customers", "lower(first_name) gin_trgm_ops", "gin"),
    "ix_customers_last_name_trgm": ("customers", "lower(last_name) gin_trgm_ops", "gin"),
    "ix_customers_email_key_trgm": ("customers", "email_key gin_trgm_ops", "gin"),
    "ix_customers_phone_trgm": ("customers", "phone gin_trgm_ops", "gin"),
    "ix_customers_loyalty_card_key_trgm": ("customers", "loyalty_card_key gin_trgm_ops", "gin"),
    "ix_addresses_city_trgm": ("addresses", "lower(city) gin_trgm_ops", "gin"),
    "ix_addresses_zip_code_trgm": ("addresses", "lower(zip_code) gin_trgm_ops", "gin"),
    # Registration statistics: one store's customers by creation time.
    "ix_customers_store_created_at": ("customers", "store, created_at", None),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expressions, method) in _INDEXES.items():
        using = f" USING {method}" if method else ""
        op.execute(f"CREATE INDEX {name} ON {table}{using} ({expressions})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")

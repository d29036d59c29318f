"""The relational schema (SQLAlchemy Core). Alembic migrations create exactly these tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "metadata",
    "customers",
    "customer_reference_sequences",
    "sessions",
    "refresh_tokens",
    "companies",
    "company_users",
    "company_events",
    "COMPANY_ROLES",
    "invitation_symbols",
    "SYMBOL_KINDS",
    "access_requests",
    "access_request_events",
    "ACCESS_REQUEST_STATES",
    "ACCESS_REQUEST_OPEN_STATES",
    "customer_events",
    "customer_labels",
    "CUSTOMER_STATUSES",
    "login_windows",
    "restore_password_keys",
    "registration_keys",
    "mail_outbox",
    "sms_codes",
    "credential_changes",
    "operators",
    "operator_sessions",
    "operator_refresh_tokens",
    "operator_recovery_codes",
    "integration_clients",
    "audit_events",
    "orders",
    "payment_instruments",
    "COUNTED_STATUSES",
    "POSTGRESQL_ONLY_INDEXES",
]

metadata = sa.MetaData()

# A customer's life (BO §3.1): pending until its e-mail is confirmed (while confirmation is
# required), active, inactive (deactivated by an operator), anonymized (final).
CUSTOMER_STATUSES = ("pending", "active", "inactive", "anonymized")

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Timestamps are stored in UTC. PostgreSQL keeps the offset; SQLite stores naive UTC and the
# query layer attaches UTC on the way out.
Timestamp = sa.DateTime(timezone=True)

customer_reference_sequences = sa.Table(
    "customer_reference_sequences",
    metadata,
    sa.Column("store", sa.String(16), primary_key=True),
    sa.Column("last_value", sa.Integer, nullable=False),
)

# The search's and the statistics' indexes (BO §4.5: pg_trgm GIN, (key, id) btrees, lower()
# expressions; the store included by 0023) are PostgreSQL's only and live in migrations 0015 and
# 0023, not here; autogenerate leaves them out of its comparison (migrations/env.py).
POSTGRESQL_ONLY_INDEXES = frozenset(
    {
        *(
            f"ix_customers_{name}_id"
            for name in (
                "created_at",
                "updated_at",
                "first_name_lower",
                "last_name_lower",
                "email_key",
                "loyalty_card_key",
                "transactions_count",
                "transactions_amount",
                "transactions_amount_wdc",
                "average_transaction_amount",
                "last_transaction_date",
                "phone",
                "level_id",
                "pos_id",
                "seller_id",
            )
        ),
        *(
            f"ix_customers_{name}_trgm"
            for name in ("first_name", "last_name", "email_key", "phone", "loyalty_card_key")
        ),
        "ix_addresses_city_lower",
        "ix_addresses_zip_code_lower",
        "ix_addresses_city_trgm",
        "ix_addresses_zip_code_trgm",
        "ix_customers_store_created_at",
        "ix_customers_id_store",
    }
)
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(40), nullable=False, unique=True),
    sa.Column("email", sa.String(255), nullable=False),
    # Lower-cased e-mail: uniqueness per store is case-insensitive and enforced by the index below.
    sa.Column("email_key", sa.String(255), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("salutation", sa.String(8), nullable=True),
    sa.Column("first_name", sa.String(100), nullable=True),
    sa.Column("last_name", sa.String(100), nullable=True),
    sa.Column("gender", sa.String(8), nullable=True),
    sa.Column("date_of_birth", sa.Date, nullable=True),
    # ll_CC, one of the store's locales; legacy rows may hold a bare language or NULL, resolved on
    # read and stored resolved at the customer's next write.
    sa.Column("locale", sa.String(8), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("anonymized_at", Timestamp, nullable=True),
    # The default addresses are pointers, so at most one address can be each default.
    sa.Column("default_billing_address_id", sa.String(36), nullable=True),
    sa.Column("default_shipping_address_id", sa.String(36), nullable=True),
    sa.Column("default_contact_address_id", sa.String(36), nullable=True),
    # CUSTOMER_STATUSES; pending at registration while double opt-in is on, until the registration
    # key (or a restore) comes back.
    sa.Column("status", sa.String(16), nullable=False, server_default="active", index=True),
    # E.164; unique per store among the customers that have one.
    sa.Column("phone", sa.String(32), nullable=True),
    sa.Column("loyalty_card_number", sa.String(64), nullable=True),
    # Lower-cased card number: uniqueness per store is case-insensitive, enforced by the index below.
    sa.Column("loyalty_card_key", sa.String(64), nullable=True),
    # agreement1 is the terms of service (the storefront's acceptedTerms).
    sa.Column("agreement1", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("agreement2", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("agreement3", sa.Boolean, nullable=False, server_default=sa.false()),
    # A free label (BO §3 company), both parts or neither.
    sa.Column("company_name", sa.String(255), nullable=True),
    sa.Column("company_tax_id", sa.String(64), nullable=True),
    # Read-only here; filled by levels, points of sale and sellers (BO §4.3).
    sa.Column("level_id", sa.String(36), nullable=True),
    sa.Column("manually_assigned_level", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pos_id", sa.String(36), nullable=True),
    sa.Column("seller_id", sa.String(36), nullable=True),
    # Order aggregates in the store's minor units (CB §6.3), fed by order writes.
    sa.Column("transactions_count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("transactions_amount", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column(
        "transactions_amount_without_delivery_costs", sa.BigInteger, nullable=False, server_default="0"
    ),
    sa.Column("average_transaction_amount", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("orders_count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_transaction_date", Timestamp, nullable=True),
    # Credential changes awaiting confirmation (BO §4.2), and whether an avatar is stored (BO §4.8).
    sa.Column("pending_email", sa.String(255), nullable=True),
    sa.Column("pending_phone", sa.String(32), nullable=True),
    sa.Column("has_avatar", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("store", "email_key", name="uq_customers_store_email_key"),
    sa.UniqueConstraint("store", "phone", name="uq_customers_store_phone"),
    sa.UniqueConstraint("store", "loyalty_card_key", name="uq_customers_store_loyalty_card_key"),
)

# Labels: {key, value} pairs an operator attaches (BO §3); the lower-cased copies serve the search.
customer_labels = sa.Table(
    "customer_labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Column("key_lower", sa.String(64), nullable=False),
    sa.Column("value_lower", sa.String(255), nullable=False),
    sa.Index(
        "ix_customer_labels_key_lower_value_lower_customer_id", "key_lower", "value_lower", "customer_id"
    ),
)

# The customers' transaction aggregates (CB §6.3; columns from migration 0010) each have a B-tree
# index (migration 0014) for the back-office's filters and sorts. Amounts in the store's minor
# units; written only through app/queries/orders.py.
for _name in (
    "transactions_count",
    "transactions_amount",
    "transactions_amount_without_delivery_costs",
    "average_transaction_amount",
    "last_transaction_date",
):
    sa.Index(f"ix_customers_{_name}", customers.c[_name])

addresses = sa.Table(
    "addresses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
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

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    # Set: a company token's session (CB §4.2), bound to that company user; NULL: a customer token's.
    sa.Column("company_user_id", sa.String(36), nullable=True, index=True),
)

# One row per refresh token ever issued; only its SHA-256 digest is stored. A row whose
# rotated_at is set was exchanged already: presenting it again revokes the whole session.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("rotated_at", Timestamp, nullable=True),
)

# The customer's history (BO §4.4): one row per write, appended in the write's transaction, numbered
# by its id. The reference is kept so that the events outlive an erasure (customer_id then NULL).
# ``values`` holds new values, never a secret; anonymization nulls the personal ones.
customer_events = sa.Table(
    "customer_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=True, index=True),
    sa.Column("customer_reference", sa.String(40), nullable=False, index=True),
    sa.Column("event_type", sa.String(64), nullable=False, index=True),
    sa.Column("actor_type", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=True),
    sa.Column("changed_fields", Json, nullable=False),
    sa.Column("values", Json, nullable=False),
    sa.Column("points_balance", sa.Numeric(14, 2), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

# The limiter's sliding windows when no Redis is configured: one row per key, holding the attempts
# counted in its window as a JSON list of [occurred_at, attempt_id], oldest first. One row per key is
# what makes check-and-count one statement on PostgreSQL: concurrent attempts on a key queue on its
# row lock and each sees the others' entries, so a burst can never slip past the limit.
# expires_at (the newest entry's time + the window) lets a sweep drop windows nobody uses any more.
login_windows = sa.Table(
    "login_windows",
    metadata,
    sa.Column("key", sa.String(320), primary_key=True),
    sa.Column("entries", sa.Text().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

# Restore-password keys: only the SHA-256 digest of the mailed key is stored. A key is usable while
# used_at and superseded_at are empty and expires_at lies ahead; a newer key supersedes older ones.
restore_password_keys = sa.Table(
    "restore_password_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
    sa.Column("superseded_at", Timestamp, nullable=True),
)

# Registration (double opt-in) keys, digest only; single use.
registration_keys = sa.Table(
    "registration_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
)

# The mail outbox: a row is written in the transaction of the change that causes the mail and
# delivered after commit by the delivery worker. A worker claims rows (claimed_by, claimed_until)
# with SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never send the same row. The bodies
# are erased once sent: they may carry a key.
mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # ``mail`` (recipient an e-mail address) or ``sms`` (recipient an E.164 number, no subject).
    sa.Column("channel", sa.String(8), nullable=False, server_default="mail"),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("recipient", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(255), nullable=True),
    sa.Column("text_body", sa.Text, nullable=True),
    sa.Column("html_body", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("claimed_until", Timestamp, nullable=True),
    sa.Column("sent_at", Timestamp, nullable=True),
    sa.Column("failed_at", Timestamp, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index(
        "ix_mail_outbox_pending",
        "next_attempt_at",
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    ),
)

# One live code per customer and purpose (``activation``, ``phone-change``): a newer one replaces it.
# Only the HMAC of the code (keyed by a key derived from the signing key, bound to the customer and
# purpose) is kept; too many wrong tries or its expiry make it useless.
sms_codes = sa.Table(
    "sms_codes",
    metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("purpose", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)

# Pending credential changes (BO §4.2): per customer and kind (``email``, ``phone``) the new value,
# the SHA-256 digest of the mailed key (a phone's code is in sms_codes) and its expiry.
credential_changes = sa.Table(
    "credential_changes",
    metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Column("digest", sa.String(64), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)

# Back-office operators (BO §2): their own e-mail namespace. ``permissions`` is a space-separated
# list; ``stores`` a comma-separated list of store codes, NULL for all stores.
operators = sa.Table(
    "operators",
    metadata,
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
    sa.Column("pos_id", sa.String(36), nullable=True, index=True),
    sa.Column("allow_point_transfer", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # TOTP (BO §2.1): the secret AES-256-GCM-encrypted; the last time step used (each step once).
    sa.Column("mfa_secret", sa.Text, nullable=True),
    sa.Column("mfa_active", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("mfa_last_step", sa.BigInteger, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("last_login_at", Timestamp, nullable=True),
)

operator_sessions = sa.Table(
    "operator_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    # BO §2.1: opened by a password alone under GLUE_OPERATOR_MFA_REQUIRED (enrol, confirm, log out).
    sa.Column("enrolment_only", sa.Boolean, nullable=False, server_default=sa.false()),
)

# As refresh_tokens: SHA-256 digests only; a rotated token presented again revokes its session.
operator_refresh_tokens = sa.Table(
    "operator_refresh_tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("operator_sessions.id"), nullable=False, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("rotated_at", Timestamp, nullable=True),
)

# MFA recovery codes (BO §2.1), SHA-256 digests; a used code is consumed.
operator_recovery_codes = sa.Table(
    "operator_recovery_codes",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id"), nullable=False, index=True),
    sa.Column("used_at", Timestamp, nullable=True),
)

# Integration clients (BO §2.2): id = client_id; the secret as its SHA-256 digest. A token carries
# the generation it was issued at; rotation, permission or store change moves it on, voiding them.
integration_clients = sa.Table(
    "integration_clients",
    metadata,
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

# The audit trail (BO §4.12): id is the sequence number; newest first is id descending.
# ``store`` is the store of the customer an entry names (NULL: none), for store-limited readers.
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", Timestamp, nullable=False, index=True),
    sa.Column("operator_id", sa.String(64), nullable=True, index=True),
    sa.Column("operator_role", sa.String(16), nullable=True),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("customer_reference", sa.String(40), nullable=True, index=True),
    sa.Column("store", sa.String(16), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("details", sa.Text, nullable=True),
)


# Orders the commerce system ingests (CB §6): a read model, one row per (store, order_number).
# Counted orders (COUNTED_STATUSES) feed the customer's aggregates; items are one JSON column.
COUNTED_STATUSES = ("new", "processing", "shipped", "delivered")
_COUNTED = "status IN ('new', 'processing', 'shipped', 'delivered')"

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("order_number", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("order_date", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("grand_total", sa.BigInteger, nullable=False),
    sa.Column("delivery_costs", sa.BigInteger, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("company_id", sa.String(36), nullable=True),
    sa.Column("company_user_id", sa.String(36), nullable=True),
    sa.Column("source_updated_at", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("store", "order_number", name="uq_orders_store_order_number"),
    sa.Index("ix_orders_customer_list", "customer_id", "order_date", "order_number"),
    sa.Index("ix_orders_company_list", "company_id", "order_date", "order_number"),
)
# The latest counted order of a customer, one probe (lastTransactionDate when the latest stops counting).
sa.Index(
    "ix_orders_customer_last_counted",
    orders.c.customer_id,
    orders.c.order_date.desc(),
    postgresql_where=sa.text(_COUNTED),
    sqlite_where=sa.text(_COUNTED),
)

# Payment instruments as the provider returned them (CB §7): a token, never a card number or code.
payment_instruments = sa.Table(
    "payment_instruments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("provider_token", sa.String(255), nullable=False),
    sa.Column("brand", sa.String(32), nullable=False),
    sa.Column("masked_card_number", sa.String(19), nullable=False),
    sa.Column("expiration_month", sa.SmallInteger, nullable=False),
    sa.Column("expiration_year", sa.SmallInteger, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint(
        "store", "provider", "provider_token", name="uq_payment_instruments_store_provider_token"
    ),
)

# A customer's avatar, as re-encoded on upload (never the bytes sent): one row per customer.
customer_avatars = sa.Table(
    "customer_avatars",
    metadata,
    sa.Column(
        "customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False
    ),
    sa.Column("content_type", sa.String(16), nullable=False),
    sa.Column("bytes", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# Mobile and web push tokens. A token belongs to one customer at a time (its SHA-256 digest is
# unique: tokens run to 4096 characters, too long for a portable unique index of their own).
customer_push_tokens = sa.Table(
    "customer_push_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("token_digest", sa.String(64), nullable=False),
    sa.Column("platform", sa.String(16), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("token_digest", name="uq_customer_push_tokens_token_digest"),
    sa.Index("ix_customer_push_tokens_customer_id_created_at", "customer_id", "created_at"),
)

# Levels (BO §4.3): per store; ``condition_value`` in the store's minor units, compared with the
# customers' transactions_amount_without_delivery_costs. ``translations``: {"de": {"name": "…"}}.
levels = sa.Table(
    "levels",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("condition_value", sa.BigInteger, nullable=False),
    sa.Column("reward_percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("translations", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("store", "name", name="uq_levels_store_name"),
    sa.UniqueConstraint("store", "condition_value", name="uq_levels_store_condition_value"),
)

# Points of sale (BO §4.3): the identifier unique case-insensitively through its lower-cased copy.
points_of_sale = sa.Table(
    "points_of_sale",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("identifier", sa.String(64), nullable=False),
    sa.Column("identifier_key", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("identifier_key", name="uq_points_of_sale_identifier_key"),
)

# The points ledger (BO §4.3): one row per add or spend. An add's ``remaining_points`` is what is
# left of it to spend; ``state`` active, canceled or expired.
points_transfers = sa.Table(
    "points_transfers",
    metadata,
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
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("canceled_at", Timestamp, nullable=True),
    sa.Column("expired_at", Timestamp, nullable=True),
    sa.Index("ix_points_transfers_customer_id_created_at", "customer_id", "created_at"),
    sa.Index("ix_points_transfers_state_expires_on", "state", "expires_on"),
)

# Bulk imports (BO §4.7): a job, claimed by one jobs worker at a time under a lease it renews per
# batch; ``processed`` is its cursor (rows before it are committed with their results). ``source``
# holds the upload's rows (JSON) until the job completes. The uploader's ids and stores are kept
# so the worker creates customers as the uploader would.
customer_imports = sa.Table(
    "customer_imports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("processed", sa.Integer, nullable=False),
    sa.Column("succeeded", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_by_type", sa.String(16), nullable=False),
    sa.Column("created_by_role", sa.String(16), nullable=False),
    sa.Column("stores", Json, nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("claimed_by", sa.String(128), nullable=True),
    sa.Column("claimed_until", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("started_at", Timestamp, nullable=True),
    sa.Column("finished_at", Timestamp, nullable=True),
    sa.Index("ix_customer_imports_status_created_at", "status", "created_at"),
    sa.Index("ix_customer_imports_created_at_id", "created_at", "id"),
)

# One result per processed row of an import (1-based ``row``): the e-mail it named, the customer
# it created, or its errors (catalogue entries with the attribute at fault).
customer_import_rows = sa.Table(
    "customer_import_rows",
    metadata,
    sa.Column("import_id", sa.String(36), sa.ForeignKey("customer_imports.id"), primary_key=True),
    sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("email", sa.String(255), nullable=True),
    sa.Column("customer_reference", sa.String(40), nullable=True, index=True),
    sa.Column("errors", Json, nullable=False),
)


# Companies (CB §4.1): one store, fixed; deactivated, never deleted.
companies = sa.Table(
    "companies",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("external_reference", sa.String(64), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_companies_created_at_id", "created_at", "id"),
)

# The fixed company roles (CB §4.1).
COMPANY_ROLES = ("admin", "buyer")

# A customer's membership of a company of its store, once per pair, with its role.
company_users = sa.Table(
    "company_users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("company_id", sa.String(36), sa.ForeignKey("companies.id"), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("company_id", "customer_id", name="uq_company_users_company_customer"),
    sa.Index("ix_company_users_company_created_at", "company_id", "created_at", "id"),
)

# A company's own history (CB §5.4), in the shape of customer_events.
company_events = sa.Table(
    "company_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("company_id", sa.String(36), sa.ForeignKey("companies.id"), nullable=False, index=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("actor_type", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=True),
    sa.Column("changed_fields", Json, nullable=False),
    sa.Column("values", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

# Invitation symbols (CB §5.3): a company's request codes and e-mail domains, unique per store and
# kind; ``value`` is stored upper-case (codes) or lower-case (domains).
SYMBOL_KINDS = ("request-code", "email-domain")
invitation_symbols = sa.Table(
    "invitation_symbols",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("company_id", sa.String(36), sa.ForeignKey("companies.id"), nullable=False),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(253), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("auto_approve", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("expires_at", Timestamp, nullable=True),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("store", "kind", "value", name="uq_invitation_symbols_store_kind_value"),
    sa.Index("ix_invitation_symbols_company_created_at", "company_id", "created_at", "id"),
)

# Access requests (CB §5): open states first, final ones after.
ACCESS_REQUEST_OPEN_STATES = ("unconfirmed", "pending", "accepted")
ACCESS_REQUEST_STATES = (*ACCESS_REQUEST_OPEN_STATES, "approved", "declined", "invalid")
_OPEN_REQUEST = "state IN ('unconfirmed', 'pending', 'accepted')"
# One open request per store and e-mail; the confirmation key is kept as its digest only, replaced
# by a new submission and cleared when spent; the password hash is erased on a final state.
access_requests = sa.Table(
    "access_requests",
    metadata,
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
    sa.Column("key_expires_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index(
        "uq_access_requests_open_store_email_key",
        "store",
        "email_key",
        unique=True,
        postgresql_where=sa.text(_OPEN_REQUEST),
        sqlite_where=sa.text(_OPEN_REQUEST),
    ),
    sa.Index("ix_access_requests_created_at_id", "created_at", "id"),
    sa.Index("ix_access_requests_company_created_at", "company_id", "created_at", "id"),
)

# An access request's own history (CB §5.4), in the shape of customer_events.
access_request_events = sa.Table(
    "access_request_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "access_request_id", sa.String(36), sa.ForeignKey("access_requests.id"), nullable=False, index=True
    ),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("actor_type", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=True),
    sa.Column("changed_fields", Json, nullable=False),
    sa.Column("values", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

"""SQL for customers: reference allocation, insert, lookups, partial update, anonymisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import as_utc
from app.database import Database
from app.models import Company, Credentials, Customer
from app.queries._common import (
    insert_rows,
    is_unique_violation,
    mapping,
    precompiled,
    violated_unique_columns,
)
from app.tables import customer_labels, customer_reference_sequences, customers

__all__ = [
    "AttributeTaken",
    "next_reference_number",
    "insert_customer",
    "customer_by_id",
    "credentials_by_email",
    "credentials_by_phone",
    "update_customer",
    "anonymize_customer",
    "delete_labels",
    "customer_from_row",
    "customer_counts_by_store",
    "CUSTOMER_COLUMNS",
]


class AttributeTaken(Exception):
    """The store already has a customer with this e-mail, phone or loyalty card number (the unique
    index said so); ``attribute`` names which: ``email``, ``phone`` or ``loyalty_card_number``."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


def _taken(error: BaseException) -> AttributeTaken:
    columns = violated_unique_columns(error)
    if "loyalty_card" in columns:
        return AttributeTaken("loyalty_card_number")
    if "phone" in columns:
        return AttributeTaken("phone")
    return AttributeTaken("email")


_BACKOFFICE_COLUMNS = (
    "level_id",
    "manually_assigned_level",
    "pos_id",
    "seller_id",
    "transactions_count",
    "transactions_amount",
    "transactions_amount_without_delivery_costs",
    "average_transaction_amount",
)


def customer_from_row(row: Any) -> Customer:
    values = mapping(row) if not isinstance(row, dict) else row
    return Customer(
        id=values["id"],
        store=values["store"],
        reference=values["reference"],
        email=values["email"],
        salutation=values["salutation"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        gender=values["gender"],
        date_of_birth=values["date_of_birth"],
        locale=values["locale"],
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
        status=values["status"],
        phone=values["phone"],
        loyalty_card_number=values["loyalty_card_number"],
        agreement1=bool(values["agreement1"]),
        agreement2=bool(values["agreement2"]),
        agreement3=bool(values["agreement3"]),
        company=(
            Company(values["company_name"], values["company_tax_id"])
            if values["company_name"] is not None and values["company_tax_id"] is not None
            else None
        ),
        has_avatar=bool(values["has_avatar"]),
        pending_email=values["pending_email"],
        pending_phone=values["pending_phone"],
        **{name: values[name] for name in _BACKOFFICE_COLUMNS if name in values},
        last_transaction_date=(
            as_utc(values["last_transaction_date"]) if values.get("last_transaction_date") else None
        ),
    )


CUSTOMER_COLUMNS = [
    customers.c[name]
    for name in (
        "id",
        "store",
        "reference",
        "email",
        "salutation",
        "first_name",
        "last_name",
        "gender",
        "date_of_birth",
        "locale",
        "created_at",
        "updated_at",
        "status",
        "phone",
        "loyalty_card_number",
        "agreement1",
        "agreement2",
        "agreement3",
        "company_name",
        "company_tax_id",
        "has_avatar",
        "pending_email",
        "pending_phone",
        *_BACKOFFICE_COLUMNS,
        "last_transaction_date",
    )
]


async def next_reference_number(db: Database, store: str) -> int:
    """Atomically take the store's next customer number (one upsert; safe under concurrency)."""
    dialect_insert = sqlite.insert if db.is_sqlite else postgresql.insert
    upsert = (
        dialect_insert(customer_reference_sequences)
        .values(store=store, last_value=1)
        .on_conflict_do_update(
            index_elements=[customer_reference_sequences.c.store],
            set_={"last_value": customer_reference_sequences.c.last_value + 1},
        )
    )
    row = await db.fetch_one(upsert.returning(customer_reference_sequences.c.last_value))
    return int(row[0])


async def reserve_reference_numbers(db: Database, store: str, count: int) -> range:
    """Atomically take the store's next ``count`` customer numbers (one upsert)."""
    dialect_insert = sqlite.insert if db.is_sqlite else postgresql.insert
    upsert = (
        dialect_insert(customer_reference_sequences)
        .values(store=store, last_value=count)
        .on_conflict_do_update(
            index_elements=[customer_reference_sequences.c.store],
            set_={"last_value": customer_reference_sequences.c.last_value + count},
        )
    )
    row = await db.fetch_one(upsert.returning(customer_reference_sequences.c.last_value))
    last = int(row[0])
    return range(last - count + 1, last + 1)


async def insert_customers(db: Database, rows: list[dict[str, Any]]) -> list[Customer]:
    """Insert several customers in one statement; the unique indexes' refusal is ``AttributeTaken``."""
    try:
        found = await insert_rows(db, customers, rows, tuple(CUSTOMER_COLUMNS))
    except Exception as error:
        if is_unique_violation(error):
            raise _taken(error) from None
        raise
    return [customer_from_row(row) for row in found]


async def insert_customer(db: Database, values: dict[str, Any]) -> Customer:
    try:
        row = await db.fetch_one(customers.insert().values(**values).returning(*CUSTOMER_COLUMNS))
    except Exception as error:
        if is_unique_violation(error):
            raise _taken(error) from None
        raise
    return customer_from_row(row)


async def customer_by_id(db: Database, customer_id: int) -> Customer | None:
    row = await db.fetch_one(
        sa.select(*CUSTOMER_COLUMNS).where(customers.c.id == customer_id, customers.c.anonymized_at.is_(None))
    )
    return customer_from_row(row) if row else None


_CREDENTIALS_BY_EMAIL = precompiled(
    sa.select(
        customers.c.id,
        customers.c.reference,
        customers.c.password_hash,
        customers.c.status,
    ).where(
        customers.c.store == sa.bindparam("store"),
        customers.c.email_key == sa.bindparam("email_key"),
        customers.c.anonymized_at.is_(None),
    )
)


async def credentials_by_email(db: Database, store: str, email_key: str) -> Credentials | None:
    row = await db.fetch_one_precompiled(_CREDENTIALS_BY_EMAIL, store=store, email_key=email_key)
    if row is None:
        return None
    return Credentials(customer_id=row[0], reference=row[1], password_hash=row[2], status=row[3])


_CREDENTIALS_BY_PHONE = precompiled(
    sa.select(
        customers.c.id,
        customers.c.reference,
        customers.c.password_hash,
        customers.c.status,
    ).where(
        customers.c.store == sa.bindparam("store"),
        customers.c.phone == sa.bindparam("phone"),
        customers.c.anonymized_at.is_(None),
    )
)


async def credentials_by_phone(db: Database, store: str, phone: str) -> Credentials | None:
    """A phone as login username (GLUE_ACTIVATION_METHOD=sms); ``phone`` in E.164."""
    row = await db.fetch_one_precompiled(_CREDENTIALS_BY_PHONE, store=store, phone=phone)
    if row is None:
        return None
    return Credentials(customer_id=row[0], reference=row[1], password_hash=row[2], status=row[3])


async def set_password_hash(db: Database, customer_id: int, password_hash: str) -> None:
    await db.execute(
        customers.update().where(customers.c.id == customer_id).values(password_hash=password_hash)
    )


async def update_customer(db: Database, customer_id: int, changes: dict[str, Any]) -> Customer | None:
    """Apply ``changes`` to a live customer; None when it vanished (anonymised) meanwhile."""
    try:
        row = await db.fetch_one(
            customers.update()
            .where(customers.c.id == customer_id, customers.c.anonymized_at.is_(None))
            .values(**changes)
            .returning(*CUSTOMER_COLUMNS)
        )
    except Exception as error:
        if is_unique_violation(error):
            raise _taken(error) from None
        raise
    return customer_from_row(row) if row else None


async def anonymize_customer(db: Database, customer_id: int, placeholder_email: str, now: datetime) -> bool:
    row = await db.fetch_one(
        customers.update()
        .where(customers.c.id == customer_id, customers.c.anonymized_at.is_(None))
        .values(
            email=placeholder_email,
            email_key=placeholder_email,
            password_hash=None,
            salutation=None,
            first_name=None,
            last_name=None,
            gender=None,
            date_of_birth=None,
            locale=None,
            phone=None,
            loyalty_card_number=None,
            loyalty_card_key=None,
            company_name=None,
            company_tax_id=None,
            pending_email=None,
            pending_phone=None,
            updated_at=now,
            anonymized_at=now,
            status="anonymized",
        )
        .returning(customers.c.id)
    )
    return row is not None


async def delete_labels(db: Database, customer_id: int) -> None:
    await db.execute(customer_labels.delete().where(customer_labels.c.customer_id == customer_id))


async def customer_counts_by_store(db: Database) -> dict[str, int]:
    """How many customers each store code in the data has (anonymised ones included)."""
    rows = await db.fetch_all(
        sa.select(customers.c.store, sa.func.count()).group_by(customers.c.store).order_by(customers.c.store)
    )
    return {row[0]: int(row[1]) for row in rows}

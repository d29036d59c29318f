"""SQL for payment instruments (CB §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import PaymentInstrument
from app.queries._common import mapping
from app.queries.orders import to_stored_time
from app.tables import customers, payment_instruments

__all__ = [
    "list_instruments",
    "find_instrument",
    "find_by_provider_token",
    "insert_instrument",
    "update_instrument",
    "delete_instrument",
]

_SELECT = sa.select(payment_instruments, customers.c.reference).join(
    customers, customers.c.id == payment_instruments.c.customer_id
)


def _instrument(row: Any) -> PaymentInstrument:
    values = mapping(row)
    return PaymentInstrument(
        id=values["id"],
        store=values["store"],
        customer_id=values["customer_id"],
        customer_reference=values["reference"],
        provider=values["provider"],
        provider_token=values["provider_token"],
        brand=values["brand"],
        masked_card_number=values["masked_card_number"],
        expiration_month=values["expiration_month"],
        expiration_year=values["expiration_year"],
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


async def list_instruments(
    db: Database,
    customer_id: int,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int | None = None,
) -> list[PaymentInstrument]:
    """Newest first (ties by id); from just after an ``(created_at, id)`` position when given."""
    condition = payment_instruments.c.customer_id == customer_id
    if after is not None:
        moment, identifier = to_stored_time(after[0]), after[1]
        condition = sa.and_(
            condition,
            sa.or_(
                payment_instruments.c.created_at < moment,
                sa.and_(payment_instruments.c.created_at == moment, payment_instruments.c.id < identifier),
            ),
        )
    query = _SELECT.where(condition).order_by(
        payment_instruments.c.created_at.desc(), payment_instruments.c.id.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await db.fetch_all(query)
    return [_instrument(row) for row in rows]


async def find_instrument(
    db: Database, instrument_id: str, customer_id: int | None = None
) -> PaymentInstrument | None:
    query = _SELECT.where(payment_instruments.c.id == instrument_id)
    if customer_id is not None:
        query = query.where(payment_instruments.c.customer_id == customer_id)
    row = await db.fetch_one(query)
    return _instrument(row) if row else None


async def find_by_provider_token(
    db: Database, store: str, provider: str, provider_token: str
) -> PaymentInstrument | None:
    row = await db.fetch_one(
        _SELECT.where(
            payment_instruments.c.store == store,
            payment_instruments.c.provider == provider,
            payment_instruments.c.provider_token == provider_token,
        ).with_for_update(of=payment_instruments)
    )
    return _instrument(row) if row else None


def _values(instrument: PaymentInstrument) -> dict[str, Any]:
    return {
        "id": instrument.id,
        "store": instrument.store,
        "customer_id": instrument.customer_id,
        "provider": instrument.provider,
        "provider_token": instrument.provider_token,
        "brand": instrument.brand,
        "masked_card_number": instrument.masked_card_number,
        "expiration_month": instrument.expiration_month,
        "expiration_year": instrument.expiration_year,
        "created_at": to_stored_time(instrument.created_at),
        "updated_at": to_stored_time(instrument.updated_at),
    }


async def insert_instrument(db: Database, instrument: PaymentInstrument) -> None:
    await db.execute(payment_instruments.insert().values(**_values(instrument)))


async def update_instrument(db: Database, instrument: PaymentInstrument) -> None:
    values = _values(instrument)
    for key in ("id", "store", "customer_id", "provider", "provider_token", "created_at"):
        values.pop(key)
    await db.execute(
        payment_instruments.update().where(payment_instruments.c.id == instrument.id).values(**values)
    )


async def delete_instrument(db: Database, instrument_id: str, customer_id: int | None = None) -> int | None:
    """Delete; the owner's id when a row went, else None."""
    query = payment_instruments.delete().where(payment_instruments.c.id == instrument_id)
    if customer_id is not None:
        query = query.where(payment_instruments.c.customer_id == customer_id)
    row = await db.fetch_one(query.returning(payment_instruments.c.customer_id))
    return int(row[0]) if row else None

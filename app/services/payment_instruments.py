"""Payment instruments: what a payment provider returned for a customer's card, never the card.

Rules (CB §7): an upsert by (store, provider, providerToken) creates, updates or leaves unchanged;
another customer's token is 1132; card data is refused by the schema before anything gets here
(1140); ``expired`` is computed on every read against the current month in the store's time zone;
a delete is final and recorded as the customer event ``PaymentInstrumentWasRemoved``."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import Actor, PaymentInstrument
from app.queries import orders as order_queries
from app.queries import payment_instruments as queries
from app.queries.customers import customer_by_id
from app.services import history
from app.stores import Store, StoreCatalogue
from errors import ApiError, catalogue

__all__ = ["PaymentInstrumentService", "InstrumentResult", "is_expired", "Audited"]

# A step that joins a write's transaction (the back-office's audit entry), given the customer's
# reference and store.
Audited = Callable[[str, str], Awaitable[None]] | None

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class InstrumentResult:
    instrument: PaymentInstrument
    outcome: str  # created, updated or unchanged


def is_expired(instrument: PaymentInstrument, store: Store, now: datetime) -> bool:
    """(year, month) before the current month in the store's time zone: a card is good through its
    expiration month."""
    local = now.astimezone(zoneinfo.ZoneInfo(store.time_zone))
    return (instrument.expiration_year, instrument.expiration_month) < (local.year, local.month)


class PaymentInstrumentService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_of(
        self, customer_id: int, store: Store, now: datetime | None = None
    ) -> list[PaymentInstrument]:
        """Newest first, not paged, ``expired`` as of now."""
        moment = now or utc_now()
        found = await queries.list_instruments(self._db, customer_id)
        return [replace(item, expired=is_expired(item, store, moment)) for item in found]

    async def page_of(
        self, customer_id: int, store: Store, after: tuple[datetime, str] | None, limit: int
    ) -> list[PaymentInstrument]:
        """The back-office's keyset page: newest first (ties by id) after ``after``."""
        found = await queries.list_instruments(self._db, customer_id, after=after, limit=limit)
        moment = utc_now()
        return [replace(item, expired=is_expired(item, store, moment)) for item in found]

    async def get(
        self, instrument_id: str, store: Store, customer_id: int | None = None, now: datetime | None = None
    ) -> PaymentInstrument:
        """One instrument (of this customer, when given); unknown or another customer's is 1141."""
        found = (
            await queries.find_instrument(self._db, instrument_id, customer_id)
            if _UUID.fullmatch(instrument_id)
            else None
        )
        if found is None or found.store != store.code:
            raise ApiError(catalogue.PAYMENT_INSTRUMENT_NOT_FOUND)
        return replace(found, expired=is_expired(found, store, now or utc_now()))

    async def get_in_any_store(
        self, instrument_id: str, stores: StoreCatalogue, allowed: Sequence[str] | None = None
    ) -> PaymentInstrument:
        """The back-office's lookup by id alone, within the caller's stores (``allowed``; None: all);
        ``expired`` in the instrument's own store. Unknown or of another store: 1141."""
        found = (
            await queries.find_instrument(self._db, instrument_id) if _UUID.fullmatch(instrument_id) else None
        )
        store = stores.find(found.store) if found else None
        if found is None or store is None or (allowed is not None and found.store not in allowed):
            raise ApiError(catalogue.PAYMENT_INSTRUMENT_NOT_FOUND)
        return replace(found, expired=is_expired(found, store, utc_now()))

    async def delete(
        self,
        instrument_id: str,
        customer_id: int | None = None,
        *,
        allowed: Sequence[str] | None = None,
        audited: Audited = None,
    ) -> None:
        """Final; the customer event tells the commerce system. Unknown, another customer's or (in
        the back-office) outside the caller's stores ``allowed``: 1141."""
        if not _UUID.fullmatch(instrument_id):
            raise ApiError(catalogue.PAYMENT_INSTRUMENT_NOT_FOUND)
        async with self._db.transaction():
            found = await queries.find_instrument(self._db, instrument_id, customer_id)
            if found is None or (allowed is not None and found.store not in allowed):
                raise ApiError(catalogue.PAYMENT_INSTRUMENT_NOT_FOUND)
            if audited is not None:
                await audited(found.customer_reference, found.store)
            owner = await queries.delete_instrument(self._db, instrument_id, customer_id)
            if owner is None:
                raise ApiError(catalogue.PAYMENT_INSTRUMENT_NOT_FOUND)
            customer = await customer_by_id(self._db, owner)
            if customer is not None:
                # The customer's own deletion, or the back-office's (its audit entry names the operator).
                actor = (
                    Actor.customer(customer.reference) if customer_id is not None else Actor("system", None)
                )
                await history.record(
                    self._db,
                    customer,
                    "PaymentInstrumentWasRemoved",
                    actor,
                    utc_now(),
                    values={"paymentInstrumentId": instrument_id},
                )

    async def upsert(self, store: Store, fields: dict[str, Any], audited: Audited = None) -> InstrumentResult:
        """By (store, provider, providerToken): created, updated or unchanged; another customer's
        is 1132; an unknown customer of the store 1131; ``audited`` joins the transaction."""
        found = await order_queries.customers_by_reference(
            self._db, store.code, [fields["customer_reference"]]
        )
        customer = found.get(fields["customer_reference"])
        if customer is None:
            raise ApiError(catalogue.INGEST_CUSTOMER_NOT_FOUND, attribute="customerReference")
        now = utc_now()
        candidate = PaymentInstrument(
            id=str(uuid.uuid4()),
            store=store.code,
            customer_id=customer.id,
            customer_reference=customer.reference,
            provider=fields["provider"],
            provider_token=fields["provider_token"],
            brand=fields["brand"],
            masked_card_number=fields["masked_card_number"],
            expiration_month=fields["expiration_month"],
            expiration_year=fields["expiration_year"],
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction():
            await order_queries.lock_aggregates(self._db, customer.id)  # one write per customer at a time
            existing = await queries.find_by_provider_token(
                self._db, store.code, candidate.provider, candidate.provider_token
            )
            if existing is None:
                await queries.insert_instrument(self._db, candidate)
                result = InstrumentResult(candidate, "created")
            elif existing.customer_id != customer.id:
                raise ApiError(catalogue.RECORD_OF_ANOTHER_CUSTOMER, attribute="providerToken")
            else:
                changed = replace(
                    existing,
                    brand=candidate.brand,
                    masked_card_number=candidate.masked_card_number,
                    expiration_month=candidate.expiration_month,
                    expiration_year=candidate.expiration_year,
                )
                if changed == existing:
                    result = InstrumentResult(existing, "unchanged")
                else:
                    changed = replace(changed, updated_at=now)
                    await queries.update_instrument(self._db, changed)
                    result = InstrumentResult(changed, "updated")
            if audited is not None:
                await audited(customer.reference, store.code)
        instrument = result.instrument
        return replace(result, instrument=replace(instrument, expired=is_expired(instrument, store, now)))

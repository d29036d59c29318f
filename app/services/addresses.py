"""The address book and Glue's default-address rules.

The customer holds one default-billing, one default-shipping and one default-contact pointer
(Paloma's address types as roles, CB §3); the flags in responses are derived from them, so at most
one address shows each. Rules (SF §4, the same for all three):
- the first address is every default, whatever its flags say;
- a flag absent on POST means true; true moves that default to this address;
- false never unsets the current default;
- deleting a default address clears that pointer; the next address created or updated becomes it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import Actor, Address, Customer, DefaultAddresses
from app.queries import addresses as queries
from app.services import history
from errors import ApiError, catalogue

__all__ = ["AddressService", "Also"]

# A step that joins a write's transaction (the back-office's audit entry).
Also = Callable[[], Awaitable[None]] | None

# Ids are ``str(uuid.uuid4())``; anything else names no address, and is not sent to the database
# (PostgreSQL refuses a NUL character in text outright).
_ADDRESS_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


_FLAGS = {"billing": "is_default_billing", "shipping": "is_default_shipping", "contact": "is_default_contact"}


def _next_defaults(
    current: DefaultAddresses, address_id: str, fields: dict[str, Any], absent: bool | None
) -> DefaultAddresses:
    """``true`` (or an absent flag when ``absent`` is true) moves a default to ``address_id``; a
    default nobody holds is taken by it whatever its flag says."""
    moved = {}
    for kind, flag in _FLAGS.items():
        holder = getattr(current, kind)
        moved[kind] = address_id if fields.get(flag, absent) or holder is None else holder
    return DefaultAddresses(**moved)


async def _record(
    db: Database,
    owner: Customer,
    event_type: str,
    address_id: str,
    fields: dict[str, Any],
    actor: Actor | None,
    now: Any,
) -> None:
    """The address event of a write: the address's id and the attributes sent, with their values."""
    names = [history.wire_name(name) for name in fields]
    await history.record(
        db,
        owner,
        event_type,
        actor or Actor.customer(owner.reference),
        now,
        changed_fields=names,
        values={
            "addressId": address_id,
            **{history.wire_name(name): value for name, value in fields.items()},
        },
    )


class AddressService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_of(self, customer_id: int) -> list[Address]:
        return await queries.list_addresses(self._db, customer_id)

    async def list_for_customers(self, customer_ids: list[int]) -> dict[int, list[Address]]:
        return await queries.list_addresses_of_customers(self._db, customer_ids)

    async def get(self, customer_id: int, address_id: str) -> Address:
        """An address of this customer; someone else's or an unknown id is 404."""
        address = (
            await queries.find_address(self._db, customer_id, address_id)
            if _ADDRESS_ID.fullmatch(address_id)
            else None
        )
        if address is None:
            raise ApiError(catalogue.ADDRESS_NOT_FOUND)
        return address

    async def create(
        self, owner: Customer, fields: dict[str, Any], actor: Actor | None = None, also: Also = None
    ) -> Address:
        """Absent flags mean true; a customer without a default gets this address as it
        (CustomerAddressWasAdded joins the write)."""
        customer_id = owner.id
        values = {key: value for key, value in fields.items() if not key.startswith("is_default")}
        now = utc_now()
        values.update(id=str(uuid.uuid4()), customer_id=customer_id, created_at=now, updated_at=now)
        async with self._db.transaction():
            current = await queries.lock_default_addresses(self._db, customer_id)
            if current is None:
                raise ApiError(catalogue.ADDRESS_SAVE_FAILED)
            stored = await queries.insert_address(self._db, values)
            defaults = _next_defaults(current, stored["id"], fields, absent=True)
            await queries.set_default_addresses(self._db, customer_id, defaults)
            await _record(
                self._db, owner, history.CUSTOMER_ADDRESS_WAS_ADDED, stored["id"], fields, actor, now
            )
            if also is not None:
                await also()
        return queries.with_defaults(stored, defaults)

    async def update(
        self,
        owner: Customer,
        address_id: str,
        fields: dict[str, Any],
        actor: Actor | None = None,
        also: Also = None,
    ) -> Address:
        """PATCH writes only what was sent; true moves a default here, false leaves it where it is
        (CustomerAddressWasUpdated joins the write)."""
        customer_id = owner.id
        await self.get(customer_id, address_id)
        values = {key: value for key, value in fields.items() if not key.startswith("is_default")}
        now = utc_now()
        values["updated_at"] = now
        async with self._db.transaction():
            current = await queries.lock_default_addresses(self._db, customer_id)
            stored = (
                await queries.update_address(self._db, customer_id, address_id, values) if current else None
            )
            if current is None or stored is None:
                raise ApiError(catalogue.ADDRESS_SAVE_FAILED)  # vanished under a concurrent request
            defaults = _next_defaults(current, address_id, fields, absent=None)
            if defaults != current:
                await queries.set_default_addresses(self._db, customer_id, defaults)
            await _record(
                self._db, owner, history.CUSTOMER_ADDRESS_WAS_UPDATED, address_id, fields, actor, now
            )
            if also is not None:
                await also()
        return queries.with_defaults(stored, defaults)

    async def delete(
        self, owner: Customer, address_id: str, actor: Actor | None = None, also: Also = None
    ) -> None:
        """Deleting a default address clears that pointer; an unknown id is 404
        (CustomerAddressWasRemoved joins the write)."""
        customer_id = owner.id
        if not _ADDRESS_ID.fullmatch(address_id):
            raise ApiError(catalogue.ADDRESS_NOT_FOUND)
        async with self._db.transaction():
            current = await queries.lock_default_addresses(self._db, customer_id)
            if current is None or not await queries.delete_address(self._db, customer_id, address_id):
                raise ApiError(catalogue.ADDRESS_NOT_FOUND)
            remaining = replace(
                current,
                billing=None if current.billing == address_id else current.billing,
                shipping=None if current.shipping == address_id else current.shipping,
                contact=None if current.contact == address_id else current.contact,
            )
            if remaining != current:
                await queries.set_default_addresses(self._db, customer_id, remaining)
            await _record(
                self._db, owner, history.CUSTOMER_ADDRESS_WAS_REMOVED, address_id, {}, actor, utc_now()
            )
            if also is not None:
                await also()

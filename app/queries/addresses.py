"""SQL for addresses and the customer's default-address pointers."""

from __future__ import annotations

from typing import Any

import pycountry
import sqlalchemy as sa

from app.database import Database
from app.models import Address, DefaultAddresses
from app.tables import addresses, customers

__all__ = [
    "list_addresses",
    "find_address",
    "lock_default_addresses",
    "insert_address",
    "update_address",
    "delete_address",
    "set_default_addresses",
    "delete_customer_addresses",
    "country_name",
    "list_addresses_of_customers",
    "with_defaults",
]

_DEFAULT_POINTERS = (
    customers.c.default_billing_address_id,
    customers.c.default_shipping_address_id,
    customers.c.default_contact_address_id,
)
_SELECT = sa.select(addresses, *_DEFAULT_POINTERS).select_from(
    addresses.join(customers, customers.c.id == addresses.c.customer_id)
)


def country_name(iso2_code: str) -> str:
    country = pycountry.countries.get(alpha_2=iso2_code)
    return str(country.name) if country else iso2_code


def _address(values: Any, defaults: DefaultAddresses) -> Address:
    return Address(
        id=values["id"],
        customer_id=values["customer_id"],
        salutation=values["salutation"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        address1=values["address1"],
        address2=values["address2"],
        address3=values["address3"],
        zip_code=values["zip_code"],
        city=values["city"],
        iso2_code=values["iso2_code"],
        country=country_name(values["iso2_code"]),
        company=values["company"],
        phone=values["phone"],
        is_default_billing=defaults.billing == values["id"],
        is_default_shipping=defaults.shipping == values["id"],
        is_default_contact=defaults.contact == values["id"],
    )


def _from_joined_row(row: Any) -> Address:
    values = row._mapping
    defaults = DefaultAddresses(
        values["default_billing_address_id"],
        values["default_shipping_address_id"],
        values["default_contact_address_id"],
    )
    return _address(values, defaults)


async def list_addresses(db: Database, customer_id: int) -> list[Address]:
    rows = await db.fetch_all(
        _SELECT.where(addresses.c.customer_id == customer_id).order_by(addresses.c.created_at, addresses.c.id)
    )
    return [_from_joined_row(row) for row in rows]


async def list_addresses_of_customers(db: Database, customer_ids: list[int]) -> dict[int, list[Address]]:
    rows = await db.fetch_all(
        _SELECT.where(addresses.c.customer_id.in_(customer_ids)).order_by(
            addresses.c.created_at, addresses.c.id
        )
    )
    found: dict[int, list[Address]] = {customer_id: [] for customer_id in customer_ids}
    for row in rows:
        address = _from_joined_row(row)
        found[address.customer_id].append(address)
    return found


async def find_address(db: Database, customer_id: int, address_id: str) -> Address | None:
    row = await db.fetch_one(
        _SELECT.where(addresses.c.customer_id == customer_id, addresses.c.id == address_id)
    )
    return _from_joined_row(row) if row else None


async def lock_default_addresses(db: Database, customer_id: int) -> DefaultAddresses | None:
    """Read the pointers and lock the customer row (PostgreSQL) for the rest of the transaction.

    Every address write of one customer takes this lock first, so they apply one after another.
    None when the customer is gone (anonymised).
    """
    row = await db.fetch_one(
        sa.select(*_DEFAULT_POINTERS)
        .where(customers.c.id == customer_id, customers.c.anonymized_at.is_(None))
        .with_for_update()
    )
    return DefaultAddresses(row[0], row[1], row[2]) if row else None


async def insert_address(db: Database, values: dict[str, Any]) -> dict[str, Any]:
    row = await db.fetch_one(addresses.insert().values(**values).returning(addresses))
    return dict(row._mapping)


async def update_address(
    db: Database, customer_id: int, address_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    row = await db.fetch_one(
        addresses.update()
        .where(addresses.c.id == address_id, addresses.c.customer_id == customer_id)
        .values(**changes)
        .returning(addresses)
    )
    return dict(row._mapping) if row else None


async def delete_address(db: Database, customer_id: int, address_id: str) -> bool:
    row = await db.fetch_one(
        addresses.delete()
        .where(addresses.c.id == address_id, addresses.c.customer_id == customer_id)
        .returning(addresses.c.id)
    )
    return row is not None


async def set_default_addresses(db: Database, customer_id: int, defaults: DefaultAddresses) -> None:
    await db.execute(
        customers.update()
        .where(customers.c.id == customer_id)
        .values(
            default_billing_address_id=defaults.billing,
            default_shipping_address_id=defaults.shipping,
            default_contact_address_id=defaults.contact,
        )
    )


async def delete_customer_addresses(db: Database, customer_id: int) -> None:
    await db.execute(addresses.delete().where(addresses.c.customer_id == customer_id))
    await set_default_addresses(db, customer_id, DefaultAddresses(None, None, None))


def with_defaults(values: dict[str, Any], defaults: DefaultAddresses) -> Address:
    return _address(values, defaults)

"""Plain domain values passed between services, queries and the edge (no HTTP, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "Customer",
    "Credentials",
    "TokenPair",
    "Principal",
    "Address",
    "DefaultAddresses",
    "Avatar",
    "PushToken",
]


@dataclass(frozen=True)
class Customer:
    """A customer of one store. ``locale`` is as stored until a service resolves it for its store
    (every Customer a service hands out carries one of its store's locales)."""

    id: int
    store: str  # read with the session on every authenticated request: a store check costs no statement
    reference: str
    email: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    gender: str | None
    date_of_birth: date | None
    locale: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Credentials:
    customer_id: int
    reference: str
    password_hash: str | None
    awaiting_confirmation: bool = False


@dataclass(frozen=True)
class TokenPair:
    session_id: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a customer and the session its access token belongs to."""

    customer: Customer
    session_id: str


@dataclass(frozen=True)
class Address:
    id: str
    customer_id: int
    salutation: str
    first_name: str
    last_name: str
    address1: str
    address2: str | None
    address3: str | None
    zip_code: str
    city: str
    iso2_code: str
    country: str
    company: str | None
    phone: str | None
    is_default_billing: bool
    is_default_shipping: bool
    is_default_contact: bool


@dataclass(frozen=True)
class DefaultAddresses:
    """The customer's three default-address pointers (None: no default of that kind)."""

    billing: str | None
    shipping: str | None
    contact: str | None


@dataclass(frozen=True)
class Avatar:
    """A customer's avatar as stored: the re-encoded image, never the bytes that were sent."""

    customer_id: int
    content_type: str
    data: bytes
    sha256: str
    size: int
    width: int
    height: int
    updated_at: datetime


@dataclass(frozen=True)
class PushToken:
    """A device's push token; ``platform`` is android, ios, web or None."""

    id: str
    customer_id: int
    token: str
    platform: str | None
    created_at: datetime

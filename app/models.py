"""Plain domain values passed between services, queries and the edge (no HTTP, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["Customer", "Credentials", "TokenPair", "Principal"]


@dataclass(frozen=True)
class Customer:
    id: int
    reference: str
    email: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    gender: str | None
    date_of_birth: date | None
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

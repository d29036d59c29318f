"""The customer history (BO §4.4): every write appends its event inside its own transaction.

Events carry who acted, the names of the fields that changed (secrets included, as names) and their
new values, never a secret: a password, hash, token, key or code is dropped from ``values`` here,
whatever a caller passes. Anonymization nulls the personal values of past events, which stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from app.database import Database
from app.models import Actor, Company, HistoryEvent
from app.queries import history as queries

__all__ = [
    "CUSTOMER_WAS_REGISTERED",
    "CUSTOMER_DETAILS_WERE_UPDATED",
    "CUSTOMER_ADDRESS_WAS_ADDED",
    "CUSTOMER_ADDRESS_WAS_UPDATED",
    "CUSTOMER_ADDRESS_WAS_REMOVED",
    "PASSWORD_WAS_CHANGED",
    "CUSTOMER_WAS_ACTIVATED",
    "CUSTOMER_WAS_ANONYMIZED",
    "PERSONAL_VALUES",
    "record",
    "record_many",
    "events_of",
    "scrub_personal_values",
    "wire_value",
    "wire_name",
    "Subject",
]


class Subject(Protocol):
    """Whose history an event joins: any customer value with its id and reference."""

    @property
    def id(self) -> int: ...

    @property
    def reference(self) -> str: ...


CUSTOMER_WAS_REGISTERED = "CustomerWasRegistered"
CUSTOMER_DETAILS_WERE_UPDATED = "CustomerDetailsWereUpdated"
CUSTOMER_ADDRESS_WAS_ADDED = "CustomerAddressWasAdded"
CUSTOMER_ADDRESS_WAS_UPDATED = "CustomerAddressWasUpdated"
CUSTOMER_ADDRESS_WAS_REMOVED = "CustomerAddressWasRemoved"
PASSWORD_WAS_CHANGED = "PasswordWasChanged"  # noqa: S105 - an event type
CUSTOMER_WAS_ACTIVATED = "CustomerWasActivated"
CUSTOMER_WAS_ANONYMIZED = "CustomerWasAnonymized"

# Value names that never reach an event (their field names may, in changedFields): these, and any
# ending in one of the suffixes. (Not "…Code": zipCode and iso2Code are data.)
_SECRET_NAMES = frozenset(
    {"password", "hash", "token", "key", "code", "secret", "activationCode", "confirmationCode", "smsCode"}
)
_SECRET_SUFFIXES = ("password", "hash", "token", "key", "secret")

# Values anonymization nulls in past events: the customer's and the addresses' personal data.
PERSONAL_VALUES = frozenset(
    {
        "salutation",
        "firstName",
        "lastName",
        "gender",
        "dateOfBirth",
        "email",
        "phone",
        "loyaltyCardNumber",
        "labels",
        "company",
        "pendingEmail",
        "pendingPhone",
        "address1",
        "address2",
        "address3",
        "zipCode",
        "city",
        "iso2Code",
        "maskedNumber",
        "value",  # a credential change's new e-mail or phone
    }
)


def _is_secret(name: str) -> bool:
    return name in _SECRET_NAMES or name.lower().endswith(_SECRET_SUFFIXES)


def wire_name(name: str) -> str:
    """An attribute's name on the wire, as events name it: ``date_of_birth`` is ``dateOfBirth``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def wire_value(value: Any) -> Any:
    """A value as JSON stores it: dates as ISO text, a company as ``{name, taxId}``."""
    if isinstance(value, Company):
        return {"name": value.name, "taxId": value.tax_id}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def record(
    db: Database,
    customer: Subject,
    event_type: str,
    actor: Actor,
    now: datetime,
    *,
    changed_fields: Iterable[str] = (),
    values: Mapping[str, Any] | None = None,
    points_balance: Decimal | None = None,
) -> int:
    """Append ``event_type`` to the customer's history (in the caller's transaction); its number.
    A points event carries the balance after it (``points_balance``)."""
    safe_values = {name: wire_value(value) for name, value in (values or {}).items() if not _is_secret(name)}
    return await queries.append_event(
        db,
        customer_id=customer.id,
        customer_reference=customer.reference,
        event_type=event_type,
        actor=actor,
        changed_fields=list(changed_fields),
        values=safe_values,
        now=now,
        points_balance=points_balance,
    )


async def record_many(
    db: Database,
    events: Iterable[tuple[Subject, str, Actor, datetime, list[str], Mapping[str, Any]]],
) -> None:
    """Append several events at once (a bulk import's): (customer, type, actor, time, changed
    fields, values) each, secrets dropped from the values as ``record`` drops them."""
    await queries.append_events(
        db,
        [
            {
                "customer_id": customer.id,
                "customer_reference": customer.reference,
                "event_type": event_type,
                "actor": actor,
                "changed_fields": list(changed_fields),
                "values": {name: wire_value(value) for name, value in values.items() if not _is_secret(name)},
                "now": now,
            }
            for customer, event_type, actor, now, changed_fields, values in events
        ],
    )


async def events_of(db: Database, customer: Subject) -> list[HistoryEvent]:
    """The customer's events, oldest first."""
    return await queries.events_of_customer(db, customer.id)


def _scrubbed(values: dict[str, Any]) -> dict[str, Any]:
    return {name: None if name in PERSONAL_VALUES else value for name, value in values.items()}


async def scrub_personal_values(db: Database, customer: Subject) -> int:
    """Null the personal values of the customer's past events (anonymization); how many changed."""
    return await queries.rewrite_values(db, customer.id, _scrubbed)

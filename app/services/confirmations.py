"""Double opt-in: registration mails a key; the key, sent back once, confirms the e-mail address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.clock import utc_now
from app.database import Database
from app.keys import key_digest, link_with_token, new_key
from app.mail import MailKind, Outbox, OutgoingMail, render_mail
from app.models import Actor, Customer
from app.queries import confirmations as queries
from app.queries import sms_codes as sms_code_queries
from app.services import history
from app.settings import Settings
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["ConfirmationService", "activate_by_email", "activate_pending"]


async def activate_by_email(db: Database, customer_id: int, now: datetime) -> bool:
    """A pending customer proved its mailbox (a registration or restore key): it becomes active and
    CustomerWasActivated (method email) is recorded, in the caller's transaction. False when the
    customer was not pending."""
    return await activate_pending(db, customer_id, now, "email")


async def activate_pending(db: Database, customer_id: int, now: datetime, method: str) -> bool:
    """A pending customer becomes active by ``method`` (email, sms): its open registration keys and
    texted codes are spent and CustomerWasActivated is recorded, in the caller's transaction. False
    when the customer was not pending."""
    reference = await queries.activate_pending(db, customer_id, now)
    if reference is None:
        return False
    await queries.spend_registration_keys(db, customer_id, now)
    await sms_code_queries.delete_codes(db, customer_id)
    await history.record(
        db,
        _Subject(customer_id, reference),
        history.CUSTOMER_WAS_ACTIVATED,
        Actor.customer(reference),
        now,
        changed_fields=["status"],
        values={"status": "active", "method": method},
    )
    return True


class Addressee(Protocol):
    """Whom a registration key is mailed to."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def locale(self) -> str | None: ...


@dataclass(frozen=True)
class _Subject:
    id: int
    reference: str


class ConfirmationService:
    def __init__(self, db: Database, settings: Settings, outbox: Outbox) -> None:
        self._db = db
        self._settings = settings
        self._outbox = outbox

    async def issue(self, customer: Customer | Addressee, store: Store) -> None:
        """Store a registration key and queue its mail (in the customer's locale, linking to the
        store's confirmation page); runs inside the registration's (or a resend's) transaction."""
        key, digest = new_key()
        await queries.insert_registration_key(self._db, digest, customer.id, utc_now())
        await self._outbox.enqueue(self.render(customer, store, key))

    def render(self, customer: Customer | Addressee, store: Store, key: str) -> OutgoingMail:
        name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        return render_mail(
            MailKind.REGISTRATION_CONFIRMATION,
            customer.email,
            store.resolve_locale(customer.locale),
            name=name or customer.email,
            link=link_with_token(store.confirmation_url or self._settings.confirmation_url, key),
        )

    def deliver_after_commit(self) -> None:
        self._outbox.wake()

    async def confirm(self, registration_key: str) -> None:
        """A key confirms once, whichever store it is sent in; unknown or used keys, and keys of a
        customer deactivated or anonymized since, are 423. A pending customer becomes active
        (CustomerWasActivated, method email); one already active (a restore confirmed it) stays."""
        now = utc_now()
        async with self._db.transaction():
            customer_id = await queries.consume_registration_key(self._db, key_digest(registration_key), now)
            if customer_id is None:
                raise ApiError(catalogue.CONFIRMATION_CODE_INVALID)
            activated = await activate_by_email(self._db, customer_id, now)
            if not activated and await queries.confirmable_reference(self._db, customer_id) is None:
                raise ApiError(catalogue.CONFIRMATION_CODE_INVALID)

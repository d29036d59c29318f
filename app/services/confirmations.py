"""Double opt-in: registration mails a key; the key, sent back once, confirms the e-mail address."""

from __future__ import annotations

from app.clock import utc_now
from app.database import Database
from app.keys import key_digest, link_with_token, new_key
from app.mail import MailKind, Outbox, render_mail
from app.models import Customer
from app.queries import confirmations as queries
from app.settings import Settings
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["ConfirmationService"]


class ConfirmationService:
    def __init__(self, db: Database, settings: Settings, outbox: Outbox) -> None:
        self._db = db
        self._settings = settings
        self._outbox = outbox

    async def issue(self, customer: Customer, store: Store) -> None:
        """Store a registration key and queue its mail (in the customer's locale, linking to the
        store's confirmation page); runs inside the registration's transaction."""
        key, digest = new_key()
        await queries.insert_registration_key(self._db, digest, customer.id, utc_now())
        name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        await self._outbox.enqueue(
            render_mail(
                MailKind.REGISTRATION_CONFIRMATION,
                customer.email,
                store.resolve_locale(customer.locale),
                name=name or customer.email,
                link=link_with_token(store.confirmation_url or self._settings.confirmation_url, key),
            )
        )

    def deliver_after_commit(self) -> None:
        self._outbox.wake()

    async def confirm(self, registration_key: str) -> None:
        """A key confirms once, whichever store it is sent in; unknown or used keys are 423."""
        now = utc_now()
        async with self._db.transaction():
            customer_id = await queries.consume_registration_key(self._db, key_digest(registration_key), now)
            if customer_id is None or not await queries.mark_confirmed(self._db, customer_id, now):
                raise ApiError(catalogue.CONFIRMATION_CODE_INVALID)

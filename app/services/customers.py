"""Customers: registration, profile changes and anonymisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key, normalise_email
from app.models import Customer
from app.passwords import PasswordHasherService, password_policy_violations
from app.queries import addresses as address_queries
from app.queries import avatars as avatar_queries
from app.queries import customers as queries
from app.queries import push_tokens as push_token_queries
from app.queries import sessions as session_queries
from app.services.confirmations import ConfirmationService
from app.settings import Settings
from app.stores import Store
from errors import ApiError, Problem, catalogue

__all__ = ["CustomerService", "Registration", "GENDERS", "SALUTATIONS", "email_key"]

GENDERS = ("Male", "Female")
SALUTATIONS = ("Mr", "Mrs", "Ms", "Dr")


@dataclass(frozen=True)
class Registration:
    salutation: str
    first_name: str
    last_name: str
    email: str
    password: str
    confirm_password: str
    accepted_terms: Any
    gender: str | None = None
    date_of_birth: date | None = None
    # The locale the client asked for; absent, the first of ``language_ranges`` (Accept-Language,
    # most preferred first) the store speaks decides, else the store's default.
    locale: str | None = None
    language_ranges: tuple[str, ...] = ()


LOCALE_ATTRIBUTE = "locale"


def store_locale(store: Store, requested: str) -> str:
    """``requested`` in canonical form when it is one of the store's locales (else 901)."""
    chosen = store.locale_choice(requested)
    if chosen is None:
        raise ApiError.invalid(LOCALE_ATTRIBUTE, "The value you selected is not a valid choice.")
    return chosen


class CustomerService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        hasher: PasswordHasherService,
        confirmations: ConfirmationService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._confirmations = confirmations

    def check_new_password(self, password: str, confirm_password: str, attribute: str) -> None:
        """Password policy (901 on ``attribute``), then the confirmation must match (406)."""
        violations = password_policy_violations(password, self._settings.password_min_length)
        if violations:
            raise ApiError.of(
                [
                    Problem(catalogue.VALIDATION_FAILED, attribute, {"field": attribute, "message": message})
                    for message in violations
                ]
            )
        if password != confirm_password:
            raise ApiError(catalogue.PASSWORDS_DO_NOT_MATCH, field=attribute)

    async def register(self, registration: Registration, store: Store) -> Customer:
        """A customer of ``store``: its reference from the store's sequence, its e-mail unique in the
        store. Checks: locale 901, then Glue's order: gender 414, terms 422, policy 901,
        confirmation 406, e-mail 400.

        With double opt-in on, the registration key and its mail join the registration's transaction.
        """
        if registration.locale is not None:
            locale = store_locale(store, registration.locale)
        else:
            locale = store.negotiate_locale(registration.language_ranges)
        if registration.gender is not None and registration.gender not in GENDERS:
            raise ApiError(catalogue.INVALID_GENDER)
        if registration.accepted_terms is not True:
            raise ApiError(catalogue.TERMS_NOT_ACCEPTED)
        self.check_new_password(registration.password, registration.confirm_password, "password")
        password_hash = await self._hasher.hash_password(registration.password)
        now = utc_now()
        double_opt_in = self._settings.confirmation_required
        try:
            async with self._db.transaction():
                number = await queries.next_reference_number(self._db, store.code)
                customer = await queries.insert_customer(
                    self._db,
                    {
                        "store": store.code,
                        "reference": f"{store.code}--{number}",
                        "email": normalise_email(registration.email),
                        "email_key": email_key(registration.email),
                        "password_hash": password_hash,
                        "salutation": registration.salutation,
                        "first_name": registration.first_name,
                        "last_name": registration.last_name,
                        "gender": registration.gender,
                        "date_of_birth": registration.date_of_birth,
                        "locale": locale,
                        "awaiting_confirmation": double_opt_in,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                if double_opt_in:
                    await self._confirmations.issue(customer, store)
        except queries.EmailTaken:
            raise ApiError(catalogue.CUSTOMER_ALREADY_EXISTS) from None
        if double_opt_in:
            self._confirmations.deliver_after_commit()
        return customer

    async def update(self, customer: Customer, changes: dict[str, Any], store: Store) -> Customer:
        """PATCH writes only the attributes sent (locale 901, gender 414, e-mail 400); a customer gone
        meanwhile is 410. Any write also stores the customer's locale resolved, so a legacy value
        (a bare language, NULL) is rewritten as one of the store's locales."""
        values = dict(changes)
        if LOCALE_ATTRIBUTE in values:
            values[LOCALE_ATTRIBUTE] = store_locale(store, values[LOCALE_ATTRIBUTE])
        if "gender" in values and values["gender"] is not None and values["gender"] not in GENDERS:
            raise ApiError(catalogue.INVALID_GENDER)
        if not values:
            return customer
        values.setdefault(LOCALE_ATTRIBUTE, store.resolve_locale(customer.locale))
        if "email" in values:
            values["email"] = normalise_email(values["email"])
            values["email_key"] = email_key(values["email"])
        values["updated_at"] = utc_now()
        try:
            async with self._db.transaction():
                updated = await queries.update_customer(self._db, customer.id, values)
        except queries.EmailTaken:
            raise ApiError(catalogue.CUSTOMER_ALREADY_EXISTS) from None
        if updated is None:
            raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
        return updated

    async def anonymize(self, customer: Customer) -> None:
        """Erase personal data, addresses, the avatar and push tokens, free the e-mail, end every
        session, record the event."""
        now = utc_now()
        placeholder = f"anonymized-{uuid.uuid4().hex}@anonymized.invalid"
        async with self._db.transaction():
            if not await queries.anonymize_customer(self._db, customer.id, placeholder, now):
                raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
            await address_queries.delete_customer_addresses(self._db, customer.id)
            await session_queries.revoke_customer_sessions(self._db, customer.id, now)
            await avatar_queries.delete_avatar(self._db, customer.id)
            await push_token_queries.delete_customer_push_tokens(self._db, customer.id)
            await queries.record_event(self._db, customer.id, "anonymized", now)

"""Customers: registration, profile changes and anonymisation, each with its history event."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key, normalise_email
from app.models import Actor, Company, Customer
from app.passwords import PasswordHasherService, password_policy_violations
from app.phones import InvalidPhone, normalise_phone
from app.queries import addresses as address_queries
from app.queries import avatars as avatar_queries
from app.queries import company_users as company_user_queries
from app.queries import credential_changes as credential_queries
from app.queries import customers as queries
from app.queries import imports as import_queries
from app.queries import push_tokens as push_token_queries
from app.queries import sessions as session_queries
from app.queries import sms_codes as sms_code_queries
from app.services import history
from app.services.access_request_history import withdraw_requests
from app.services.activation import PHONE_REQUIRED, ActivationService
from app.services.confirmations import ConfirmationService
from app.services.credential_changes import CredentialChangeService
from app.settings import Settings
from app.stores import Store
from errors import ApiError, Problem, catalogue

__all__ = [
    "CustomerService",
    "REGISTERED_VALUES",
    "Registration",
    "GENDERS",
    "SALUTATIONS",
    "email_key",
    "refuse_taken",
    "store_locale",
    "column_values",
]

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
    phone: str | None = None
    agreement2: bool = False
    agreement3: bool = False
    company: Company | None = None


LOCALE_ATTRIBUTE = "locale"
PHONE_ATTRIBUTE = "phone"
INVALID_PHONE = "This value is not a valid phone number."

# What a registration's event shows (never the password, which only changedFields names).
REGISTERED_VALUES = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "gender",
    "date_of_birth",
    "locale",
    "phone",
    "agreement1",
    "agreement2",
    "agreement3",
    "company",
)

_TAKEN = {
    "email": catalogue.CUSTOMER_ALREADY_EXISTS,
    "phone": catalogue.PHONE_ALREADY_EXISTS,
    "loyalty_card_number": catalogue.LOYALTY_CARD_ALREADY_EXISTS,
}


def refuse_taken(taken: queries.AttributeTaken) -> ApiError:
    return ApiError(_TAKEN[taken.attribute])


def column_values(changes: dict[str, Any]) -> dict[str, Any]:
    """Attribute values as columns: the company is two."""
    values = dict(changes)
    if "company" in values:
        company = values.pop("company")
        values["company_name"] = company.name if company else None
        values["company_tax_id"] = company.tax_id if company else None
    return values


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
        activation: ActivationService,
        credential_changes: CredentialChangeService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._confirmations = confirmations
        self._activation = activation
        self._credential_changes = credential_changes

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

    def phone(self, value: str) -> str:
        """``value`` in E.164, read in GLUE_PHONE_DEFAULT_REGION without a leading + (else 901)."""
        try:
            return normalise_phone(value, self._settings.phone_default_region)
        except InvalidPhone:
            raise ApiError.invalid(PHONE_ATTRIBUTE, INVALID_PHONE) from None

    async def register(self, registration: Registration, store: Store) -> Customer:
        """A customer of ``store``: its reference from the store's sequence, its e-mail and phone
        unique in the store. Checks: locale and phone 901, then Glue's order: gender 414, terms 422,
        policy 901, confirmation 406; then e-mail 400, phone 1010.

        Starts pending while confirmation is required (the registration key and its mail, or under
        GLUE_ACTIVATION_METHOD=sms the activation code and its text, join the registration's
        transaction), else active; CustomerWasRegistered joins it too. Under sms the phone is
        required (901).
        """
        if registration.locale is not None:
            locale = store_locale(store, registration.locale)
        else:
            locale = store.negotiate_locale(registration.language_ranges)
        phone = self.phone(registration.phone) if registration.phone is not None else None
        if phone is None and self._activation.by_sms:
            raise ApiError.invalid(PHONE_ATTRIBUTE, PHONE_REQUIRED)
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
                        "status": "pending" if double_opt_in else "active",
                        "phone": phone,
                        "agreement1": True,
                        "agreement2": registration.agreement2,
                        "agreement3": registration.agreement3,
                        **column_values({"company": registration.company}),
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                await history.record(
                    self._db,
                    customer,
                    history.CUSTOMER_WAS_REGISTERED,
                    Actor.customer(customer.reference),
                    now,
                    changed_fields=[*map(history.wire_name, REGISTERED_VALUES), "password"],
                    values={
                        **{history.wire_name(name): getattr(customer, name) for name in REGISTERED_VALUES},
                        "channel": "storefront",
                    },
                )
                if double_opt_in and self._activation.by_sms and phone is not None:
                    await self._activation.issue_code(customer.id, phone, customer.locale, store)
                elif double_opt_in:
                    await self._confirmations.issue(customer, store)
        except queries.AttributeTaken as taken:
            raise refuse_taken(taken) from None
        if double_opt_in:
            self._confirmations.deliver_after_commit()
        return customer

    def prepare_update(
        self, customer: Customer, changes: dict[str, Any], store: Store, defer_credentials: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]] | None:
        """A PATCH's checks (locale and phone 901, gender 414), its columns, the attributes that
        changed (their new values) and, with ``defer_credentials`` (a storefront PATCH while
        credential changes need confirmation, BO §4.2), the e-mail or phone changes held back for
        confirmation; None when there is nothing to write."""
        values = dict(changes)
        if LOCALE_ATTRIBUTE in values:
            values[LOCALE_ATTRIBUTE] = store_locale(store, values[LOCALE_ATTRIBUTE])
        if values.get(PHONE_ATTRIBUTE) is not None:
            values[PHONE_ATTRIBUTE] = self.phone(values[PHONE_ATTRIBUTE])
        elif PHONE_ATTRIBUTE in values and self._activation.by_sms:
            raise ApiError.invalid(PHONE_ATTRIBUTE, PHONE_REQUIRED)
        if "gender" in values and values["gender"] is not None and values["gender"] not in GENDERS:
            raise ApiError(catalogue.INVALID_GENDER)
        for agreement in ("agreement2", "agreement3"):
            if agreement in values and values[agreement] is None:
                values[agreement] = False
        if "email" in values:
            values["email"] = normalise_email(values["email"])
        deferred: dict[str, str] = {}
        if defer_credentials:
            for kind in self._credential_changes.deferred_kinds():
                if values.get(kind) is not None and values[kind] != getattr(customer, kind):
                    deferred[kind] = values.pop(kind)
                elif kind in values and values[kind] == getattr(customer, kind):
                    values.pop(kind)
        if not values and not deferred:
            return None
        values.setdefault(LOCALE_ATTRIBUTE, store.resolve_locale(customer.locale))
        changed = {name: value for name, value in values.items() if getattr(customer, name) != value}
        columns = column_values(values)
        if "email" in columns:
            columns["email_key"] = email_key(columns["email"])
        if "loyalty_card_number" in columns:
            number = columns["loyalty_card_number"]
            columns["loyalty_card_key"] = number.lower() if number is not None else None
        return columns, changed, deferred

    async def update(
        self, customer: Customer, changes: dict[str, Any], store: Store, actor: Actor | None = None
    ) -> Customer:
        """PATCH writes only the attributes sent (locale and phone 901, gender 414; e-mail 400,
        phone 1010); null erases an optional one (an agreement back to false); a customer gone
        meanwhile is 410. Any write also stores the customer's locale resolved, so a legacy value
        (a bare language, NULL) is rewritten as one of the store's locales. The attributes that
        changed, with their new values, are the CustomerDetailsWereUpdated event of the write. A
        storefront change of a credential waits for its confirmation when that is required."""
        prepared = self.prepare_update(customer, changes, store, defer_credentials=actor is None)
        if prepared is None:
            return customer
        columns, changed, deferred = prepared
        for kind, value in deferred.items():
            await self._credential_changes.check_free(customer, kind, value)
        now = utc_now()
        columns["updated_at"] = now
        try:
            async with self._db.transaction():
                updated = await queries.update_customer(self._db, customer.id, columns)
                if updated is not None and changed:
                    await history.record(
                        self._db,
                        updated,
                        history.CUSTOMER_DETAILS_WERE_UPDATED,
                        actor or Actor.customer(customer.reference),
                        now,
                        changed_fields=[history.wire_name(name) for name in changed],
                        values={history.wire_name(name): value for name, value in changed.items()},
                    )
                if updated is not None and deferred:
                    updated = await self._credential_changes.request(updated, deferred, store, now)
        except queries.AttributeTaken as taken:
            raise refuse_taken(taken) from None
        if updated is None:
            raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
        if deferred:
            self._credential_changes.deliver_after_commit()
        return updated

    async def anonymize(
        self,
        customer: Customer,
        actor: Actor | None = None,
        also: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Erase personal data, addresses, labels, text codes, pending credential changes, the
        avatar, push tokens and company users (CB §1), withdraw its open access requests (CB §5.2
        row 14), free the e-mail, end every session, record the event; the personal values of the
        customer's past events are nulled (the events stay). ``also`` joins the transaction (the
        back-office's audit entry)."""
        now = utc_now()
        placeholder = f"anonymized-{uuid.uuid4().hex}@anonymized.invalid"
        async with self._db.transaction():
            if not await queries.anonymize_customer(self._db, customer.id, placeholder, now):
                raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
            await address_queries.delete_customer_addresses(self._db, customer.id)
            await queries.delete_labels(self._db, customer.id)
            await credential_queries.delete_changes(self._db, customer.id)
            await sms_code_queries.delete_codes(self._db, customer.id)
            await session_queries.revoke_customer_sessions(self._db, customer.id, now)
            await avatar_queries.delete_avatar(self._db, customer.id)
            await push_token_queries.delete_customer_push_tokens(self._db, customer.id)
            await import_queries.forget_row_emails(self._db, customer.reference)
            await company_user_queries.delete_customer_company_users(self._db, customer.id)
            await withdraw_requests(
                self._db, customer.store, customer.email, actor or Actor.customer(customer.reference), now
            )
            await history.scrub_personal_values(self._db, customer)
            await history.record(
                self._db,
                customer,
                history.CUSTOMER_WAS_ANONYMIZED,
                actor or Actor.customer(customer.reference),
                now,
            )
            if also is not None:
                await also()

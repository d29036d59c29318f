"""Credential changes (BO §4.2, GLUE_CREDENTIAL_CHANGE_CONFIRMATION): a storefront change of the
e-mail (or, under GLUE_ACTIVATION_METHOD=sms, the phone) keeps the old value until the new address
sends back its mailed key, or the new phone its texted code; confirming applies it, ends the other
sessions and mails the old address a notice. A newer request of the same kind supersedes."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.keys import key_digest, link_with_token, new_key
from app.mail import MailKind, Outbox, render_mail
from app.models import Actor, Customer, Principal
from app.queries import credential_changes as queries
from app.queries import customers as customer_queries
from app.queries import sessions as session_queries
from app.services import history
from app.services.activation import too_many_attempts
from app.services.limiter import AttemptLimiter, Limited
from app.services.sms_codes import CodePurpose, SmsCodeService
from app.settings import Settings
from app.sms import SmsKind, render_sms
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["CredentialChangeService", "CREDENTIAL_CHANGE_WAS_REQUESTED", "CREDENTIAL_CHANGE_WAS_CONFIRMED"]

CREDENTIAL_CHANGE_WAS_REQUESTED = "CredentialChangeWasRequested"
CREDENTIAL_CHANGE_WAS_CONFIRMED = "CredentialChangeWasConfirmed"
_PENDING = {"email": "pending_email", "phone": "pending_phone"}


def _name(customer: Customer) -> str:
    return " ".join(part for part in (customer.first_name, customer.last_name) if part) or customer.email


class CredentialChangeService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        outbox: Outbox,
        codes: SmsCodeService,
        code_limiter: AttemptLimiter,
    ) -> None:
        self._db = db
        self._settings = settings
        self._outbox = outbox
        self._codes = codes
        self._code_limiter = code_limiter

    def deferred_kinds(self) -> tuple[str, ...]:
        """The attributes a storefront PATCH cannot change at once."""
        if not self._settings.credential_change_confirmation:
            return ()
        return ("email", "phone") if self._settings.activation_method == "sms" else ("email",)

    def deliver_after_commit(self) -> None:
        self._outbox.wake()

    async def check_free(self, customer: Customer, kind: str, value: str) -> None:
        """Nobody else in the store holds it (400 e-mail, 1010 phone)."""
        column, probe = ("email_key", email_key(value)) if kind == "email" else ("phone", value)
        if await queries.value_taken(self._db, customer.store, column, probe, customer.id):
            raise ApiError(
                catalogue.CUSTOMER_ALREADY_EXISTS if kind == "email" else catalogue.PHONE_ALREADY_EXISTS
            )

    async def request(
        self, customer: Customer, changes: dict[str, str], store: Store, now: datetime
    ) -> Customer:
        """Inside the PATCH's transaction: store each change, set pendingEmail / pendingPhone, send
        the new address a key or the new phone a code, record CredentialChangeWasRequested."""
        expires_at = now + timedelta(seconds=self._settings.credential_change_ttl)
        for kind, value in changes.items():
            digest = None
            if kind == "email":
                key, digest = new_key()
                hours = max(1, round(self._settings.credential_change_ttl / 3600))
                base = store.email_change_url or self._settings.email_change_url
                await self._outbox.enqueue(
                    render_mail(
                        MailKind.EMAIL_CHANGE,
                        value,
                        store.resolve_locale(customer.locale),
                        name=_name(customer),
                        link=link_with_token(base, key),
                        hours=str(hours),
                    )
                )
            else:
                code = await self._codes.issue(customer.id, CodePurpose.PHONE_CHANGE, now)
                await self._outbox.enqueue_sms(
                    render_sms(
                        SmsKind.CONFIRMATION_CODE,
                        value,
                        store.resolve_locale(customer.locale),
                        code=code,
                        minutes=str(max(1, self._settings.sms_code_ttl // 60)),
                    )
                )
            await queries.replace_change(self._db, customer.id, kind, value, digest, now, expires_at)
            await history.record(
                self._db,
                customer,
                CREDENTIAL_CHANGE_WAS_REQUESTED,
                Actor.customer(customer.reference),
                now,
                changed_fields=[history.wire_name(_PENDING[kind])],
                values={"kind": kind, "value": value},
            )
        columns: dict[str, Any] = {_PENDING[kind]: value for kind, value in changes.items()}
        updated = await customer_queries.update_customer(self._db, customer.id, columns)
        return updated or customer

    async def confirm(self, principal: Principal, code: str, client_address: str, store: Store) -> None:
        """The mailed key or texted code applies its pending change (1016 otherwise; 1017 over the
        per-address limit); taken meanwhile: 400 / 1010, nothing applied."""
        customer = principal.customer
        try:
            attempt = await self._code_limiter.begin(
                {"code-address:" + client_address: self._settings.code_attempt_limit_per_address}
            )
        except Limited as limited:
            raise too_many_attempts(limited.retry_after) from None
        now = utc_now()
        pending = {change.kind: change for change in await queries.changes_of(self._db, customer.id)}
        kind = None
        email_change = pending.get("email")
        if (
            email_change is not None
            and email_change.digest is not None
            and email_change.expires_at > now
            and hmac.compare_digest(email_change.digest, key_digest(code))
        ):
            kind = "email"
        elif "phone" in pending and await self._codes.consume(customer.id, CodePurpose.PHONE_CHANGE, code):
            kind = "phone"
        if kind is None:
            raise ApiError(catalogue.CREDENTIAL_CODE_INVALID)
        value = pending[kind].value
        await self.check_free(customer, kind, value)
        columns: dict[str, Any] = {kind: value, _PENDING[kind]: None, "updated_at": now}
        if kind == "email":
            columns["email_key"] = email_key(value)
        try:
            async with self._db.transaction():
                updated = await customer_queries.update_customer(self._db, customer.id, columns)
                if updated is None:
                    raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
                await queries.delete_change(self._db, customer.id, kind)
                await session_queries.revoke_customer_sessions(
                    self._db, customer.id, now, keep_session_id=principal.session_id
                )
                await history.record(
                    self._db,
                    customer,
                    CREDENTIAL_CHANGE_WAS_CONFIRMED,
                    Actor.customer(customer.reference),
                    now,
                    changed_fields=[kind],
                    values={kind: value},
                )
                if kind == "email":
                    await self._outbox.enqueue(
                        render_mail(
                            MailKind.EMAIL_CHANGED,
                            customer.email,
                            store.resolve_locale(customer.locale),
                            name=_name(customer),
                            when=f"{now:%Y-%m-%d %H:%M}",
                        )
                    )
        except customer_queries.AttributeTaken as taken:
            raise ApiError(
                catalogue.CUSTOMER_ALREADY_EXISTS
                if taken.attribute == "email"
                else catalogue.PHONE_ALREADY_EXISTS
            ) from None
        await self._code_limiter.succeeded(attempt)
        self._outbox.wake()

"""Activation by text (BO §4.2): a pending registrant's code, its confirmation, resends from the
storefront and sends from the back-office. Codes are ``SmsCodeService``'s; texts join the outbox in
the transaction that issues their code."""

from __future__ import annotations

import asyncio
import logging
import time

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.keys import key_digest, new_key
from app.mail import Outbox
from app.models import AuditActor, BackofficePrincipal
from app.phones import InvalidPhone, normalise_phone
from app.queries import activation as queries
from app.services.audit import REFUSED, AuditService
from app.services.confirmations import ConfirmationService, activate_pending
from app.services.limiter import AttemptLimiter, Limited
from app.services.sms_codes import CodePurpose, CodeTooSoon, SmsCodeService
from app.settings import Settings
from app.sms import SmsKind, render_sms
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["ActivationService", "PHONE_REQUIRED", "too_many_attempts"]

logger = logging.getLogger("glue_customers.activation")

PHONE_REQUIRED = "This value should not be blank."


def too_many_attempts(retry_after: int) -> ApiError:
    """1017 with its ``Retry-After``."""
    minutes = max(1, -(-retry_after // 60))
    return ApiError(
        catalogue.TOO_MANY_CODE_ATTEMPTS, minutes=minutes, headers={"Retry-After": str(retry_after)}
    )


class ActivationService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        outbox: Outbox,
        codes: SmsCodeService,
        confirmations: ConfirmationService,
        audit: AuditService,
        code_limiter: AttemptLimiter,
        resend_limiter: AttemptLimiter,
    ) -> None:
        self._db = db
        self._settings = settings
        self._outbox = outbox
        self._codes = codes
        self._confirmations = confirmations
        self._audit = audit
        self._code_limiter = code_limiter
        self._resend_limiter = resend_limiter

    @property
    def by_sms(self) -> bool:
        return self._settings.activation_method == "sms"

    async def issue_code(self, customer_id: int, phone: str, locale: str | None, store: Store) -> None:
        """A new activation code texted to ``phone``, inside the caller's transaction; within the
        resend interval of the last one: CodeTooSoon, nothing written."""
        code = await self._codes.issue(customer_id, CodePurpose.ACTIVATION)
        await self._outbox.enqueue_sms(
            render_sms(
                SmsKind.ACTIVATION_CODE,
                phone,
                store.resolve_locale(locale),
                code=code,
                minutes=str(max(1, self._settings.sms_code_ttl // 60)),
            )
        )

    def deliver_after_commit(self) -> None:
        self._outbox.wake()

    async def confirm_by_sms(self, phone: str, code: str, client_address: str, store: Store) -> None:
        """The code texted to ``phone`` activates its pending customer of ``store``. Wrong, expired
        or spent codes, unknown phones and customers not pending are all 1015; attempts per client
        address beyond ``GLUE_CODE_ATTEMPT_LIMIT_PER_ADDRESS`` in the window are 1017."""
        number = self._phone(phone)
        try:
            attempt = await self._code_limiter.begin(
                {"code-address:" + client_address: self._settings.code_attempt_limit_per_address}
            )
        except Limited as limited:
            raise too_many_attempts(limited.retry_after) from None
        target = await queries.target_by_phone(self._db, store.code, number)
        if (
            target is None
            or target.status != "pending"
            or not await self._codes.consume(target.id, CodePurpose.ACTIVATION, code)
        ):
            raise ApiError(catalogue.ACTIVATION_CODE_INVALID)
        async with self._db.transaction():
            if not await activate_pending(self._db, target.id, utc_now(), "sms"):
                raise ApiError(catalogue.ACTIVATION_CODE_INVALID)
        await self._code_limiter.succeeded(attempt)

    async def resend(self, username: str, client_address: str, store: Store) -> None:
        """A pending customer of ``store`` named by e-mail (with ``@``) or phone gets a new key or
        code. Answer and timing never tell whether the username exists or is pending: every call
        lasts at least ``forgotten_password_min_seconds`` and is limited as a forgotten password;
        a code within its resend interval is skipped silently."""
        started = time.monotonic()
        try:
            try:
                await self._resend_limiter.begin(
                    {
                        "resend-username:"
                        + key_digest(
                            username.strip().lower()
                        ): self._settings.forgotten_password_limit_per_email,
                        "resend-address:"
                        + client_address: self._settings.forgotten_password_limit_per_address,
                    }
                )
            except Limited:
                logger.info("confirmation resend over its limit: nothing sent")
                return
            await self._resend(username, store)
        finally:
            elapsed = time.monotonic() - started
            floor = self._settings.forgotten_password_min_seconds
            if elapsed < floor:
                await asyncio.sleep(floor - elapsed)

    async def _resend(self, username: str, store: Store) -> None:
        key, _ = new_key()  # the same work whether or not anybody is found
        if "@" in username:
            target = await queries.target_by_email_key(self._db, store.code, email_key(username))
        else:
            try:
                number = normalise_phone(username, self._settings.phone_default_region)
            except InvalidPhone:
                return
            target = await queries.target_by_phone(self._db, store.code, number)
        if target is None or target.status != "pending":
            return
        try:
            async with self._db.transaction():
                if self.by_sms and target.phone is not None:
                    await self.issue_code(target.id, target.phone, target.locale, store)
                else:
                    await self._confirmations.issue(target, store)
        except CodeTooSoon:
            return
        self._outbox.wake()

    async def send_from_backoffice(
        self, reference: str, caller: BackofficePrincipal, actor: AuditActor
    ) -> None:
        """An operator texts a pending customer a new code: unknown or another store's customer 402,
        a seller outside its POS 1001, anonymized 1012, not pending 1013, no phone 1014, within the
        resend interval 1017 (``Retry-After``)."""
        target = await queries.target_by_reference(self._db, reference)
        if target is None or (caller.stores is not None and target.store not in caller.stores):
            raise ApiError(catalogue.CUSTOMER_NOT_FOUND)
        store = self._settings.store_catalogue.find(target.store)
        if store is None:
            raise ApiError(catalogue.CUSTOMER_NOT_FOUND)
        if caller.role == "seller" and (caller.operator is None or target.pos_id != caller.operator.pos_id):
            await self._audit.append(actor, outcome=REFUSED, customer_reference=reference, store=target.store)
            raise ApiError(catalogue.CUSTOMER_OF_ANOTHER_POS)
        if target.status == "anonymized":
            raise ApiError(catalogue.CUSTOMER_ANONYMIZED)
        if target.status != "pending":
            raise ApiError(catalogue.NOT_AWAITING_ACTIVATION)
        if target.phone is None:
            raise ApiError(catalogue.NO_PHONE_NUMBER)
        try:
            async with self._db.transaction():
                await self.issue_code(target.id, target.phone, target.locale, store)
                await self._audit.append(actor, customer_reference=reference, store=target.store)
        except CodeTooSoon as soon:
            raise too_many_attempts(soon.retry_after_seconds) from None
        self._outbox.wake()

    def _phone(self, value: str) -> str:
        try:
            return normalise_phone(value, self._settings.phone_default_region)
        except InvalidPhone:
            raise ApiError.invalid("phone", "This value is not a valid phone number.") from None

"""Operators' multi-factor authentication (BO §2.1): TOTP enrolment, confirmation, removal, an
administrator's reset, and the code a login needs once MFA is active.

A code is a TOTP within one step either side, each step once per operator, or an unused recovery
code (consumed). Wrong codes count in the login limiter under the operator's key. Secrets are kept
sealed (app/totp.py), recovery codes as digests; neither is shown after enrolment, logged or
audited. Every change is one transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.keys import key_digest
from app.models import AuditActor, Operator
from app.queries import operator_mfa as queries
from app.queries import operators as operator_queries
from app.services.audit import AuditService
from app.services.limiter import AttemptLimiter
from app.settings import Settings
from app.totp import (
    SecretBox,
    is_totp_shaped,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    recovery_code_digest,
)
from errors import ApiError, catalogue

__all__ = ["OperatorMfaService", "MfaEnrolment", "operator_account_key", "PENDING"]

PENDING = "pending"


def operator_account_key(email: str) -> str:
    """The login limiter's key of an operator account (logins and wrong one-time codes)."""
    return "operator-login-account:" + key_digest(email_key(email))


@dataclass(frozen=True)
class MfaEnrolment:
    """What enrolling shows once: the provisioning URI and the recovery codes."""

    operator_id: str
    status: str
    otpauth_uri: str
    recovery_codes: tuple[str, ...]


class OperatorMfaService:
    def __init__(
        self, db: Database, settings: Settings, limiter: AttemptLimiter, audit: AuditService, box: SecretBox
    ) -> None:
        self._db = db
        self._settings = settings
        self._limiter = limiter
        self._audit = audit
        self._box = box

    async def enrol(self, operator: Operator, actor: AuditActor) -> MfaEnrolment:
        """A pending enrolment (a new secret and ten recovery codes, replacing a pending one's);
        1007 while MFA is active."""
        secret = new_secret()
        codes = new_recovery_codes()
        digests = [recovery_code_digest(code) for code in codes]
        async with self._db.transaction():
            state = await queries.mfa_state(self._db, operator.id, for_update=True)
            if state is None or state.active:
                raise ApiError(catalogue.MFA_ALREADY_ACTIVE)
            await queries.replace_enrolment(
                self._db,
                operator.id,
                self._box.seal(secret, operator.id),
                [digest for digest in digests if digest is not None],
                utc_now(),
            )
            await self._audit.append(actor, details={"operatorId": operator.id})
        return MfaEnrolment(operator.id, PENDING, provisioning_uri(secret, operator.email), tuple(codes))

    async def confirm(
        self, operator: Operator, session_id: str | None, enrolment_only: bool, otp: str, actor: AuditActor
    ) -> None:
        """A TOTP of the pending secret activates MFA (1008 otherwise, counted by the login limiter;
        1007 when already active) and ends the operator's other sessions; an enrolment-only session
        ends with them."""
        current = await queries.mfa_state(self._db, operator.id)
        if current is not None and current.active:
            raise ApiError(catalogue.MFA_ALREADY_ACTIVE)
        attempt = await self._limiter.begin({operator_account_key(operator.email): self._limit})
        async with self._db.transaction():
            state = await queries.mfa_state(self._db, operator.id, for_update=True)
            if state is not None and state.active:  # confirmed meanwhile by a concurrent request
                raise ApiError(catalogue.MFA_ALREADY_ACTIVE)
            secret = self._open(operator.id, state.sealed_secret if state else None)
            step = matching_step(secret, otp) if secret is not None else None
            if step is None or not await queries.consume_step(self._db, operator.id, step):
                raise ApiError(catalogue.ONE_TIME_CODE_INVALID)
            now = utc_now()
            await queries.activate(self._db, operator.id, now)
            keep = None if enrolment_only else session_id
            await operator_queries.revoke_operator_sessions(self._db, operator.id, now, keep_session_id=keep)
            await self._audit.append(actor, details={"operatorId": operator.id, "fields": ["mfaActive"]})
        await self._limiter.succeeded(attempt)

    async def remove(self, operator: Operator, otp: str | None, actor: AuditActor) -> None:
        """The operator's own removal: a pending enrolment goes without a code; an active one needs a
        code (missing: 901; wrong: 1008, counted by the login limiter). Nothing enrolled: nothing
        written."""
        state = await queries.mfa_state(self._db, operator.id)
        if state is None or (state.sealed_secret is None and not state.active):
            return
        if not state.active:
            async with self._db.transaction():
                await self._clear_in_transaction(operator.id, actor, revoke_sessions=False, was_active=False)
            return
        if otp is None:
            raise ApiError.invalid("otp", "This field is missing.")
        attempt = await self._limiter.begin({operator_account_key(operator.email): self._limit})
        async with self._db.transaction():
            if not await self._code_is_valid(operator.id, otp, consume=True):
                raise ApiError(catalogue.ONE_TIME_CODE_INVALID)
            await self._clear_in_transaction(operator.id, actor, revoke_sessions=False, was_active=True)
        await self._limiter.succeeded(attempt)

    async def reset(self, target: Operator, writer_operator_id: str | None, actor: AuditActor) -> None:
        """An administrator's (or the CLI's) reset: secret and codes dropped, the operator's sessions
        ended. Not of oneself (1004). Nothing enrolled: nothing written."""
        if writer_operator_id == target.id:
            raise ApiError(catalogue.OWN_OPERATOR_RECORD)
        state = await queries.mfa_state(self._db, target.id)
        if state is None or (state.sealed_secret is None and not state.active):
            return
        async with self._db.transaction():
            await self._clear_in_transaction(target.id, actor, revoke_sessions=True, was_active=state.active)

    async def login_code_is_valid(self, operator_id: str, otp: str | None, *, consume: bool) -> bool:
        """Whether ``otp`` is a code of the operator's active MFA; spent only when ``consume`` (the
        password was right too)."""
        if otp is None:
            return False
        if not consume:
            return await self._code_is_valid(operator_id, otp, consume=False)
        async with self._db.transaction():
            return await self._code_is_valid(operator_id, otp, consume=True)

    @property
    def _limit(self) -> int:
        return self._settings.login_limit_per_account

    def _open(self, operator_id: str, sealed: str | None) -> str | None:
        return self._box.open(sealed, operator_id) if sealed is not None else None

    async def _code_is_valid(self, operator_id: str, otp: str, *, consume: bool) -> bool:
        state = await queries.mfa_state(self._db, operator_id)
        if state is None or not state.active:
            return False
        if is_totp_shaped(otp):
            secret = self._open(operator_id, state.sealed_secret)
            step = matching_step(secret, otp) if secret is not None else None
            if step is None:
                return False
            if consume:
                return await queries.consume_step(self._db, operator_id, step)
            return state.last_step is None or state.last_step < step
        digest = recovery_code_digest(otp)
        if digest is None:
            return False
        if consume:
            return await queries.consume_recovery_code(self._db, operator_id, digest, utc_now())
        return await queries.recovery_code_unused(self._db, operator_id, digest)

    async def _clear_in_transaction(
        self, operator_id: str, actor: AuditActor, *, revoke_sessions: bool, was_active: bool
    ) -> None:
        now = utc_now()
        await queries.clear(self._db, operator_id, now)
        if revoke_sessions:
            await operator_queries.revoke_operator_sessions(self._db, operator_id, now)
        details: dict[str, object] = {"operatorId": operator_id}
        if was_active:
            details["fields"] = ["mfaActive"]
        await self._audit.append(actor, details=details)

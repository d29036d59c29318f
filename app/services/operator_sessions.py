"""Back-office sessions (BO §2, §4.10): operator login, refresh-token rotation with reuse
detection, revocation, the client-credentials grant, and bearer authentication.

They follow the storefront's session rules with the storefront's parts: the password hasher, the
login limiter (operators' and clients' keys apart from customers'), the token signer (the
back-office audience, ``scope`` = role then permissions)."""

from __future__ import annotations

import contextlib
import hmac
import secrets
import uuid
from datetime import timedelta

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.keys import key_digest
from app.models import AuditActor, BackofficePrincipal, Operator, TokenPair
from app.passwords import HashingOverloaded, PasswordHasherService
from app.queries import integration_clients as client_queries
from app.queries import operators as queries
from app.services.audit import AuditService
from app.services.limiter import AttemptLimiter
from app.services.operator_mfa import OperatorMfaService, operator_account_key
from app.services.sessions import LoginFailed, RefreshFailed
from app.settings import Settings
from app.signing import InvalidToken, TokenSigner
from errors import ApiError, catalogue

__all__ = [
    "OperatorSessionService",
    "ClientFailed",
    "OneTimeCodeRequired",
    "ScopeRefused",
    "ClientToken",
    "BACKOFFICE_CLIENT_ID",
    "CLIENT_ROLE",
]

BACKOFFICE_CLIENT_ID = "backoffice"
CLIENT_ROLE = "client"


class ClientFailed(Exception):
    """Unknown or inactive client, or a wrong secret."""


class OneTimeCodeRequired(Exception):
    """The operator's MFA is active and the login's one-time code is missing or wrong (1006)."""


class ScopeRefused(Exception):
    """The requested scope is not within the client's permissions."""


class ClientToken:
    def __init__(self, access_token: str, expires_in: int, scope: str) -> None:
        self.access_token = access_token
        self.expires_in = expires_in
        self.scope = scope


def _scope(role: str, permissions: tuple[str, ...]) -> str:
    return " ".join((role, *permissions))


class OperatorSessionService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        hasher: PasswordHasherService,
        signer: TokenSigner,
        limiter: AttemptLimiter,
        audit: AuditService,
        mfa: OperatorMfaService,
    ) -> None:
        self._mfa = mfa
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._signer = signer
        self._limiter = limiter
        self._audit = audit

    async def login(
        self,
        username: str,
        password: str,
        client_address: str,
        *,
        otp: str | None = None,
        issuer: str,
        action: str,
        request_id: str | None,
    ) -> TokenPair:
        """SF §6 for operators: limited per operator account and per address (Limited), one argon2
        verification whether the e-mail is known or not; an inactive operator is refused as wrong
        credentials. With MFA active a missing or wrong ``otp`` is OneTimeCodeRequired whether the
        password is right or not (a right code is spent only with the right password); without
        MFA ``otp`` is ignored. Under GLUE_OPERATOR_MFA_REQUIRED an operator without active MFA
        gets an enrolment-only session. The login is audited in the session's transaction."""
        account_key = operator_account_key(username)
        attempt = await self._limiter.begin(
            {
                account_key: self._settings.login_limit_per_account,
                "operator-login-address:" + client_address: self._settings.login_limit_per_address,
            }
        )
        found = await queries.operator_by_email(self._db, email_key(username))
        password_hash = found[1] if found else None
        try:
            verified = await self._hasher.verify_password(password_hash, password)
        except HashingOverloaded:
            await self._limiter.cancel(attempt)
            raise
        if found is None or not found[0].active:
            raise LoginFailed
        operator = found[0]
        if operator.mfa_active and not await self._mfa.login_code_is_valid(
            operator.id, otp, consume=verified
        ):
            raise OneTimeCodeRequired
        if not verified:
            raise LoginFailed
        enrolment_only = self._settings.operator_mfa_required and not operator.mfa_active
        await self._limiter.succeeded(attempt, reset_keys=(account_key,))
        if password_hash and self._hasher.needs_rehash(password_hash):
            with contextlib.suppress(HashingOverloaded):
                new_hash = await self._hasher.hash_password(password)
                await queries.update_operator(self._db, operator.id, {"password_hash": new_hash})
        now = utc_now()
        session_id = str(uuid.uuid4())
        refresh_token = secrets.token_urlsafe(32)
        ttl = self._settings.backoffice_refresh_token_ttl
        async with self._db.transaction():
            await queries.insert_session(
                self._db,
                session_id,
                operator.id,
                now,
                now + timedelta(seconds=ttl),
                key_digest(refresh_token),
                enrolment_only=enrolment_only,
            )
            await queries.set_last_login(self._db, operator.id, now)
            await self._audit.append(AuditActor(operator.id, operator.role, action, request_id))
        return self._token_pair(operator, session_id, refresh_token, ttl, issuer)

    async def refresh(self, refresh_token: str, *, issuer: str) -> TokenPair:
        """Rotation as the storefront's: a spent token presented again revokes the session."""
        digest = key_digest(refresh_token)
        now = utc_now()
        new_refresh_token = secrets.token_urlsafe(32)
        rotated = False
        async with self._db.transaction():
            state = await queries.refresh_token_state(self._db, digest, now)
            if state is not None and state.session_usable:
                if state.rotated or not await queries.mark_rotated(self._db, digest, now):
                    await queries.revoke_session(self._db, state.session_id, now)  # reuse detected
                else:
                    await queries.insert_refresh_token(
                        self._db, key_digest(new_refresh_token), state.session_id, now
                    )
                    rotated = True
        operator = await queries.operator_by_id(self._db, state.operator_id) if rotated and state else None
        if operator is None or state is None:
            raise RefreshFailed
        remaining = int((state.expires_at - now).total_seconds())
        return self._token_pair(operator, state.session_id, new_refresh_token, remaining, issuer)

    def _token_pair(
        self, operator: Operator, session_id: str, refresh_token: str, refresh_expires_in: int, issuer: str
    ) -> TokenPair:
        """The session's access token: the operator's role and permissions as ``scope`` (a later change
        of them ends the session), a seller's POS as ``pos``."""
        extra = {"pos": operator.pos_id} if operator.role == "seller" else {}
        access_token, expires_in = self._signer.issue_token(
            operator.id,
            session_id,
            audience=self._settings.backoffice_jwt_audience,
            scope=_scope(operator.role, operator.permissions),
            ttl=self._settings.backoffice_access_token_ttl,
            issuer=issuer,
            client_id=BACKOFFICE_CLIENT_ID,
            extra=extra,
        )
        return TokenPair(
            session_id=session_id,
            access_token=access_token,
            expires_in=expires_in,
            refresh_token=refresh_token,
            refresh_expires_in=refresh_expires_in,
            scope=_scope(operator.role, operator.permissions),
        )

    async def revoke_refresh_token(self, refresh_token: str, operator_id: str | None = None) -> None:
        """End the session of ``refresh_token`` (only the caller's own, when ``operator_id`` is given)."""
        session = await queries.session_of_refresh_token(self._db, key_digest(refresh_token))
        if session is None or (operator_id is not None and session[1] != operator_id):
            return
        await queries.revoke_session(self._db, session[0], utc_now())

    async def revoke_all(self, operator_id: str) -> None:
        await queries.revoke_operator_sessions(self._db, operator_id, utc_now())

    async def revoke_access_token(self, access_token: str, issuer: str) -> bool:
        try:
            claims = self._signer.verify(access_token, issuer, self._settings.backoffice_jwt_audience)
        except InvalidToken:
            return False
        await queries.revoke_session(self._db, claims.session_id, utc_now())
        return True

    async def client_credentials(
        self,
        client_id: str,
        secret: str,
        scope: str | None,
        client_address: str,
        *,
        issuer: str,
        action: str,
        request_id: str | None,
    ) -> ClientToken:
        """RFC 6749 §4.4: the secret compared in constant time as digests; ``scope`` narrows the
        client's permissions. Failures count in the login limiter under the client's id."""
        client_key = "client-login:" + key_digest(client_id)
        attempt = await self._limiter.begin(
            {
                client_key: self._settings.login_limit_per_account,
                "operator-login-address:" + client_address: self._settings.login_limit_per_address,
            }
        )
        found = await client_queries.client_with_digest(self._db, client_id)
        presented = key_digest(secret)
        stored = found[1] if found else key_digest(secrets.token_urlsafe(32))
        if not hmac.compare_digest(presented, stored) or found is None or not found[0].active:
            raise ClientFailed
        client = found[0]
        requested = tuple(scope.split()) if scope else client.permissions
        if any(permission not in client.permissions for permission in requested):
            await self._limiter.succeeded(attempt)
            raise ScopeRefused
        await self._limiter.succeeded(attempt, reset_keys=(client_key,))
        granted = tuple(permission for permission in client.permissions if permission in requested)
        access_token, expires_in = self._signer.issue_token(
            client.id,
            str(uuid.uuid4()),
            audience=self._settings.backoffice_jwt_audience,
            scope=_scope(CLIENT_ROLE, granted),
            ttl=self._settings.backoffice_access_token_ttl,
            issuer=issuer,
            client_id=client.id,
            extra={"gen": client.token_generation},
        )
        now = utc_now()
        async with self._db.transaction():
            await client_queries.update_client(self._db, client.id, {"last_token_at": now})
            await self._audit.append(AuditActor(client.id, CLIENT_ROLE, action, request_id))
        return ClientToken(access_token, expires_in, " ".join(granted))

    async def authenticate(self, access_token: str, issuer: str) -> BackofficePrincipal:
        """A back-office token (a storefront one is 001) whose operator session is live and operator
        active, or whose client is active and unchanged since the token (its generation); the row
        read here is what authorization looks at."""
        try:
            claims = self._signer.verify(access_token, issuer, self._settings.backoffice_jwt_audience)
        except InvalidToken:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN) from None
        role, *granted = claims.scope.split()
        if role == CLIENT_ROLE:
            client = await client_queries.client_by_id(self._db, claims.subject)
            if client is None or not client.active or claims.generation != client.token_generation:
                raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
            return BackofficePrincipal(
                id=client.id,
                role=CLIENT_ROLE,
                permissions=frozenset(granted) & frozenset(client.permissions),
                stores=client.stores,
                session_id=None,
                client=client,
            )
        found = await queries.live_session_operator(self._db, claims.session_id, claims.subject)
        if found is None:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
        operator, enrolment_only = found
        return BackofficePrincipal(
            id=operator.id,
            role=operator.role,
            permissions=frozenset(operator.permissions),
            stores=operator.stores,
            session_id=claims.session_id,
            operator=operator,
            enrolment_only=enrolment_only,
        )

"""Sessions: login, refresh-token rotation with reuse detection, revocation, bearer authentication."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import replace
from datetime import timedelta
from enum import Enum

from app.clock import utc_now
from app.database import Database
from app.keys import key_digest
from app.models import CompanyUser, Credentials, Principal, TokenPair
from app.passwords import HashingOverloaded, PasswordHasherService
from app.phones import InvalidPhone, normalise_phone
from app.queries import access_requests as access_request_queries
from app.queries import company_users as company_user_queries
from app.queries import customers as customer_queries
from app.queries import sessions as queries
from app.services.customers import email_key
from app.services.limiter import AttemptLimiter
from app.settings import Settings
from app.signing import InvalidToken, TokenSigner
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["SessionService", "LoginFailed", "AwaitingApproval", "RefreshFailed", "COMPANY_SCOPE"]

# A company token's scope (CB §4.2): a customer token's, and the company user's.
COMPANY_SCOPE = "customer company-user"


class LoginFailed(Exception):
    """Wrong credentials, or an account that may not log in."""


class AwaitingApproval(LoginFailed):
    """No customer, but an open access request whose password matches (CB §5.2): 1124."""


class RefreshFailed(Exception):
    """The refresh token is unknown, expired, revoked or was used before."""


class _RefreshOutcome(Enum):
    ROTATED = "rotated"
    REFUSED = "refused"


class SessionService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        hasher: PasswordHasherService,
        signer: TokenSigner,
        limiter: AttemptLimiter,
    ) -> None:
        self._limiter = limiter
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._signer = signer

    async def _credentials(self, username: str, account: str, store: Store) -> Credentials | None:
        """By e-mail; under GLUE_ACTIVATION_METHOD=sms a username without ``@`` is a phone."""
        if self._settings.activation_method == "sms" and "@" not in username:
            try:
                phone = normalise_phone(username, self._settings.phone_default_region)
            except InvalidPhone:
                return None
            return await customer_queries.credentials_by_phone(self._db, store.code, phone)
        return await customer_queries.credentials_by_email(self._db, store.code, account)

    async def login(
        self,
        username: str,
        password: str,
        client_address: str,
        store: Store,
        *,
        issuer: str,
        client_id: str,
    ) -> TokenPair:
        """One login = one session, in one store (the e-mail is looked up there only); its access
        token names the store, ``issuer`` and the OAuth ``client_id``.

        Failed logins are limited per account of the store and per client address (raises
        Limited); unknown e-mails cost one argon2 verification, as known ones do; so does a
        customer that is not active (pending its confirmation, or deactivated), refused like wrong
        credentials (BO §3.1)."""
        account = email_key(username)
        account_key = "login-account:" + key_digest(f"{store.code}\n{account}")
        attempt = await self._limiter.begin(
            {
                account_key: self._settings.login_limit_per_account,
                "login-address:" + client_address: self._settings.login_limit_per_address,
            }
        )
        credentials = await self._credentials(username, account, store)
        requested = None
        if credentials is None:
            # Without a customer, an open access request's password is the one verified (CB §5.2),
            # so both cost one argon2 verification.
            requested = await access_request_queries.open_request_by_email(self._db, store.code, account)
        password_hash = (
            credentials.password_hash if credentials else requested.password_hash if requested else None
        )
        try:
            verified = await self._hasher.verify_password(password_hash, password)
        except HashingOverloaded:
            await self._limiter.cancel(attempt)  # never checked: it must not count as a failure
            raise
        if verified and requested is not None:
            raise AwaitingApproval  # counted as a failure: it is no login
        if not verified or credentials is None:
            raise LoginFailed  # the attempt stays counted
        if credentials.status != "active":
            raise LoginFailed  # pending (unconfirmed), or deactivated (BO §3.1)
        await self._limiter.succeeded(attempt, reset_keys=(account_key,))
        if password_hash and self._hasher.needs_rehash(password_hash):
            # The upgrade waits for a quieter moment (the next login) rather than failing this one.
            with contextlib.suppress(HashingOverloaded):
                await customer_queries.set_password_hash(
                    self._db, credentials.customer_id, await self._hasher.hash_password(password)
                )
        now = utc_now()
        session_id = str(uuid.uuid4())
        refresh_token = secrets.token_urlsafe(32)
        await queries.insert_session(
            self._db,
            session_id,
            credentials.customer_id,
            now,
            now + timedelta(seconds=self._settings.refresh_token_ttl),
            key_digest(refresh_token),
        )
        return self._token_pair(
            credentials.reference,
            session_id,
            refresh_token,
            self._settings.refresh_token_ttl,
            store.code,
            issuer=issuer,
            client_id=client_id,
        )

    async def refresh(self, refresh_token: str, store: Store, *, issuer: str, client_id: str) -> TokenPair:
        """Rotate: the presented token is spent; presenting a spent token again revokes the session.

        A refresh token works only in its customer's store; elsewhere it is refused and left as it
        was (a spent one still revokes its session: reuse is reuse, wherever it is presented)."""
        digest = key_digest(refresh_token)
        now = utc_now()
        new_refresh_token = secrets.token_urlsafe(32)
        async with self._db.transaction():
            state = await queries.refresh_token_state(self._db, digest, now)
            outcome = _RefreshOutcome.REFUSED
            if state is not None and state.session_usable:
                if state.rotated:
                    await queries.revoke_session(self._db, state.session_id, now)  # reuse detected
                elif state.customer_store != store.code:
                    pass  # another store's session: refused, not spent
                elif not await queries.mark_rotated(self._db, digest, now):
                    await queries.revoke_session(self._db, state.session_id, now)  # a concurrent reuse
                else:
                    await queries.insert_refresh_token(
                        self._db, key_digest(new_refresh_token), state.session_id, now
                    )
                    outcome = _RefreshOutcome.ROTATED
        if outcome is not _RefreshOutcome.ROTATED or state is None:
            raise RefreshFailed
        # The session's lifetime is fixed at login: rotation does not extend it.
        remaining = int((state.expires_at - now).total_seconds())
        company_user = None
        if state.company_user_id is not None:  # a company token's session keeps its binding
            company_user = await company_user_queries.company_user_by_id(self._db, state.company_user_id)
            if company_user is None:
                raise RefreshFailed
        return self._token_pair(
            state.customer_reference,
            state.session_id,
            new_refresh_token,
            remaining,
            state.customer_store,
            issuer=issuer,
            client_id=client_id,
            company_user=company_user,
        )

    async def start_company_session(
        self, principal: Principal, company_user: CompanyUser, *, issuer: str, client_id: str
    ) -> TokenPair:
        """A new session bound to ``company_user`` (of the caller's customer, checked by the
        caller), living as long as a login's; the calling session stays (CB §4.2)."""
        now = utc_now()
        session_id = str(uuid.uuid4())
        refresh_token = secrets.token_urlsafe(32)
        await queries.insert_company_session(
            self._db,
            session_id,
            principal.customer.id,
            company_user.id,
            now,
            now + timedelta(seconds=self._settings.refresh_token_ttl),
            key_digest(refresh_token),
        )
        return self._token_pair(
            principal.customer.reference,
            session_id,
            refresh_token,
            self._settings.refresh_token_ttl,
            principal.customer.store,
            issuer=issuer,
            client_id=client_id,
            company_user=company_user,
        )

    async def revoke_refresh_token(self, refresh_token: str, customer_id: int | None = None) -> None:
        """End the session of ``refresh_token`` (only the caller's own, when ``customer_id`` is given)."""
        session = await queries.session_of_refresh_token(self._db, key_digest(refresh_token))
        if session is None or (customer_id is not None and session[1] != customer_id):
            return
        await queries.revoke_session(self._db, session[0], utc_now())

    async def revoke_all(self, customer_id: int) -> None:
        await queries.revoke_customer_sessions(self._db, customer_id, utc_now())

    async def revoke_access_token(self, access_token: str, issuer: str) -> bool:
        """End the session an access token belongs to; False when it is not a valid token of ours."""
        try:
            claims = self._signer.verify(access_token, issuer)
        except InvalidToken:
            return False
        await queries.revoke_session(self._db, claims.session_id, utc_now())
        return True

    async def authenticate(self, access_token: str, store: Store, issuer: str) -> Principal:
        """A valid signature by ``issuer`` is not enough: the session must be live and the customer
        active (else 001); then the token must be of ``store`` (else 1101): its ``store`` claim, or
        for tokens issued before the claim existed, its customer's store."""
        try:
            claims = self._signer.verify(access_token, issuer)
        except InvalidToken:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN) from None
        found = await queries.live_session_customer(self._db, claims.session_id, claims.subject)
        if found is None:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
        customer, company_user_id = found
        token_store = claims.store or customer.store
        if token_store != store.code or customer.store != store.code:
            raise ApiError(catalogue.TOKEN_NOT_FOR_STORE)
        customer = replace(customer, locale=store.resolve_locale(customer.locale))
        return Principal(customer=customer, session_id=claims.session_id, company_user_id=company_user_id)

    def _token_pair(
        self,
        reference: str,
        session_id: str,
        refresh_token: str,
        refresh_expires_in: int,
        store: str,
        *,
        issuer: str,
        client_id: str,
        company_user: CompanyUser | None = None,
    ) -> TokenPair:
        if company_user is None:
            access_token, expires_in = self._signer.issue(
                reference, session_id, store, issuer=issuer, client_id=client_id
            )
            scope = "customer"
        else:
            access_token, expires_in = self._signer.issue(
                reference,
                session_id,
                store,
                issuer=issuer,
                client_id=client_id,
                company={
                    "company_user": company_user.id,
                    "company": company_user.company_id,
                    "company_role": company_user.role,
                },
            )
            scope = COMPANY_SCOPE
        return TokenPair(
            session_id=session_id,
            access_token=access_token,
            expires_in=expires_in,
            refresh_token=refresh_token,
            refresh_expires_in=refresh_expires_in,
            scope=scope,
        )

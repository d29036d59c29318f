"""Passwords: change (other sessions end), forgotten (a mailed restore key), restore (key spent once)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from app.clock import utc_now
from app.database import Database
from app.keys import key_digest, link_with_token, new_key
from app.mail import MailKind, Outbox, OutgoingMail, render_mail
from app.models import Actor, Principal
from app.passwords import PasswordHasherService
from app.queries import passwords as queries
from app.queries import sessions as session_queries
from app.queries.passwords import Account
from app.services import history
from app.services.confirmations import activate_by_email
from app.services.customers import CustomerService, email_key
from app.services.limiter import AttemptLimiter, Limited
from app.settings import Settings, link_origin
from app.stores import Store
from errors import ApiError, catalogue

__all__ = ["PasswordService", "link_base"]

logger = logging.getLogger("glue_customers.passwords")

LINK_ATTRIBUTE = "confirmationBaseUrl"

# Rendered for unknown e-mails so both paths do the same work; never stored, never sent.
_NOBODY = Account(
    id=0,
    reference="",
    store="",
    email="nobody@example.invalid",
    first_name=None,
    last_name=None,
    locale=None,
    password_hash=None,
)


async def _record_password_change(db: Database, account: Account, method: str, now: datetime) -> None:
    """PasswordWasChanged: the field's name and how, never the password or its hash."""
    await history.record(
        db,
        account,
        history.PASSWORD_WAS_CHANGED,
        Actor.customer(account.reference),
        now,
        changed_fields=["password"],
        values={"method": method},
    )


def link_base(settings: Settings, confirmation_base_url: str | None, default: str) -> str:
    """The client's ``confirmationBaseUrl`` when its origin is allowed (else 901), or ``default``."""
    if confirmation_base_url is None:
        return default
    origin = link_origin(confirmation_base_url)
    if origin is None:
        raise ApiError.invalid(LINK_ATTRIBUTE, "This value is not a valid URL.")
    if origin not in settings.link_origins:
        raise ApiError.invalid(LINK_ATTRIBUTE, "The value you selected is not a valid choice.")
    return confirmation_base_url.strip()


def _display_name(account: Account) -> str:
    return " ".join(part for part in (account.first_name, account.last_name) if part) or account.email


class PasswordService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        hasher: PasswordHasherService,
        customers: CustomerService,
        outbox: Outbox,
        limiter: AttemptLimiter,
    ) -> None:
        self._limiter = limiter
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._customers = customers
        self._outbox = outbox

    def _now(self) -> datetime:
        return utc_now() + timedelta(seconds=self._settings.clock_offset_seconds)

    async def change(
        self, principal: Principal, current_password: str, new_password: str, confirm_password: str
    ) -> None:
        """Policy (901), confirmation (406), current password (408); then every other session ends."""
        self._customers.check_new_password(new_password, confirm_password, "newPassword")
        account = await queries.account_by_id(self._db, principal.customer.id)
        stored_hash = account.password_hash if account else None
        if not await self._hasher.verify_password(stored_hash, current_password) or account is None:
            raise ApiError(catalogue.INVALID_PASSWORD)
        password_hash = await self._hasher.hash_password(new_password)
        now = self._now()
        async with self._db.transaction():
            # A concurrent change or restore since the check above makes this one fail (407).
            updated = await queries.update_password(
                self._db, account.id, password_hash, now, expected_hash=stored_hash
            )
            if updated is None:
                raise ApiError(catalogue.PASSWORD_CHANGE_FAILED)
            await session_queries.revoke_customer_sessions(
                self._db, account.id, now, keep_session_id=principal.session_id
            )
            await _record_password_change(self._db, updated, "change", now)
            await self._outbox.enqueue(self._changed_notice(updated, now))
        self._outbox.wake()

    def _mail_locale(self, account: Account) -> str | None:
        """The account's locale as its store speaks it (legacy values resolved)."""
        store = self._settings.store_catalogue.find(account.store)
        return store.resolve_locale(account.locale) if store else account.locale

    async def request_restore(
        self, email: str, confirmation_base_url: str | None, client_address: str, store: Store
    ) -> None:
        """Mail a restore link to a known customer of ``store``; the answer and its timing never
        tell which.

        Known and unknown e-mails do the same work (a key, its digest, a rendered mail) and the call
        lasts at least ``forgotten_password_min_seconds``, which covers the writes only known ones do.
        Requests are limited per e-mail and per client address, known or not; over the limit
        nothing is sent and the answer stays the same.
        """
        started = time.monotonic()
        try:
            link_base = self._link_base(confirmation_base_url, store)
            try:
                await self._limiter.begin(
                    {
                        "forgotten-email:"
                        + key_digest(email_key(email)): self._settings.forgotten_password_limit_per_email,
                        "forgotten-address:"
                        + client_address: self._settings.forgotten_password_limit_per_address,
                    }
                )
            except Limited:
                logger.info("forgotten-password request over its limit: nothing sent")
                return
            await self._issue_restore_key(email, link_base, store)
        finally:
            elapsed = time.monotonic() - started
            floor = self._settings.forgotten_password_min_seconds
            if elapsed < floor:
                await asyncio.sleep(floor - elapsed)
            elif floor > 0:
                logger.warning("forgotten-password took %.3fs, above its %.3fs floor", elapsed, floor)

    def _link_base(self, confirmation_base_url: str | None, store: Store) -> str:
        return link_base(
            self._settings,
            confirmation_base_url,
            store.restore_password_url or self._settings.restore_password_url,
        )

    async def _issue_restore_key(self, email: str, link_base: str, store: Store) -> None:
        key, digest = new_key()
        account = await queries.account_by_email(self._db, store.code, email_key(email))
        hours = max(1, round(self._settings.restore_key_ttl / 3600))
        mail = render_mail(
            MailKind.RESTORE_PASSWORD,
            (account or _NOBODY).email,
            store.resolve_locale((account or _NOBODY).locale),
            name=_display_name(account or _NOBODY),
            link=link_with_token(link_base, key),
            hours=str(hours),
        )
        if account is None:
            return
        now = self._now()
        async with self._db.transaction():
            await queries.supersede_restore_keys(self._db, account.id, now)
            await queries.insert_restore_key(
                self._db, digest, account.id, now, now + timedelta(seconds=self._settings.restore_key_ttl)
            )
            await self._outbox.enqueue(mail)
        self._outbox.wake()

    async def restore(self, restore_key: str, password: str, confirm_password: str) -> None:
        """Policy (901), confirmation (406), then the key (415): spent once (in any store: the key
        names its customer), every session ends; the old password's owner is told, unless there
        was none."""
        self._customers.check_new_password(password, confirm_password, "password")
        password_hash = await self._hasher.hash_password(password)
        now = self._now()
        async with self._db.transaction():
            customer_id = await queries.consume_restore_key(self._db, key_digest(restore_key), now)
            # A first password (a back-office invitation, BO §4.2) replaces nothing: no notice.
            had_password = customer_id is not None and await queries.has_password(self._db, customer_id)
            account = (
                await queries.update_password(self._db, customer_id, password_hash, now)
                if customer_id is not None
                else None
            )
            if account is None:
                raise ApiError(catalogue.RESTORE_KEY_INVALID)
            # Following the mailed link proves the mailbox: it confirms a pending registration too.
            await activate_by_email(self._db, account.id, now)
            await session_queries.revoke_customer_sessions(self._db, account.id, now)
            await _record_password_change(self._db, account, "restore", now)
            if had_password:
                await self._outbox.enqueue(self._changed_notice(account, now))
        self._outbox.wake()

    def _changed_notice(self, account: Account, now: datetime) -> OutgoingMail:
        return render_mail(
            MailKind.PASSWORD_CHANGED,
            account.email,
            self._mail_locale(account),
            name=_display_name(account),
            when=f"{now:%Y-%m-%d %H:%M}",
        )

"""Access requests (CB §5): submitted by anyone, confirmed from the mailbox, accepted into a company
by a request code, an e-mail domain or the back-office, approved by a company admin or the
back-office, which creates (or reuses) the customer and its company user.

Every transition is ``UPDATE … WHERE id = :id AND state = :from`` inside one transaction with its
event (CB §5.4), its mails and follow-on transitions; a request found in another state is 1121 and
the whole transaction rolls back. Only the final state's mails go out."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key, normalise_email
from app.keys import key_digest, link_with_token, new_key
from app.mail import Outbox
from app.models import AccessRequest, AccessRequestEvent, Actor, CompanyRecord, Principal
from app.passwords import PasswordHasherService
from app.queries import access_requests as queries
from app.queries import companies as company_queries
from app.queries import company_users as company_user_queries
from app.queries import customers as customer_queries
from app.queries import invitation_symbols as symbol_queries
from app.queries._common import is_unique_violation
from app.services import access_request_mails as mails
from app.services import history
from app.services.access_request_history import (
    WAS_ACCEPTED,
    WAS_APPROVED,
    WAS_CONFIRMED,
    WAS_DECLINED,
    WAS_INVALIDATED,
    WAS_SUBMITTED,
)
from app.services.access_request_history import record_event as _event
from app.services.audit import AuditService
from app.services.backoffice_customers import BackofficeCustomerService, Caller
from app.services.company_users import COMPANY_USER_WAS_CREATED
from app.services.customers import CustomerService, store_locale
from app.services.invitation_symbols import EMAIL_DOMAIN, REQUEST_CODE, normalise_code
from app.services.limiter import AttemptLimiter, Limited
from app.services.passwords import link_base
from app.settings import Settings
from app.stores import Store, StoreCatalogue
from errors import ApiError, catalogue

__all__ = [
    "AccessRequestService",
    "Submission",
    "Decision",
]

logger = logging.getLogger("glue_customers.access_requests")

SYSTEM = Actor("system", None)
# The key holder of a confirmation link is nobody the service knows by name.
APPLICANT = Actor("applicant", None)
NOT_EXPECTED = "This field was not expected."
MISSING = "This field is missing."


@dataclass(frozen=True)
class Submission:
    """``POST /access-requests`` (CB §5.1), loaded by the edge."""

    salutation: str
    first_name: str
    last_name: str
    email: str
    password: str
    confirm_password: str
    accepted_terms: Any
    locale: str | None = None
    language_ranges: tuple[str, ...] = ()
    request_code: str | None = None
    company_hint: str | None = None
    confirmation_base_url: str | None = None


@dataclass(frozen=True)
class Decision:
    """A PATCH (CB §5.2): the state asked for, and what was sent with it."""

    state: str
    company_id: str | None = None
    role: str | None = None
    reason: str | None = None
    sent: frozenset[str] = frozenset()


class AccessRequestService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        stores: StoreCatalogue,
        hasher: PasswordHasherService,
        customers: CustomerService,
        backoffice_customers: BackofficeCustomerService,
        outbox: Outbox,
        audit: AuditService,
        limiter: AttemptLimiter,
    ) -> None:
        self._db = db
        self._settings = settings
        self._stores = stores
        self._hasher = hasher
        self._customers = customers
        self._backoffice_customers = backoffice_customers
        self._outbox = outbox
        self._audit = audit
        self._limiter = limiter

    def _store(self, code: str) -> Store:
        found = self._stores.find(code)
        assert found is not None, code
        return found

    # Submission and confirmation (public).

    async def admit(self, client_address: str) -> None:
        """The per-address limiter (CB §5.2): over GLUE_ACCESS_REQUEST_LIMIT_PER_ADDRESS submissions
        in the window, 1125 with Retry-After."""
        try:
            await self._limiter.begin(
                {"access-request-address:" + client_address: self._settings.access_request_limit_per_address}
            )
        except Limited as limited:
            raise ApiError(
                catalogue.TOO_MANY_ACCESS_REQUESTS,
                minutes=limited.minutes,
                headers={"Retry-After": str(limited.retry_after)},
            ) from None

    async def submit(self, submission: Submission, store: Store) -> None:
        """Rows 1-3: a new unconfirmed request, or an unconfirmed one overwritten (its old key void),
        mailed a confirmation link; an open one confirmed before stays unchanged and is mailed
        ``access-request-open``. Checks as registration (locale 901, terms 422, policy 901,
        confirmation 406), the link base 901, a request code 1123. Every submission hashes the
        password and lasts at least GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS; over the per-e-mail
        limit nothing is stored or sent."""
        started = time.monotonic()
        try:
            await self._submit(submission, store)
        finally:
            elapsed = time.monotonic() - started
            floor = self._settings.forgotten_password_min_seconds
            if elapsed < floor:
                await asyncio.sleep(floor - elapsed)

    async def _submit(self, submission: Submission, store: Store) -> None:
        if submission.locale is not None:
            locale = store_locale(store, submission.locale)
        else:
            locale = store.negotiate_locale(submission.language_ranges)
        base = link_base(
            self._settings, submission.confirmation_base_url, self._settings.access_request_confirmation_url
        )
        if submission.accepted_terms is not True:
            raise ApiError(catalogue.TERMS_NOT_ACCEPTED)
        self._customers.check_new_password(submission.password, submission.confirm_password, "password")
        now = utc_now()
        code = None
        if submission.request_code is not None:
            code = normalise_code(submission.request_code)
            if (
                code is None
                or await symbol_queries.matching_symbol(self._db, store.code, REQUEST_CODE, code, now) is None
            ):
                raise ApiError(catalogue.REQUEST_CODE_INVALID)
        password_hash = await self._hasher.hash_password(submission.password)
        key = email_key(submission.email)
        try:
            await self._limiter.begin(
                {
                    "access-request-email:"
                    + key_digest(f"{store.code}\n{key}"): self._settings.access_request_limit_per_email
                }
            )
        except Limited:
            logger.info("access request over its per-e-mail limit: nothing stored or sent")
            return
        token, digest = new_key()
        columns = {
            "state": "unconfirmed",
            "email": normalise_email(submission.email),
            "email_key": key,
            "salutation": submission.salutation,
            "first_name": submission.first_name,
            "last_name": submission.last_name,
            "locale": locale,
            "company_hint": submission.company_hint,
            "request_code": code,
            "password_hash": password_hash,
            "key_digest": digest,
            "key_expires_at": now + timedelta(seconds=self._settings.access_request_key_ttl),
            "updated_at": now,
        }
        try:
            async with self._db.transaction():
                current = await queries.open_request_by_email(self._db, store.code, key)
                if current is not None and current.state != "unconfirmed":
                    await self._outbox.enqueue(mails.still_open(current, store))
                    return
                if current is None:
                    request_id = str(uuid.uuid4())
                    await queries.insert_request(
                        self._db, {"id": request_id, "store": store.code, "created_at": now, **columns}
                    )
                else:
                    request_id = current.id
                    if not await queries.overwrite_unconfirmed(self._db, request_id, columns):
                        return  # confirmed meanwhile: this submission is the late one
                written = await queries.request_by_id(self._db, request_id)
                assert written is not None
                await _event(self._db, written, WAS_SUBMITTED, APPLICANT, now, None)
                await self._outbox.enqueue(
                    mails.confirmation(
                        written, store, link_with_token(base, token), self._settings.access_request_key_ttl
                    )
                )
        except Exception as error:
            if is_unique_violation(error):
                return  # a concurrent submission of the e-mail opened the request first
            raise
        finally:
            self._outbox.wake()

    async def confirm(self, confirmation_key: str) -> None:
        """Row 4: the key (unknown, used, superseded or expired: 1122) makes the request pending;
        then rows 5-6: a still valid request code, else a domain symbol of an active company,
        accepts it (and with autoApprove approves it). Operators are told of a pending one."""
        now = utc_now()
        async with self._db.transaction():
            found = await queries.request_by_key(self._db, key_digest(confirmation_key), now)
            confirmed = (
                await queries.transition(
                    self._db,
                    found.id,
                    "unconfirmed",
                    {"state": "pending", "key_digest": None, "key_expires_at": None, "updated_at": now},
                )
                if found is not None
                else None
            )
            if confirmed is None:
                raise ApiError(catalogue.ACCESS_REQUEST_KEY_INVALID)
            await _event(self._db, confirmed, WAS_CONFIRMED, APPLICANT, now, "unconfirmed")
            store = self._store(confirmed.store)
            symbol = await self._symbol_for(confirmed, now)
            if symbol is None:
                for recipient in self._settings.access_request_notify:
                    await self._outbox.enqueue(mails.notice(confirmed, store, recipient))
            else:
                company = await company_queries.company_by_id(self._db, symbol.company_id)
                assert company is not None
                accepted = await self._accept(
                    confirmed, company, symbol.role, SYSTEM, now, notify=not symbol.auto_approve
                )
                if accepted is not None and symbol.auto_approve:
                    await self._approve(accepted, None, SYSTEM, now)
        self._outbox.wake()

    async def _symbol_for(self, request: AccessRequest, now: datetime) -> Any:
        """The symbol a confirmed request matches, its use counted: its request code when still valid,
        else its e-mail's domain."""
        candidates = []
        if request.request_code is not None:
            candidates.append((REQUEST_CODE, request.request_code))
        candidates.append((EMAIL_DOMAIN, request.email_key.rpartition("@")[2]))
        for kind, value in candidates:
            symbol = await symbol_queries.matching_symbol(self._db, request.store, kind, value, now)
            if symbol is not None and await symbol_queries.count_use(self._db, symbol.id):
                return symbol
        return None

    # Transitions (inside the caller's transaction).

    async def _invalidate(
        self, request: AccessRequest, reason: str, actor: Actor, now: datetime
    ) -> AccessRequest:
        """Rows 12-13: invalid with ``reason``, the hash erased, ``access-request-invalid`` mailed."""
        changed = await self._move(
            request, {"state": "invalid", "invalid_reason": reason, "password_hash": None, "updated_at": now}
        )
        await _event(self._db, changed, WAS_INVALIDATED, actor, now, request.state)
        await self._outbox.enqueue(mails.invalid(changed, self._store(changed.store), reason))
        return changed

    async def _move(self, request: AccessRequest, values: dict[str, Any]) -> AccessRequest:
        changed = await queries.transition(self._db, request.id, request.state, values)
        if changed is None:
            raise ApiError(catalogue.ACCESS_REQUEST_STATE_CONFLICT)
        return changed

    async def _customer(self, request: AccessRequest) -> Any:
        return await customer_queries.credentials_by_email(self._db, request.store, request.email_key)

    async def _accept(
        self,
        request: AccessRequest,
        company: CompanyRecord,
        role: str,
        actor: Actor,
        now: datetime,
        *,
        notify: bool,
    ) -> AccessRequest | None:
        """Pending → accepted into ``company`` with ``role`` (rows 5, 7, 8); an e-mail already a user
        of the company is invalid ``already-member`` instead (row 12: None). ``notify``: the
        accepted state is final here, its mails go out."""
        customer = await self._customer(request)
        if customer is not None and await company_user_queries.membership_exists(
            self._db, company.id, customer.customer_id
        ):
            await self._invalidate(request, "already-member", actor, now)
            return None
        changed = await self._move(
            request, {"state": "accepted", "company_id": company.id, "role": role, "updated_at": now}
        )
        await _event(self._db, changed, WAS_ACCEPTED, actor, now, request.state)
        if notify:
            store = self._store(changed.store)
            await self._outbox.enqueue(mails.accepted(changed, store, company))
            for admin in await company_user_queries.list_company_users(
                self._db, company_id=company.id, role="admin", is_active=True
            ):
                await self._outbox.enqueue(mails.awaiting_approval(changed, store, company, admin))
        return changed

    async def _approve(
        self, request: AccessRequest, role: str | None, actor: Actor, now: datetime
    ) -> AccessRequest:
        """Accepted → approved (rows 6, 8, 9): the store's customer with the e-mail, else a new one
        (active, from the request: CustomerWasRegistered, channel ``access-request``), becomes an
        active company user with the role. Rows 12-13 make it invalid instead. A customer insert
        losing to a registration of the e-mail is 1121."""
        assert request.company_id is not None
        company = await company_queries.lock_company(self._db, request.company_id)
        assert company is not None
        customer = await self._customer(request)
        if not company.is_active:
            return await self._invalidate(request, "company-inactive", actor, now)
        if customer is not None and customer.status == "inactive":
            return await self._invalidate(request, "account-inactive", actor, now)
        if customer is not None and await company_user_queries.membership_exists(
            self._db, company.id, customer.customer_id
        ):
            return await self._invalidate(request, "already-member", actor, now)
        role = role or request.role or "buyer"
        store = self._store(request.store)
        # The transition first: a concurrent one waits on the row, then finds no row (1121).
        changed = await self._move(
            request, {"state": "approved", "role": role, "password_hash": None, "updated_at": now}
        )
        if customer is None:
            subject: Any = await self._register(request, store, actor, now)
        else:
            subject = _Subject(customer.customer_id, customer.reference)
        user_id = str(uuid.uuid4())
        await company_user_queries.insert_company_user(
            self._db,
            {
                "id": user_id,
                "company_id": company.id,
                "customer_id": subject.id,
                "role": role,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            },
        )
        values = {"companyUserId": user_id, "companyId": company.id, "role": role, "isActive": True}
        await history.record(
            self._db,
            subject,
            COMPANY_USER_WAS_CREATED,
            actor,
            now,
            changed_fields=list(values),
            values=values,
        )
        await _event(self._db, changed, WAS_APPROVED, actor, now, request.state)
        await self._outbox.enqueue(
            mails.approved(
                changed, store, company, self._settings.login_url, existing_account=customer is not None
            )
        )
        return changed

    async def _register(self, request: AccessRequest, store: Store, actor: Actor, now: datetime) -> Any:
        try:
            return await self._backoffice_customers.insert_registered(
                store,
                {
                    "email": request.email,
                    "email_key": request.email_key,
                    "password_hash": request.password_hash,
                    "salutation": request.salutation,
                    "first_name": request.first_name,
                    "last_name": request.last_name,
                    "locale": request.locale or store.default_locale,
                    "status": "active",
                    "agreement1": True,
                },
                [],
                actor,
                now,
                channel="access-request",
            )
        except customer_queries.AttributeTaken:
            raise ApiError(catalogue.ACCESS_REQUEST_STATE_CONFLICT) from None

    async def _decline(
        self, request: AccessRequest, reason: str, actor: Actor, now: datetime
    ) -> AccessRequest:
        """Rows 10-11: declined, the reason mailed as plain text, the hash erased."""
        changed = await self._move(
            request, {"state": "declined", "decline_reason": reason, "password_hash": None, "updated_at": now}
        )
        await _event(self._db, changed, WAS_DECLINED, actor, now, request.state)
        await self._outbox.enqueue(mails.declined(changed, self._store(changed.store), reason))
        return changed

    # Reads and decisions of the two faces.

    async def get_for_company(self, principal: Principal, request_id: str) -> AccessRequest:
        """A request attached to the company admin's company (else 1120)."""
        member = principal.company_user
        assert member is not None, "the company path's access rule loads it"
        found = await queries.request_by_id(self._db, request_id)
        if found is None or found.company_id != member.company_id:
            raise ApiError(catalogue.ACCESS_REQUEST_NOT_FOUND)
        return found

    async def list_for_company(
        self, principal: Principal, state: str | None, oldest_first: bool, offset: int, limit: int
    ) -> tuple[list[AccessRequest], int]:
        """The requests attached to the admin's company, one page, and how many there are."""
        member = principal.company_user
        assert member is not None
        found = await queries.list_requests(
            self._db,
            company_id=member.company_id,
            state=state,
            oldest_first=oldest_first,
            offset=offset,
            limit=limit,
        )
        return found, await queries.count_requests(self._db, company_id=member.company_id, state=state)

    async def decide_by_company_admin(
        self, principal: Principal, request_id: str, decision: Decision
    ) -> AccessRequest:
        """Rows 9 and 11 for a company admin: approve or decline an accepted request of its company."""
        if "company_id" in decision.sent:
            raise ApiError.invalid("companyId", NOT_EXPECTED)
        _check_reason(decision)
        now = utc_now()
        actor = Actor.customer(principal.customer.reference)
        async with self._db.transaction():
            current = await self.get_for_company(principal, request_id)
            if current.state != "accepted":
                raise ApiError(catalogue.ACCESS_REQUEST_STATE_CONFLICT)
            await self._decide(current, decision, actor, now)
        self._outbox.wake()
        return await self.get_for_company(principal, request_id)

    async def get_for_backoffice(self, request_id: str, stores: tuple[str, ...] | None) -> AccessRequest:
        """A request of one of ``stores`` (None: any); else 1120."""
        found = await queries.request_by_id(self._db, request_id)
        if found is None or (stores is not None and found.store not in stores):
            raise ApiError(catalogue.ACCESS_REQUEST_NOT_FOUND)
        return found

    async def history(self, request_id: str) -> list[AccessRequestEvent]:
        return await queries.events_of(self._db, request_id)

    async def list_for_backoffice(
        self,
        stores: tuple[str, ...] | None,
        filters: dict[str, Any],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[AccessRequest]:
        """Requests of the caller's stores, newest first."""
        email = filters.get("email")
        return await queries.list_requests(
            self._db,
            stores=stores,
            store=filters.get("store"),
            state=filters.get("state"),
            email_key=email_key(email) if email is not None else None,
            company_id=filters.get("company_id"),
            after=after,
            limit=limit,
        )

    async def decide_by_backoffice(
        self, request_id: str, decision: Decision, caller: Caller
    ) -> AccessRequest:
        """Rows 7-11 for the back-office: accept or approve a pending request into ``companyId``
        (required then, else 901 "not expected"; unknown or another store's 1110, inactive 1109),
        approve an accepted one, decline either. Any other transition, a final request's above all,
        is 1121 whatever else was sent."""
        current = await self.get_for_backoffice(request_id, caller.stores)
        _check_transition(current, decision)
        into_company = decision.state in ("accepted", "approved") and current.state == "pending"
        if into_company and decision.company_id is None:
            raise ApiError.invalid("companyId", MISSING)
        if not into_company and "company_id" in decision.sent:
            raise ApiError.invalid("companyId", NOT_EXPECTED)
        _check_reason(decision)
        now = utc_now()
        async with self._db.transaction():
            current = await self.get_for_backoffice(request_id, caller.stores)
            _check_transition(current, decision)
            if into_company:
                company = await company_queries.company_by_id(self._db, decision.company_id or "")
                if company is None or company.store != current.store:
                    raise ApiError(catalogue.COMPANY_NOT_IN_STORE)
                if not company.is_active:
                    raise ApiError(catalogue.COMPANY_NOT_ACTIVE)
                accepted = await self._accept(
                    current,
                    company,
                    decision.role or "buyer",
                    caller.actor,
                    now,
                    notify=decision.state == "accepted",
                )
                if accepted is not None and decision.state == "approved":
                    await self._approve(accepted, None, caller.actor, now)
            else:
                await self._decide(current, decision, caller.actor, now)
            await self._audit.append(
                caller.audit,
                store=current.store,
                details={"accessRequestId": request_id, "fields": sorted(_wire(decision.sent))},
            )
        self._outbox.wake()
        return await self.get_for_backoffice(request_id, None)

    async def _decide(self, current: AccessRequest, decision: Decision, actor: Actor, now: datetime) -> None:
        if decision.state == "declined":
            await self._decline(current, decision.reason or "", actor, now)
        else:
            await self._approve(current, decision.role, actor, now)


# The back-office's transitions (CB §5.2 rows 7-11): the states each PATCH state may leave.
_BACKOFFICE_FROM = {
    "accepted": ("pending",),
    "approved": ("pending", "accepted"),
    "declined": ("pending", "accepted"),
}


def _check_transition(current: AccessRequest, decision: Decision) -> None:
    if current.state not in _BACKOFFICE_FROM[decision.state]:
        raise ApiError(catalogue.ACCESS_REQUEST_STATE_CONFLICT)


def _check_reason(decision: Decision) -> None:
    if decision.state == "declined" and decision.reason is None:
        raise ApiError.invalid("reason", MISSING)


def _wire(names: frozenset[str]) -> list[str]:
    return [history.wire_name(name) for name in names]


@dataclass(frozen=True)
class _Subject:
    id: int
    reference: str

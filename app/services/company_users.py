"""Company users (CB §4.1, §4.4): a customer's membership of a company of its store, with its
role. The back-office links an existing customer or creates one without a password and mails BO's
invitation; role changes, deactivation and removal end the user's company tokens in their
transaction (CB §4.2). Each write appends its customer event (CB §5.4) and its audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key, normalise_email
from app.keys import link_with_token, new_key
from app.mail import MailKind, Outbox, render_mail
from app.models import Actor, CompanyRecord, CompanyUser, Principal
from app.queries import companies as company_queries
from app.queries import company_users as queries
from app.queries import customers as customer_queries
from app.queries import passwords as password_queries
from app.queries._common import is_unique_violation
from app.services import history
from app.services.audit import AuditService
from app.services.backoffice_customers import BackofficeCustomerService, Caller
from app.services.companies import CompanyService
from app.services.customers import refuse_taken, store_locale
from app.settings import Settings
from app.stores import Store, StoreCatalogue
from errors import ApiError, catalogue

__all__ = [
    "CompanyUserService",
    "NewCompanyUser",
    "COMPANY_USER_WAS_CREATED",
    "COMPANY_USER_WAS_UPDATED",
    "COMPANY_USER_WAS_REMOVED",
]

COMPANY_USER_WAS_CREATED = "CompanyUserWasCreated"
COMPANY_USER_WAS_UPDATED = "CompanyUserWasUpdated"
COMPANY_USER_WAS_REMOVED = "CompanyUserWasRemoved"
DEFAULT_ROLE = "buyer"
MINE = "mine"


@dataclass(frozen=True)
class NewCompanyUser:
    """The back-office's creation (CB §4.4); the names serve only a customer created for it."""

    email: str
    salutation: str
    first_name: str
    last_name: str
    role: str = DEFAULT_ROLE
    locale: str | None = None


def _event_values(user_id: str, company_id: str, role: str, is_active: bool) -> dict[str, Any]:
    return {"companyUserId": user_id, "companyId": company_id, "role": role, "isActive": is_active}


def _display_name(first_name: str | None, last_name: str | None, email: str) -> str:
    return " ".join(part for part in (first_name, last_name) if part) or email


class CompanyUserService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        stores: StoreCatalogue,
        outbox: Outbox,
        audit: AuditService,
        companies: CompanyService,
        backoffice_customers: BackofficeCustomerService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._stores = stores
        self._outbox = outbox
        self._audit = audit
        self._companies = companies
        self._backoffice_customers = backoffice_customers

    def _store(self, code: str) -> Store:
        found = self._stores.find(code)
        assert found is not None, code
        return found

    async def get(self, company_user_id: str, stores: tuple[str, ...] | None) -> CompanyUser:
        """The company user, when its company is of one of ``stores`` (None: any); else 1104."""
        found = await queries.company_user_by_id(self._db, company_user_id)
        if found is None or (stores is not None and found.store not in stores):
            raise ApiError(catalogue.COMPANY_USER_NOT_FOUND)
        return found

    async def list_of_company(
        self, company_id: str, caller: Caller, after: tuple[datetime, str] | None, limit: int
    ) -> list[CompanyUser]:
        """The company's users, newest first (an unknown company, or another store's: 1106)."""
        await self._companies.get(company_id, caller.stores)
        return await queries.list_company_users(self._db, company_id=company_id, after=after, limit=limit)

    async def create_by_backoffice(
        self, company_id: str, new: NewCompanyUser, caller: Caller
    ) -> tuple[CompanyUser, bool]:
        """Link the store's customer with ``new.email`` (its names ignored; mailed
        ``company-user-added``), or create one without a password (CustomerWasRegistered, channel
        ``company``) and mail the invitation as ``company-user-invitation``. The second value says
        whether a customer was created. Inactive company 1109; already a member 1108; a locale the
        store lacks 901."""
        company = await self._companies.get(company_id, caller.stores)
        store = self._store(company.store)
        locale = store_locale(store, new.locale) if new.locale is not None else None
        if not company.is_active:
            raise ApiError(catalogue.COMPANY_NOT_ACTIVE)
        now = utc_now()
        user_id = str(uuid.uuid4())
        try:
            async with self._db.transaction():
                existing = await password_queries.account_by_email(self._db, store.code, email_key(new.email))
                if existing is not None:
                    if await queries.membership_exists(self._db, company.id, existing.id):
                        raise ApiError(catalogue.ALREADY_A_COMPANY_USER)
                    subject: Any = existing
                    mail = render_mail(
                        MailKind.COMPANY_USER_ADDED,
                        existing.email,
                        store.resolve_locale(existing.locale),
                        name=_display_name(existing.first_name, existing.last_name, existing.email),
                        company=company.name,
                        link=self._settings.login_url,
                    )
                else:
                    subject = await self._backoffice_customers.insert_registered(
                        store,
                        {
                            "email": normalise_email(new.email),
                            "email_key": email_key(new.email),
                            "password_hash": None,
                            "salutation": new.salutation,
                            "first_name": new.first_name,
                            "last_name": new.last_name,
                            "locale": locale or store.default_locale,
                            "status": "active",
                        },
                        [],
                        caller.actor,
                        now,
                        channel="company",
                    )
                    mail = await self._invitation(subject, company, store, now)
                await queries.insert_company_user(
                    self._db,
                    {
                        "id": user_id,
                        "company_id": company.id,
                        "customer_id": subject.id,
                        "role": new.role,
                        "is_active": True,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                values = _event_values(user_id, company.id, new.role, True)
                await history.record(
                    self._db,
                    subject,
                    COMPANY_USER_WAS_CREATED,
                    caller.actor,
                    now,
                    changed_fields=list(values),
                    values=values,
                )
                await self._outbox.enqueue(mail)
                await self._audit.append(
                    caller.audit,
                    customer_reference=subject.reference,
                    store=store.code,
                    details={"companyId": company.id, "companyUserId": user_id},
                )
        except customer_queries.AttributeTaken as taken:
            raise refuse_taken(taken) from None
        except Exception as error:
            if is_unique_violation(error):  # a concurrent creation linked the same person first
                raise ApiError(catalogue.ALREADY_A_COMPANY_USER) from None
            raise
        self._outbox.wake()
        return await self.get(user_id, None), existing is None

    async def _invitation(self, customer: Any, company: CompanyRecord, store: Store, now: datetime) -> Any:
        """BO's invitation (BO §4.2): a restore key valid GLUE_INVITATION_KEY_TTL, linked to the
        store's restore URL; its digest stored, the mail returned for the caller to queue."""
        key, digest = new_key()
        ttl = self._settings.invitation_key_ttl
        await password_queries.supersede_restore_keys(self._db, customer.id, now)
        await password_queries.insert_restore_key(
            self._db, digest, customer.id, now, now + timedelta(seconds=ttl)
        )
        return render_mail(
            MailKind.COMPANY_USER_INVITATION,
            customer.email,
            store.resolve_locale(customer.locale),
            name=_display_name(customer.first_name, customer.last_name, customer.email),
            company=company.name,
            link=link_with_token(store.restore_password_url or self._settings.restore_password_url, key),
            days=str(max(1, round(ttl / 86400))),
        )

    # The storefront (CB §4.2, §4.3): the caller's company user comes from its company token.

    async def find(self, company_user_id: str) -> CompanyUser | None:
        """The company user as the database holds it now (a company token's, per request)."""
        return await queries.company_user_by_id(self._db, company_user_id)

    async def of_customer(self, customer_id: int) -> list[CompanyUser]:
        """The customer's company users of active companies, oldest (the default) first."""
        return await queries.list_company_users(self._db, customer_id=customer_id, active_companies_only=True)

    async def token_target(self, principal: Principal, company_user_id: str) -> CompanyUser:
        """The company user a company token may be made for: the caller's own, of its store (else
        1104), active in an active company (else 1105)."""
        found = await queries.company_user_by_id(self._db, company_user_id)
        if (
            found is None
            or found.customer_id != principal.customer.id
            or found.store != principal.customer.store
        ):
            raise ApiError(catalogue.COMPANY_USER_NOT_FOUND)
        if not found.is_active or not found.company.is_active:
            raise ApiError(catalogue.COMPANY_USER_NOT_ACTIVE)
        return found

    def company_of(self, member: CompanyUser, company_id: str) -> CompanyRecord:
        """The token's company, named by its id or ``mine``; any other id is 1106."""
        if company_id not in (MINE, member.company_id):
            raise ApiError(catalogue.COMPANY_NOT_FOUND)
        return member.company

    async def list_for_admin(
        self, admin: CompanyUser, role: str | None, is_active: bool | None, offset: int, limit: int
    ) -> tuple[list[CompanyUser], int]:
        """The admin's company's users, newest first, one page, and how many there are."""
        found = await queries.list_company_users(
            self._db, company_id=admin.company_id, role=role, is_active=is_active, offset=offset, limit=limit
        )
        total = await queries.count_company_users(self._db, admin.company_id, role, is_active)
        return found, total

    async def get_for_member(self, member: CompanyUser, company_user_id: str) -> CompanyUser:
        """A user of the member's company (another company's, or unknown: 1104)."""
        found = await queries.company_user_by_id(self._db, company_user_id)
        if found is None or found.company_id != member.company_id:
            raise ApiError(catalogue.COMPANY_USER_NOT_FOUND)
        return found

    async def update_by_company_admin(
        self, principal: Principal, company_user_id: str, changes: dict[str, Any]
    ) -> CompanyUser:
        """Role and isActive of a user of the admin's company; a change leaving the company without
        an active admin (oneself included) is 1107, checked under a lock on the company row."""
        member = _member(principal)
        now = utc_now()
        async with self._db.transaction():
            target = await self._locked_target(member, company_user_id)
            role = changes.get("role", target.role)
            is_active = changes.get("is_active", target.is_active)
            await self._keep_an_admin(target, role == "admin" and is_active)
            await self._apply(target, changes, Actor.customer(principal.customer.reference), now=now)
        return await self.get_for_member(member, company_user_id)

    async def remove_by_company_user(self, principal: Principal, company_user_id: str) -> None:
        """An admin removes a user of its company, a buyer only itself (leaving); the last active
        admin may not go (1107). The account stays; the user's company tokens end."""
        member = _member(principal)
        now = utc_now()
        async with self._db.transaction():
            target = await self._locked_target(member, company_user_id)
            await self._keep_an_admin(target, False)
            await self._remove(target, Actor.customer(principal.customer.reference), now=now, audit=None)

    async def _locked_target(self, member: CompanyUser, company_user_id: str) -> CompanyUser:
        """Lock the member's company row, then read the target and the member again under it: a
        concurrent change that committed first is seen (1104, 1103, 001 as it left things)."""
        await company_queries.lock_company(self._db, member.company_id)
        target = await queries.company_user_by_id(self._db, company_user_id)
        if target is None or target.company_id != member.company_id:
            raise ApiError(catalogue.COMPANY_USER_NOT_FOUND)
        current = await queries.company_user_by_id(self._db, member.id)
        if current is None or not current.is_active:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
        if current.role != "admin" and current.id != target.id:
            raise ApiError(catalogue.COMPANY_ROLE_REFUSED)
        return target

    async def _keep_an_admin(self, target: CompanyUser, stays_admin: bool) -> None:
        was_admin = target.role == "admin" and target.is_active
        if (
            was_admin
            and not stays_admin
            and await queries.count_other_active_admins(self._db, target.company_id, target.id) == 0
        ):
            raise ApiError(catalogue.LAST_COMPANY_ADMIN)

    async def update_by_backoffice(
        self, company_user_id: str, changes: dict[str, Any], caller: Caller
    ) -> CompanyUser:
        """Role and isActive; a change ends the user's company tokens."""
        current = await self.get(company_user_id, caller.stores)
        async with self._db.transaction():
            await self._apply(current, changes, caller.actor, now=utc_now(), audit=caller)
        return await self.get(company_user_id, None)

    async def remove_by_backoffice(self, company_user_id: str, caller: Caller) -> None:
        """The link is gone and its company tokens end; the customer stays."""
        current = await self.get(company_user_id, caller.stores)
        async with self._db.transaction():
            await self._remove(current, caller.actor, now=utc_now(), audit=caller)

    async def _apply(
        self,
        current: CompanyUser,
        changes: dict[str, Any],
        actor: Actor,
        *,
        now: datetime,
        audit: Caller | None = None,
    ) -> None:
        """Write a role or state change, end the user's company tokens, append the event (and the
        audit entry), in the caller's transaction."""
        changed = {
            name: value
            for name, value in changes.items()
            if name in ("role", "is_active") and getattr(current, name) != value
        }
        if not changed:
            return
        await queries.update_company_user(self._db, current.id, {**changed, "updated_at": now})
        await queries.revoke_company_user_sessions(self._db, current.id, now)
        values = _event_values(
            current.id,
            current.company_id,
            changed.get("role", current.role),
            changed.get("is_active", current.is_active),
        )
        await history.record(
            self._db,
            _Subject(current.customer_id, current.customer_reference),
            COMPANY_USER_WAS_UPDATED,
            actor,
            now,
            changed_fields=[history.wire_name(name) for name in changed],
            values=values,
        )
        if audit is not None:
            await self._audit.append(
                audit.audit,
                customer_reference=current.customer_reference,
                store=current.store,
                details={
                    "companyUserId": current.id,
                    "fields": sorted(history.wire_name(name) for name in changed),
                },
            )

    async def _remove(
        self, current: CompanyUser, actor: Actor, *, now: datetime, audit: Caller | None
    ) -> None:
        """Remove the link, end its company tokens, append the event (and the audit entry), in
        the caller's transaction."""
        await queries.revoke_company_user_sessions(self._db, current.id, now)
        await queries.delete_company_user(self._db, current.id)
        await history.record(
            self._db,
            _Subject(current.customer_id, current.customer_reference),
            COMPANY_USER_WAS_REMOVED,
            actor,
            now,
            changed_fields=["companyUserId"],
            values=_event_values(current.id, current.company_id, current.role, current.is_active),
        )
        if audit is not None:
            await self._audit.append(
                audit.audit,
                customer_reference=current.customer_reference,
                store=current.store,
                details={"companyUserId": current.id},
            )


def _member(principal: Principal) -> CompanyUser:
    assert principal.company_user is not None, "a company path's access rule loads it"
    return principal.company_user


@dataclass(frozen=True)
class _Subject:
    id: int
    reference: str

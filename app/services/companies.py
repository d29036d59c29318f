"""Companies (CB §4.1): created and changed by the back-office, one store each, fixed; deactivated,
never deleted. Every write is one transaction with its company event and its audit entry; a
deactivation ends the company tokens of every user of the company in that transaction (CB §4.2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import CompanyEvent, CompanyRecord
from app.queries import companies as queries
from app.queries import company_users as company_user_queries
from app.services.audit import AuditService
from app.services.backoffice_customers import Caller
from app.stores import StoreCatalogue
from errors import ApiError, catalogue

__all__ = ["CompanyService", "COMPANY_WAS_CREATED", "COMPANY_WAS_UPDATED"]

COMPANY_WAS_CREATED = "CompanyWasCreated"
COMPANY_WAS_UPDATED = "CompanyWasUpdated"
CHOICE = "The value you selected is not a valid choice."
_WIRE = {"name": "name", "is_active": "isActive", "external_reference": "externalReference", "store": "store"}


class CompanyService:
    def __init__(self, db: Database, stores: StoreCatalogue, audit: AuditService) -> None:
        self._db = db
        self._stores = stores
        self._audit = audit

    async def create(self, values: dict[str, Any], caller: Caller) -> CompanyRecord:
        """A company of one of the caller's stores (another store: 901 on ``store``)."""
        store = self._stores.find(values["store"])
        if store is None or (caller.stores is not None and store.code not in caller.stores):
            raise ApiError.invalid("store", CHOICE)
        now = utc_now()
        company_id = str(uuid.uuid4())
        columns = {
            "id": company_id,
            "store": store.code,
            "name": values["name"],
            "is_active": values.get("is_active", True),
            "external_reference": values.get("external_reference"),
            "created_at": now,
            "updated_at": now,
        }
        shown = {_WIRE[name]: columns[name] for name in ("store", "name", "is_active", "external_reference")}
        async with self._db.transaction():
            await queries.insert_company(self._db, columns)
            await queries.append_company_event(
                self._db, company_id, COMPANY_WAS_CREATED, caller.actor, now, list(shown), shown
            )
            await self._audit.append(
                caller.audit, store=store.code, details={"companyId": company_id, "fields": sorted(shown)}
            )
        return await self.get(company_id, caller.stores)

    async def get(self, company_id: str, stores: tuple[str, ...] | None) -> CompanyRecord:
        """The company, when it is of one of ``stores`` (None: any); else 1106."""
        found = await queries.company_by_id(self._db, company_id)
        if found is None or (stores is not None and found.store not in stores):
            raise ApiError(catalogue.COMPANY_NOT_FOUND)
        return found

    async def history(
        self,
        company_id: str,
        stores: tuple[str, ...] | None,
        event_types: tuple[str, ...],
        before_id: int | None,
        limit: int,
    ) -> list[CompanyEvent]:
        """The company's events (CB §5.4), newest first; a company outside ``stores`` is 1106."""
        await self.get(company_id, stores)
        return await queries.company_history_page(self._db, company_id, event_types, before_id, limit)

    async def list(
        self,
        stores: tuple[str, ...] | None,
        filters: dict[str, Any],
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[CompanyRecord]:
        """Companies of the caller's stores, newest first."""
        return await queries.list_companies(
            self._db,
            stores=stores,
            store=filters.get("store"),
            name=filters.get("name"),
            is_active=filters.get("is_active"),
            after=after,
            limit=limit,
        )

    async def update(self, company_id: str, changes: dict[str, Any], caller: Caller) -> CompanyRecord:
        """Name, isActive, externalReference (the store is fixed); a deactivation ends the
        company tokens of its users."""
        now = utc_now()
        async with self._db.transaction():
            current = await queries.lock_company(self._db, company_id)
            if current is None or (caller.stores is not None and current.store not in caller.stores):
                raise ApiError(catalogue.COMPANY_NOT_FOUND)
            changed = {
                name: value
                for name, value in changes.items()
                if name in ("name", "is_active", "external_reference") and getattr(current, name) != value
            }
            if not changed:
                return current
            await queries.update_company(self._db, company_id, {**changed, "updated_at": now})
            if changed.get("is_active") is False:
                await company_user_queries.revoke_company_sessions(self._db, company_id, now)
            shown = {_WIRE[name]: value for name, value in changed.items()}
            await queries.append_company_event(
                self._db, company_id, COMPANY_WAS_UPDATED, caller.actor, now, list(shown), shown
            )
            await self._audit.append(
                caller.audit, store=current.store, details={"companyId": company_id, "fields": sorted(shown)}
            )
        return await self.get(company_id, caller.stores)

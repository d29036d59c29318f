"""Invitation symbols (CB §5.3): a company's request codes and e-mail domains, written by the
back-office. Kind and value are fixed; ``(store, kind, value)`` is unique (1126). Each write is one
transaction with its company event and its audit entry."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import InvitationSymbol
from app.queries import companies as company_queries
from app.queries import invitation_symbols as queries
from app.queries._common import is_unique_violation
from app.services.audit import AuditService
from app.services.backoffice_customers import Caller
from app.services.companies import CompanyService
from errors import ApiError, catalogue

__all__ = [
    "InvitationSymbolService",
    "REQUEST_CODE",
    "EMAIL_DOMAIN",
    "normalise_code",
    "SYMBOL_WAS_ADDED",
    "SYMBOL_WAS_UPDATED",
    "SYMBOL_WAS_REMOVED",
]

REQUEST_CODE = "request-code"
EMAIL_DOMAIN = "email-domain"
SYMBOL_WAS_ADDED = "InvitationSymbolWasAdded"
SYMBOL_WAS_UPDATED = "InvitationSymbolWasUpdated"
SYMBOL_WAS_REMOVED = "InvitationSymbolWasRemoved"
NOT_EXPECTED = "This field was not expected."
NOT_VALID = "This value is not valid."
_CODE = re.compile(r"[A-Za-z0-9-]{6,64}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_CHANGEABLE = ("role", "auto_approve", "is_active", "expires_at", "max_uses")
_WIRE = {
    "kind": "kind",
    "value": "value",
    "role": "role",
    "auto_approve": "autoApprove",
    "is_active": "isActive",
    "expires_at": "expiresAt",
    "max_uses": "maxUses",
}


def normalise_code(value: str) -> str | None:
    """A request code in its stored form (upper-case), None when it cannot be one."""
    return value.upper() if _CODE.fullmatch(value) else None


def _normalise_domain(value: str) -> str | None:
    lowered = value.lower()
    labels = lowered.split(".")
    if not lowered.isascii() or len(lowered) > 253 or len(labels) < 2:
        return None
    return lowered if all(_LABEL.fullmatch(label) for label in labels) else None


def _utc(moment: datetime | None) -> datetime | None:
    """Stored in UTC: SQLite keeps no offset."""
    return moment.astimezone(UTC) if moment is not None else None


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    return {
        _WIRE[name]: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


class InvitationSymbolService:
    def __init__(self, db: Database, audit: AuditService, companies: CompanyService) -> None:
        self._db = db
        self._audit = audit
        self._companies = companies

    async def list(
        self, company_id: str, caller: Caller, after: tuple[datetime, str] | None, limit: int
    ) -> list[InvitationSymbol]:
        """The company's symbols, newest first (an unknown company, or another store's: 1106)."""
        await self._companies.get(company_id, caller.stores)
        return await queries.list_symbols(self._db, company_id, after, limit)

    async def get(self, company_id: str, symbol_id: str, caller: Caller) -> InvitationSymbol:
        """The company's symbol (1106 for the company, 1127 for another company's or unknown)."""
        await self._companies.get(company_id, caller.stores)
        found = await queries.symbol_by_id(self._db, symbol_id)
        if found is None or found.company_id != company_id:
            raise ApiError(catalogue.INVITATION_SYMBOL_NOT_FOUND)
        return found

    async def create(self, company_id: str, values: dict[str, Any], caller: Caller) -> InvitationSymbol:
        """A code (6-64 of A-Z a-z 0-9 -, stored upper-case) or a domain (ASCII DNS name with a dot,
        lower-cased; no ``maxUses``); the store's (kind, value) once (1126)."""
        company = await self._companies.get(company_id, caller.stores)
        kind = values["kind"]
        if kind == REQUEST_CODE:
            value = normalise_code(values["value"])
        else:
            value = _normalise_domain(values["value"])
            if values.get("max_uses") is not None:
                raise ApiError.invalid("maxUses", NOT_EXPECTED)
        if value is None:
            raise ApiError.invalid("value", NOT_VALID)
        now = utc_now()
        symbol_id = str(uuid.uuid4())
        columns = {
            "kind": kind,
            "value": value,
            "role": values.get("role", "buyer"),
            "auto_approve": values.get("auto_approve", False),
            "is_active": values.get("is_active", True),
            "expires_at": _utc(values.get("expires_at")),
            "max_uses": values.get("max_uses"),
        }
        try:
            async with self._db.transaction():
                await queries.insert_symbol(
                    self._db,
                    {
                        "id": symbol_id,
                        "company_id": company.id,
                        "store": company.store,
                        **columns,
                        "uses": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                await self._record(
                    company.id, company.store, symbol_id, SYMBOL_WAS_ADDED, columns, caller, now
                )
        except Exception as error:
            if is_unique_violation(error):
                raise ApiError(catalogue.INVITATION_SYMBOL_TAKEN) from None
            raise
        return await self.get(company_id, symbol_id, caller)

    async def update(
        self, company_id: str, symbol_id: str, changes: dict[str, Any], caller: Caller
    ) -> InvitationSymbol:
        """role, autoApprove, isActive, expiresAt, maxUses (a domain's maxUses: 901)."""
        current = await self.get(company_id, symbol_id, caller)
        if current.kind == EMAIL_DOMAIN and changes.get("max_uses") is not None:
            raise ApiError.invalid("maxUses", NOT_EXPECTED)
        if changes.get("expires_at") is not None:
            changes = {**changes, "expires_at": _utc(changes["expires_at"])}
        changed = {
            name: value
            for name, value in changes.items()
            if name in _CHANGEABLE and getattr(current, name) != value
        }
        if not changed:
            return current
        now = utc_now()
        async with self._db.transaction():
            await queries.update_symbol(self._db, symbol_id, {**changed, "updated_at": now})
            await self._record(company_id, current.store, symbol_id, SYMBOL_WAS_UPDATED, changed, caller, now)
        return await self.get(company_id, symbol_id, caller)

    async def remove(self, company_id: str, symbol_id: str, caller: Caller) -> None:
        """The symbol is gone; requests it accepted keep their company."""
        current = await self.get(company_id, symbol_id, caller)
        now = utc_now()
        async with self._db.transaction():
            await queries.delete_symbol(self._db, symbol_id)
            await self._record(
                company_id,
                current.store,
                symbol_id,
                SYMBOL_WAS_REMOVED,
                {"kind": current.kind, "value": current.value},
                caller,
                now,
            )

    async def _record(
        self,
        company_id: str,
        store: str,
        symbol_id: str,
        event_type: str,
        changes: dict[str, Any],
        caller: Caller,
        now: datetime,
    ) -> None:
        shown = _shown(changes)
        await company_queries.append_company_event(
            self._db,
            company_id,
            event_type,
            caller.actor,
            now,
            ["symbolId", *shown],
            {"symbolId": symbol_id, "changes": shown},
        )
        await self._audit.append(
            caller.audit,
            store=store,
            details={"companyId": company_id, "symbolId": symbol_id, "fields": sorted(shown)},
        )

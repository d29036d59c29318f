"""Points of sale (BO §4.3): where sellers work and customers are served. Deleting one that has
sellers is refused (1026); its customers' ``posId`` becomes null in the deletion's transaction,
each with a CustomerDetailsWereUpdated event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import PointOfSale
from app.queries import history as history_queries
from app.queries import points_of_sale as queries
from app.services import history
from app.services.audit import AuditService
from app.services.backoffice_customers import Caller
from errors import ApiError, Problem, catalogue

__all__ = ["PointOfSaleService"]


def _taken() -> ApiError:
    return ApiError.of([Problem(catalogue.POS_ALREADY_EXISTS, "identifier")])


class PointOfSaleService:
    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self._audit = audit

    async def get(self, pos_id: str) -> PointOfSale:
        found = await queries.pos_by_id(self._db, pos_id)
        if found is None:
            raise ApiError(catalogue.POS_NOT_FOUND)
        return found

    async def exists(self, pos_id: str) -> bool:
        return await queries.pos_exists(self._db, pos_id)

    async def list(self, after: tuple[datetime, str] | None, limit: int) -> list[PointOfSale]:
        return await queries.list_pos(self._db, after, limit)

    async def create(self, values: dict[str, Any], caller: Caller) -> PointOfSale:
        """A point of sale; its identifier unique in any letter case (1025)."""
        pos_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.transaction():
            try:
                await queries.insert_pos(
                    self._db,
                    {
                        "id": pos_id,
                        "name": values["name"],
                        "identifier": values["identifier"],
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            except queries.IdentifierTaken:
                raise _taken() from None
            await self._audit.append(caller.audit, details={"posId": pos_id})
        return await self.get(pos_id)

    async def update(self, pos_id: str, values: dict[str, Any], caller: Caller) -> PointOfSale:
        """Only what was sent and differs."""
        current = await self.get(pos_id)
        changes = {
            name: value
            for name, value in values.items()
            if name in ("name", "identifier") and value != getattr(current, name)
        }
        if not changes:
            return current
        async with self._db.transaction():
            try:
                await queries.update_pos(self._db, pos_id, {**changes, "updated_at": utc_now()})
            except queries.IdentifierTaken:
                raise _taken() from None
            await self._audit.append(caller.audit, details={"posId": pos_id, "fields": sorted(changes)})
        return await self.get(pos_id)

    async def delete(self, pos_id: str, caller: Caller) -> None:
        """Refused while sellers work there (1026); its customers are left without a POS."""
        await self.get(pos_id)
        now = utc_now()
        async with self._db.transaction():
            if await queries.has_sellers(self._db, pos_id):
                raise ApiError(catalogue.POS_HAS_SELLERS)
            served = await queries.customers_of_pos(self._db, pos_id)
            await history_queries.insert_event_rows(
                self._db,
                [
                    {
                        "customer_id": customer_id,
                        "customer_reference": reference,
                        "event_type": history.CUSTOMER_DETAILS_WERE_UPDATED,
                        "actor_type": caller.actor.type,
                        "actor_id": caller.actor.id,
                        "changed_fields": ["posId"],
                        "values": {"posId": None},
                        "created_at": now,
                    }
                    for customer_id, reference in served
                ],
            )
            await queries.clear_customers_pos(self._db, pos_id, now)
            await queries.delete_pos(self._db, pos_id)
            await self._audit.append(caller.audit, details={"posId": pos_id, "customers": len(served)})

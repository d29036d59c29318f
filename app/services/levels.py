"""Levels (BO §4.3): a store's levels and each customer's effective level. The effective level is
the manual one, else the store's level with the highest condition value not above the customer's
``transactionsAmountWithoutDeliveryCosts``, else none. It is recomputed in the transaction that
changes the aggregates (``recalculate_customer``, called by the orders service) and, set-based,
in the transaction of each level write; every customer whose level moves gets a
LevelWasRecalculated event in that transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import Actor, Customer, Level
from app.queries import history as history_queries
from app.queries import levels as queries
from app.services import history
from app.services.audit import AuditService
from app.services.backoffice_customers import Caller
from app.stores import StoreCatalogue
from errors import ApiError, Problem, catalogue

__all__ = [
    "LevelService",
    "recalculate_customer",
    "recalculate_customers",
    "LEVEL_WAS_ASSIGNED",
    "MANUAL_LEVEL_WAS_REMOVED",
    "LEVEL_WAS_RECALCULATED",
]

LEVEL_WAS_ASSIGNED = "LevelWasAssigned"
MANUAL_LEVEL_WAS_REMOVED = "ManualLevelWasRemoved"
LEVEL_WAS_RECALCULATED = "LevelWasRecalculated"
CHOICE = "The value you selected is not a valid choice."
_LEVEL_FIELDS = ("levelId",)


def _level_values(level_id: str | None, previous: str | None) -> dict[str, Any]:
    return {"levelId": level_id, "previousLevelId": previous}


async def recalculate_customer(db: Database, customer_id: int, actor: Actor, now: datetime) -> None:
    """Inside the caller's transaction (its aggregates just changed): the customer's automatic level
    follows them; a move is one LevelWasRecalculated. A manual level stays."""
    change = await queries.customer_recalculation(db, customer_id)
    if change is None:
        return
    await queries.set_customer_level(db, customer_id, change.level_id, False, now)
    await history_queries.append_event(
        db,
        customer_id=customer_id,
        customer_reference=change.reference,
        event_type=LEVEL_WAS_RECALCULATED,
        actor=actor,
        changed_fields=list(_LEVEL_FIELDS),
        values=_level_values(change.level_id, change.previous),
        now=now,
    )


async def _moved_by(db: Database, store: str, low: int, high: int) -> queries.AmountWindow:
    """The amounts a level write changes the earned level of (after the write): from the lower of
    the old and new condition values up to the next level's above the higher one. Customers below
    keep the level they earn, and so do those at or above that next level."""
    above = await queries.next_level(db, store, high)
    return queries.AmountWindow(low=low, high=above.condition_value if above else None)


async def recalculate_customers(
    db: Database, store: str, customer_ids: Sequence[int], actor: Actor, now: datetime
) -> int:
    """Inside the caller's transaction (their aggregates just changed), set-based: these customers'
    automatic levels follow them; one LevelWasRecalculated per move. Manual levels stay."""
    return await _recalculate_store(db, store, actor, now, customer_ids)


async def _recalculate_store(
    db: Database,
    store: str,
    actor: Actor,
    now: datetime,
    customer_ids: Sequence[int] | None = None,
    window: queries.AmountWindow | None = None,
) -> int:
    """Set-based, inside the caller's transaction: every customer of the store (or of
    ``customer_ids``, or within ``window``) without a manual level gets the level it earns; one
    event per customer whose level moved. How many moved."""
    changes = await queries.recalculation_candidates(db, store, customer_ids, window)
    if not changes:
        return 0
    await history_queries.insert_event_rows(
        db,
        [
            {
                "customer_id": change.customer_id,
                "customer_reference": change.reference,
                "event_type": LEVEL_WAS_RECALCULATED,
                "actor_type": actor.type,
                "actor_id": actor.id,
                "changed_fields": list(_LEVEL_FIELDS),
                "values": _level_values(change.level_id, change.previous),
                "created_at": now,
            }
            for change in changes
        ],
    )
    await queries.apply_recalculation(db, store, now, customer_ids, window)
    return len(changes)


class LevelService:
    def __init__(self, db: Database, stores: StoreCatalogue, audit: AuditService) -> None:
        self._db = db
        self._stores = stores
        self._audit = audit

    async def get(self, level_id: str, caller: Caller) -> Level:
        """A level of one of the caller's stores; any other, or none, 1020."""
        found = await queries.level_by_id(self._db, level_id)
        if found is None or (caller.stores is not None and found.store not in caller.stores):
            raise ApiError(catalogue.LEVEL_NOT_FOUND)
        return found

    def visible_stores(self, caller: Caller, store: str | None) -> tuple[str, ...] | None:
        """The stores a listing shows: the caller's, narrowed to ``store``; a store the caller does
        not see (or none configured by that code) is 011 on ``filter[store]``."""
        if store is None:
            return caller.stores
        found = self._stores.find(store)
        if found is None or (caller.stores is not None and found.code not in caller.stores):
            raise ApiError.query("filter[store]")
        return (found.code,)

    async def list(
        self, caller: Caller, store: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Level]:
        return await queries.list_levels(self._db, self.visible_stores(caller, store), after, limit)

    async def create(self, values: dict[str, Any], caller: Caller) -> Level:
        """A level of one of the caller's stores (else 901 choice); name and condition value unique
        in the store (1021). The store's customers' levels follow in the same transaction."""
        store = self._stores.find(values["store"])
        if store is None or (caller.stores is not None and store.code not in caller.stores):
            raise ApiError.invalid("store", CHOICE)
        level_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.transaction():
            await self._write(
                queries.insert_level,
                {
                    "id": level_id,
                    "store": store.code,
                    "name": values["name"],
                    "condition_value": values["condition_value"],
                    "reward_percent": values["reward_percent"],
                    "translations": values.get("translations") or {},
                    "created_at": now,
                    "updated_at": now,
                },
            )
            condition = values["condition_value"]
            window = await _moved_by(self._db, store.code, condition, condition)
            moved = await _recalculate_store(self._db, store.code, caller.actor, now, window=window)
            await self._audit.append(
                caller.audit, store=store.code, details={"levelId": level_id, "recalculated": moved}
            )
        return await self.get(level_id, caller)

    async def _write(self, write: Any, *arguments: Any) -> None:
        try:
            await write(self._db, *arguments)
        except queries.LevelTaken as taken:
            raise ApiError.of([Problem(catalogue.LEVEL_ALREADY_EXISTS, taken.attribute)]) from None

    async def update(self, level_id: str, values: dict[str, Any], caller: Caller) -> Level:
        """Only what was sent and differs; a condition value change moves customers' levels."""
        current = await self.get(level_id, caller)
        changes = {
            name: value
            for name, value in values.items()
            if name in ("name", "condition_value", "reward_percent", "translations")
            and value != _current_value(current, name)
        }
        if not changes:
            return current
        now = utc_now()
        async with self._db.transaction():
            await self._write(queries.update_level, level_id, {**changes, "updated_at": now})
            values_now = (current.condition_value, changes.get("condition_value", current.condition_value))
            window = await _moved_by(self._db, current.store, min(values_now), max(values_now))
            moved = await _recalculate_store(self._db, current.store, caller.actor, now, window=window)
            await self._audit.append(
                caller.audit,
                store=current.store,
                details={
                    "levelId": level_id,
                    "fields": sorted(history.wire_name(name) for name in changes),
                    "recalculated": moved,
                },
            )
        return await self.get(level_id, caller)

    async def delete(self, level_id: str, caller: Caller) -> None:
        """Refused while customers hold it manually (1022); those who earned it move to the next
        level they earn."""
        current = await self.get(level_id, caller)
        now = utc_now()
        async with self._db.transaction():
            # Deleted first: the row lock waits for an import holding the level (for share), whose
            # new holders the check then sees; a refusal rolls the deletion back.
            await queries.delete_level(self._db, level_id)
            if await queries.has_manual_customers(self._db, level_id):
                raise ApiError(catalogue.LEVEL_MANUALLY_ASSIGNED)
            condition = current.condition_value
            window = await _moved_by(self._db, current.store, condition, condition)
            moved = await _recalculate_store(self._db, current.store, caller.actor, now, window=window)
            await self._audit.append(
                caller.audit, store=current.store, details={"levelId": level_id, "recalculated": moved}
            )

    async def assign(self, customer: Customer, level_id: str, caller: Caller) -> None:
        """A manual level of the customer's store (another store's, or none: 901 choice); the same
        manual level again: nothing written."""
        level = await queries.level_by_id(self._db, level_id)
        if level is None or level.store != customer.store:
            raise ApiError.invalid("levelId", CHOICE)
        if customer.manually_assigned_level and customer.level_id == level_id:
            return
        now = utc_now()
        async with self._db.transaction():
            await queries.set_customer_level(self._db, customer.id, level_id, True, now)
            await history.record(
                self._db,
                customer,
                LEVEL_WAS_ASSIGNED,
                caller.actor,
                now,
                changed_fields=["levelId", "manuallyAssignedLevel"],
                values=_level_values(level_id, customer.level_id),
            )
            await self._audit.append(
                caller.audit,
                customer_reference=customer.reference,
                store=customer.store,
                details={"fields": ["levelId", "manuallyAssignedLevel"]},
            )

    async def remove_manual(self, customer: Customer, caller: Caller) -> None:
        """Back to the level the customer earns; without a manual level 1023."""
        if not customer.manually_assigned_level:
            raise ApiError(catalogue.NOT_MANUALLY_ASSIGNED)
        now = utc_now()
        async with self._db.transaction():
            earned = await queries.earned_level_of(self._db, customer.id)
            await queries.set_customer_level(self._db, customer.id, earned, False, now)
            await history.record(
                self._db,
                customer,
                MANUAL_LEVEL_WAS_REMOVED,
                caller.actor,
                now,
                changed_fields=["levelId", "manuallyAssignedLevel"],
                values=_level_values(earned, customer.level_id),
            )
            await self._audit.append(
                caller.audit,
                customer_reference=customer.reference,
                store=customer.store,
                details={"fields": ["levelId", "manuallyAssignedLevel"]},
            )


def _current_value(level: Level, name: str) -> Any:
    value = getattr(level, name)
    return Decimal(value) if name == "reward_percent" else value

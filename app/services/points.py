"""The points ledger (BO §4.3): adds and spends of a customer, cancellation, expiry and the status
figures. Dates are the customer's store's calendar. A spend locks the customer row, so concurrent
spends queue and the balance never goes below zero; it consumes the unlocked, unexpired adds with
the earliest ``expiresOn`` first (none last), then the oldest. Every write is one transaction with
its history event (carrying the balance after it) and its audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.clock import utc_now
from app.database import Database
from app.models import Actor, Customer, PointsStatus, PointsTransfer
from app.queries import backoffice_customers as customer_queries
from app.queries import history as history_queries
from app.queries import levels as level_queries
from app.queries import points as queries
from app.services import history
from app.services.audit import AuditService
from app.services.backoffice_customers import Caller
from app.stores import StoreCatalogue
from errors import ApiError, Problem, catalogue

__all__ = ["PointsService", "TransferFilters", "expire_lapsed_points"]

POINTS_WERE_ADDED = "PointsWereAdded"
POINTS_WERE_SPENT = "PointsWereSpent"
POINTS_TRANSFER_WAS_CANCELED = "PointsTransferWasCanceled"
POINTS_TRANSFER_WAS_EXPIRED = "PointsTransferWasExpired"
EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class TransferFilters:
    transfer_type: str | None = None
    state: str | None = None


def store_today(stores: StoreCatalogue, store_code: str) -> date:
    """Today in the store's time zone."""
    store = stores.find(store_code)
    assert store is not None, store_code
    return utc_now().astimezone(ZoneInfo(store.time_zone)).date()


def _invalid(attribute: str, message: str) -> Problem:
    return Problem(catalogue.VALIDATION_FAILED, attribute, {"field": attribute, "message": message})


def _text(points: Decimal) -> str:
    return f"{points:.2f}"


class PointsService:
    def __init__(self, db: Database, stores: StoreCatalogue, audit: AuditService) -> None:
        self._db = db
        self._stores = stores
        self._audit = audit

    async def customer(self, reference: str) -> Customer:
        """The storefront caller's own customer row as it is now (its aggregates and level too)."""
        found = await customer_queries.customer_by_reference(self._db, reference)
        if found is None:
            raise ApiError(catalogue.CUSTOMER_NOT_FOUND)
        return found

    def today(self, customer: Customer) -> date:
        return store_today(self._stores, customer.store)

    async def list(
        self, customer: Customer, filters: TransferFilters, newest_first: bool, offset: int, limit: int
    ) -> tuple[list[PointsTransfer], int]:
        """One page of the customer's transfers and how many match."""
        today = self.today(customer)
        found = await queries.list_transfers(
            self._db, customer.id, today, filters.transfer_type, filters.state, newest_first, offset, limit
        )
        total = await queries.count_transfers(
            self._db, customer.id, today, filters.transfer_type, filters.state
        )
        return found, total

    async def get(self, customer: Customer, transfer_id: str) -> PointsTransfer:
        """A transfer of this customer; unknown or another customer's: 1028."""
        found = await queries.transfer_of_customer(self._db, customer.id, transfer_id, self.today(customer))
        if found is None:
            raise ApiError(catalogue.POINTS_TRANSFER_NOT_FOUND)
        return found

    async def create(self, customer: Customer, values: dict[str, Any], caller: Caller) -> PointsTransfer:
        """An add (``expiresOn`` ≥ today, ``lockedUntil`` after today and before ``expiresOn``) or a
        spend (only ``points`` and ``comment``; above the balance 1027)."""
        today = self.today(customer)
        if values["transfer_type"] == queries.ADD:
            problems = _add_problems(values, today)
            if problems:
                raise ApiError.of(problems)
        transfer_id = str(uuid.uuid4())
        now = utc_now()
        points: Decimal = values["points"]
        comment = values.get("comment")
        async with self._db.transaction():
            await queries.lock_customer(self._db, customer.id)
            if values["transfer_type"] == queries.ADD:
                event_type = POINTS_WERE_ADDED
                row: dict[str, Any] = {
                    "remaining_points": points,
                    "expires_on": values.get("expires_on"),
                    "locked_until": values.get("locked_until"),
                }
            else:
                event_type = POINTS_WERE_SPENT
                await self._consume(customer.id, points, today)
                row = {"remaining_points": Decimal(0), "expires_on": None, "locked_until": None}
            await queries.insert_transfer(
                self._db,
                {
                    "id": transfer_id,
                    "customer_id": customer.id,
                    "transfer_type": values["transfer_type"],
                    "points": points,
                    "state": "active",
                    "comment": comment,
                    "actor_type": caller.actor.type,
                    "actor_id": caller.actor.id,
                    "created_at": now,
                    **row,
                },
            )
            await self._record(
                customer, event_type, caller, now, today, transfer_id, points, comment, row["expires_on"]
            )
        return await self.get(customer, transfer_id)

    async def _consume(self, customer_id: int, points: Decimal, today: date) -> None:
        adds = await queries.spendable_adds(self._db, customer_id, today)
        if sum((remaining for _, remaining in adds), Decimal(0)) < points:
            raise ApiError(catalogue.NOT_ENOUGH_POINTS)
        left = points
        for add_id, remaining in adds:
            if left <= 0:
                break
            taken = min(remaining, left)
            await queries.set_remaining(self._db, add_id, remaining - taken)
            left -= taken

    async def _record(
        self,
        customer: Customer,
        event_type: str,
        caller: Caller,
        now: datetime,
        today: date,
        transfer_id: str,
        points: Decimal,
        comment: str | None,
        expires_on: date | None,
    ) -> None:
        values = {
            "transferId": transfer_id,
            "points": _text(points),
            "comment": comment,
            "expiresOn": expires_on.isoformat() if expires_on else None,
        }
        await history.record(
            self._db,
            customer,
            event_type,
            caller.actor,
            now,
            changed_fields=list(values),
            values=values,
            points_balance=await queries.balance(self._db, customer.id, today),
        )
        await self._audit.append(
            caller.audit,
            customer_reference=customer.reference,
            store=customer.store,
            details={"transferId": transfer_id},
        )

    async def cancel(self, customer: Customer, transfer_id: str, caller: Caller) -> None:
        """An active add only (else 1029); its remainder is dropped."""
        today = self.today(customer)
        now = utc_now()
        async with self._db.transaction():
            await queries.lock_customer(self._db, customer.id)
            transfer = await queries.transfer_of_customer(self._db, customer.id, transfer_id, today)
            if transfer is None:
                raise ApiError(catalogue.POINTS_TRANSFER_NOT_FOUND)
            if transfer.transfer_type != queries.ADD or transfer.state != "active":
                raise ApiError(catalogue.POINTS_TRANSFER_NOT_CANCELABLE)
            await queries.cancel_add(self._db, transfer_id, now)
            await self._record(
                customer,
                POINTS_TRANSFER_WAS_CANCELED,
                caller,
                now,
                today,
                transfer_id,
                transfer.points,
                transfer.comment,
                transfer.expires_on,
            )

    async def status(self, customer: Customer) -> PointsStatus:
        """The figures as of today: ``points`` spendable, ``lockedPoints``, ``usedPoints``,
        ``expiredPoints``, ``totalEarnedPoints`` (adds less canceled remainders = the four
        together), and what expires within 30 days, per date."""
        today = self.today(customer)
        sums = await queries.figures(
            self._db, customer.id, today, today + timedelta(days=EXPIRING_WITHIN_DAYS)
        )
        breakdown: dict[str, Decimal] = sums["breakdown"]
        return PointsStatus(
            points=sums["points"],
            total_earned_points=sums["added"] - sums["dropped"],
            used_points=sums["used"],
            expired_points=sums["expired"],
            locked_points=sums["locked"],
            points_expiring_next_month=sum(breakdown.values(), Decimal("0.00")),
            points_expiring_breakdown=breakdown,
        )

    async def customer_status(self, customer: Customer) -> CustomerStatus:
        """The status: next level the store's next higher than the effective one (none: the lowest
        above the customer's amount), and the amount still to spend to reach it (≥ 0)."""
        figures = await self.status(customer)
        level = await level_queries.level_by_id(self._db, customer.level_id) if customer.level_id else None
        amount = customer.transactions_amount_without_delivery_costs
        above = level.condition_value if level is not None else None
        following = await level_queries.next_level(
            self._db, customer.store, above if above is not None else amount
        )
        store = self._stores.find(customer.store)
        assert store is not None
        return CustomerStatus(
            id=customer.reference,
            points=figures.points,
            total_earned_points=figures.total_earned_points,
            used_points=figures.used_points,
            expired_points=figures.expired_points,
            locked_points=figures.locked_points,
            points_expiring_next_month=figures.points_expiring_next_month,
            points_expiring_breakdown=figures.points_expiring_breakdown,
            level_id=level.id if level else None,
            level_name=level.name if level else None,
            level_reward_percent=level.reward_percent if level else None,
            level_condition_value=level.condition_value if level else None,
            manually_assigned_level=customer.manually_assigned_level,
            next_level_id=following.id if following else None,
            next_level_name=following.name if following else None,
            next_level_reward_percent=following.reward_percent if following else None,
            next_level_condition_value=following.condition_value if following else None,
            transactions_amount_to_next_level_without_delivery_costs=(
                max(0, following.condition_value - amount) if following else None
            ),
            transactions_count=customer.transactions_count,
            transactions_amount=customer.transactions_amount,
            transactions_amount_without_delivery_costs=amount,
            average_transaction_amount=customer.average_transaction_amount,
            last_transaction_date=customer.last_transaction_date,
            currency=store.currency_iso_code,
        )


@dataclass(frozen=True)
class CustomerStatus:
    """``customer-status`` (BO §4.3): the points figures, the effective and the next level, and the
    aggregates (minor units of ``currency``)."""

    id: str
    points: Decimal
    total_earned_points: Decimal
    used_points: Decimal
    expired_points: Decimal
    locked_points: Decimal
    points_expiring_next_month: Decimal
    points_expiring_breakdown: dict[str, Decimal]
    level_id: str | None
    level_name: str | None
    level_reward_percent: str | None
    level_condition_value: int | None
    manually_assigned_level: bool
    next_level_id: str | None
    next_level_name: str | None
    next_level_reward_percent: str | None
    next_level_condition_value: int | None
    transactions_amount_to_next_level_without_delivery_costs: int | None
    transactions_count: int
    transactions_amount: int
    transactions_amount_without_delivery_costs: int
    average_transaction_amount: int
    last_transaction_date: datetime | None
    currency: str


def _add_problems(values: dict[str, Any], today: date) -> list[Problem]:
    problems: list[Problem] = []
    expires_on: date | None = values.get("expires_on")
    locked_until: date | None = values.get("locked_until")
    if expires_on is not None and expires_on < today:
        problems.append(_invalid("expiresOn", f"This value should be greater than or equal to {today}."))
    if locked_until is not None and locked_until <= today:
        problems.append(_invalid("lockedUntil", f"This value should be greater than {today}."))
    elif locked_until is not None and expires_on is not None and locked_until >= expires_on:
        problems.append(_invalid("lockedUntil", f"This value should be less than {expires_on}."))
    return problems


async def expire_lapsed_points(db: Database, stores: StoreCatalogue, batch_size: int) -> int:
    """The jobs worker's step: mark the adds past their ``expiresOn`` (each store's calendar)
    expired, one PointsTransferWasExpired each, claimed with FOR UPDATE SKIP LOCKED so several
    workers share the work. How many were marked."""
    marked = 0
    for store in stores:
        today = store_today(stores, store.code)
        now = utc_now()
        async with db.transaction():
            lapsed = await queries.lapsed_adds(db, store.code, today, batch_size)
            if not lapsed:
                continue
            await queries.mark_expired(db, [transfer_id for transfer_id, *_ in lapsed], now)
            for transfer_id, customer_id, reference, row in lapsed:
                expires_on = row["expires_on"]
                await history_queries.append_event(
                    db,
                    customer_id=customer_id,
                    customer_reference=reference,
                    event_type=POINTS_TRANSFER_WAS_EXPIRED,
                    actor=Actor("system", None),
                    changed_fields=["state"],
                    values={
                        "transferId": transfer_id,
                        "points": _text(Decimal(row["remaining_points"])),
                        "comment": row["comment"],
                        "expiresOn": str(expires_on) if expires_on is not None else None,
                    },
                    now=now,
                    points_balance=await queries.balance(db, customer_id, today),
                )
        marked += len(lapsed)
    return marked

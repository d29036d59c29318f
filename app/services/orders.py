"""Orders: the commerce system's orders as a read model, and the customer aggregates they feed.

Rules (CB §6):
- an upsert by (store, orderNumber): new → created; an older ``sourceUpdatedAt`` → stale, nothing
  written; the same content → unchanged (only a newer ``sourceUpdatedAt`` kept); else updated;
- an order is never reassigned: another customer's number is 1132;
- every write locks the customer row first and applies the difference between the order's old and
  new contribution to the aggregates in the same transaction, so parallel ingests of one new order
  make one row, counted once; a batch locks its customers in ascending id order;
- counted orders are ``new, processing, shipped, delivered``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import Actor, IngestResult, Order, OrderItem, OrderPage
from app.queries import orders as queries
from app.queries.orders import Aggregates, AggregatesChange, CustomerOfStore, OrderCompanies
from app.services.levels import recalculate_customers
from app.stores import Store
from app.tables import COUNTED_STATUSES
from errors import ApiError, Problem, catalogue

__all__ = [
    "OrderService",
    "BatchRefused",
    "ORDER_STATUSES",
    "CREATED",
    "UPDATED",
    "UNCHANGED",
    "STALE",
    "average",
    "Audited",
]

# A step that joins an ingest's transaction (the back-office's audit entry), given the references
# of the customers the request touched.
Audited = Callable[[Sequence[str]], Awaitable[None]] | None

ORDER_STATUSES = ("new", "processing", "shipped", "delivered", "cancelled", "returned")
CREATED, UPDATED, UNCHANGED, STALE = "created", "updated", "unchanged", "stale"
BIGINT_MAX = 2**63 - 1
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9._-]{1,64}")
_NOT_VALID = "This value is not valid."


class BatchRefused(ApiError):
    """Every refused row of a batch at once: 422, whatever each row's own code (CB §6.2)."""

    @property
    def status(self) -> int:
        return 422


@dataclass(frozen=True)
class _Row:
    """One order to write, its customer found, and where its errors point (``orders/3/`` in a batch)."""

    order: Order
    prefix: str


def average(amount: int, count: int) -> int:
    """``amount ÷ count`` rounded half up to the minor unit; 0 without orders."""
    return (2 * amount + count) // (2 * count) if count else 0


def _contribution(order: Order | None) -> tuple[int, int, int]:
    if order is None or order.status not in COUNTED_STATUSES:
        return (0, 0, 0)
    return (1, order.grand_total, order.grand_total - order.delivery_costs)


def _same_content(old: Order, new: Order) -> bool:
    ignored = {"source_updated_at": None, "created_at": None, "updated_at": None, "customer_reference": ""}
    return replace(old, **ignored) == replace(new, **ignored)  # type: ignore[arg-type]


class OrderService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reads -------------------------------------------------------------------------------

    async def list_for_customer(
        self,
        customer_id: int,
        reference: str,
        *,
        status: str | None = None,
        newest_first: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> OrderPage:
        """Newest first unless asked otherwise (ties by orderNumber); ``totalElements`` of the
        unfiltered list is the customer's ``orders_count``."""
        found = await queries.list_orders(
            self._db,
            customer_id,
            reference,
            status=status,
            newest_first=newest_first,
            offset=offset,
            limit=limit,
        )
        total = await queries.count_orders(self._db, customer_id, status)
        return OrderPage(orders=tuple(found), total=total, offset=offset, limit=limit)

    async def list_for_company(
        self,
        company_id: str,
        *,
        status: str | None = None,
        newest_first: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> OrderPage:
        """The orders ingested with this ``companyId`` (CB §6.4), whoever of its users placed them,
        in the customer list's order."""
        found = await queries.list_company_orders(
            self._db, company_id, status=status, newest_first=newest_first, offset=offset, limit=limit
        )
        total = await queries.count_company_orders(self._db, company_id, status)
        return OrderPage(orders=tuple(found), total=total, offset=offset, limit=limit)

    async def page_for_customer(
        self,
        customer_id: int,
        reference: str,
        *,
        status: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 10,
    ) -> list[Order]:
        """The back-office's keyset page: newest first (ties by orderNumber) after ``after``."""
        return await queries.list_orders_after(
            self._db, customer_id, reference, status=status, after=after, limit=limit
        )

    async def get_for_customer(self, customer_id: int, store: str, order_number: str) -> Order:
        """One of this customer's orders; unknown or another customer's is 1130."""
        order = (
            await queries.find_order(self._db, store, order_number, customer_id=customer_id)
            if _ORDER_NUMBER.fullmatch(order_number)
            else None
        )
        if order is None:
            raise ApiError(catalogue.ORDER_NOT_FOUND)
        return order

    async def get(self, store: Store, order_number: str) -> Order:
        """An order of the store (the back-office's view); unknown is 1130."""
        order = (
            await queries.find_order(self._db, store.code, order_number)
            if _ORDER_NUMBER.fullmatch(order_number)
            else None
        )
        if order is None:
            raise ApiError(catalogue.ORDER_NOT_FOUND)
        return order

    async def aggregates(self, customer_id: int) -> Aggregates:
        async with self._db.transaction():
            return await queries.lock_aggregates(self._db, customer_id)

    async def recomputed_aggregates(self, customer_id: int) -> Aggregates:
        """The aggregates recomputed from the orders table (what the incremental ones must equal)."""
        return await queries.recompute_aggregates(self._db, customer_id)

    # -- ingest ------------------------------------------------------------------------------

    async def ingest(self, store: Store, fields: dict[str, Any], audited: Audited = None) -> IngestResult:
        """Upsert one order (CB §6.2); ``audited`` joins its transaction."""
        rows = await self._prepare(store, [fields], batch_mode=False)
        async with self._db.transaction():
            results, problems = await self._write(rows)
            if problems:
                raise ApiError.of(problems)
            if audited is not None:
                await audited([results[0].order.customer_reference])
        return results[0]

    async def ingest_batch(
        self, store: Store, batch: Sequence[dict[str, Any]], audited: Audited = None
    ) -> list[IngestResult]:
        """Upsert many orders, all or nothing: any refused row refuses the batch with every row's
        errors; one audit entry names every customer touched."""
        rows = await self._prepare(store, batch, batch_mode=True)
        async with self._db.transaction():
            results, problems = await self._write(rows)
            if problems:
                raise BatchRefused.of(problems)
            if audited is not None:
                await audited(sorted({result.order.customer_reference for result in results}))
        return results

    async def change_status(
        self,
        store: Store,
        order_number: str,
        status: str,
        source_updated_at: datetime,
        audited: Audited = None,
    ) -> IngestResult:
        """A status change is an upsert of the stored order with another status (stale, unchanged or
        updated as any upsert); an unknown order is 1130."""
        existing = await self.get(store, order_number)
        fields = _fields_of(existing)
        fields.update(status=status, source_updated_at=source_updated_at)
        return await self.ingest(store, fields, audited)

    async def seed(self, store: Store, batch: Sequence[dict[str, Any]]) -> list[IngestResult]:
        """Ingest orders in batches of 500 (fixtures and benchmarks: the rules are those of a batch)."""
        results: list[IngestResult] = []
        for start in range(0, len(batch), 500):
            results.extend(await self.ingest_batch(store, batch[start : start + 500]))
        return results

    async def _prepare(
        self, store: Store, batch: Sequence[dict[str, Any]], *, batch_mode: bool
    ) -> list[_Row]:
        """Find each row's customer (1131), check its currency (1133), locale (901), company (1110)
        and the customer's user of it (1134): every row's refusals at once, nothing written."""
        references = sorted({fields["customer_reference"] for fields in batch})
        found = await queries.customers_by_reference(self._db, store.code, references)
        companies = await queries.order_companies(
            self._db,
            store.code,
            sorted({fields["company_id"] for fields in batch if _company_to_check(fields)}),
            sorted(customer.id for customer in found.values()),
        )
        now = utc_now()
        rows: list[_Row] = []
        problems: list[Problem] = []
        for index, fields in enumerate(batch):
            prefix = f"orders/{index}/" if batch_mode else ""
            customer = found.get(fields["customer_reference"])
            row_problems = _refusals(store, fields, customer, companies, prefix)
            problems.extend(row_problems)
            if customer is not None and not row_problems:
                rows.append(_Row(_new_order(store, fields, customer, companies, now), prefix))
        if problems:
            raise (BatchRefused if batch_mode else ApiError).of(problems)
        return rows

    async def _write(self, rows: list[_Row]) -> tuple[list[IngestResult], list[Problem]]:
        """Inside the caller's transaction, set-based: lock the customers (ascending ids, one
        statement), read the stored orders, insert the new ones and replace the changed ones, then
        write each touched customer's aggregates and the history events once."""
        store = rows[0].order.store
        current = await queries.lock_customers(self._db, sorted({row.order.customer_id for row in rows}))
        stored = await queries.find_orders(self._db, store, [row.order.order_number for row in rows])
        new_orders = [row.order for row in rows if row.order.order_number not in stored]
        created = await queries.insert_orders(self._db, store, new_orders)
        lost = [order.order_number for order in new_orders if order.order_number not in created]
        if lost:
            # Another transaction made them meanwhile: another customer's (ours hold these locks).
            stored.update(await queries.find_orders(self._db, store, lost))
        results: list[IngestResult] = []
        problems: list[Problem] = []
        writes: list[tuple[_Row, Order | None, Order]] = []  # (row, before, after) of created and updated
        replaced: list[Order] = []
        for row in rows:
            outcome: str | None
            before: Order | None
            if row.order.order_number in created:
                outcome, after, before = CREATED, row.order, None
            else:
                outcome, after = _outcome(row.order, stored[row.order.order_number])
                before = stored[row.order.order_number]
                if outcome is None:
                    problems.append(Problem(catalogue.RECORD_OF_ANOTHER_CUSTOMER, row.prefix + "orderNumber"))
                    continue
                if after != before:
                    replaced.append(after)
            if outcome in (CREATED, UPDATED):
                writes.append((row, before, after))
            results.append(IngestResult(after, outcome))
        changes = _aggregate_changes(current, writes, problems)
        if problems:
            # In row order, as a row-by-row write would have found them.
            position = {row.prefix: index for index, row in enumerate(rows)}
            problems.sort(key=lambda problem: position[_row_prefix(problem.attribute or "")])
            return results, problems
        await queries.replace_orders(self._db, store, replaced)
        await self._write_aggregates(store, changes)
        await queries.insert_history_events(
            self._db,
            [
                # The commerce system pushed it: the history names no person (the audit names the client).
                queries.HistoryRow(
                    customer_id=after.customer_id,
                    customer_reference=after.customer_reference,
                    event_type="OrderWasAdded" if before is None else "OrderWasUpdated",
                    values={"orderNumber": after.order_number, "status": after.status},
                    created_at=after.updated_at,
                )
                for _, before, after in writes
            ],
        )
        return results, problems

    async def _write_aggregates(self, store: str, changes: list[AggregatesChange]) -> dict[int, Aggregates]:
        """Every aggregate change of a write goes through here, once per touched customer, in the
        write's transaction and under the customers' locks (CB §6.3): the aggregates as written.
        The touched customers' automatic levels follow them in the same transaction (BO §4.3)."""
        written = await queries.write_aggregates_of(self._db, changes)
        if written:
            await recalculate_customers(self._db, store, sorted(written), Actor("system", None), utc_now())
        return written


def _row_prefix(pointer: str) -> str:
    """``orders/3/`` of ``orders/3/totals/grandTotal`` (a batch's row); empty for a single order."""
    return "/".join(pointer.split("/")[:2]) + "/" if pointer.startswith("orders/") else ""


def _outcome(order: Order, existing: Order) -> tuple[str | None, Order]:
    """(outcome, the order as it is to be stored) against the stored one; None: another customer's."""
    if existing.customer_id != order.customer_id:
        return None, existing
    if order.source_updated_at < existing.source_updated_at:
        return STALE, existing
    if _same_content(existing, order):
        return UNCHANGED, replace(existing, source_updated_at=order.source_updated_at)
    return UPDATED, replace(order, created_at=existing.created_at)


def _aggregate_changes(
    current: dict[int, Aggregates],
    writes: list[tuple[_Row, Order | None, Order]],
    problems: list[Problem],
) -> list[AggregatesChange]:
    """Each touched customer's aggregates with every written order's old contribution replaced by
    its new one, row by row (a row carrying a column past BIGINT is 901 at its grandTotal)."""
    aggregates = dict(current)
    probes: set[int] = set()
    touched: list[int] = []
    for row, before, after in writes:
        customer_id = after.customer_id
        latest_before = current[customer_id].last_transaction_date
        following = _applied(aggregates[customer_id], before, after)
        if following is None:
            problems.append(_invalid(row.prefix + "totals/grandTotal", "grandTotal", _NOT_VALID))
            continue
        old_counts = _contribution(before)[0]
        if (
            old_counts
            and before is not None
            and latest_before is not None
            and before.order_date >= latest_before
            and not (_contribution(after)[0] and after.order_date >= before.order_date)
        ):
            probes.add(customer_id)  # the (or a) latest counted order stopped counting or moved back
        aggregates[customer_id] = following
        if customer_id not in touched:
            touched.append(customer_id)
    return [
        AggregatesChange(customer_id, aggregates[customer_id], customer_id in probes)
        for customer_id in touched
    ]


def _applied(current: Aggregates, before: Order | None, after: Order) -> Aggregates | None:
    """The aggregates with ``before``'s contribution replaced by ``after``'s (None past BIGINT);
    lastTransactionDate only moves forward here (a probe re-reads it when it must move back)."""
    old, new = _contribution(before), _contribution(after)
    count = current.transactions_count + new[0] - old[0]
    amount = current.transactions_amount + new[1] - old[1]
    without = current.transactions_amount_without_delivery_costs + new[2] - old[2]
    orders_count = current.orders_count + (1 if before is None else 0)
    if max(abs(amount), abs(without), orders_count) > BIGINT_MAX:
        return None
    last = current.last_transaction_date
    if new[0] and (last is None or after.order_date > last):
        last = after.order_date
    return Aggregates(
        orders_count=orders_count,
        transactions_count=count,
        transactions_amount=amount,
        transactions_amount_without_delivery_costs=without,
        average_transaction_amount=average(amount, count),
        last_transaction_date=last,
    )


def _invalid(pointer: str, name: str, message: str) -> Problem:
    return Problem(catalogue.VALIDATION_FAILED, pointer, {"field": name, "message": message})


def _refusals(
    store: Store,
    fields: dict[str, Any],
    customer: CustomerOfStore | None,
    companies: OrderCompanies,
    prefix: str,
) -> list[Problem]:
    problems: list[Problem] = []
    if customer is None:
        problems.append(Problem(catalogue.INGEST_CUSTOMER_NOT_FOUND, prefix + "customerReference"))
    if fields["currency_iso_code"] != store.currency_iso_code:
        problems.append(Problem(catalogue.CURRENCY_MISMATCH, prefix + "currencyIsoCode"))
    locale = fields.get("locale")
    if locale is not None and store.locale_choice(locale) is None:
        problems.append(
            _invalid(prefix + "locale", "locale", "The value you selected is not a valid choice.")
        )
    company_id = fields.get("company_id") if _company_to_check(fields) else None
    if company_id is not None and company_id not in companies.known:
        problems.append(Problem(catalogue.COMPANY_NOT_IN_STORE, prefix + "companyId"))
    elif company_id is not None and customer is not None and (company_id, customer.id) not in companies.users:
        problems.append(Problem(catalogue.NOT_A_COMPANY_USER, prefix + "companyId"))
    return problems


def _company_to_check(fields: dict[str, Any]) -> bool:
    """Whether the row names a company to look up: a stored order's status change keeps its company
    user (``company_user_id`` comes only from the stored order), even one that has left since."""
    return fields.get("company_id") is not None and "company_user_id" not in fields


def _new_order(
    store: Store, fields: dict[str, Any], customer: CustomerOfStore, companies: OrderCompanies, now: datetime
) -> Order:
    locale = fields.get("locale")
    company_id = fields.get("company_id")
    company_user_id: str | None
    if _company_to_check(fields):
        company_user_id = companies.users[(fields["company_id"], customer.id)]
    else:
        company_user_id = fields.get("company_user_id")  # none, or a stored order's
    return Order(
        store=store.code,
        order_number=fields["order_number"],
        customer_id=customer.id,
        customer_reference=customer.reference,
        order_date=fields["order_date"].astimezone(UTC),
        status=fields["status"],
        currency_iso_code=fields["currency_iso_code"],
        grand_total=fields["totals"]["grand_total"],
        delivery_costs=fields["totals"]["delivery_costs"],
        items=tuple(OrderItem(**item) for item in fields["items"]),
        locale=(store.locale_choice(locale) if locale is not None else None)
        or store.resolve_locale(customer.locale),
        company_id=company_id,
        company_user_id=company_user_id,
        source_updated_at=fields["source_updated_at"].astimezone(UTC),
        created_at=now,
        updated_at=now,
    )


def _fields_of(order: Order) -> dict[str, Any]:
    """An order as the schema loads it (a status change re-ingests the stored order)."""
    return {
        "order_number": order.order_number,
        "customer_reference": order.customer_reference,
        "order_date": order.order_date,
        "status": order.status,
        "currency_iso_code": order.currency_iso_code,
        "totals": {"grand_total": order.grand_total, "delivery_costs": order.delivery_costs},
        "items": [
            {"sku": item.sku, "name": item.name, "quantity": item.quantity, "unit_price": item.unit_price}
            for item in order.items
        ],
        "locale": order.locale,
        "company_id": order.company_id,
        "company_user_id": order.company_user_id,
        "source_updated_at": order.source_updated_at,
    }

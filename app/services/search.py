"""The back-office customer search (BO §4.5): filters AND together, sorted with ties by id, paged by
offset (with a bounded exact count, beyond it PostgreSQL's estimate) or by keyset cursor."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.clock import utc_now
from app.database import Database
from app.models import Company
from app.phones import InvalidPhone, normalise_phone
from app.queries import search as queries
from app.settings import Settings
from app.stores import Store, StoreCatalogue
from app.tables import CUSTOMER_STATUSES, customers
from errors import ApiError

__all__ = [
    "FILTERS",
    "TEXT_FILTERS",
    "SORT_KEYS",
    "SearchScope",
    "SearchPaging",
    "SearchHit",
    "SearchResult",
    "SearchService",
]

TEXT_FILTERS = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "loyaltyCardNumber",
    "city",
    "postcode",
    "emailOrPhone",
)
_AGGREGATES = {
    "transactionsCount": customers.c.transactions_count,
    "transactionsAmount": customers.c.transactions_amount,
    "transactionsAmountWithoutDeliveryCosts": customers.c.transactions_amount_without_delivery_costs,
    "averageTransactionAmount": customers.c.average_transaction_amount,
}
_IDS = {"levelId": customers.c.level_id, "posId": customers.c.pos_id, "sellerId": customers.c.seller_id}
_TIMESTAMPS = {"createdAt": customers.c.created_at, "updatedAt": customers.c.updated_at}
FILTERS = frozenset(
    {
        *TEXT_FILTERS,
        "match",
        "label",
        "status",
        "active",
        "manuallyAssignedLevel",
        "store",
        *_IDS,
        *(f"{name}{end}" for name in _TIMESTAMPS for end in ("From", "To")),
        "hoursFromLastUpdateTo",
        "daysFromLastTransactionTo",
        *(f"{name}{end}" for name in _AGGREGATES for end in ("From", "To")),
    }
)
SORT_KEYS = tuple(queries.SORT_COLUMNS)
DEFAULT_SORT = "-createdAt"
# A first page whose bounded count found at most this many matches sorts them after finding them
# (queries.search_rows): reading them costs less than walking the sort index past the others.
_FEW_MATCHES = 1000
# What a phone filter ignores in the number typed: spaces and the usual separators.
_PHONE_SEPARATORS = str.maketrans("", "", " -./()\t")


@dataclass(frozen=True)
class SearchScope:
    """Who searches: the stores it may see (None: all) and whether it is a seller."""

    stores: tuple[str, ...] | None
    seller: bool


@dataclass(frozen=True)
class SearchPaging:
    """``offset`` None: a keyset page after ``position`` (None: the first page)."""

    limit: int
    offset: int | None = 0
    position: Any = None


@dataclass(frozen=True)
class SearchHit:
    """A customer as the back-office search shows it (BO §3)."""

    id: int
    reference: str
    store: str
    email: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    gender: str | None
    date_of_birth: date | None
    locale: str | None
    phone: str | None
    loyalty_card_number: str | None
    labels: list[dict[str, str]]
    agreement1: bool
    agreement2: bool
    agreement3: bool
    company: Company | None
    status: str
    level_id: str | None
    manually_assigned_level: bool
    pos_id: str | None
    seller_id: str | None
    transactions_count: int
    transactions_amount: int
    transactions_amount_without_delivery_costs: int
    average_transaction_amount: int
    last_transaction_date: datetime | None
    currency: str
    has_avatar: bool
    pending_email: str | None
    pending_phone: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int | None  # None: not counted (a cursor page after the first)
    total_exact: bool
    next_position: list[Any] | None  # a keyset page's cursor position, None at the end
    filter_names: tuple[str, ...]


def _bad(name: str) -> ApiError:
    return ApiError.query(f"filter[{name}]")


def _one(filters: Mapping[str, list[str]], name: str) -> str | None:
    values = filters.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise _bad(name)
    return values[0]


def _boolean(filters: Mapping[str, list[str]], name: str) -> bool | None:
    value = _one(filters, name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise _bad(name)
    return value == "true"


def _count(filters: Mapping[str, list[str]], name: str) -> int | None:
    value = _one(filters, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise _bad(name)
    return int(value)


def _instant_or_date(filters: Mapping[str, list[str]], name: str) -> datetime | date | None:
    value = _one(filters, name)
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(name) from None
    if moment.tzinfo is None:
        raise _bad(name)
    return moment


def _comparable(value: datetime | date) -> tuple[int, datetime | date]:
    return (0, value) if isinstance(value, datetime) else (1, value)


class SearchService:
    def __init__(self, db: Database, settings: Settings, stores: StoreCatalogue) -> None:
        self._db = db
        self._settings = settings
        self._stores = stores

    def _store_codes(self, filters: Mapping[str, list[str]], scope: SearchScope) -> tuple[str, ...]:
        """The stores searched: ``filter[store]`` (each configured and the caller's, else 011) or all
        the caller's."""
        allowed = self._stores.codes if scope.stores is None else scope.stores
        named = _one(filters, "store")
        if named is None:
            return tuple(allowed)
        codes: list[str] = []
        for part in named.split(","):
            store = self._stores.find(part.strip()) if part.strip() else None
            if store is None or store.code not in allowed:
                raise _bad("store")
            if store.code not in codes:
                codes.append(store.code)
        return tuple(codes)

    def _date_bound(
        self, value: datetime | date, stores: Sequence[str], upper: bool
    ) -> tuple[queries.Bound, bool]:
        """A bound and whether it is inclusive: a moment as given; a date as its start (lower) or
        the start of the next day (upper, exclusive) in each store's time zone."""
        if isinstance(value, datetime):
            return queries.Bound(moment=value), True
        day = value + timedelta(days=1) if upper else value
        per_store = []
        for code in stores:
            store = self._stores.find(code)
            assert store is not None
            zone = zoneinfo.ZoneInfo(store.time_zone)
            per_store.append((code, datetime.combine(day, time(0), tzinfo=zone)))
        return queries.Bound(per_store=tuple(per_store)), not upper

    def _text(self, name: str, value: str, exact: bool) -> sa.ColumnElement[bool]:
        if not value.strip():
            raise _bad(name)
        lowered = value.strip().lower()
        if name in ("city", "postcode"):
            if exact:
                return queries.address_matches(name, lambda column: column == lowered)
            return queries.address_matches(name, lambda column: queries.contains(column, lowered))
        if name == "emailOrPhone":
            either = [self._text("email", value, exact)]
            phone = self._phone_condition(value, exact)
            if phone is not None:
                either.append(phone)
            return sa.or_(*either)
        if name == "phone":
            condition = self._phone_condition(value, exact)
            if condition is None:
                raise _bad(name)
            return condition
        column = queries.TEXT_COLUMNS[name]
        return queries.equals(column, lowered) if exact else queries.contains(column, lowered)

    def _phone_condition(self, value: str, exact: bool) -> sa.ColumnElement[bool] | None:
        """Exact: the number parsed to E.164 (None when it is no number); contains: the digits typed,
        separators stripped."""
        if exact:
            try:
                return customers.c.phone == normalise_phone(value, self._settings.phone_default_region)
            except InvalidPhone:
                return None
        stripped = value.translate(_PHONE_SEPARATORS)
        if not stripped:
            return None
        return queries.contains(customers.c.phone, stripped)

    def conditions(
        self, filters: Mapping[str, list[str]], scope: SearchScope, now: datetime
    ) -> list[sa.ColumnElement[bool]]:
        """The filters as SQL conditions, ANDed; an unknown name or a bad value: 011."""
        for name in filters:
            if name not in FILTERS:
                raise _bad(name)
            if name != "label" and len(filters[name]) != 1:
                raise _bad(name)
        if scope.seller and not any(name in filters for name in TEXT_FILTERS):
            raise _bad(TEXT_FILTERS[0])
        match = _one(filters, "match") or "contains"
        if match not in ("contains", "exact"):
            raise _bad("match")
        stores = self._store_codes(filters, scope)
        conditions: list[sa.ColumnElement[bool]] = [queries.one_of(self._db, customers.c.store, stores)]
        for name in TEXT_FILTERS:
            value = _one(filters, name)
            if value is not None:
                conditions.append(self._text(name, value, match == "exact"))
        for label in filters.get("label", []):
            key, separator, wanted = label.partition(":")
            if not key.strip() or (separator and not wanted):
                raise _bad("label")
            conditions.append(queries.has_label(key.strip().lower(), wanted.lower() if separator else None))
        status = _one(filters, "status")
        if status is not None:
            listed = [part.strip() for part in status.split(",")]
            if any(part not in CUSTOMER_STATUSES for part in listed):
                raise _bad("status")
            conditions.append(queries.one_of(self._db, customers.c.status, listed))
        active = _boolean(filters, "active")
        if active is not None:
            conditions.append(customers.c.status == "active" if active else customers.c.status != "active")
        manual = _boolean(filters, "manuallyAssignedLevel")
        if manual is not None:
            conditions.append(customers.c.manually_assigned_level == manual)
        for name, column in _IDS.items():
            value = _one(filters, name)
            if value is not None:
                if not value.strip():
                    raise _bad(name)
                conditions.append(column == value)
        conditions.extend(self._ranges(filters, stores, now))
        return conditions

    def _ranges(
        self, filters: Mapping[str, list[str]], stores: Sequence[str], now: datetime
    ) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        for name, column in _TIMESTAMPS.items():
            since = _instant_or_date(filters, f"{name}From")
            until = _instant_or_date(filters, f"{name}To")
            if (
                since is not None
                and until is not None
                and type(since) is type(until)
                and _comparable(since) > _comparable(until)
            ):
                raise _bad(f"{name}From")
            if since is not None:
                bound, _ = self._date_bound(since, stores, upper=False)
                conditions.append(queries.in_store_window(self._db, column, bound, lower=True))
            if until is not None:
                bound, inclusive = self._date_bound(until, stores, upper=True)
                conditions.append(
                    queries.in_store_window(self._db, column, bound, lower=False, inclusive=inclusive)
                )
        hours = _count(filters, "hoursFromLastUpdateTo")
        if hours is not None:
            if hours > 24 * 366 * 1000:
                raise _bad("hoursFromLastUpdateTo")
            recent = queries.moment(self._db, now - timedelta(hours=hours))
            conditions.append(customers.c.updated_at >= recent)
        days = _count(filters, "daysFromLastTransactionTo")
        if days is not None:
            if days > 366 * 1000:
                raise _bad("daysFromLastTransactionTo")
            conditions.append(
                customers.c.last_transaction_date >= queries.moment(self._db, now - timedelta(days=days))
            )
        buyers_only = False
        for name, column in _AGGREGATES.items():
            low = _count(filters, f"{name}From")
            high = _count(filters, f"{name}To")
            if low is not None and high is not None and low > high:
                raise _bad(f"{name}From")
            if low is not None:
                conditions.append(column >= low)
                buyers_only = buyers_only or low > 0
            if high is not None:
                conditions.append(column <= high)
        if buyers_only:
            # Implied, not a new rule: an aggregate above 0 needs a counted order, and a customer with
            # one has a lastTransactionDate (CB §6.3). Said, it lets PostgreSQL skip the customers
            # without orders (null: first when sorted descending) in that column's index.
            conditions.append(customers.c.last_transaction_date.is_not(None))
        return conditions

    @staticmethod
    def parse_sort(sort: str | None) -> tuple[str, bool]:
        """``sort``'s key and whether it descends; two keys or an unknown one: 011."""
        spelled = DEFAULT_SORT if sort is None else sort
        key = spelled.removeprefix("-")
        if key not in queries.SORT_COLUMNS:
            raise ApiError.query("sort")
        return key, spelled.startswith("-")

    def _position(self, sort: str, position: Any) -> tuple[Any, int] | None:
        """A cursor's (sort value, id), its type checked against the sort key, else 011."""
        if position is None:
            return None
        bad = ApiError.query("page[cursor]")
        if not isinstance(position, list) or len(position) != 2:
            raise bad
        value, last_id = position
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise bad
        _, is_text, nullable = queries.SORT_COLUMNS[sort]
        if value is None:
            if not nullable:
                raise bad
            return None, last_id
        if sort in ("createdAt", "updatedAt", "lastTransactionDate"):
            try:
                return datetime.fromisoformat(value), last_id
            except (TypeError, ValueError):
                raise bad from None
        if is_text:
            if not isinstance(value, str):
                raise bad
            return value, last_id
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad
        return value, last_id

    async def search(
        self,
        filters: Mapping[str, list[str]],
        sort: str | None,
        paging: SearchPaging,
        scope: SearchScope,
        now: datetime | None = None,
    ) -> SearchResult:
        key, descending = self.parse_sort(sort)
        conditions = self.conditions(filters, scope, now or utc_now())
        total: int | None = None
        exact = True
        next_position: list[Any] | None = None
        if paging.offset is not None:
            if paging.offset + paging.limit > self._settings.search_max_offset:
                raise ApiError.query("page[offset]")
            total, exact = await self._total(conditions)
            rows = await queries.search_rows(
                self._db,
                conditions,
                key,
                descending,
                paging.limit,
                paging.offset,
                sort_after_matching=self._few(total, exact),
            )
        else:
            position = self._position(key, paging.position)
            after = queries.keyset_after(key, descending, position, self._db)
            page_conditions = [*conditions, *([after] if after is not None else [])]
            if position is None:
                total, exact = await self._total(conditions)
            found = await queries.search_rows(
                self._db,
                page_conditions,
                key,
                descending,
                paging.limit + 1,
                sort_after_matching=position is None and self._few(total, exact),
            )
            rows = found[: paging.limit]
            if len(found) > paging.limit:
                last = rows[-1]
                value = last["sort_value"]
                next_position = [value.isoformat() if isinstance(value, datetime) else value, last["id"]]
        labels = await queries.labels_of(self._db, [row["id"] for row in rows])
        hits = [self._hit(row, labels.get(row["id"], [])) for row in rows]
        return SearchResult(hits, total, exact, next_position, tuple(sorted(filters)))

    def _few(self, total: int | None, exact: bool) -> bool:
        """Matches few enough (PostgreSQL) to be sorted after they are found (queries.search_rows)."""
        return not self._db.is_sqlite and exact and total is not None and total <= _FEW_MATCHES

    async def _total(self, conditions: Sequence[sa.ColumnElement[bool]]) -> tuple[int, bool]:
        """Exact up to GLUE_SEARCH_EXACT_COUNT_LIMIT; beyond, PostgreSQL's estimate (at least the limit
        + 1). SQLite counts exactly."""
        if self._db.is_sqlite:
            return await queries.bounded_count(self._db, conditions, None), True
        limit = self._settings.search_exact_count_limit
        counted = await queries.bounded_count(self._db, conditions, limit)
        if counted <= limit:
            return counted, True
        return max(await queries.estimated_count(self._db, conditions), limit + 1), False

    def _hit(self, row: Mapping[str, Any], labels: list[tuple[str, str]]) -> SearchHit:
        store: Store | None = self._stores.find(row["store"])
        assert store is not None
        return SearchHit(
            id=row["id"],
            reference=row["reference"],
            store=row["store"],
            email=row["email"],
            salutation=row["salutation"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            gender=row["gender"],
            date_of_birth=row["date_of_birth"],
            locale=store.resolve_locale(row["locale"]),
            phone=row["phone"],
            loyalty_card_number=row["loyalty_card_number"],
            labels=[{"key": key, "value": value} for key, value in labels],
            agreement1=bool(row["agreement1"]),
            agreement2=bool(row["agreement2"]),
            agreement3=bool(row["agreement3"]),
            company=(
                Company(row["company_name"], row["company_tax_id"])
                if row["company_name"] is not None and row["company_tax_id"] is not None
                else None
            ),
            status=row["status"],
            level_id=row["level_id"],
            manually_assigned_level=bool(row["manually_assigned_level"]),
            pos_id=row["pos_id"],
            seller_id=row["seller_id"],
            transactions_count=int(row["transactions_count"]),
            transactions_amount=int(row["transactions_amount"]),
            transactions_amount_without_delivery_costs=int(row["transactions_amount_without_delivery_costs"]),
            average_transaction_amount=int(row["average_transaction_amount"]),
            last_transaction_date=row["last_transaction_date"],
            currency=store.currency_iso_code,
            has_avatar=bool(row["has_avatar"]),
            pending_email=row["pending_email"],
            pending_phone=row["pending_phone"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

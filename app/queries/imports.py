"""The SQL of bulk imports (BO §4.7): jobs, their claim by a jobs worker, their row results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from app.clock import as_utc
from app.database import Database
from app.queries._common import insert_rows, mapping
from app.tables import customer_import_rows, customer_imports, customers

__all__ = [
    "ImportJob",
    "ImportRowResult",
    "insert_job",
    "job_by_id",
    "list_jobs",
    "claim_job",
    "source_of",
    "record_batch",
    "row_results",
    "delete_finished_before",
    "taken_keys",
    "refresh_statistics",
    "forget_row_emails",
]

QUEUED, RUNNING, COMPLETED = "queued", "running", "completed"
_JOB_COLUMNS = tuple(column for column in customer_imports.c if column.name != "source")


@dataclass(frozen=True)
class ImportJob:
    id: str
    status: str
    format: str
    total: int
    processed: int
    succeeded: int
    failed: int
    created_by: str
    created_by_type: str
    created_by_role: str
    stores: list[str] | None
    request_id: str | None
    claimed_by: str | None
    claimed_until: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ImportRowResult:
    import_id: str
    row: int
    status: str
    email: str | None
    customer_reference: str | None
    errors: list[dict[str, Any]]


def _json(value: Any) -> Any:
    # JSON columns come back decoded from SQLAlchemy's JSON type, or as text from the raw driver.
    return json.loads(value) if isinstance(value, str) else value


_TIMES = ("claimed_until", "created_at", "started_at", "finished_at")


def _job(row: Any) -> ImportJob:
    values = dict(mapping(row))
    values["stores"] = _json(values["stores"])
    for name in _TIMES:
        values[name] = as_utc(values[name]) if values[name] is not None else None
    return ImportJob(**{column.name: values[column.name] for column in _JOB_COLUMNS})


async def insert_job(db: Database, values: dict[str, Any]) -> ImportJob:
    row = await db.fetch_one(customer_imports.insert().values(**values).returning(*_JOB_COLUMNS))
    return _job(row)


async def job_by_id(db: Database, import_id: str) -> ImportJob | None:
    row = await db.fetch_one(sa.select(*_JOB_COLUMNS).where(customer_imports.c.id == import_id))
    return _job(row) if row is not None else None


async def list_jobs(db: Database, before: tuple[datetime, str] | None, limit: int) -> list[ImportJob]:
    """Newest first, by (createdAt, id)."""
    query = sa.select(*_JOB_COLUMNS)
    if before is not None:
        query = query.where(sa.tuple_(customer_imports.c.created_at, customer_imports.c.id) < before)
    rows = await db.fetch_all(
        query.order_by(customer_imports.c.created_at.desc(), customer_imports.c.id.desc()).limit(limit)
    )
    return [_job(row) for row in rows]


async def claim_job(db: Database, worker: str, now: datetime, claimed_until: datetime) -> ImportJob | None:
    """The oldest unfinished job nobody else holds (its lease lapsed, or never taken), claimed for
    ``worker`` until ``claimed_until``: FOR UPDATE SKIP LOCKED, so two workers never take one job
    at once (SQLite has one writer anyway). A job the worker holds already is renewed."""
    claimable = (
        customer_imports.c.status.in_((QUEUED, RUNNING)),
        sa.or_(
            customer_imports.c.claimed_by == worker,
            customer_imports.c.claimed_until.is_(None),
            customer_imports.c.claimed_until < now,
        ),
    )
    due = (
        sa.select(customer_imports.c.id)
        .where(*claimable)
        .order_by(customer_imports.c.created_at, customer_imports.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    row = await db.fetch_one(
        customer_imports.update()
        .where(customer_imports.c.id.in_(sa.select(due.c.id)), *claimable)
        .values(
            claimed_by=worker,
            claimed_until=claimed_until,
            status=RUNNING,
            started_at=sa.func.coalesce(customer_imports.c.started_at, now),
        )
        .returning(*_JOB_COLUMNS)
    )
    return _job(row) if row is not None else None


async def source_of(db: Database, import_id: str) -> str | None:
    row = await db.fetch_one(sa.select(customer_imports.c.source).where(customer_imports.c.id == import_id))
    return row[0] if row is not None else None


async def lock_for_batch(db: Database, import_id: str, worker: str, processed: int) -> bool:
    """Lock the job for one batch (in the caller's transaction) if ``worker`` still holds it and
    nobody moved its cursor meanwhile: else another worker took it over and the batch is not ours."""
    query = sa.select(customer_imports.c.id).where(
        customer_imports.c.id == import_id,
        customer_imports.c.claimed_by == worker,
        customer_imports.c.processed == processed,
        customer_imports.c.status == RUNNING,
    )
    if not db.is_sqlite:
        query = query.with_for_update()
    return await db.fetch_one(query) is not None


async def record_batch(
    db: Database,
    job: ImportJob,
    results: Sequence[ImportRowResult],
    now: datetime,
    claimed_until: datetime,
) -> None:
    """The batch's row results and the job's counters, cursor and lease (completed with its last
    row: the source goes, the claim is released)."""
    rows = [
        {
            "import_id": result.import_id,
            "row": result.row,
            "status": result.status,
            "email": result.email,
            "customer_reference": result.customer_reference,
            "errors": result.errors,
        }
        for result in results
    ]
    for start in range(0, len(rows), 500):  # multi-row statements, within the parameter limits
        await insert_rows(db, customer_import_rows, rows[start : start + 500])
    succeeded = sum(1 for result in results if result.status == "succeeded")
    processed = job.processed + len(results)
    values: dict[str, Any] = {
        "processed": processed,
        "succeeded": customer_imports.c.succeeded + succeeded,
        "failed": customer_imports.c.failed + (len(results) - succeeded),
        "claimed_until": claimed_until,
    }
    if processed >= job.total:
        values.update(status=COMPLETED, finished_at=now, source=None, claimed_by=None, claimed_until=None)
    await db.execute(customer_imports.update().where(customer_imports.c.id == job.id).values(**values))


async def row_results(
    db: Database, import_id: str, status: str | None, after_row: int | None, limit: int
) -> list[ImportRowResult]:
    """By row, from after ``after_row``."""
    query = sa.select(customer_import_rows).where(customer_import_rows.c.import_id == import_id)
    if status is not None:
        query = query.where(customer_import_rows.c.status == status)
    if after_row is not None:
        query = query.where(customer_import_rows.c.row > after_row)
    rows = await db.fetch_all(query.order_by(customer_import_rows.c.row).limit(limit))
    found = []
    for row in rows:
        values = mapping(row)
        found.append(
            ImportRowResult(
                import_id=values["import_id"],
                row=int(values["row"]),
                status=values["status"],
                email=values["email"],
                customer_reference=values["customer_reference"],
                errors=list(_json(values["errors"])),
            )
        )
    return found


async def taken_keys(
    db: Database,
    emails: set[tuple[str, str]],
    phones: set[tuple[str, str]],
    cards: set[tuple[str, str]],
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """Which of these (store, e-mail key), (store, phone) and (store, card key) pairs customers
    hold already: per store and column, one walk of its (store, column) unique index per value."""
    found: list[set[tuple[str, str]]] = []
    for column, pairs in (
        (customers.c.email_key, emails),
        (customers.c.phone, phones),
        (customers.c.loyalty_card_key, cards),
    ):
        by_store: dict[str, list[str]] = {}
        for store, value in pairs:
            by_store.setdefault(store, []).append(value)
        taken: set[tuple[str, str]] = set()
        for store, values in by_store.items():
            for start in range(0, len(values), 1000):
                rows = await db.fetch_all(_held(db, column, store, values[start : start + 1000]))
                taken.update((store, row[0]) for row in rows)
        found.append(taken)
    return found[0], found[1], found[2]


def _held(db: Database, column: sa.Column[Any], store: str, values: list[str]) -> sa.Select[Any]:
    """The ``values`` of ``column`` a customer of ``store`` holds; on PostgreSQL one array
    parameter, each element looked up by itself (a LATERAL subquery), whatever the number."""
    if db.is_sqlite:
        return sa.select(column).where(customers.c.store == store, column.in_(values))
    probe = (
        sa.func.unnest(sa.literal(values, ARRAY(column.type)))
        .table_valued("value")
        .render_derived(name="probe")
    )
    held = (
        sa.select(sa.literal_column("1"))
        .where(customers.c.store == store, column == probe.c.value)
        .limit(1)
        .lateral("held")
    )
    return sa.select(probe.c.value).select_from(probe.join(held, sa.true()))


# What an import's batches write, and what is read meanwhile: the uniqueness probes of customers,
# the outbox's claims of the invitations, a job's row results.
FILLED_TABLES = (
    "customers",
    "customer_labels",
    "customer_events",
    "audit_events",
    "customer_import_rows",
    "mail_outbox",
    "restore_password_keys",
)


async def refresh_statistics(db: Database) -> list[str]:
    """PostgreSQL: ANALYZE those of ``FILLED_TABLES`` whose planner statistics count fewer than
    half the rows they hold (an import is filling them; autovacuum may lag or be off); the tables
    analyzed. Without statistics the planner takes the indexes of a table that grew from empty for
    as small as they were: it probes a store's customers by any index that starts with the store
    instead of its unique index, and claims outbox rows by a nested loop over every pending one,
    seconds per batch at 100,000 rows."""
    if db.is_sqlite:
        return []
    rows = await db.fetch_all(
        sa.text(
            "SELECT pg_class.relname FROM pg_class"
            " JOIN pg_stat_user_tables ON pg_stat_user_tables.relid = pg_class.oid"
            " WHERE pg_class.relname = ANY(:tables) AND pg_stat_user_tables.n_live_tup >= 1000"
            " AND pg_stat_user_tables.n_live_tup > 2 * GREATEST(pg_class.reltuples, 0)"
        ).bindparams(sa.bindparam("tables", list(FILLED_TABLES), type_=ARRAY(sa.String())))
    )
    stale = [str(row[0]) for row in rows]
    if stale:
        # Names from FILLED_TABLES only, quoted.
        await db.execute(sa.text("ANALYZE " + ", ".join(f'"{name}"' for name in stale)))
    return stale


async def forget_row_emails(db: Database, customer_reference: str) -> None:
    """Anonymization: the import rows naming the customer keep no e-mail."""
    await db.execute(
        customer_import_rows.update()
        .where(customer_import_rows.c.customer_reference == customer_reference)
        .values(email=None)
    )


async def delete_finished_before(db: Database, moment: datetime) -> None:
    """Jobs finished before ``moment``, and their row results."""
    old = sa.select(customer_imports.c.id).where(
        customer_imports.c.status == COMPLETED, customer_imports.c.finished_at < moment
    )
    await db.execute(customer_import_rows.delete().where(customer_import_rows.c.import_id.in_(old)))
    await db.execute(customer_imports.delete().where(customer_imports.c.id.in_(old)))

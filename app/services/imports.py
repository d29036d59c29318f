"""Bulk customer imports (BO §4.7): a job stored with its rows when uploaded, run by the jobs
worker in batches.

A worker claims a job (FOR UPDATE SKIP LOCKED) under a lease it renews with every batch, and
commits each batch at once: its customers (through the back-office creation, so each has its
CustomerWasRegistered and its audit entry), its row results and the job's counters and cursor. A
crash loses at most the batch in flight, which the next claim redoes from the cursor; a worker
whose lease lapsed finds the cursor moved (or the claim gone) and writes nothing. Uniqueness is
pre-checked set-wise (a taken e-mail, phone or card, the file's earlier rows included, fails that
row alone) and the batch's customers are inserted at once; the unique indexes make a duplicate
impossible whatever two workers do (a race redoes the batch row by row)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

import anyio.to_thread

from app.clock import utc_now
from app.database import Database
from app.mail import Outbox
from app.models import Actor, AuditActor
from app.queries import customers as customer_queries
from app.queries import imports as queries
from app.queries.imports import ImportJob, ImportRowResult
from app.services.audit import AuditService
from app.services.backoffice_customers import (
    BackofficeCustomerService,
    Caller,
    NewCustomer,
    PreparedCustomer,
    level_refusal,
)
from app.services.customers import refuse_taken
from app.settings import Settings
from errors import ApiError, catalogue

__all__ = ["ImportService", "RowLoader", "ImportJob", "ImportRowResult", "ACTION", "FORMATS"]

logger = logging.getLogger("glue_customers.imports")

FORMATS = ("csv", "json")
ACTION = "POST /backoffice/customer-imports"
SUCCEEDED, FAILED = "succeeded", "failed"
# A lease outlives the slowest batch by far; it only lapses when its worker died.
LEASE = timedelta(seconds=60)
RETENTION_SWEEP_INTERVAL = timedelta(hours=1)
# Validates one uploaded row (CSV cells or a JSON object, by the job's format) as the back-office
# creation's document would be: a NewCustomer, or ApiError with every problem.
RowLoader = Callable[[str, dict[str, Any]], NewCustomer]


def _problems(error: ApiError) -> list[dict[str, Any]]:
    return [
        {
            "status": str(problem.entry.status),
            "code": problem.entry.code,
            "detail": problem.detail,
            "attribute": problem.attribute,
        }
        for problem in error.problems
    ]


_INTERNAL_ERROR = _problems(ApiError(catalogue.INTERNAL_ERROR))


def _caller_of(job: ImportJob) -> Caller:
    """The uploader, as the back-office creation knows its caller."""
    return Caller(
        audit=AuditActor(job.created_by, job.created_by_role, ACTION, job.request_id),
        actor=Actor(job.created_by_type, job.created_by),
        stores=tuple(job.stores) if job.stores is not None else None,
    )


class Candidate(NamedTuple):
    """A row that passed the checks needing no database: its number, e-mail and customer."""

    row: int
    email: str | None
    prepared: PreparedCustomer


def _email_of(raw: dict[str, Any]) -> str | None:
    email = raw.get("email")
    return email[:255] if isinstance(email, str) else None


class ImportService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        customers: BackofficeCustomerService,
        audit: AuditService,
        outbox: Outbox,
        row_loader: RowLoader | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._customers = customers
        self._audit = audit
        self._outbox = outbox
        self._row_loader = row_loader
        self._source: tuple[str, list[dict[str, Any]]] | None = None  # the job being run, parsed
        # The next batch's checks, running: (job, its first row's offset, their outcome).
        self._ahead: tuple[str, int, asyncio.Future[list[ImportRowResult | Candidate]]] | None = None
        self._last_sweep = utc_now() - RETENTION_SWEEP_INTERVAL

    @property
    def runs_jobs(self) -> bool:
        """Whether this service can run jobs (it was given the rows' validation)."""
        return self._row_loader is not None

    async def create(self, import_format: str, rows: list[dict[str, Any]], caller: Caller) -> ImportJob:
        """Store a checked upload as a queued job of ``len(rows)`` rows (audited); the worker is
        woken after commit."""
        now = utc_now()
        async with self._db.transaction():
            job = await queries.insert_job(
                self._db,
                {
                    "id": str(uuid.uuid4()),
                    "status": queries.QUEUED,
                    "format": import_format,
                    "source": json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
                    "total": len(rows),
                    "processed": 0,
                    "succeeded": 0,
                    "failed": 0,
                    "created_by": caller.audit.id,
                    "created_by_type": caller.actor.type,
                    "created_by_role": caller.audit.role,
                    "stores": list(caller.stores) if caller.stores is not None else None,
                    "request_id": caller.audit.request_id,
                    "created_at": now,
                },
            )
            await self._audit.append(caller.audit, details={"importId": job.id, "rows": len(rows)})
        self._outbox.wake()
        return job

    @staticmethod
    def _visible(job: ImportJob, caller: Caller) -> bool:
        """A store-limited caller sees the jobs of callers limited to (some of) its stores."""
        if caller.stores is None:
            return True
        return job.stores is not None and set(job.stores) <= set(caller.stores)

    async def find(self, import_id: str, caller: Caller) -> ImportJob:
        """One job the caller may see; else 1031."""
        job = await queries.job_by_id(self._db, import_id) if len(import_id) <= 36 else None
        if job is None or not self._visible(job, caller):
            raise ApiError(catalogue.IMPORT_NOT_FOUND)
        return job

    async def list_of(self, caller: Caller, before: Any, limit: int) -> list[ImportJob]:
        """The jobs the caller may see, newest first, from before ``before`` ((createdAt, id))."""
        found: list[ImportJob] = []
        position = before
        while len(found) < limit:
            page = await queries.list_jobs(self._db, position, limit)
            found.extend(job for job in page if self._visible(job, caller))
            if len(page) < limit:
                break
            position = (page[-1].created_at, page[-1].id)
        return found[:limit]

    async def rows(
        self, import_id: str, caller: Caller, status: str | None, after_row: int | None, limit: int
    ) -> list[ImportRowResult]:
        """A job's row results by row (1031 for a job the caller may not see); the read names
        customers, so it is audited before it is answered."""
        job = await self.find(import_id, caller)
        found = await queries.row_results(self._db, job.id, status, after_row, limit)
        references = [row.customer_reference for row in found if row.customer_reference]
        await self._audit.append(caller.audit, details={"importId": job.id, "references": references})
        return found

    async def run_once(self, worker: str) -> int:
        """One batch of the oldest job this worker may run: the rows handled (0: nothing to do)."""
        if self._row_loader is None:
            return 0
        now = utc_now()
        if now - self._last_sweep >= RETENTION_SWEEP_INTERVAL:
            self._last_sweep = now
            async with self._db.transaction():
                await queries.delete_finished_before(
                    self._db, now - timedelta(days=self._settings.import_retention_days)
                )
        async with self._db.transaction():
            job = await queries.claim_job(self._db, worker, now, now + LEASE)
        if job is None:
            return 0
        analyzed = await queries.refresh_statistics(self._db)
        if analyzed:
            logger.info("import %s: analyzed %s", job.id, ", ".join(analyzed))
        rows = await self._rows_of(job)
        checked = await self._checked(job, rows, job.processed)
        following = job.processed + len(checked)
        if following < job.total:  # the next batch is checked while this one is written
            self._ahead = (job.id, following, asyncio.ensure_future(self._check(job, rows, following)))
        async with self._db.transaction():
            if not await queries.lock_for_batch(self._db, job.id, worker, job.processed):
                return 0  # another worker took the job over
            results = await self._import_batch(job, checked, _caller_of(job))
            done = utc_now()
            await queries.record_batch(self._db, job, results, done, done + LEASE)
        self._outbox.wake()  # the batch's invitations, if any, go out after its commit
        if job.processed + len(results) >= job.total:
            self._source = None
            logger.info("import %s completed: %d rows", job.id, job.total)
        return max(len(results), 1)

    async def _checked(
        self, job: ImportJob, rows: list[Any], first: int
    ) -> list[ImportRowResult | Candidate]:
        """The batch from ``first`` checked: by the look-ahead of the batch before when it checked
        this one, else now."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[:2] == (job.id, first):
            return await ahead[2]
        return await self._check(job, rows, first)

    async def _check(self, job: ImportJob, rows: list[Any], first: int) -> list[ImportRowResult | Candidate]:
        """The checks of a batch that need no database, in a worker thread (a batch's rows cost
        milliseconds of CPU, which the event loop does not wait for)."""
        batch = rows[first : first + self._settings.import_batch_size]
        return await anyio.to_thread.run_sync(self._check_rows, job, batch, first)

    def _check_rows(self, job: ImportJob, batch: list[Any], first: int) -> list[ImportRowResult | Candidate]:
        """Each row validated as the back-office creation validates its document: a failed row's
        result, or the row's checked customer."""
        caller = _caller_of(job)
        checked: list[ImportRowResult | Candidate] = []
        for offset, raw in enumerate(batch):
            row = first + offset + 1
            email = _email_of(raw) if isinstance(raw, dict) else None
            try:
                checked.append(Candidate(row, email, self._prepare(job, raw, caller)))
            except ApiError as error:
                checked.append(ImportRowResult(job.id, row, FAILED, email, None, _problems(error)))
            except Exception:  # one row's surprise must not stop the others (BO §4.7: 019)
                logger.exception("import %s row %d failed unexpectedly", job.id, row)
                checked.append(ImportRowResult(job.id, row, FAILED, email, None, _INTERNAL_ERROR))
        return checked

    async def _rows_of(self, job: ImportJob) -> list[dict[str, Any]]:
        if self._source is None or self._source[0] != job.id:
            source = await queries.source_of(self._db, job.id)
            self._source = (job.id, json.loads(source) if source else [])
        return self._source[1]

    async def _import_batch(
        self, job: ImportJob, checked: list[ImportRowResult | Candidate], caller: Caller
    ) -> list[ImportRowResult]:
        """A checked batch's results, in the caller's transaction: the levels named checked
        against the rows' stores (901) and the e-mails, phones and cards its store or an earlier
        row holds refused (400, 1010, 1011), set-wise; the rest created at once, invitations
        included. Should another writer take
        one of them meanwhile (the unique indexes say so), the batch is redone row by row."""
        results = {item.row: item for item in checked if isinstance(item, ImportRowResult)}
        candidates = [item for item in checked if isinstance(item, Candidate)]
        unknown_levels = await self._customers.unknown_levels([item for _, _, item in candidates])
        if unknown_levels:
            for position in sorted(unknown_levels):
                row, email, _ = candidates[position]
                results[row] = ImportRowResult(job.id, row, FAILED, email, None, _problems(level_refusal()))
            candidates = [item for position, item in enumerate(candidates) if position not in unknown_levels]
        emails, phones, cards = await queries.taken_keys(
            self._db,
            {(item.store, item.columns["email_key"]) for _, _, item in candidates},
            {(item.store, item.columns["phone"]) for _, _, item in candidates if item.columns["phone"]},
            {
                (item.store, item.columns["loyalty_card_key"])
                for _, _, item in candidates
                if item.columns["loyalty_card_key"]
            },
        )
        clean: list[tuple[int, str | None, PreparedCustomer]] = []
        for row, email, item in candidates:
            keys = (
                ("email", emails, item.columns["email_key"]),
                ("phone", phones, item.columns["phone"]),
                ("loyalty_card_number", cards, item.columns["loyalty_card_key"]),
            )
            taken = next((name for name, held, key in keys if key and (item.store, key) in held), None)
            if taken is not None:
                refusal = refuse_taken(customer_queries.AttributeTaken(taken))
                results[row] = ImportRowResult(job.id, row, FAILED, email, None, _problems(refusal))
                continue
            for _, held, key in keys:
                if key:
                    held.add((item.store, key))
            clean.append((row, email, item))
        if clean:
            try:
                async with self._db.savepoint("import_batch"):
                    created = await self._customers.insert_many(
                        [item for _, _, item in clean], caller, "import"
                    )
            except Exception as error:  # a race on a unique index, or a row the database refused
                if not isinstance(error, customer_queries.AttributeTaken):
                    logger.exception("import %s: a batch failed, redone row by row", job.id)
                for row, email, item in clean:
                    results[row] = await self._insert_one(job, row, email, item, caller)
            else:
                for (row, _, _), customer in zip(clean, created, strict=True):
                    results[row] = ImportRowResult(
                        job.id, row, SUCCEEDED, customer.email, customer.reference, []
                    )
        return [results[row] for row in sorted(results)]

    def _prepare(self, job: ImportJob, raw: Any, caller: Caller) -> PreparedCustomer:
        assert self._row_loader is not None
        if not isinstance(raw, dict):
            raise ApiError(catalogue.INTERNAL_ERROR)
        return self._customers.prepare(self._row_loader(job.format, raw), caller)

    async def _insert_one(
        self, job: ImportJob, row: int, email: str | None, prepared: PreparedCustomer, caller: Caller
    ) -> ImportRowResult:
        """One row's customer in its own savepoint (the batch met a race); its result either way."""
        try:
            async with self._db.savepoint("import_row"):
                customer = await self._customers.insert(
                    prepared, caller, channel="import", invite=prepared.invite
                )
        except customer_queries.AttributeTaken as taken:
            return ImportRowResult(job.id, row, FAILED, email, None, _problems(refuse_taken(taken)))
        except Exception:  # BO §4.7: an unexpected row error fails the row (019)
            logger.exception("import %s row %d failed unexpectedly", job.id, row)
            return ImportRowResult(job.id, row, FAILED, email, None, _INTERNAL_ERROR)
        return ImportRowResult(job.id, row, SUCCEEDED, customer.email, customer.reference, [])

"""The audit trail (BO §4.12): who did what through which route, appended in the write's own
transaction; refusals (1000, 1001) are written apart, as the refused request writes nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.models import AuditActor, AuditEvent
from app.queries import audit as queries
from app.queries.audit import AuditFilters

__all__ = ["AuditService", "AuditFilters", "SUCCEEDED", "REFUSED"]

SUCCEEDED = "succeeded"
REFUSED = "refused"


# Entries one retention statement deletes at most, so a first sweep over years of entries holds no
# long lock and the rounds between stay short.
RETENTION_BATCH = 1000


class AuditService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sweep(self, retention_days: int) -> int:
        """GLUE_AUDIT_RETENTION_DAYS (BO §4.12): delete the entries older than that many days
        (0 keeps them for ever), in short batches; how many went."""
        if retention_days <= 0:
            return 0
        cutoff = utc_now() - timedelta(days=retention_days)
        swept = 0
        while True:
            deleted = await queries.delete_older_than(self._db, cutoff, RETENTION_BATCH)
            swept += deleted
            if deleted < RETENTION_BATCH:
                return swept

    async def append(
        self,
        actor: AuditActor,
        *,
        outcome: str = SUCCEEDED,
        customer_reference: str | None = None,
        store: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """One entry on the caller's connection: inside its transaction when it holds one. Details
        name fields and filters, never their values."""
        await queries.insert_event(
            self._db,
            {
                "occurred_at": utc_now(),
                "operator_id": actor.id,
                "operator_role": actor.role,
                "action": actor.action,
                "customer_reference": customer_reference,
                "store": store,
                "outcome": outcome,
                "request_id": actor.request_id,
                "details": details,
            },
        )

    async def append_many(self, actor: AuditActor, entries: list[tuple[str, str, dict[str, Any]]]) -> None:
        """One succeeded entry per (customer reference, store, details), in one statement."""
        now = utc_now()
        await queries.insert_events(
            self._db,
            [
                {
                    "occurred_at": now,
                    "operator_id": actor.id,
                    "operator_role": actor.role,
                    "action": actor.action,
                    "customer_reference": reference,
                    "store": store,
                    "outcome": SUCCEEDED,
                    "request_id": actor.request_id,
                    "details": details,
                }
                for reference, store, details in entries
            ],
        )

    async def list(self, filters: AuditFilters, before_id: int | None, limit: int) -> list[AuditEvent]:
        """Newest first; the time bounds compared in UTC."""
        bounds = {
            name: value.astimezone(UTC) if isinstance(value, datetime) else value
            for name, value in (
                ("occurred_from", filters.occurred_from),
                ("occurred_to", filters.occurred_to),
            )
        }
        normalised = AuditFilters(
            operator_id=filters.operator_id,
            customer_reference=filters.customer_reference,
            action=filters.action,
            outcome=filters.outcome,
            stores=filters.stores,
            **bounds,
        )
        return await queries.list_events(self._db, normalised, before_id, limit)

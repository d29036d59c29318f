"""The background worker: sends queued mail and texts after commit, retries with backoff, marks each
row sent once. Mail goes to the mail transport, texts (channel ``sms``) to the SMS transport. Its
loop is the one background loop: it also runs the jobs (one batch of a claimed bulk import, BO §4.7;
points adds past their expiry marked expired, BO §4.3) and sweeps audit entries past
GLUE_AUDIT_RETENTION_DAYS and unconfirmed access requests past their key's lifetime (CB §5.2), at
its first round and then hourly.

It runs as a task of the app (unless ``GLUE_MAIL_WORKER_ENABLED=false``) and on its own:
``glue-customers mail-worker`` or ``python -m app.mail.worker`` (``--drain`` sends what is due and
exits). Several workers may share one PostgreSQL outbox: rows are claimed with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.mail.messages import build_message
from app.mail.outbox import Outbox
from app.mail.transports import Delivery, Transport, transport_for
from app.queries import access_requests as access_request_queries
from app.queries import outbox as queries
from app.services.audit import AuditService
from app.services.imports import ImportService
from app.services.points import expire_lapsed_points
from app.settings import Settings
from app.sms.transports import Rejected, SmsTransport, Text, sms_transport_for

__all__ = ["DeliveryWorker", "run_worker"]

logger = logging.getLogger("glue_customers.mail")


class DeliveryWorker:
    # Seconds between two audit retention sweeps of one worker (entries live days: hourly is plenty).
    AUDIT_SWEEP_INTERVAL = 3600.0

    def __init__(
        self,
        db: Database,
        settings: Settings,
        outbox: Outbox | None = None,
        transport: Transport | None = None,
        name: str | None = None,
        sms_transport: SmsTransport | None = None,
        *,
        jobs: ImportService | None = None,
        delivers: bool = True,
    ) -> None:
        self._db = db
        self._jobs = jobs
        self._delivers = delivers
        self._settings = settings
        self._outbox = outbox or Outbox(db, settings)
        self.transport = transport or transport_for(settings)
        self.sms_transport = sms_transport or sms_transport_for(settings)
        self.name = name or f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # A claim outlives the slowest batch (connect plus one timeout per message, mail and texts)
        # with room to spare, so it only lapses when its worker died; then another worker takes the
        # rows over.
        slowest = max(settings.smtp_timeout, settings.sms_webhook_timeout)
        self._claim = timedelta(seconds=slowest * (settings.mail_batch_size + 2) + 60)
        self._stopping = asyncio.Event()
        self._audit = AuditService(db)
        self._next_sweep = 0.0  # monotonic; the first round sweeps

    async def sweep_audit_events(self) -> int:
        """Delete audit entries past their retention; how many went."""
        swept = await self._audit.sweep(self._settings.audit_retention_days)
        if swept:
            logger.info(
                "audit retention: %d entries older than %d days deleted",
                swept,
                self._settings.audit_retention_days,
            )
        return swept

    async def sweep_expired_access_requests(self) -> int:
        """Delete unconfirmed access requests whose key expired (CB §5.2); how many went."""
        async with self._db.transaction():
            swept = await access_request_queries.delete_expired_unconfirmed(self._db, utc_now())
        if swept:
            logger.info("access requests: %d unconfirmed past their key's lifetime deleted", swept)
        return swept

    async def _sweep_when_due(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.AUDIT_SWEEP_INTERVAL
        try:
            await self.sweep_audit_events()
            await self.sweep_expired_access_requests()
        except Exception:  # the database may be away for a while; the next sweep tries again
            logger.exception("audit retention sweep failed")

    async def deliver_due(self) -> int:
        """Claim one batch of due mail and texts, send it, record each outcome; the number of rows handled."""
        now = utc_now()
        async with self._db.transaction():
            batch = await queries.claim_due(
                self._db, self.name, now, now + self._claim, self._settings.mail_batch_size
            )
        if not batch:
            return 0
        results = await self._send(batch)
        done = utc_now()
        async with self._db.transaction():
            for mail, failure in zip(batch, results, strict=True):
                if failure is None:
                    await queries.mark_sent(self._db, mail.id, self.name, done)
                    continue
                if isinstance(failure, Rejected):
                    failure, delay = failure.reason, None
                else:
                    delay = self._retry_delay(mail.attempts + 1)
                next_attempt_at = done + delay if delay is not None else None
                await queries.mark_failed(self._db, mail.id, self.name, failure, next_attempt_at, done)
                logger.warning(
                    "%s %s (%s) not delivered, attempt %d%s: %s",
                    "text" if mail.channel == queries.SMS else "mail",
                    mail.id,
                    mail.kind,
                    mail.attempts + 1,
                    "" if delay is not None else ", giving up",
                    failure,
                )
        return len(batch)

    async def _send(self, batch: list[queries.QueuedMail]) -> list[str | Rejected | None]:
        """Hand each row to its channel's transport; per row, in the batch's order, the outcome."""
        mails = [row for row in batch if row.channel != queries.SMS]
        texts = [row for row in batch if row.channel == queries.SMS]
        outcomes: dict[int, str | Rejected | None] = {}
        if mails:
            deliveries = [
                Delivery(
                    kind=mail.kind,
                    created_at=mail.created_at,
                    message=build_message(
                        sender=self._settings.mail_sender,
                        recipient=mail.recipient,
                        subject=mail.subject,
                        text=mail.text_body,
                        html_body=mail.html_body,
                        message_id=mail.message_id,
                        created_at=mail.created_at,
                    ),
                )
                for mail in mails
            ]
            outcomes.update(
                zip(
                    (mail.id for mail in mails),
                    await self._guarded(self.transport.deliver, deliveries),
                    strict=True,
                )
            )
        if texts:
            documents = [
                Text(
                    message_id=text.message_id,
                    kind=text.kind,
                    recipient=text.recipient,
                    text=text.text_body,
                    created_at=text.created_at,
                )
                for text in texts
            ]
            outcomes.update(
                zip(
                    (text.id for text in texts),
                    await self._guarded(self.sms_transport.deliver, documents),
                    strict=True,
                )
            )
        return [outcomes[row.id] for row in batch]

    @staticmethod
    async def _guarded(deliver: Any, items: list[Any]) -> list[str | Rejected | None]:
        try:
            results: list[str | Rejected | None] = list(await deliver(items))
        except Exception as error:  # a transport bug must not kill the worker; the rows are retried
            logger.exception("transport failed")
            return [f"transport error: {error!r}" for _ in items]
        return results

    async def close(self) -> None:
        """Release the transports' connections (the SMS webhook's keep-alive client)."""
        await self.sms_transport.close()

    def _retry_delay(self, attempts: int) -> timedelta | None:
        if attempts >= self._settings.mail_max_attempts:
            return None
        delay = min(
            self._settings.mail_retry_base_seconds * 2 ** (attempts - 1),
            self._settings.mail_retry_max_seconds,
        )
        return timedelta(seconds=delay)

    async def drain(self) -> None:
        """Deliver and run jobs until nothing is due."""
        while (await self.deliver_due() if self._delivers else 0) + await self.run_jobs():
            pass

    async def run_jobs(self) -> int:
        """The jobs beside delivery, each claiming its rows with FOR UPDATE SKIP LOCKED: one batch of
        a due import (when this worker runs imports), then points adds past their expiry date
        marked expired. How many rows they handled."""
        if not self._settings.jobs_worker_enabled:
            return 0
        handled = 0
        if self._jobs is not None:
            handled += await self._jobs.run_once(self.name)
        handled += await expire_lapsed_points(
            self._db, self._settings.store_catalogue, self._settings.mail_batch_size
        )
        return handled

    async def run(self) -> None:
        """Deliver and run jobs until stopped: at once when woken after a commit, else every poll
        interval; a job's batches follow each other while mail keeps going out between them."""
        while not self._stopping.is_set():
            await self._sweep_when_due()
            handled = jobs_handled = 0
            if self._delivers:
                try:
                    handled = await self.deliver_due()
                except Exception:  # the database may be away for a while; keep polling
                    logger.exception("mail delivery round failed")
            try:
                jobs_handled = await self.run_jobs()
            except Exception:  # the batch rolled back; its job is taken up again from its cursor
                logger.exception("jobs round failed")
            if handled >= self._settings.mail_batch_size or jobs_handled:
                continue  # more may be due
            await self._outbox.wait(self._settings.mail_poll_interval)

    def stop(self) -> None:
        self._stopping.set()
        self._outbox.wake()


async def run_worker(settings: Settings, drain: bool) -> None:
    """Deliver until SIGINT or SIGTERM, or with ``drain`` until nothing is due."""
    from app.main import import_row_loader  # the composition root knows the rows' schema
    from app.services import build_services

    services = build_services(settings, import_row_loader=import_row_loader)
    db = services.db
    await db.connect()
    worker = DeliveryWorker(db, settings, services.outbox, jobs=services.imports)
    try:
        if drain:
            await worker.drain()
            return
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, worker.stop)
        logger.info("mail delivery worker %s started", worker.name)
        await worker.run()
    finally:
        await worker.close()
        await db.disconnect()


if __name__ == "__main__":
    from app.cli import run_command

    sys.exit(run_command("mail-worker", sys.argv[1:], prog="python -m app.mail.worker"))

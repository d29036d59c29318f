"""The outbox: mail and texts join the transaction of the change that causes them and are delivered
after commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.clock import utc_now
from app.database import Database, is_unavailable
from app.mail.messages import OutgoingMail, new_message_id
from app.metrics import OutboxBacklog
from app.queries import outbox as queries
from app.settings import Settings
from app.sms.messages import OutgoingSms

__all__ = ["Outbox"]

logger = logging.getLogger("glue_customers.mail")


class Outbox:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._domain = settings.mail_sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
        self._wake = asyncio.Event()

    async def enqueue(self, mail: OutgoingMail) -> None:
        """Queue ``mail``; call inside the caller's transaction, so a rollback sends nothing."""
        await queries.insert_mail(
            self._db,
            kind=mail.kind,
            message_id=new_message_id(self._domain),
            recipient=mail.recipient,
            subject=mail.subject,
            text_body=mail.text,
            html_body=mail.html,
            now=utc_now(),
        )

    async def enqueue_many(self, mails: list[OutgoingMail]) -> None:
        """``enqueue`` for several mails at once (a bulk import's batch), in one statement."""
        if mails:
            await queries.insert_mails(
                self._db,
                [
                    {
                        "kind": mail.kind,
                        "message_id": new_message_id(self._domain),
                        "recipient": mail.recipient,
                        "subject": mail.subject,
                        "text_body": mail.text,
                        "html_body": mail.html,
                    }
                    for mail in mails
                ],
                utc_now(),
            )

    async def enqueue_sms(self, sms: OutgoingSms) -> None:
        """Queue a text to an E.164 number; call inside the caller's transaction, as for mail."""
        await queries.insert_sms(
            self._db,
            kind=sms.kind,
            message_id=new_message_id(self._domain),
            recipient=sms.recipient,
            text=sms.text,
            now=utc_now(),
        )

    async def backlog(self) -> OutboxBacklog | None:
        """What waits to be sent (None while the database does not answer: a scrape still succeeds)."""
        try:
            depth, earliest = await queries.backlog(self._db)
        except Exception as error:
            if not is_unavailable(error):
                raise
            logger.warning("outbox backlog unknown, database unavailable: %r", error)
            return None
        now = utc_now()
        age = (now - earliest).total_seconds() if earliest is not None and earliest <= now else 0.0
        return OutboxBacklog(depth=depth, oldest_due_age_seconds=age)

    def wake(self) -> None:
        """After commit: tell this process's delivery worker not to wait for its next poll."""
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Until woken or ``seconds`` have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

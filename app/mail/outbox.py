"""The outbox: mail joins the transaction of the change that causes it and is delivered after commit."""

from __future__ import annotations

import asyncio
import contextlib

from app.clock import utc_now
from app.database import Database
from app.mail.messages import OutgoingMail, new_message_id
from app.queries import outbox as queries
from app.settings import Settings

__all__ = ["Outbox"]


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

    def wake(self) -> None:
        """After commit: tell this process's delivery worker not to wait for its next poll."""
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Until woken or ``seconds`` have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

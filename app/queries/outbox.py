"""SQL for the outbox of mail and text messages: queue in the caller's transaction, claim for
delivery, record the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.queries._common import insert_rows, mapping
from app.tables import mail_outbox

__all__ = [
    "QueuedMail",
    "MAIL",
    "SMS",
    "insert_mail",
    "insert_sms",
    "claim_due",
    "mark_sent",
    "mark_failed",
    "backlog",
    "insert_mails",
]


MAIL = "mail"
SMS = "sms"


@dataclass(frozen=True)
class QueuedMail:
    """A claimed row of either channel; a text has no subject and no HTML body ("")."""

    id: int
    channel: str
    kind: str
    message_id: str
    recipient: str
    subject: str
    text_body: str
    html_body: str
    created_at: datetime
    attempts: int


_PENDING = (mail_outbox.c.sent_at.is_(None), mail_outbox.c.failed_at.is_(None))


async def insert_mail(
    db: Database,
    *,
    kind: str,
    message_id: str,
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str,
    now: datetime,
) -> None:
    await db.execute(
        mail_outbox.insert().values(
            channel=MAIL,
            kind=kind,
            message_id=message_id,
            recipient=recipient,
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


async def insert_mails(db: Database, mails: list[dict[str, str]], now: datetime) -> None:
    """Several mails (kind, message_id, recipient, subject, text_body, html_body) in one statement."""
    for start in range(0, len(mails), 250):
        await insert_rows(
            db,
            mail_outbox,
            [
                {**mail, "channel": MAIL, "created_at": now, "attempts": 0, "next_attempt_at": now}
                for mail in mails[start : start + 250]
            ],
        )


async def insert_sms(
    db: Database, *, kind: str, message_id: str, recipient: str, text: str, now: datetime
) -> None:
    await db.execute(
        mail_outbox.insert().values(
            channel=SMS,
            kind=kind,
            message_id=message_id,
            recipient=recipient,
            subject=None,
            text_body=text,
            html_body=None,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


async def claim_due(
    db: Database, worker: str, now: datetime, claimed_until: datetime, limit: int
) -> list[QueuedMail]:
    """Claim up to ``limit`` due rows for ``worker`` until ``claimed_until``.

    The rows are picked with FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer anyway), so
    two workers never claim the same row; the claim itself outlives the statement, so the row can be
    sent outside any transaction and is only taken over once the claim has lapsed (a crashed worker).
    """
    claimable = (
        *_PENDING,
        mail_outbox.c.next_attempt_at <= now,
        sa.or_(mail_outbox.c.claimed_until.is_(None), mail_outbox.c.claimed_until < now),
    )
    # A CTE, not ``id IN (subquery)``: PostgreSQL may run a locking subquery more than once per
    # statement and so claim more than ``limit`` rows; a CTE is evaluated exactly once.
    due = (
        sa.select(mail_outbox.c.id)
        .where(*claimable)
        .order_by(mail_outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    rows = await db.fetch_all(
        mail_outbox.update()
        .where(mail_outbox.c.id.in_(sa.select(due.c.id)), *claimable)
        .values(claimed_by=worker, claimed_until=claimed_until)
        .returning(
            mail_outbox.c.id,
            mail_outbox.c.channel,
            mail_outbox.c.kind,
            mail_outbox.c.message_id,
            mail_outbox.c.recipient,
            mail_outbox.c.subject,
            mail_outbox.c.text_body,
            mail_outbox.c.html_body,
            mail_outbox.c.created_at,
            mail_outbox.c.attempts,
        )
    )
    claimed = []
    for row in rows:
        values = mapping(row)
        values["subject"] = values["subject"] or ""
        values["text_body"] = values["text_body"] or ""
        values["html_body"] = values["html_body"] or ""
        values["created_at"] = as_utc(values["created_at"])
        claimed.append(QueuedMail(**values))
    return sorted(claimed, key=lambda mail: mail.id)


async def mark_sent(db: Database, mail_id: int, worker: str, now: datetime) -> bool:
    """Record the delivery once; the bodies are erased, as they may carry a key."""
    row = await db.fetch_one(
        mail_outbox.update()
        .where(mail_outbox.c.id == mail_id, mail_outbox.c.claimed_by == worker, *_PENDING)
        .values(
            sent_at=now,
            attempts=mail_outbox.c.attempts + 1,
            claimed_until=None,
            text_body=None,
            html_body=None,
            last_error=None,
        )
        .returning(mail_outbox.c.id)
    )
    return row is not None


async def mark_failed(
    db: Database, mail_id: int, worker: str, error: str, next_attempt_at: datetime | None, now: datetime
) -> None:
    """Release the claim and schedule the next attempt; ``next_attempt_at`` None gives up."""
    values: dict[str, object] = {
        "attempts": mail_outbox.c.attempts + 1,
        "claimed_until": None,
        "last_error": error[:2000],
    }
    if next_attempt_at is None:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = next_attempt_at
    await db.execute(
        mail_outbox.update()
        .where(mail_outbox.c.id == mail_id, mail_outbox.c.claimed_by == worker, *_PENDING)
        .values(**values)
    )


async def backlog(db: Database) -> tuple[int, datetime | None]:
    """How many rows are pending, and the earliest ``next_attempt_at`` among them (None: none)."""
    row = await db.fetch_one(
        sa.select(sa.func.count(), sa.func.min(mail_outbox.c.next_attempt_at))
        .select_from(mail_outbox)
        .where(*_PENDING)
    )
    earliest = row[1]
    return int(row[0]), as_utc(earliest) if earliest is not None else None

"""SQL for operators' MFA (BO §2.1): the sealed TOTP secret, the last time step used, recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.database import Database
from app.tables import operator_recovery_codes, operators

__all__ = [
    "MfaState",
    "mfa_state",
    "replace_enrolment",
    "activate",
    "clear",
    "consume_step",
    "recovery_code_unused",
    "consume_recovery_code",
]


@dataclass(frozen=True)
class MfaState:
    sealed_secret: str | None
    active: bool
    last_step: int | None


async def mfa_state(db: Database, operator_id: str, *, for_update: bool = False) -> MfaState | None:
    query = sa.select(operators.c.mfa_secret, operators.c.mfa_active, operators.c.mfa_last_step).where(
        operators.c.id == operator_id
    )
    row = await db.fetch_one(query.with_for_update() if for_update else query)
    if row is None:
        return None
    return MfaState(row[0], bool(row[1]), int(row[2]) if row[2] is not None else None)


async def replace_enrolment(
    db: Database, operator_id: str, sealed_secret: str, code_digests: list[str], now: datetime
) -> None:
    """A pending enrolment: the new secret and recovery codes in place of any earlier ones."""
    await db.execute(
        operators.update()
        .where(operators.c.id == operator_id)
        .values(mfa_secret=sealed_secret, mfa_active=False, mfa_last_step=None, updated_at=now)
    )
    await db.execute(
        operator_recovery_codes.delete().where(operator_recovery_codes.c.operator_id == operator_id)
    )
    await db.execute(
        operator_recovery_codes.insert().values(
            [{"digest": digest, "operator_id": operator_id, "used_at": None} for digest in code_digests]
        )
    )


async def activate(db: Database, operator_id: str, now: datetime) -> None:
    await db.execute(
        operators.update().where(operators.c.id == operator_id).values(mfa_active=True, updated_at=now)
    )


async def clear(db: Database, operator_id: str, now: datetime) -> None:
    """No secret, no recovery codes, MFA off."""
    await db.execute(
        operators.update()
        .where(operators.c.id == operator_id)
        .values(mfa_secret=None, mfa_active=False, mfa_last_step=None, updated_at=now)
    )
    await db.execute(
        operator_recovery_codes.delete().where(operator_recovery_codes.c.operator_id == operator_id)
    )


async def consume_step(db: Database, operator_id: str, step: int) -> bool:
    """Mark ``step`` used unless it (or a later one) was: each time step once per operator, also
    between concurrent requests (one conditional update)."""
    row = await db.fetch_one(
        operators.update()
        .where(
            operators.c.id == operator_id,
            sa.or_(operators.c.mfa_last_step.is_(None), operators.c.mfa_last_step < step),
        )
        .values(mfa_last_step=step)
        .returning(operators.c.id)
    )
    return row is not None


async def recovery_code_unused(db: Database, operator_id: str, digest: str) -> bool:
    row = await db.fetch_one(
        sa.select(operator_recovery_codes.c.digest).where(
            operator_recovery_codes.c.digest == digest,
            operator_recovery_codes.c.operator_id == operator_id,
            operator_recovery_codes.c.used_at.is_(None),
        )
    )
    return row is not None


async def consume_recovery_code(db: Database, operator_id: str, digest: str, now: datetime) -> bool:
    """Spend an unused recovery code; False when it is unknown or already spent."""
    row = await db.fetch_one(
        operator_recovery_codes.update()
        .where(
            operator_recovery_codes.c.digest == digest,
            operator_recovery_codes.c.operator_id == operator_id,
            operator_recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(operator_recovery_codes.c.digest)
    )
    return row is not None

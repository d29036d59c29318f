"""One-time codes sent by text (BO §4.2): ``GLUE_SMS_CODE_LENGTH`` digits from ``secrets``, kept as
an HMAC-SHA256 under a key derived from the signing key and bound to the customer and purpose, valid
``GLUE_SMS_CODE_TTL`` seconds, the newest only, dead after ``GLUE_SMS_CODE_MAX_ATTEMPTS`` wrong tries,
at most one per ``GLUE_SMS_RESEND_INTERVAL`` per customer and purpose."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from app.clock import utc_now
from app.database import Database
from app.queries import sms_codes as queries
from app.settings import Settings

__all__ = ["CodePurpose", "CodeTooSoon", "SmsCodeService", "HKDF_PURPOSE"]

HKDF_PURPOSE = "glue-customers sms codes"


class CodePurpose(StrEnum):
    ACTIVATION = "activation"
    PHONE_CHANGE = "phone-change"


class CodeTooSoon(Exception):
    """A code for this customer and purpose went out less than the resend interval ago."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class SmsCodeService:
    def __init__(self, db: Database, settings: Settings, key: bytes) -> None:
        self._db = db
        self._settings = settings
        self._key = key

    async def issue(self, customer_id: int, purpose: CodePurpose, now: datetime | None = None) -> str:
        """A new code, replacing the live one; call inside the transaction that queues its text.
        Within the resend interval of the last one: CodeTooSoon, nothing written."""
        now = now or utc_now()
        code = "".join(secrets.choice("0123456789") for _ in range(self._settings.sms_code_length))
        interval = timedelta(seconds=self._settings.sms_resend_interval)
        stored = await queries.store_code(
            self._db,
            customer_id=customer_id,
            purpose=purpose.value,
            digest=self._digest(customer_id, purpose, code),
            now=now,
            expires_at=now + timedelta(seconds=self._settings.sms_code_ttl),
            replaceable_before=now - interval,
        )
        if not stored:
            issued = await queries.issued_at(self._db, customer_id, purpose.value)
            waited = (now - issued).total_seconds() if issued is not None else 0.0
            raise CodeTooSoon(max(1, math.ceil(interval.total_seconds() - waited)))
        return code

    async def consume(
        self, customer_id: int, purpose: CodePurpose, code: str, now: datetime | None = None
    ) -> bool:
        """True once for the live, unexpired code, which is then gone. A wrong code counts against
        the live one and is committed at once, whatever the caller does next: call outside any
        transaction, so a refusal cannot roll the count back."""
        now = now or utc_now()
        async with self._db.transaction():
            stored = await queries.code_for_check(self._db, customer_id, purpose.value)
            if stored is None or stored.expires_at <= now:
                return False
            if stored.failed_attempts >= self._settings.sms_code_max_attempts:
                return False
            if hmac.compare_digest(stored.digest, self._digest(customer_id, purpose, code)):
                await queries.delete_code(self._db, customer_id, purpose.value)
                return True
            await queries.count_wrong_try(self._db, customer_id, purpose.value)
            return False

    async def discard(self, customer_id: int) -> None:
        """Drop every code of the customer (activation by other means, anonymization, erasure)."""
        await queries.delete_codes(self._db, customer_id)

    def _digest(self, customer_id: int, purpose: CodePurpose, code: str) -> str:
        message = f"{customer_id}:{purpose.value}:{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

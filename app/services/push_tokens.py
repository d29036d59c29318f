"""Push tokens (backoffice-api §4.9): a device's token belongs to one customer at a time.

Posting a token the customer has answers with it (its platform updated to the one sent); a token
another customer has moves to the poster (a new id: the former owner's id names nothing any more);
beyond GLUE_PUSH_TOKENS_PER_CUSTOMER the customer's oldest tokens go. Tokens are found by their
SHA-256 digest (unique), since they run to 4096 characters."""

from __future__ import annotations

import hashlib
import re
import uuid

from app.clock import utc_now
from app.database import Database
from app.models import PushToken
from app.queries import push_tokens as queries
from app.queries._common import is_unique_violation
from app.settings import Settings
from errors import ApiError, catalogue

__all__ = ["PushTokenService", "PLATFORMS"]

PLATFORMS = ("android", "ios", "web")
# Two customers posting one new token at once: the loser of the unique index tries again (and
# then finds the winner's row, and moves it).
_ATTEMPTS = 3
# Ids are ``str(uuid.uuid4())``; anything else names no token and is not sent to the database.
_TOKEN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class PushTokenService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    async def list_of(self, customer_id: int) -> list[PushToken]:
        """The customer's tokens, oldest first."""
        return await queries.list_push_tokens(self._db, customer_id)

    async def register(self, customer_id: int, token: str, platform: str | None) -> PushToken:
        """Give ``token`` to the customer: theirs already (kept), another's (moved), or new."""
        digest = token_digest(token)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return await self._register(customer_id, token, digest, platform)
            except Exception as error:
                if not is_unique_violation(error) or attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _register(self, customer_id: int, token: str, digest: str, platform: str | None) -> PushToken:
        async with self._db.transaction():
            await queries.lock_customer_tokens(self._db, customer_id)
            existing = await queries.find_by_digest(self._db, digest)
            if existing is not None and existing.customer_id == customer_id:
                if existing.platform != platform:
                    await queries.set_platform(self._db, existing.id, platform)
                return PushToken(existing.id, customer_id, existing.token, platform, existing.created_at)
            if existing is not None:
                await queries.delete_push_token(self._db, existing.customer_id, existing.id)
            created = PushToken(str(uuid.uuid4()), customer_id, token, platform, utc_now())
            await queries.insert_push_token(self._db, created, digest)
            await queries.delete_oldest_beyond(self._db, customer_id, self._settings.push_tokens_per_customer)
            return created

    async def delete(self, customer_id: int, token_id: str) -> None:
        """Delete one of the customer's tokens; unknown or another customer's: 1043."""
        deleted = False
        if _TOKEN_ID.fullmatch(token_id):
            async with self._db.transaction():
                deleted = await queries.delete_push_token(self._db, customer_id, token_id)
        if not deleted:
            raise ApiError(catalogue.PUSH_TOKEN_NOT_FOUND)

"""Avatars (backoffice-api §4.8): one per customer, stored re-encoded, served by its SHA-256.

The upload is judged by its bytes alone (``app.images``), decoded and re-encoded in a worker
thread so the event loop keeps serving; at most one upload per core is decoded at a time (a
decoded image can take a few hundred MB), the others wait their turn."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread

from app import images
from app.clock import utc_now
from app.database import Database
from app.models import Actor, Avatar
from app.queries import avatars as queries
from app.services import history
from app.settings import Settings
from errors import ApiError, catalogue

__all__ = ["AvatarService", "AVATAR_WAS_SET", "AVATAR_WAS_REMOVED"]

AVATAR_WAS_SET = "AvatarWasSet"
AVATAR_WAS_REMOVED = "AvatarWasRemoved"
# What a face adds to a write's transaction: the back-office's audit entry (the storefront: none).
Audited = Callable[[], Awaitable[None]] | None


class AvatarService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._decoders: anyio.CapacityLimiter | None = None

    def _decoder_limit(self) -> anyio.CapacityLimiter:
        # Created on first use, inside the event loop that serves the requests.
        if self._decoders is None:
            self._decoders = anyio.CapacityLimiter(os.cpu_count() or 1)
        return self._decoders

    async def set(
        self, customer: history.Subject, upload: bytes, actor: Actor, audited: Audited = None
    ) -> Avatar:
        """Replace the customer's avatar with ``upload`` re-encoded: above GLUE_AVATAR_MAX_BYTES 017,
        not a whole JPEG, PNG or WebP 1040, above GLUE_AVATAR_MAX_PIXELS or a bomb 1041. One
        AvatarWasSet (type and dimensions) in the same transaction."""
        settings = self._settings
        if len(upload) > settings.avatar_max_bytes:
            raise ApiError(catalogue.BODY_TOO_LARGE)
        try:
            image = await anyio.to_thread.run_sync(
                lambda: images.reencode(
                    upload, max_pixels=settings.avatar_max_pixels, max_dimension=settings.avatar_max_dimension
                ),
                limiter=self._decoder_limit(),
            )
        except images.NotAnImage:
            raise ApiError(catalogue.AVATAR_NOT_AN_IMAGE) from None
        except images.ImageTooLarge:
            raise ApiError(catalogue.AVATAR_TOO_LARGE) from None
        now = utc_now()
        avatar = Avatar(
            customer_id=customer.id,
            content_type=image.content_type,
            data=image.data,
            sha256=hashlib.sha256(image.data).hexdigest(),
            size=len(image.data),
            width=image.width,
            height=image.height,
            updated_at=now,
        )
        async with self._db.transaction():
            await queries.save_avatar(self._db, avatar)
            await history.record(
                self._db,
                customer,
                AVATAR_WAS_SET,
                actor,
                now,
                changed_fields=["avatar"],
                values={"contentType": avatar.content_type, "width": avatar.width, "height": avatar.height},
            )
            if audited is not None:
                await audited()
        return avatar

    async def get(self, customer_id: int) -> Avatar:
        """The customer's avatar; none: 1042."""
        avatar = await queries.find_avatar(self._db, customer_id)
        if avatar is None:
            raise ApiError(catalogue.AVATAR_NOT_FOUND)
        return avatar

    async def delete(self, customer: history.Subject, actor: Actor, audited: Audited = None) -> None:
        """Remove the customer's avatar (one AvatarWasRemoved); deleting none is no error and
        writes nothing."""
        async with self._db.transaction():
            if not await queries.delete_avatar(self._db, customer.id):
                return
            await history.record(
                self._db, customer, AVATAR_WAS_REMOVED, actor, utc_now(), changed_fields=["avatar"]
            )
            if audited is not None:
                await audited()

"""Integration clients (BO §2.2): machine-to-machine callers with a secret shown once. Rotation,
a permission or store change, deactivation and deletion void the client's tokens at once."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.keys import key_digest
from app.models import IntegrationClient
from app.queries import integration_clients as queries
from app.services.audit import AuditService
from app.services.operators import CLIENT_PERMISSIONS, Writer, check_permissions, check_stores
from app.settings import Settings
from errors import ApiError, Problem, catalogue

__all__ = ["IntegrationClientService", "new_client_secret"]


def new_client_secret() -> tuple[str, str]:
    """32 random bytes, base64url, and the SHA-256 digest that is stored."""
    secret = secrets.token_urlsafe(32)
    return secret, key_digest(secret)


class IntegrationClientService:
    def __init__(self, db: Database, settings: Settings, audit: AuditService) -> None:
        self._db = db
        self._settings = settings
        self._audit = audit

    def _problems(self, values: dict[str, Any], writer: Writer) -> list[Problem]:
        problems: list[Problem] = []
        if "permissions" in values:
            problems += check_permissions(values["permissions"], CLIENT_PERMISSIONS)
        if "stores" in values:
            configured = tuple(store.code for store in self._settings.store_catalogue)
            problems += check_stores(values["stores"], configured, writer.stores)
        return problems

    async def create(self, values: dict[str, Any], writer: Writer) -> tuple[IntegrationClient, str]:
        """The new client and its secret (never shown again)."""
        problems = self._problems(values, writer)
        if problems:
            raise ApiError.of(problems)
        secret, digest = new_client_secret()
        now = utc_now()
        client_id = str(uuid.uuid4())
        stores = values.get("stores")
        async with self._db.transaction():
            await queries.insert_client(
                self._db,
                {
                    "id": client_id,
                    "name": values["name"],
                    "secret_digest": digest,
                    "permissions": tuple(p for p in CLIENT_PERMISSIONS if p in values["permissions"]),
                    "stores": tuple(stores) if stores is not None else None,
                    "active": True,
                    "token_generation": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            await self._audit.append(writer.actor, details={"clientId": client_id})
        return await self.get(client_id), secret

    async def get(self, client_id: str) -> IntegrationClient:
        found = await queries.client_by_id(self._db, client_id)
        if found is None:
            raise ApiError(catalogue.INTEGRATION_CLIENT_NOT_FOUND)
        return found

    async def list(self, after: tuple[datetime, str] | None, limit: int) -> list[IntegrationClient]:
        return await queries.list_clients(self._db, after, limit)

    async def update(self, client_id: str, values: dict[str, Any], writer: Writer) -> IntegrationClient:
        """A permission or store change voids the client's tokens."""
        current = await self.get(client_id)
        problems = self._problems(values, writer)
        if problems:
            raise ApiError.of(problems)
        changes: dict[str, Any] = {}
        if "name" in values and values["name"] != current.name:
            changes["name"] = values["name"]
        if "permissions" in values:
            permissions = tuple(p for p in CLIENT_PERMISSIONS if p in values["permissions"])
            if permissions != current.permissions:
                changes["permissions"] = permissions
        if "stores" in values:
            stores = tuple(values["stores"]) if values["stores"] is not None else None
            if stores != current.stores:
                changes["stores"] = stores
        if not changes:
            return current
        if {"permissions", "stores"} & set(changes):
            changes["token_generation"] = current.token_generation + 1
        async with self._db.transaction():
            await queries.update_client(self._db, client_id, {**changes, "updated_at": utc_now()})
            fields = sorted(name for name in changes if name != "token_generation")
            await self._audit.append(writer.actor, details={"clientId": client_id, "fields": fields})
        return await self.get(client_id)

    async def delete(self, client_id: str, writer: Writer) -> None:
        await self.get(client_id)
        async with self._db.transaction():
            await queries.delete_client(self._db, client_id)
            await self._audit.append(writer.actor, details={"clientId": client_id})

    async def rotate_secret(self, client_id: str, writer: Writer) -> tuple[IntegrationClient, str]:
        """A new secret; the old one and every token issued with it stop working."""
        current = await self.get(client_id)
        secret, digest = new_client_secret()
        async with self._db.transaction():
            await queries.update_client(
                self._db,
                client_id,
                {
                    "secret_digest": digest,
                    "token_generation": current.token_generation + 1,
                    "updated_at": utc_now(),
                },
            )
            await self._audit.append(
                writer.actor, details={"clientId": client_id, "fields": ["clientSecret"]}
            )
        return await self.get(client_id), secret

    async def set_active(self, client_id: str, active: bool, writer: Writer) -> None:
        current = await self.get(client_id)
        if current.active == active:
            return
        async with self._db.transaction():
            # A deactivated client's tokens stay void after a reactivation.
            changes = {"active": active, "updated_at": utc_now()}
            if not active:
                changes["token_generation"] = current.token_generation + 1
            await queries.update_client(self._db, client_id, changes)
            await self._audit.append(writer.actor, details={"clientId": client_id, "fields": ["active"]})

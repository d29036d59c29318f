"""Operators (BO §2, §4.10): who may work in the back-office, with which role, permissions and
stores. Every write is one transaction with its audit entry; changing what a live token's ``scope``
says (permissions, stores, POS, point transfers, active) or the password ends the operator's
sessions, so authorization always reads the row the per-request session lookup returns."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.models import AuditActor, Operator
from app.passwords import PasswordHasherService, password_policy_violations
from app.queries import operators as queries
from app.queries import points_of_sale as pos_queries
from app.queries.operators import EmailTaken, OperatorFilters
from app.services.audit import AuditService
from app.settings import Settings
from errors import ApiError, Problem, catalogue

__all__ = [
    "OperatorService",
    "OperatorFilters",
    "Writer",
    "ADMIN_PERMISSIONS",
    "CLIENT_PERMISSIONS",
    "OPERATORS_WRITE",
    "ROLES",
    "check_permissions",
    "check_stores",
]

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
COMMERCE_WRITE = "commerce:write"
OPERATORS_WRITE = "operators:write"
ADMIN_PERMISSIONS = (CUSTOMERS_READ, CUSTOMERS_WRITE, COMMERCE_WRITE, OPERATORS_WRITE)
CLIENT_PERMISSIONS = (CUSTOMERS_READ, COMMERCE_WRITE)
ROLES = ("admin", "seller")
NOT_A_CHOICE = "The value you selected is not a valid choice."
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Changing any of these changes what a live token may do: the operator's sessions end.
_SESSION_FIELDS = frozenset({"permissions", "stores", "pos_id", "allow_point_transfer", "active", "password"})
_SELF_FIELDS = frozenset({"first_name", "last_name", "phone"})
_WIRE_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "pos_id": "posId",
    "allow_point_transfer": "allowPointTransfer",
}


@dataclass(frozen=True)
class Writer:
    """The operator (or the CLI) writing: its id and stores limit what it may grant."""

    actor: AuditActor
    operator_id: str | None  # None: the CLI
    stores: tuple[str, ...] | None
    may_write_operators: bool = True
    session_id: str | None = None


def _invalid(attribute: str, message: str) -> Problem:
    return Problem(catalogue.VALIDATION_FAILED, attribute, {"field": attribute, "message": message})


def check_permissions(
    permissions: Any, allowed: tuple[str, ...], attribute: str = "permissions"
) -> list[Problem]:
    """A non-empty subset of ``allowed``; customers:write needs customers:read."""
    if not isinstance(permissions, (list, tuple)) or not permissions:
        return [_invalid(attribute, "This collection should contain 1 element or more.")]
    if any(permission not in allowed for permission in permissions):
        return [_invalid(attribute, NOT_A_CHOICE)]
    if CUSTOMERS_WRITE in permissions and CUSTOMERS_READ not in permissions:
        return [_invalid(attribute, "customers:write needs customers:read.")]
    return []


def check_stores(
    stores: Any, configured: tuple[str, ...], writer_stores: tuple[str, ...] | None
) -> list[Problem]:
    """None (all) only from a writer of all stores; else a non-empty list of configured codes within
    the writer's own."""
    if stores is None:
        return [] if writer_stores is None else [_invalid("stores", NOT_A_CHOICE)]
    if not isinstance(stores, (list, tuple)) or not stores:
        return [_invalid("stores", "This collection should contain 1 element or more.")]
    allowed = configured if writer_stores is None else writer_stores
    if any(code not in allowed for code in stores) or len(set(stores)) != len(stores):
        return [_invalid("stores", NOT_A_CHOICE)]
    return []


def _ordered(permissions: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(permission for permission in allowed if permission in permissions)


class OperatorService:
    def __init__(
        self, db: Database, settings: Settings, hasher: PasswordHasherService, audit: AuditService
    ) -> None:
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._audit = audit

    @property
    def _configured_stores(self) -> tuple[str, ...]:
        return tuple(store.code for store in self._settings.store_catalogue)

    def _password_problems(self, password: Any, confirm_password: Any, attribute: str) -> list[Problem]:
        if not isinstance(password, str):
            return [_invalid(attribute, "This field is missing.")]
        violations = password_policy_violations(password, self._settings.operator_password_min_length)
        return [_invalid(attribute, message) for message in violations]

    def check_new_password(self, password: str, confirm_password: str | None, attribute: str) -> None:
        """The policy with the operators' minimum (901), then the confirmation (406)."""
        problems = self._password_problems(password, confirm_password, attribute)
        if problems:
            raise ApiError.of(problems)
        if password != confirm_password:
            raise ApiError(catalogue.PASSWORDS_DO_NOT_MATCH, field=attribute)

    async def create(self, values: dict[str, Any], writer: Writer) -> Operator:
        """§2: role-specific attributes (foreign ones ignored), stores within the writer's, the
        password policy (901) and confirmation (406), a free e-mail (1003)."""
        role = values["role"]
        problems: list[Problem] = []
        row: dict[str, Any] = {
            "email": values["email"],
            "first_name": values["first_name"],
            "last_name": values["last_name"],
            "phone": values.get("phone"),
            "role": role,
        }
        problems += self._phone_problems(values)
        if role == "admin":
            if "permissions" not in values:
                problems.append(_invalid("permissions", "This field is missing."))
            else:
                problems += check_permissions(values["permissions"], ADMIN_PERMISSIONS)
                row["permissions"] = _ordered(values["permissions"], ADMIN_PERMISSIONS)
            row.update(pos_id=None, allow_point_transfer=False)
        else:
            row["permissions"] = ()
            pos_id = values.get("pos_id")
            if pos_id is None:
                problems.append(
                    _invalid("posId", "This field is missing." if "pos_id" not in values else NOT_A_CHOICE)
                )
            elif writer.operator_id is not None and not await self._pos_exists(pos_id):
                problems.append(_invalid("posId", NOT_A_CHOICE))
            row.update(pos_id=pos_id, allow_point_transfer=bool(values.get("allow_point_transfer", False)))
        stores = values.get("stores")
        problems += check_stores(stores, self._configured_stores, writer.stores)
        row["stores"] = tuple(stores) if stores is not None else None
        problems += self._password_problems(
            values.get("password"), values.get("confirm_password"), "password"
        )
        if problems:
            raise ApiError.of(sorted(problems, key=lambda problem: problem.attribute or ""))
        if values["password"] != values.get("confirm_password"):
            raise ApiError(catalogue.PASSWORDS_DO_NOT_MATCH, field="password")
        row["password_hash"] = await self._hasher.hash_password(values["password"])
        now = utc_now()
        operator_id = str(uuid.uuid4())
        row.update(
            id=operator_id,
            email_key=email_key(values["email"]),
            active=True,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction():
            try:
                await queries.insert_operator(self._db, row)
            except EmailTaken:
                raise ApiError(catalogue.OPERATOR_ALREADY_EXISTS) from None
            await self._audit.append(writer.actor, details={"operatorId": operator_id})
        created = await queries.operator_by_id(self._db, operator_id)
        assert created is not None
        return created

    async def _pos_exists(self, pos_id: str) -> bool:
        """Whether the point of sale exists (the CLI, run before there is any POS, takes any id)."""
        return await pos_queries.pos_exists(self._db, pos_id)

    def _phone_problems(self, values: dict[str, Any]) -> list[Problem]:
        phone = values.get("phone")
        if phone is not None and not _E164.fullmatch(phone):
            return [_invalid("phone", "This value is not a valid phone number.")]
        return []

    async def get(self, operator_id: str) -> Operator:
        found = await queries.operator_by_id(self._db, operator_id)
        if found is None:
            raise ApiError(catalogue.OPERATOR_NOT_FOUND)
        return found

    async def get_by_email(self, email: str) -> Operator:
        found = await queries.operator_by_email(self._db, email_key(email))
        if found is None:
            raise ApiError(catalogue.OPERATOR_NOT_FOUND)
        return found[0]

    async def list(
        self, filters: OperatorFilters, after: tuple[datetime, str] | None, limit: int
    ) -> list[Operator]:
        return await queries.list_operators(self._db, filters, after, limit)

    async def update(self, operator_id: str, values: dict[str, Any], writer: Writer) -> Operator:
        """An admin's PATCH (§2); an operator without operators:write changes only its own names and
        phone (other attributes ignored). Own operators:write is never dropped (1004), nor the last
        administrator's (1005)."""
        current = await self.get(operator_id)
        if not writer.may_write_operators:
            values = {name: value for name, value in values.items() if name in _SELF_FIELDS}
        problems = self._phone_problems(values)
        changes: dict[str, Any] = {}
        for name in ("first_name", "last_name", "phone"):
            if name in values:
                changes[name] = values[name]
        if "email" in values and values["email"] != current.email:
            changes["email"] = values["email"]
            changes["email_key"] = email_key(values["email"])
        if current.role == "admin" and "permissions" in values:
            problems += check_permissions(values["permissions"], ADMIN_PERMISSIONS)
            changes["permissions"] = _ordered(values["permissions"] or (), ADMIN_PERMISSIONS)
        if current.role == "seller":
            if "pos_id" in values:
                if values["pos_id"] is None or not await self._pos_exists(values["pos_id"]):
                    problems.append(_invalid("posId", NOT_A_CHOICE))
                changes["pos_id"] = values["pos_id"]
            if "allow_point_transfer" in values:
                changes["allow_point_transfer"] = bool(values["allow_point_transfer"])
        if "stores" in values:
            problems += check_stores(values["stores"], self._configured_stores, writer.stores)
            changes["stores"] = tuple(values["stores"]) if values["stores"] is not None else None
        if "password" in values:
            problems += self._password_problems(
                values["password"], values.get("confirm_password"), "password"
            )
        if problems:
            raise ApiError.of(sorted(problems, key=lambda problem: problem.attribute or ""))
        if "password" in values:
            if values["password"] != values.get("confirm_password"):
                raise ApiError(catalogue.PASSWORDS_DO_NOT_MATCH, field="password")
            changes["password_hash"] = await self._hasher.hash_password(values["password"])
        changes = {name: value for name, value in changes.items() if self._differs(current, name, value)}
        demoted = "permissions" in changes and OPERATORS_WRITE not in changes["permissions"]
        if demoted and writer.operator_id == operator_id:
            raise ApiError(catalogue.OWN_OPERATOR_RECORD)
        if not changes:
            return current
        fields = {"password" if name == "password_hash" else name for name in changes if name != "email_key"}
        changed = sorted(_WIRE_NAMES.get(name, name) for name in fields)
        now = utc_now()
        async with self._db.transaction():
            if demoted:
                await self._keep_an_administrator(operator_id)
            try:
                await queries.update_operator(self._db, operator_id, {**changes, "updated_at": now})
            except EmailTaken:
                raise ApiError(catalogue.OPERATOR_ALREADY_EXISTS) from None
            if _SESSION_FIELDS & fields:
                # Only an own password change keeps the calling session: any other change of what
                # the token's scope says ends it too.
                own = writer.operator_id == operator_id and fields & _SESSION_FIELDS == {"password"}
                keep = writer.session_id if own else None
                await queries.revoke_operator_sessions(self._db, operator_id, now, keep_session_id=keep)
            await self._audit.append(writer.actor, details={"operatorId": operator_id, "fields": changed})
        return await self.get(operator_id)

    @staticmethod
    def _differs(current: Operator, name: str, value: Any) -> bool:
        if name in ("password_hash", "email_key"):
            return True
        if name == "email":
            return bool(value != current.email)
        return bool(getattr(current, name) != value)

    async def _keep_an_administrator(self, target_id: str) -> None:
        """1005 when ``target_id`` is the last active administrator with operators:write. Runs in the
        write's transaction with those administrators' rows locked, so concurrent removals of the
        last two queue and the second sees the first's result."""
        holders = await queries.lock_active_operator_admins(self._db)
        if holders == [target_id]:
            raise ApiError(catalogue.LAST_OPERATOR_ADMINISTRATOR)

    async def delete(self, operator_id: str, writer: Writer) -> None:
        """Ends its sessions with it; audit entries keep its id. Not one's own (1004), not the last
        administrator's (1005)."""
        await self.get(operator_id)
        if writer.operator_id == operator_id:
            raise ApiError(catalogue.OWN_OPERATOR_RECORD)
        async with self._db.transaction():
            await self._keep_an_administrator(operator_id)
            await queries.delete_operator(self._db, operator_id)
            await self._audit.append(writer.actor, details={"operatorId": operator_id})

    async def set_active(self, operator_id: str, active: bool, writer: Writer) -> None:
        """Activating an active or deactivating an inactive operator writes nothing; deactivating
        ends its sessions."""
        target = await self.get(operator_id)
        if writer.operator_id == target.id:
            raise ApiError(catalogue.OWN_OPERATOR_RECORD)
        if target.active == active:
            return
        now = utc_now()
        async with self._db.transaction():
            if not active:
                await self._keep_an_administrator(operator_id)
            await queries.update_operator(self._db, operator_id, {"active": active, "updated_at": now})
            await queries.revoke_operator_sessions(self._db, operator_id, now)
            await self._audit.append(writer.actor, details={"operatorId": operator_id, "fields": ["active"]})

    async def change_own_password(
        self,
        operator: Operator,
        session_id: str | None,
        current: str,
        new: str,
        confirm: str,
        actor: AuditActor,
    ) -> None:
        """As the customers' password change: policy (901), confirmation (406), current password
        (408); the calling session stays, every other ends."""
        self.check_new_password(new, confirm, "newPassword")
        stored = await queries.password_hash_of(self._db, operator.id)
        if not await self._hasher.verify_password(stored, current) or stored is None:
            raise ApiError(catalogue.INVALID_PASSWORD)
        password_hash = await self._hasher.hash_password(new)
        now = utc_now()
        async with self._db.transaction():
            await queries.update_operator(
                self._db, operator.id, {"password_hash": password_hash, "updated_at": now}
            )
            await queries.revoke_operator_sessions(self._db, operator.id, now, keep_session_id=session_id)
            await self._audit.append(actor, details={"operatorId": operator.id, "fields": ["password"]})

    async def set_password(self, email: str, password: str, actor: AuditActor) -> Operator:
        """The CLI's reset: the policy, then every session ends. Unknown e-mail: 1002."""
        self.check_new_password(password, password, "password")
        found = await queries.operator_by_email(self._db, email_key(email))
        if found is None:
            raise ApiError(catalogue.OPERATOR_NOT_FOUND)
        operator = found[0]
        password_hash = await self._hasher.hash_password(password)
        now = utc_now()
        async with self._db.transaction():
            await queries.update_operator(
                self._db, operator.id, {"password_hash": password_hash, "updated_at": now}
            )
            await queries.revoke_operator_sessions(self._db, operator.id, now)
            await self._audit.append(actor, details={"operatorId": operator.id, "fields": ["password"]})
        return operator

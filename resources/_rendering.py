"""Rendering helpers shared by the resources: a schema bound to this request's base URL, and the
company user as both faces show it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request

from app import jsonapi
from app.access import services
from app.models import CompanyUser
from schemas.company_users import COMPANY_TYPE, COMPANY_USER_TYPE

__all__ = ["schema_for", "wire_fields", "only_fields", "company_user_resource"]


def schema_for(request: Request, schema_class: type[Any], **kwargs: Any) -> Any:
    """A schema bound to this request's base URL; instances are reused (dumping keeps no state)."""
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    return _schema(schema_class, base, tuple(sorted(kwargs.items())))  # type: ignore[arg-type]


@lru_cache(maxsize=256)
def _schema(schema_class: type[Any], base_url: str, options: tuple[tuple[str, Any], ...]) -> Any:
    return schema_class(base_url=base_url, **dict(options))


def wire_fields(schema_class: type[Any]) -> tuple[str, ...]:
    """The attribute names a client may list in ``fields[TYPE]``."""
    schema = schema_class()
    return tuple(field.data_key or name for name, field in schema.dump_fields.items() if name != "id")


def only_fields(schema_class: type[Any], wire_names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Translate a sparse fieldset (wire names) into the schema's field names, keeping ``id``."""
    if wire_names is None:
        return None
    schema = schema_class()
    by_wire = {field.data_key or name: name for name, field in schema.dump_fields.items()}
    return ("id", *(by_wire[name] for name in wire_names))


def company_user_resource(
    base: str, user: CompanyUser, prefix: str = "", **face_attributes: Any
) -> dict[str, Any]:
    """A company user (CB §4.1) under a face's ``prefix`` (the storefront's is empty); a face adds
    what only it shows (the back-office's ``customerReference``)."""
    return {
        "type": COMPANY_USER_TYPE,
        "id": user.id,
        "attributes": {
            "isActive": user.is_active,
            "isDefault": user.is_default,
            "role": user.role,
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            **face_attributes,
            "createdAt": user.created_at.isoformat(),
            "updatedAt": user.updated_at.isoformat(),
        },
        "relationships": {"companies": {"data": [{"type": COMPANY_TYPE, "id": user.company_id}]}},
        "links": {"self": f"{base}{prefix}/company-users/{user.id}"},
    }

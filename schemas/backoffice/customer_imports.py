"""Bulk imports (BO §4.7): one uploaded row as the back-office creation reads it, the
``customer-imports`` job and its ``customer-import-rows``.

{"data": {"type": "customer-imports", "id": "8b0c6f9e-…",
          "attributes": {"status": "running", "format": "csv", "total": 3, "processed": 2,
                         "succeeded": 1, "failed": 1, "createdBy": "6f1c…",
                         "createdAt": "…", "startedAt": "…", "finishedAt": null},
          "links": {"self": "…/backoffice/customer-imports/8b0c6f9e-…",
                    "rows": "…/backoffice/customer-imports/8b0c6f9e-…/rows"}}}

{"data": [{"type": "customer-import-rows", "id": "8b0c6f9e-…:2",
           "attributes": {"row": 2, "status": "failed", "email": "ada@example.com",
                          "customerReference": null,
                          "errors": [{"status": "400", "code": "400",
                                      "detail": "Customer with this email already exists.",
                                      "source": {"pointer": "/email"}}]}}]}
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from schemas.backoffice.customers import BackofficeCustomerSchema
from schemas.base import Boolean, ResourceSchema, String, messages

__all__ = ["ImportRowSchema", "CustomerImportSchema", "CustomerImportRowSchema"]


class _IsoDateTime(fields.AwareDateTime):
    default_error_messages = {
        **messages,
        "invalid": "This value is not a valid datetime.",
        "invalid_awareness": "This value is not a valid datetime.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)


class ImportRowSchema(BackofficeCustomerSchema):
    """One row: the creation's attributes, and what only an import sets: ``createdAt`` (ISO 8601
    with an offset, backdating the customer), ``active`` (default true), ``invite`` (default
    false) and ``levelId`` (a manual level of the store)."""

    created_at = _IsoDateTime(allow_none=True, load_default=None)
    active = Boolean(load_default=True)  # type: ignore[assignment]
    invite = Boolean(load_default=False)
    level_id = String(allow_none=True, load_default=None)


class CustomerImportSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    format = fields.String(dump_only=True)
    total = fields.Integer(dump_only=True)
    processed = fields.Integer(dump_only=True)
    succeeded = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customer-imports"
        self_url = "/backoffice/customer-imports/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/customer-imports"

    def get_resource_links(self, item: Any) -> dict[str, Any]:
        links: dict[str, Any] = super().get_resource_links(item) or {}
        links["rows"] = self.generate_url("/backoffice/customer-imports/{id}/rows", id=item["id"])
        return links


def _errors(result: Any) -> list[dict[str, Any]]:
    """The row's catalogue errors as JSON:API error objects, pointers relative to the row."""
    objects = []
    for problem in result.errors:
        item: dict[str, Any] = {
            "status": problem["status"],
            "code": problem["code"],
            "detail": problem["detail"],
        }
        if problem.get("attribute"):
            item["source"] = {"pointer": "/" + problem["attribute"]}
        objects.append(item)
    return objects


class CustomerImportRowSchema(ResourceSchema):
    id = fields.Function(lambda result: f"{result.import_id}:{result.row}", dump_only=True)
    row = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    customer_reference = fields.String(dump_only=True)
    errors = fields.Function(_errors, dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customer-import-rows"

    def __init__(self, *args: Any, import_id: str = "", **kwargs: Any) -> None:
        self.import_id = import_id
        super().__init__(*args, **kwargs)

    def get_top_level_links(self, data: Any, many: bool) -> dict[str, str | None]:
        return {"self": self.generate_url("/backoffice/customer-imports/{id}/rows", id=self.import_id)}

"""The ``audit-events`` resource (BO §4.12), read-only; id = the sequence number, as a string.

{"data": [{"type": "audit-events", "id": "42",
           "attributes": {"occurredAt": "…", "operatorId": "6f1c…", "operatorRole": "admin",
                          "action": "POST /backoffice/operators", "customerReference": null,
                          "outcome": "succeeded", "requestId": "…", "details": {"operatorId": "…"}}}],
 "links": {"self": "…/backoffice/audit-events", "next": null}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import ResourceSchema

__all__ = ["AuditEventSchema"]


class AuditEventSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    occurred_at = fields.DateTime(dump_only=True)
    operator_id = fields.String(dump_only=True)
    operator_role = fields.String(dump_only=True)
    action = fields.String(dump_only=True)
    customer_reference = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True)
    request_id = fields.String(dump_only=True)
    details = fields.Dict(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "audit-events"
        self_url_many = "/backoffice/audit-events"

"""The ``customer-registrations`` resource (BO §4.6), read-only: one period's registrations;
id = the period.

{"data": [{"type": "customer-registrations", "id": "2026-11-30",
           "attributes": {"period": "2026-11-30", "count": 4}}, …],
 "meta": {"interval": "day", "lastDays": 30, "store": "DE", "timeZone": "Europe/Berlin", "total": 57}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import ResourceSchema

__all__ = ["CustomerRegistrationSchema"]


class CustomerRegistrationSchema(ResourceSchema):
    id = fields.String(dump_only=True, attribute="period")
    period = fields.String(dump_only=True)
    count = fields.Integer(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customer-registrations"

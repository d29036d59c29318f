"""The back-office ``customers`` resource as the search shows it (BO §3, §4.5), read-only; id = the
customer's reference.

{"data": [{"type": "customers", "id": "DE--1",
           "attributes": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                          "store": "DE", "status": "active", "active": true,
                          "labels": [{"key": "tier", "value": "gold"}], "transactionsAmount": 12990,
                          "currency": "EUR", …},
           "links": {"self": "…/backoffice/customers/DE--1"}}],
 "meta": {"total": 1, "totalExact": true}, "links": {…}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import CompanyField, ResourceSchema

__all__ = ["CustomerSearchSchema"]


class CustomerSearchSchema(ResourceSchema):
    id = fields.String(dump_only=True, attribute="reference")
    salutation = fields.String(dump_only=True)
    first_name = fields.String(dump_only=True)
    last_name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    gender = fields.String(dump_only=True)
    date_of_birth = fields.Date(dump_only=True)
    store = fields.String(dump_only=True)
    locale = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    loyalty_card_number = fields.String(dump_only=True)
    labels = fields.List(fields.Dict(), dump_only=True)
    agreement1 = fields.Boolean(dump_only=True)
    agreement2 = fields.Boolean(dump_only=True)
    agreement3 = fields.Boolean(dump_only=True)
    company = CompanyField(dump_only=True)
    status = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    level_id = fields.String(dump_only=True)
    manually_assigned_level = fields.Boolean(dump_only=True)
    pos_id = fields.String(dump_only=True)
    seller_id = fields.String(dump_only=True)
    transactions_count = fields.Integer(dump_only=True)
    transactions_amount = fields.Integer(dump_only=True)
    transactions_amount_without_delivery_costs = fields.Integer(dump_only=True)
    average_transaction_amount = fields.Integer(dump_only=True)
    last_transaction_date = fields.DateTime(dump_only=True)
    currency = fields.String(dump_only=True)
    has_avatar = fields.Boolean(dump_only=True)
    pending_email = fields.String(dump_only=True)
    pending_phone = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customers"
        self_url = "/backoffice/customers/{id}"
        self_url_kwargs = {"id": "<id>"}

"""The ``customers`` resource of the back-office (BO §3) and its ``history-events`` (BO §4.4).

{"data": {"type": "customers", "id": "DE--25",
          "attributes": {"salutation": "Mr", "firstName": "John", "lastName": "Doe",
                         "email": "jdoe@example.com", "gender": null, "dateOfBirth": null,
                         "locale": "de_DE", "phone": null, "loyaltyCardNumber": "CARD-1",
                         "labels": [{"key": "tier", "value": "gold"}], "agreement1": true,
                         "agreement2": false, "agreement3": false, "company": null,
                         "store": "DE", "status": "active", "active": true, "levelId": null,
                         "manuallyAssignedLevel": false, "posId": null, "sellerId": null,
                         "transactionsCount": 0, "transactionsAmount": 0, …, "currency": "EUR",
                         "hasAvatar": false, "pendingEmail": null, "pendingPhone": null,
                         "createdAt": "…", "updatedAt": "…"},
          "links": {"self": "https://shop.example/backoffice/customers/DE--25"}}}
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

from app.services.customers import SALUTATIONS
from schemas.addresses import AddressSchema
from schemas.base import BLANK, Boolean, Length, NotBlank, OneOf, ResourceSchema, String, messages
from schemas.customers import CustomerSchema

__all__ = ["BackofficeCustomerSchema", "BackofficeCustomerUpdateSchema", "HistoryEventSchema", "EDITABLE"]

_LABEL_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CARD = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_LABELS = 50


class LabelsField(fields.Field):
    """At most 50 ``{key, value}``: key 1-64 of ``[A-Za-z0-9_.-]``, value a string of ≤ 255."""

    default_error_messages = {**messages, "invalid": "This value should be of type array."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[dict[str, str]]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) > MAX_LABELS:
            raise ValidationError(f"This collection should contain {MAX_LABELS} elements or less.")
        problems: dict[int, dict[str, list[str]]] = {}
        labels = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                problems[index] = {"key": ["This value should be of type object."]}
                continue
            key, text = item.get("key"), item.get("value")
            errors: dict[str, list[str]] = {}
            if not isinstance(key, str) or not _LABEL_KEY.fullmatch(key):
                errors["key"] = ["This value is not valid."]
            if not isinstance(text, str):
                errors["value"] = [BLANK if text is None else "This value should be of type string."]
            elif len(text) > 255 or "\x00" in text:
                errors["value"] = ["This value is too long. It should have 255 characters or less."]
            if errors:
                problems[index] = errors
            else:
                labels.append({"key": str(key), "value": str(text)})
        if problems:
            raise ValidationError(problems)
        return labels

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class FirstAddressField(fields.Field):
    """BO §3: the first address of a back-office creation, SF §4's attributes (address1*, address2,
    address3, zipCode*, city*, iso2Code*, company, phone) under SF §4's rules; its salutation and
    names are the customer's, so any sent here are ignored, and so are default flags (it is every
    default). A problem points into the object: ``/data/attributes/address/zipCode``."""

    default_error_messages = {**messages, "invalid": "This value should be of type object."}
    _TAKEN = ("address1", "address2", "address3", "zipCode", "city", "iso2Code", "company", "phone")
    _NAMES = ("salutation", "first_name", "last_name")
    _schema: AddressSchema | None = None

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        attributes = {name: value[name] for name in self._TAKEN if name in value}
        # Stand-ins for the customer's own, which the service puts in their place.
        attributes.update(salutation="Mr", firstName="-", lastName="-")
        if FirstAddressField._schema is None:
            FirstAddressField._schema = AddressSchema()
        try:
            loaded: dict[str, Any] = FirstAddressField._schema.load(
                {"data": {"type": "addresses", "attributes": attributes}}
            )
        except ValidationError as error:
            problems: dict[str, list[str]] = {}
            found = error.messages.get("errors", []) if isinstance(error.messages, dict) else []
            for item in found:
                name = item.get("source", {}).get("pointer", "").rsplit("/", 1)[-1]
                problems.setdefault(name, []).append(item["detail"])
            raise ValidationError(problems or [BLANK]) from None
        return {name: part for name, part in loaded.items() if name not in self._NAMES}

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None


class _Card(NotBlank):
    def __call__(self, value: str) -> str:
        if not _CARD.fullmatch(value):
            raise ValidationError("This value is not valid.")
        return value


class BackofficeCustomerSchema(CustomerSchema):
    """What an operator reads and creates: no password (invitation or forgotten password sets one)."""

    salutation = String(allow_none=True, validate=OneOf(SALUTATIONS))
    loyalty_card_number = String(allow_none=True, validate=_Card())
    labels = LabelsField()
    # Terms accepted: true at creation (else 422, the service's check), never false later.
    agreement1 = fields.Raw(allow_none=True, error_messages=messages)  # type: ignore[assignment]
    store = String(validate=NotBlank())
    status = fields.String(dump_only=True)
    active = fields.Method("_active", dump_only=True)
    level_id = fields.String(dump_only=True)
    manually_assigned_level = fields.Boolean(dump_only=True)
    pos_id = String(allow_none=True, validate=Length(None, 36))
    seller_id = String(allow_none=True, validate=Length(None, 36))
    transactions_count = fields.Integer(dump_only=True)
    transactions_amount = fields.Integer(dump_only=True)
    transactions_amount_without_delivery_costs = fields.Integer(dump_only=True)
    average_transaction_amount = fields.Integer(dump_only=True)
    last_transaction_date = fields.DateTime(dump_only=True)
    currency = fields.String(dump_only=True)
    # Creation only (BO §3, §4.2): mail an invitation; the first address. A PATCH checks their form
    # as the one document describes them, and ignores them (they are not in EDITABLE).
    invite = Boolean(load_only=True)
    address = FirstAddressField(load_only=True, allow_none=True)

    def _active(self, customer: Any) -> bool:
        return bool(customer.status == "active")

    class Meta(CustomerSchema.Meta):
        exclude = ("password", "confirm_password", "accepted_terms")
        self_url = "/backoffice/customers/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/customers"


class BackofficeCustomerUpdateSchema(BackofficeCustomerSchema):
    """A PATCH: required attributes may not be null or blank (901); optional ones null erase."""

    first_name = String(validate=[NotBlank(), Length(None, 100)])
    last_name = String(validate=[NotBlank(), Length(None, 100)])
    agreement1 = Boolean()  # type: ignore[assignment]
    labels = LabelsField(allow_none=True)


# Attributes a back-office PATCH may change.
EDITABLE = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "gender",
    "date_of_birth",
    "locale",
    "phone",
    "loyalty_card_number",
    "labels",
    "agreement1",
    "agreement2",
    "agreement3",
    "company",
    "pos_id",
    "seller_id",
)


class HistoryEventSchema(ResourceSchema):
    id = fields.Function(lambda event: str(event.id), dump_only=True)
    event_type = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    actor = fields.Function(lambda event: {"type": event.actor.type, "id": event.actor.id}, dump_only=True)
    changed_fields = fields.List(fields.String(), dump_only=True)
    values = fields.Dict(dump_only=True)
    points_balance = fields.String(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "history-events"

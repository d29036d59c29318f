"""The ``payment-instruments`` resource: the back-office's upsert document, the card-data refusal,
and the storefront's view (CB §7).

Upsert (``POST /backoffice/stores/{store}/payment-instruments``):

{"data": {"type": "payment-instruments", "attributes": {"customerReference": "DE--7",
  "provider": "adyen", "providerToken": "8415698462516992", "brand": "VISA",
  "maskedCardNumber": "513659******5354", "expirationMonth": "3", "expirationYear": "28"}}}

The storefront shows ``brand, maskedCardNumber`` (with ``x``), ``expirationMonth`` (two digits),
``expirationYear`` (four), ``expired, createdAt``.

Card data is refused with 1140 before any other rule, pointing at the attribute and never echoing
it: (a) an attribute named like a card number or security code; (b) any string (or number) holding
12–19 digits, single spaces or hyphens between, that pass Luhn, ``providerToken`` excepted; (c) a
``providerToken`` of 12–19 Luhn-valid digits with the masked number's first six and last four.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from app.models import PaymentInstrument
from errors import ApiError, Problem, catalogue
from schemas.base import CustomerCollectionSchema, NotBlank, ResourceSchema, String, camel_case
from schemas.fields import problems

__all__ = ["PaymentInstrumentSchema", "load_payment_instrument", "card_data_pointers", "luhn_valid"]

TYPE = "payment-instruments"
_CARD_ATTRIBUTE_NAMES = frozenset(
    [
        "cvv",
        "cvc",
        "cvv2",
        "cvc2",
        "cid",
        "securitycode",
        "cardsecuritycode",
        "cardnumber",
        "fullcardnumber",
        "pan",
        "number",
    ]
)
# A run of 12–19 digits with at most one space or hyphen between two of them, not inside a longer run.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){11,18}(?![0-9])")
_PROVIDER_TOKEN_CARD = re.compile(r"[0-9]{12,19}")
_MASKED = re.compile(r"([0-9]{6})[xX*]{2,9}([0-9]{4})")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _holds_card_number(value: str) -> bool:
    return any(
        luhn_valid(digits) and 12 <= len(digits) <= 19
        for digits in (re.sub(r"[ -]", "", run.group()) for run in _DIGIT_RUN.finditer(value))
    )


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str | None, Any]]:
    """Every (path, key name, value) below ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield (*path, str(key)), str(key), item
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, str(index)), None, item
            yield from _walk(item, (*path, str(index)))


def card_data_pointers(attributes: Mapping[str, Any]) -> list[str]:
    """The attribute paths (``card/number``) holding card data by rules (a)–(c)."""
    found: list[str] = []
    for path, key, value in _walk(attributes, ()):
        pointer = "/".join(path)
        if key is not None and re.sub(r"[-_]", "", key.lower()) in _CARD_ATTRIBUTE_NAMES:
            found.append(pointer)
        elif path == ("providerToken",):
            continue
        elif isinstance(value, (str, int)) and not isinstance(value, bool) and _holds_card_number(str(value)):
            found.append(pointer)
    token, masked = attributes.get("providerToken"), attributes.get("maskedCardNumber")
    match = _MASKED.fullmatch(masked) if isinstance(masked, str) else None
    if (
        isinstance(token, str)
        and match
        and _PROVIDER_TOKEN_CARD.fullmatch(token)
        and luhn_valid(token)
        and token.startswith(match.group(1))
        and token.endswith(match.group(2))
    ):
        found.append("providerToken")
    return found


class _Input(Schema):
    error_messages = {"type": "This value should be of type object."}

    class Meta:
        unknown = EXCLUDE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = camel_case(field_obj.data_key or field_name)


def _pattern(expression: str) -> validate.Regexp:
    return validate.Regexp(expression + r"\Z", error="This value is not valid.")


class _InstrumentInput(_Input):
    customer_reference = String(required=True, validate=NotBlank())
    provider = String(required=True, validate=[NotBlank(), _pattern(r"[a-z0-9._-]{1,64}")])
    provider_token = String(required=True, validate=[NotBlank(), _pattern(r"[\x20-\x7e]{1,255}")])
    brand = String(required=True, validate=[NotBlank(), _pattern(r".{1,32}")])
    masked_card_number = String(required=True, validate=[NotBlank(), _pattern(_MASKED.pattern)])
    expiration_month = String(required=True, validate=[NotBlank(), _pattern(r"(0?[1-9]|1[0-2])")])
    expiration_year = String(required=True, validate=[NotBlank(), _pattern(r"([0-9]{2}|20[0-9]{2})")])

    @post_load
    def normal_form(self, loaded: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Stored as shown: ``x`` masks, the month and year as numbers (``28`` is 2028)."""
        loaded["masked_card_number"] = re.sub(r"[X*]", "x", loaded["masked_card_number"])
        loaded["expiration_month"] = int(loaded["expiration_month"])
        year = int(loaded["expiration_year"])
        loaded["expiration_year"] = year if year >= 2000 else 2000 + year
        return loaded


_INSTRUMENT = _InstrumentInput()


def load_payment_instrument(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Card data first (1140, nothing else said, the value never repeated), then CB §7's rules (901)."""
    refused = card_data_pointers(attributes)
    if refused:
        raise ApiError.of([Problem(catalogue.CARD_DATA_REFUSED, pointer) for pointer in sorted(set(refused))])
    try:
        loaded: dict[str, Any] = _INSTRUMENT.load(dict(attributes))
    except ValidationError as error:
        raise ApiError.of(problems(error.messages)) from None
    return loaded


class PaymentInstrumentSchema(CustomerCollectionSchema):
    """The storefront's view: no provider data."""

    id = fields.String(dump_only=True)
    brand = fields.String(dump_only=True)
    masked_card_number = fields.String(dump_only=True)
    expiration_month = fields.Method("_month", dump_only=True)
    expiration_year = fields.Method("_year", dump_only=True)
    expired = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    customer_collection = "payment-instruments"

    class Meta(ResourceSchema.Meta):
        type_ = TYPE

    def _month(self, instrument: PaymentInstrument) -> str:
        return f"{instrument.expiration_month:02d}"

    def _year(self, instrument: PaymentInstrument) -> str:
        return f"{instrument.expiration_year:04d}"

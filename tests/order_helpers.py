"""Builders for orders and payment instruments as the commerce system sends them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.orders import load_order

_numbers = itertools.count(100_000)
BASE_TIME = datetime(2026, 11, 20, 13, 3, tzinfo=UTC)


def order_attributes(reference: str, **overrides: Any) -> dict[str, Any]:
    """A valid ingest document's attributes (CB §6.2's example); ``name=...`` leaves one out."""
    attributes: dict[str, Any] = {
        "orderNumber": str(next(_numbers)),
        "customerReference": reference,
        "orderDate": "2026-11-20T14:03:00+01:00",
        "status": "new",
        "currencyIsoCode": "EUR",
        "totals": {"grandTotal": 11990, "deliveryCosts": 490},
        "sourceUpdatedAt": "2026-11-20T14:03:05+01:00",
        "items": [{"sku": "A-1001", "name": "Drill", "quantity": 1, "unitPrice": 11500}],
    }
    attributes.update(overrides)
    return {key: value for key, value in attributes.items() if value is not ...}


def order_fields(reference: str, **overrides: Any) -> dict[str, Any]:
    """The same order as the schema loads it, for the domain service."""
    return load_order(order_attributes(reference, **overrides))


def moment(minutes: int) -> str:
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat()


def luhn_complete(prefix: str, suffix: str, length: int = 16) -> str:
    """A Luhn-valid number of ``length`` digits starting and ending as given."""
    from schemas.payment_instruments import luhn_valid

    middle_length = length - len(prefix) - len(suffix) - 1
    for check in range(10):
        for filler in ("0", "1", "2"):
            candidate = prefix + filler * middle_length + str(check) + suffix
            if luhn_valid(candidate):
                return candidate
    raise AssertionError("no Luhn completion")


def instrument_attributes(reference: str, **overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "customerReference": reference,
        "provider": "adyen",
        "providerToken": f"tok_{next(_numbers)}",
        "brand": "VISA",
        "maskedCardNumber": "513659******5354",
        "expirationMonth": "3",
        "expirationYear": "28",
    }
    attributes.update(overrides)
    return {key: value for key, value in attributes.items() if value is not ...}

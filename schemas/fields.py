"""Field types and error flattening shared by the commerce schemas (orders, payment instruments).

These bodies nest (``totals``, ``items``, a batch's ``orders``), so their errors point below
``/data/attributes`` (``orders/3/items/0/unitPrice``): ``problems`` turns marshmallow's nested
messages into catalogued problems with those pointers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields

from errors import Problem, catalogue
from schemas.base import messages

__all__ = ["Money", "StrictInteger", "OffsetDateTime", "problems", "MONEY_MAX"]

MONEY_MAX = 9_999_999_999
_NOT_INTEGER = "This value should be of type integer."


class StrictInteger(fields.Field):
    """A JSON integer: no fraction, exponent, string or boolean (CB §1)."""

    def __init__(self, minimum: int, maximum: int, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_NOT_INTEGER)
        if value < self.minimum:
            raise ValidationError(f"This value should be greater than or equal to {self.minimum}.")
        if value > self.maximum:
            raise ValidationError(f"This value should be less than or equal to {self.maximum}.")
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


def Money(**kwargs: Any) -> StrictInteger:  # noqa: N802 - a field factory reads like a field class
    """Minor units of the currency: an integer 0–9999999999."""
    return StrictInteger(0, MONEY_MAX, **kwargs)


_OFFSET_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


class OffsetDateTime(fields.Field):
    """ISO 8601 with an offset (``2026-11-20T14:03:00+01:00`` or ``…Z``), else "not a valid datetime"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not _OFFSET_DATETIME.fullmatch(value):
            raise ValidationError("This value is not a valid datetime.")
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("This value is not a valid datetime.") from None

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value.isoformat() if value is not None else None


def _flatten(messages_tree: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(messages_tree, dict):
        found = []
        for key, value in messages_tree.items():
            found.extend(_flatten(value, path if key == "_schema" else (*path, str(key))))
        return found
    if isinstance(messages_tree, list):
        found = []
        for item in messages_tree:
            found.extend(_flatten(item, path) if not isinstance(item, str) else [(path, item)])
        return found
    return [(path, str(messages_tree))]


def _sort_key(problem: Problem) -> tuple[Any, ...]:
    # Indexes sort as numbers, so orders/10 comes after orders/9.
    parts = (problem.attribute or "").split("/")
    return (tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts), problem.detail)


def problems(messages_tree: Any, prefix: str = "") -> list[Problem]:
    """901 problems for marshmallow's (nested) messages, pointing at ``prefix`` + the path."""
    found = [
        Problem(
            catalogue.VALIDATION_FAILED,
            (prefix + "/".join(path)).rstrip("/"),
            {"field": path[-1] if path else "data", "message": message},
        )
        for path, message in _flatten(messages_tree, ())
    ]
    return sorted(found, key=_sort_key)

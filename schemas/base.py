"""The base schema: camelCase attribute names, absolute self links, familiar validation messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, validate
from marshmallow_jsonapi import Schema

__all__ = [
    "ResourceSchema",
    "camel_case",
    "messages",
    "NotBlank",
    "Length",
    "OneOf",
    "TrimmedEmail",
    "PastDate",
    "String",
    "Boolean",
]


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


messages = {
    "required": "This field is missing.",
    "null": "This value should not be blank.",
}


def String(**kwargs: Any) -> fields.String:  # noqa: N802 - a field factory reads like a field class
    return fields.String(
        error_messages={**messages, "invalid": "This value should be of type string."}, **kwargs
    )


def Boolean(**kwargs: Any) -> fields.Boolean:  # noqa: N802
    return fields.Boolean(
        truthy={True},
        falsy={False},
        error_messages={**messages, "invalid": "This value should be of type bool."},
        **kwargs,
    )


class NotBlank(validate.Validator):
    def __call__(self, value: str) -> str:
        if not value.strip():
            raise ValidationError("This value should not be blank.")
        return value


class _Length(validate.Length):
    message_min = "This value is too short. It should have {min} characters or more."
    message_max = "This value is too long. It should have {max} characters or less."
    message_all = "This value should have between {min} and {max} characters."


def Length(minimum: int | None = None, maximum: int | None = None) -> validate.Length:  # noqa: N802
    return _Length(min=minimum, max=maximum)


def OneOf(choices: tuple[str, ...]) -> validate.OneOf:  # noqa: N802
    return validate.OneOf(choices, error="The value you selected is not a valid choice.")


class TrimmedEmail(fields.Email):
    default_error_messages = {"invalid": "This value is not a valid email address."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        elif value is not None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class PastDate(fields.Date):
    default_error_messages = {"invalid": "This value is not a valid date."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result: date = super()._deserialize(value, attr, data, **kwargs)
        if result >= date.today():
            raise ValidationError("This value should be a date in the past.")
        return result


class ResourceSchema(Schema):  # type: ignore[misc]
    """Adds the absolute base URL to self links and ignores unknown or read-only attributes."""

    class Meta:
        inflect = camel_case
        unknown = EXCLUDE

    def __init__(self, *args: Any, base_url: str = "", **kwargs: Any) -> None:
        self.base_url = base_url
        super().__init__(*args, **kwargs)

    def generate_url(self, link: str | None, **kwargs: Any) -> str | None:
        return self.base_url + link.format_map(kwargs) if link else None

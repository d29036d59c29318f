"""What an import uploads (BO §4.7): a CSV file under the documented header or a JSON:API
``customer-imports`` document, checked as a whole in the request (1030, nothing stored), and each
row read as the back-office creation reads its document, later, by the jobs worker.

The CSV: UTF-8 (a BOM allowed), RFC 4180 with commas, one header row naming columns of
``COLUMNS`` once each, ``REQUIRED`` among them; an empty cell is an absent attribute; booleans are
``true``/``false``; ``labels`` is ``key:value;key:value``; ``companyName`` and ``companyTaxId``
make the ``company``. JSON rows are objects with the creation's attribute names, unknown members
ignored."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import replace
from typing import Any

from app import jsonapi
from app.services.backoffice_customers import NewCustomer
from errors import ApiError, catalogue
from resources.backoffice.customers import new_customer
from schemas.backoffice.customer_imports import ImportRowSchema

__all__ = ["COLUMNS", "REQUIRED", "parse_csv", "parse_json", "load_row"]

COLUMNS = (
    "store",
    "salutation",
    "firstName",
    "lastName",
    "email",
    "agreement1",
    "phone",
    "gender",
    "dateOfBirth",
    "locale",
    "loyaltyCardNumber",
    "labels",
    "agreement2",
    "agreement3",
    "companyName",
    "companyTaxId",
    "levelId",
    "posId",
    "sellerId",
    "createdAt",
    "active",
    "invite",
    "address1",
    "address2",
    "address3",
    "zipCode",
    "city",
    "iso2Code",
)
REQUIRED = ("firstName", "lastName", "email", "agreement1")
_BOOLEANS = ("agreement1", "agreement2", "agreement3", "active", "invite")
# A CSV row's errors point at its columns, not at the document's nested attributes.
_CSV_POINTERS = {"company/name": "companyName", "company/taxId": "companyTaxId"}
_ADDRESS_COLUMNS = ("address1", "address2", "address3", "zipCode", "city", "iso2Code")
# What a JSON row may name: the columns, with the company as one attribute and no address (BO §3's
# creation attributes and the import's own); others are ignored.
_JSON_NAMES = frozenset(COLUMNS) - set(_CSV_POINTERS.values()) - set(_ADDRESS_COLUMNS) | {"company"}


def _invalid(reason: str) -> ApiError:
    return ApiError(catalogue.IMPORT_FILE_INVALID, reason=reason)


def parse_csv(body: bytes, max_rows: int, required: tuple[str, ...] = REQUIRED) -> list[dict[str, str]]:
    """The file's records as {column: cell} without empty cells; a bad file is 1030."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("the text is not UTF-8") from None
    if "\x00" in text:
        raise _invalid("the text contains a NUL character")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[dict[str, str]] = []
    try:
        header = next(reader, None)
        if header is None:
            raise _invalid("there is no header row")
        for name in header:
            if name not in COLUMNS:
                raise _invalid(f'the column "{name[:64]}" is unknown')
            if header.count(name) > 1:
                raise _invalid(f'the column "{name}" appears twice')
        for name in required:
            if name not in header:
                raise _invalid(f'the required column "{name}" is missing')
        for record in reader:
            if not record:  # a blank line is no record
                continue
            if len(record) != len(header):
                raise _invalid(
                    f"record {len(rows) + 1} has {len(record)} fields where the header has {len(header)}"
                )
            rows.append({name: cell for name, cell in zip(header, record, strict=True) if cell != ""})
            if len(rows) > max_rows:
                raise _invalid(f"it has more than {max_rows} rows")
    except csv.Error:
        raise _invalid(f"line {reader.line_num} is not valid CSV") from None
    if not rows:
        raise _invalid("there is no row")
    return rows


def parse_json(attributes: dict[str, Any], max_rows: int) -> list[dict[str, Any]]:
    """``attributes.customers``: a non-empty list of at most ``max_rows`` objects; else 1030."""
    customers = attributes.get("customers")
    if not isinstance(customers, list) or not all(isinstance(item, dict) for item in customers):
        raise _invalid("customers is not a list of objects")
    if not customers:
        raise _invalid("there is no row")
    if len(customers) > max_rows:
        raise _invalid(f"it has more than {max_rows} rows")
    return [{name: value for name, value in item.items() if name in _JSON_NAMES} for item in customers]


def _csv_attributes(cells: dict[str, str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    company: dict[str, str] = {}
    for name, cell in cells.items():
        if name in _BOOLEANS:
            attributes[name] = {"true": True, "false": False}.get(cell, cell)
        elif name == "labels":
            attributes[name] = [
                {"key": key, "value": value}
                for key, _, value in (item.partition(":") for item in cell.split(";") if item)
            ]
        elif name == "companyName":
            company["name"] = cell
        elif name == "companyTaxId":
            company["taxId"] = cell
        else:
            attributes[name] = cell
    if company:
        attributes["company"] = company
    return attributes


def load_row(import_format: str, raw: dict[str, Any]) -> NewCustomer:
    """One row as ``POST /backoffice/customers`` reads its document (901 all at once; the service
    then checks the rest); errors point at the row's own names (``/email``, ``/companyTaxId``)."""
    attributes = _csv_attributes(raw) if import_format == "csv" else raw
    try:
        loaded = _row_loader()(attributes)
        if loaded["invite"] and not loaded["active"]:
            raise ApiError.invalid("invite", "An inactive customer cannot be invited.")
    except ApiError as error:
        if import_format == "csv":
            error.problems = tuple(
                replace(problem, attribute=_CSV_POINTERS.get(problem.attribute, problem.attribute))
                if problem.attribute
                else problem
                for problem in error.problems
            )
        raise
    return replace(
        new_customer(loaded),
        created_at=loaded["created_at"],
        active=loaded["active"],
        level_id=loaded["level_id"],
    )


@functools.cache
def _row_loader() -> jsonapi.AttributesLoader:
    """The row schema compiled once (thousands of rows per job)."""
    return jsonapi.AttributesLoader(ImportRowSchema, "customers")

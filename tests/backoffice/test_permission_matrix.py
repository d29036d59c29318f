"""BO §2.3 as data: every back-office route that needs a caller × every kind of caller → the
expected answer, walked by one parametrized test; a refused request writes nothing but its
refusal's audit entry (1000).

Public routes (``/backoffice/access-tokens``, ``/backoffice/refresh-tokens`` POST, the OAuth
endpoints) refuse nobody and are not rows here. Add a row with every route added to
resources/backoffice/routes.py: ``test_every_guarded_route_is_in_the_matrix`` fails otherwise.

The rows' targets and every caller are seeded once per test process and backend (``world``); a
case that may have written puts every table back as seeded before the next case runs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.main import create_app
from app.models import Actor
from app.routing import ResourceRoute
from app.services.backoffice_customers import Caller
from app.services.company_users import NewCompanyUser
from app.settings import Settings
from app.stores import Store
from app.tables import metadata
from resources.backoffice.routes import routes
from schemas.payment_instruments import load_payment_instrument
from tests.backoffice.helpers import (
    CLI_WRITER,
    OPERATOR_PASSWORD,
    client_token,
    logged_in_operator,
    seed_client,
    seed_operator,
)
from tests.conftest import empty_tables
from tests.helpers import JSON_API, bearer, document, error, registered_customer
from tests.order_helpers import instrument_attributes, order_attributes, order_fields
from tests.servers import FAST_ARGON2

# The contract's letters (BO §2.3).
R, W, K, O = "customers:read", "customers:write", "commerce:write", "operators:write"  # noqa: E741
NEW_PASSWORD = "Matrix-Password-Long-1"
SELLER_POS = "00000000-0000-4000-8000-000000000001"  # the seller helpers' default POS
UNKNOWN_IMPORT = "00000000-0000-4000-8000-00000000beef"  # a caller let through meets 1031
UNKNOWN_SYMBOL = "00000000-0000-4000-8000-000000005e1f"  # a caller let through meets 1127
UNKNOWN_ACCESS_REQUEST = "00000000-0000-4000-8000-0000000acce5"  # a caller let through meets 1120

# Who calls: None = no token; "customer" = a storefront token; the rest back-office tokens.
CALLERS: dict[str, dict[str, Any] | None] = {
    "nobody": None,
    "customer": {"kind": "customer"},
    "admin R": {"kind": "operator", "permissions": (R,)},
    "admin RW": {"kind": "operator", "permissions": (R, W)},
    "admin K": {"kind": "operator", "permissions": (K,)},
    "admin O": {"kind": "operator", "permissions": (O,)},
    "admin RWKO": {"kind": "operator", "permissions": (R, W, K, O)},
    "admin O of DE": {"kind": "operator", "permissions": (O,), "stores": ["DE"]},
    "seller": {"kind": "operator", "role": "seller", "permissions": ()},
    "client R": {"kind": "client", "permissions": (R,)},
    "client K": {"kind": "client", "permissions": (K,)},
}
MISSING = (403, "002")
INVALID = (401, "001")
REFUSED = (403, "1000")


def _expect(allowed: Callable[[str], bool], success: int) -> dict[str, tuple[int, str | None]]:
    answers: dict[str, tuple[int, str | None]] = {"nobody": MISSING, "customer": INVALID}
    for name in CALLERS:
        if name not in answers:
            answers[name] = (success, None) if allowed(name) else REFUSED
    return answers


def _holds_o(name: str) -> bool:
    spec = CALLERS[name]
    return spec is not None and spec["kind"] == "operator" and O in spec["permissions"]


def _holds(permission: str, sellers: bool = False) -> Callable[[str], bool]:
    def allowed(name: str) -> bool:
        spec = CALLERS[name]
        if spec is None or spec["kind"] == "customer":
            return False
        return permission in spec["permissions"] or (sellers and spec.get("role") == "seller")

    return allowed


def _any_operator(name: str) -> bool:
    spec = CALLERS[name]
    return spec is not None and spec["kind"] == "operator"


def _writes_customers(name: str) -> bool:
    """W, or a seller (its own POS is the route's rule)."""
    spec = CALLERS[name]
    return (
        spec is not None
        and spec["kind"] == "operator"
        and (W in spec["permissions"] or spec.get("role") == "seller")
    )


def _holds_r(name: str) -> bool:
    spec = CALLERS[name]
    return spec is not None and spec["kind"] != "customer" and R in spec["permissions"]


def _holds_r_or_sells(name: str) -> bool:
    spec = CALLERS[name]
    return _holds_r(name) or (spec is not None and spec.get("role") == "seller")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # {operator}: another operator; {client}: a client; {self}: the caller's own id;
    # {customer}: a storefront customer's reference; {store}: its store; {order}: one of its orders;
    # {instrument}: one of its payment instruments
    success: int
    allowed: Callable[[str], bool]
    body: Callable[[], dict[str, Any]] | None = None

    @property
    def template(self) -> str:
        return (
            self.path.replace("{operator}", "{id}")
            .replace("{client}", "{id}")
            .replace("{self}", "{id}")
            .replace("{import}", "{id}")
            .replace("{customer}", "{reference}")
            .replace("{address}", "{address_id}")
            .replace("{order}", "{order_number}")
            .replace("{instrument}", "{instrument_id}")
            .replace("{level}", "{id}")
            .replace("{pos}", "{id}")
            .replace("{transfer}", "{transfer_id}")
            .replace("{company}", "{company_id}")
            .replace("{company_user}", "{company_user_id}")
            .replace("{symbol}", "{symbol_id}")
            .replace("{access_request}", "{id}")
            .split("?")[0]
        )


def _new_operator() -> dict[str, Any]:
    return document(
        "operators",
        {
            "email": "new-operator@example.com",
            "password": OPERATOR_PASSWORD,
            "confirmPassword": OPERATOR_PASSWORD,
            "firstName": "New",
            "lastName": "Operator",
            "role": "admin",
            "permissions": [R],
            "stores": ["DE"],
        },
    )


def _new_client() -> dict[str, Any]:
    return document("integration-clients", {"name": "ERP", "permissions": [R], "stores": ["DE"]})


def _rename() -> dict[str, Any]:
    return document("operators", {"lastName": "Renamed"})


def _rename_client() -> dict[str, Any]:
    return document("integration-clients", {"name": "Renamed"})


def _own_password() -> dict[str, Any]:
    return document(
        "operator-password",
        {"password": OPERATOR_PASSWORD, "newPassword": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD},
    )


def _one_time_code() -> dict[str, Any]:
    return document("operator-mfa", {"otp": "123456"})


_customer_numbers = itertools.count(1)


def _new_customer() -> dict[str, Any]:
    return document(
        "customers",
        {
            "firstName": "New",
            "lastName": "Customer",
            "email": f"matrix{next(_customer_numbers)}@example.com",
            "agreement1": True,
        },
    )


ADDRESS = {
    "salutation": "Mr",
    "firstName": "John",
    "lastName": "Doe",
    "address1": "Main Street 1",
    "zipCode": "10115",
    "city": "Berlin",
    "iso2Code": "DE",
}


def _new_address() -> dict[str, Any]:
    return document("addresses", ADDRESS)


def _change_address() -> dict[str, Any]:
    return document("addresses", {"city": "Hamburg"}, "{address}")


def _new_import() -> dict[str, Any]:
    return document(
        "customer-imports",
        {
            "customers": [
                {"firstName": "A", "lastName": "B", "email": "import@example.com", "agreement1": True}
            ]
        },
    )


def _rename_customer() -> dict[str, Any]:
    return document("customers", {"lastName": "Renamed"}, "{customer}")


def _new_order() -> dict[str, Any]:
    return document("orders", order_attributes("{customer}", orderNumber="M-2"))


def _new_order_batch() -> dict[str, Any]:
    return document("order-batches", {"orders": [order_attributes("{customer}", orderNumber="M-3")]})


def _order_status() -> dict[str, Any]:
    return document("orders", {"status": "shipped", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}, "M-1")


def _new_instrument() -> dict[str, Any]:
    return document("payment-instruments", instrument_attributes("{customer}", providerToken="tok_M2"))


# CB's back-office (BO §2.3): reads R, ingest K (alone: W does not hold it), instrument deletion W;
# sellers never. Integration clients hold R and K.
COMMERCE_ROWS = [
    Row("POST", "/backoffice/stores/{store}/orders", 201, _holds(K), _new_order),
    Row("POST", "/backoffice/stores/{store}/order-batches", 200, _holds(K), _new_order_batch),
    Row("GET", "/backoffice/stores/{store}/orders/{order}", 200, _holds(R)),
    Row("PATCH", "/backoffice/stores/{store}/orders/{order}", 200, _holds(K), _order_status),
    Row("GET", "/backoffice/customers/{customer}/orders?filter[status]=new", 200, _holds(R)),
    Row("POST", "/backoffice/stores/{store}/payment-instruments", 201, _holds(K), _new_instrument),
    Row("GET", "/backoffice/customers/{customer}/payment-instruments", 200, _holds(R)),
    Row("GET", "/backoffice/payment-instruments/{instrument}", 200, _holds(R)),
    Row("DELETE", "/backoffice/payment-instruments/{instrument}", 204, _holds(W)),
]


def _new_level() -> dict[str, Any]:
    return document(
        "levels", {"store": "DE", "name": "Matrix", "conditionValue": 70000, "rewardPercent": "1.5"}
    )


def _change_level() -> dict[str, Any]:
    return document("levels", {"name": "Renamed"}, "{level}")


def _new_pos() -> dict[str, Any]:
    return document("pos", {"name": "Matrix", "identifier": "matrix-01"})


def _change_pos() -> dict[str, Any]:
    return document("pos", {"name": "Renamed"}, "{pos}")


def _assign_level() -> dict[str, Any]:
    return document("level-assignment", {"levelId": "{level}"})


def _add_points() -> dict[str, Any]:
    return document("points-transfers", {"transferType": "add", "points": "5"})


def _reads_loyalty(name: str) -> bool:
    """Levels and points of sale: R, or any operator."""
    return _any_operator(name) or _holds_r(name)


def _new_company() -> dict[str, Any]:
    return document("companies", {"store": "DE", "name": "Matrix GmbH"})


def _rename_company() -> dict[str, Any]:
    return document("companies", {"name": "Renamed"}, "{company}")


def _new_company_user() -> dict[str, Any]:
    return document(
        "company-users",
        {
            "email": f"matrix-user{next(_customer_numbers)}@example.com",
            "salutation": "Ms",
            "firstName": "New",
            "lastName": "User",
        },
    )


def _promote_company_user() -> dict[str, Any]:
    return document("company-users", {"role": "admin"}, "{company_user}")


def _new_symbol() -> dict[str, Any]:
    return document(
        "invitation-symbols", {"kind": "request-code", "value": f"MATRIX-{next(_customer_numbers)}"}
    )


def _change_symbol() -> dict[str, Any]:
    return document("invitation-symbols", {"role": "admin"}, "{symbol}")


def _decline_request() -> dict[str, Any]:
    return document("access-requests", {"state": "declined", "reason": "Matrix."}, "{access_request}")


MATRIX = [
    Row("DELETE", "/backoffice/refresh-tokens/{token}", 204, _any_operator),
    Row("PATCH", "/backoffice/operator-password", 204, _any_operator, _own_password),
    Row("GET", "/backoffice/operators", 200, _holds_o),
    Row("POST", "/backoffice/operators", 201, _holds_o, _new_operator),
    Row("GET", "/backoffice/operators/{operator}", 200, _holds_o),
    Row("GET", "/backoffice/operators/{self}", 200, _any_operator),
    Row("PATCH", "/backoffice/operators/{operator}", 200, _holds_o, _rename),
    Row("PATCH", "/backoffice/operators/{self}", 200, _any_operator, _rename),
    Row("DELETE", "/backoffice/operators/{operator}", 204, _holds_o),
    Row("POST", "/backoffice/operators/{operator}/activate", 204, _holds_o),
    Row("POST", "/backoffice/operators/{operator}/deactivate", 204, _holds_o),
    Row("GET", "/backoffice/integration-clients", 200, _holds_o),
    Row("POST", "/backoffice/integration-clients", 201, _holds_o, _new_client),
    Row("GET", "/backoffice/integration-clients/{client}", 200, _holds_o),
    Row("PATCH", "/backoffice/integration-clients/{client}", 200, _holds_o, _rename_client),
    Row("DELETE", "/backoffice/integration-clients/{client}", 204, _holds_o),
    Row("POST", "/backoffice/integration-clients/{client}/rotate-secret", 200, _holds_o),
    Row("POST", "/backoffice/integration-clients/{client}/activate", 204, _holds_o),
    Row("POST", "/backoffice/integration-clients/{client}/deactivate", 204, _holds_o),
    Row("GET", "/backoffice/audit-events", 200, _holds_o),
    # An active customer of the seller's POS: a caller let through meets the state rule (1013).
    Row("POST", "/backoffice/customers/{customer}/send-activation-sms", 422, _writes_customers),
    Row("GET", "/backoffice/customers?filter[lastName]=x", 200, _holds_r_or_sells),
    Row("GET", "/backoffice/customer-registrations", 200, _holds_r),
    Row("POST", "/backoffice/customers", 201, _holds(W, sellers=True), _new_customer),
    Row("GET", "/backoffice/customers/{customer}", 200, _holds(R, sellers=True)),
    Row("PATCH", "/backoffice/customers/{customer}", 200, _holds(W, sellers=True), _rename_customer),
    Row("POST", "/backoffice/customers/{customer}/activate", 204, _holds(W, sellers=True)),
    Row("POST", "/backoffice/customers/{customer}/deactivate", 204, _holds(W, sellers=True)),
    # The matrix's customer is active: an allowed caller passes to the state check (1013).
    Row("POST", "/backoffice/customers/{customer}/send-activation-email", 422, _holds(W, sellers=True)),
    Row("GET", "/backoffice/customers/{customer}/history", 200, _holds(R)),
    Row("POST", "/backoffice/customers/{customer}/anonymize", 204, _holds(W)),
    Row("DELETE", "/backoffice/customers/{customer}", 204, _holds(W)),
    Row("GET", "/backoffice/customers/{customer}/data-export", 200, _holds(R)),
    Row("GET", "/backoffice/customers/{customer}/addresses", 200, _holds(R, sellers=True)),
    Row("POST", "/backoffice/customers/{customer}/addresses", 201, _holds(W, sellers=True), _new_address),
    Row("GET", "/backoffice/customers/{customer}/addresses/{address}", 200, _holds(R, sellers=True)),
    Row(
        "PATCH",
        "/backoffice/customers/{customer}/addresses/{address}",
        200,
        _holds(W, sellers=True),
        _change_address,
    ),
    Row("DELETE", "/backoffice/customers/{customer}/addresses/{address}", 204, _holds(W, sellers=True)),
    Row(
        "GET", "/backoffice/customer-checks?filter[emailOrPhone]=x@example.com", 200, _holds(R, sellers=True)
    ),
    *COMMERCE_ROWS,
    # Levels and points of sale (BO §4.3).
    Row("GET", "/backoffice/levels", 200, _reads_loyalty),
    Row("POST", "/backoffice/levels", 201, _holds(W), _new_level),
    Row("GET", "/backoffice/levels/{level}", 200, _reads_loyalty),
    Row("PATCH", "/backoffice/levels/{level}", 200, _holds(W), _change_level),
    Row("DELETE", "/backoffice/levels/{level}", 204, _holds(W)),
    Row("GET", "/backoffice/pos", 200, _reads_loyalty),
    Row("POST", "/backoffice/pos", 201, _holds(W), _new_pos),
    Row("GET", "/backoffice/pos/{pos}", 200, _reads_loyalty),
    Row("PATCH", "/backoffice/pos/{pos}", 200, _holds(W), _change_pos),
    Row("DELETE", "/backoffice/pos/{pos}", 204, _holds(W)),
    Row("POST", "/backoffice/customers/{customer}/level", 204, _holds(W, sellers=True), _assign_level),
    # The matrix's customer has no manual level: an allowed caller meets the state rule (1023).
    Row("POST", "/backoffice/customers/{customer}/remove-manually-level", 422, _holds(W, sellers=True)),
    # The matrix's seller may not transfer points (allowPointTransfer false): 1000.
    Row("GET", "/backoffice/customers/{customer}/points-transfers", 200, _holds(R, sellers=True)),
    Row("POST", "/backoffice/customers/{customer}/points-transfers", 201, _holds(W), _add_points),
    Row("GET", "/backoffice/customers/{customer}/points-transfers/{transfer}", 200, _holds(R, sellers=True)),
    Row("POST", "/backoffice/customers/{customer}/points-transfers/{transfer}/cancel", 204, _holds(W)),
    Row("GET", "/backoffice/customers/{customer}/status", 200, _holds(R, sellers=True)),
    # BO §2.1: one's own MFA (any operator, never a client); another's reset needs O.
    Row("POST", "/backoffice/operator-mfa", 201, _any_operator),
    # Nothing is enrolled: an allowed caller's code meets the state rule (1008).
    Row("POST", "/backoffice/operator-mfa/confirm", 422, _any_operator, _one_time_code),
    Row("DELETE", "/backoffice/operator-mfa", 204, _any_operator),
    Row("DELETE", "/backoffice/operators/{operator}/mfa", 204, _holds_o),
    # BO §4.8, §4.9. The matrix's customer has no avatar: a reader let through meets 1042; a
    # writer's PUT without a file meets 1040 (its body is only read once the caller passed).
    Row("PUT", "/backoffice/customers/{customer}/avatar", 422, _holds(W, sellers=True)),
    Row("GET", "/backoffice/customers/{customer}/avatar", 404, _holds(R, sellers=True)),
    Row("DELETE", "/backoffice/customers/{customer}/avatar", 204, _holds(W, sellers=True)),
    Row("GET", "/backoffice/customers/{customer}/push-tokens", 200, _holds(R, sellers=True)),
    # BO §4.7: imports are W's, not sellers'.
    Row("GET", "/backoffice/customer-imports", 200, _holds(W)),
    Row("POST", "/backoffice/customer-imports", 202, _holds(W), _new_import),
    Row("GET", "/backoffice/customer-imports/{import}", 404, _holds(W)),
    Row("GET", "/backoffice/customer-imports/{import}/rows", 404, _holds(W)),
    # CB §4.3: companies and company users, R reads and W writes; sellers and clients' K refused.
    Row("GET", "/backoffice/companies", 200, _holds(R)),
    Row("POST", "/backoffice/companies", 201, _holds(W), _new_company),
    Row("GET", "/backoffice/companies/{company}", 200, _holds(R)),
    Row("PATCH", "/backoffice/companies/{company}", 200, _holds(W), _rename_company),
    Row("GET", "/backoffice/companies/{company}/company-users", 200, _holds(R)),
    Row("POST", "/backoffice/companies/{company}/company-users", 201, _holds(W), _new_company_user),
    Row("PATCH", "/backoffice/company-users/{company_user}", 200, _holds(W), _promote_company_user),
    Row("DELETE", "/backoffice/company-users/{company_user}", 204, _holds(W)),
    # CB §5.4: a company's history, R.
    Row("GET", "/backoffice/companies/{company}/history", 200, _holds(R)),
    # CB §5: symbols and access requests, R reads and W writes; a caller let through an unknown
    # symbol or request meets 1127 or 1120.
    Row("GET", "/backoffice/companies/{company}/invitation-symbols", 200, _holds(R)),
    Row("POST", "/backoffice/companies/{company}/invitation-symbols", 201, _holds(W), _new_symbol),
    Row(
        "PATCH", "/backoffice/companies/{company}/invitation-symbols/{symbol}", 404, _holds(W), _change_symbol
    ),
    Row("DELETE", "/backoffice/companies/{company}/invitation-symbols/{symbol}", 404, _holds(W)),
    Row("GET", "/backoffice/access-requests", 200, _holds(R)),
    Row("GET", "/backoffice/access-requests/{access_request}", 404, _holds(R)),
    Row("PATCH", "/backoffice/access-requests/{access_request}", 404, _holds(W), _decline_request),
]
CASES = [
    pytest.param(row, caller, expected, id=f"{row.method} {row.path} as {caller}")
    for row in MATRIX
    for caller, expected in _expect(row.allowed, row.success).items()
]


def test_every_guarded_route_is_in_the_matrix() -> None:
    guarded = {
        (method, route.path)
        for route in routes()
        if isinstance(route, ResourceRoute)
        for method, rule in route.access_rules.items()
        if method != "HEAD" and type(rule).__name__ != "Public"
    }
    assert guarded == {(row.method, row.template) for row in MATRIX}


def _loaded_instrument(reference: str) -> dict[str, Any]:
    return load_payment_instrument(instrument_attributes(reference, providerToken="tok_M1"))


async def _caller_headers(app, client, spec: dict[str, Any] | None) -> tuple[dict[str, str], str | None]:
    """The caller's headers and its id (a path's {self})."""
    if spec is None:
        return {}, None
    if spec["kind"] == "customer":
        customer, tokens = await registered_customer(client)
        return bearer(tokens["accessToken"]), customer["id"]
    if spec["kind"] == "client":
        client_id, secret = await seed_client(app, spec["permissions"])
        return bearer((await client_token(client, client_id, secret)).json()["access_token"]), client_id
    operator = await logged_in_operator(
        app,
        client,
        role=spec.get("role", "admin"),
        permissions=spec["permissions"],
        stores=spec.get("stores"),
    )
    return operator.headers, operator.id


async def _seed_company(app, email: str) -> tuple[str, str]:
    """The rows' company (store DE) with the rows' customer as its user: (company id, user id)."""
    caller = Caller(audit=CLI_WRITER.actor, actor=Actor("system", None), stores=None)
    company = await app.state.services.companies.create({"store": "DE", "name": "Matrix AG"}, caller)
    user, _ = await app.state.services.company_users.create_by_backoffice(
        company.id, NewCompanyUser(email=email, salutation="Mr", first_name="J", last_name="D"), caller
    )
    return company.id, user.id


@dataclass(frozen=True)
class Seeded:
    """What the rows' placeholders name."""

    target_id: str  # another administrator with operators:write
    client_id: str
    reference: str  # the rows' customer
    address_id: str
    store: Store
    instrument_id: str
    level_id: str
    pos_id: str
    transfer_id: str
    company_id: str
    company_user_id: str


async def _seed(app, client) -> Seeded:
    target_id, _ = await seed_operator(app)
    client_id, _ = await seed_client(app)
    # The rows' customer: with a phone (texts), an address, and in the seller's point of sale.
    customer, customer_tokens = await registered_customer(client, phone="+4915112345678")
    reference = customer["id"]
    await app.state.services.db.execute(
        sa.text("UPDATE customers SET pos_id = :pos WHERE reference = :reference").bindparams(
            pos=SELLER_POS, reference=reference
        )
    )
    address = await client.post(
        f"/customers/{reference}/addresses",
        json=_new_address(),
        headers={**bearer(customer_tokens["accessToken"]), "Content-Type": JSON_API},
    )
    address_id = address.json()["data"]["id"]
    store = app.state.services.stores.default
    await app.state.services.orders.ingest(store, order_fields(reference, orderNumber="M-1"))
    instrument = await app.state.services.payment_instruments.upsert(store, _loaded_instrument(reference))
    loyalty_writer = await logged_in_operator(app, client, permissions=(R, W))
    level = await client.post(
        "/backoffice/levels",
        json=document("levels", {"store": "DE", "name": "Seeded", "conditionValue": 0, "rewardPercent": 1}),
        headers={**loyalty_writer.headers, "Content-Type": JSON_API},
    )
    pos = await client.post(
        "/backoffice/pos",
        json=document("pos", {"name": "Seeded", "identifier": "seeded-01"}),
        headers={**loyalty_writer.headers, "Content-Type": JSON_API},
    )
    transfer = await client.post(
        f"/backoffice/customers/{reference}/points-transfers",
        json=_add_points(),
        headers={**loyalty_writer.headers, "Content-Type": JSON_API},
    )
    company_id, company_user_id = await _seed_company(app, customer["attributes"]["email"])
    return Seeded(
        target_id=target_id,
        client_id=client_id,
        reference=reference,
        address_id=address_id,
        store=store,
        instrument_id=instrument.instrument.id,
        level_id=level.json()["data"]["id"],
        pos_id=pos.json()["data"]["id"],
        transfer_id=transfer.json()["data"]["id"],
        company_id=company_id,
        company_user_id=company_user_id,
    )


async def _counts(app) -> dict[str, int]:
    db = app.state.services.db
    counted = []
    for name, condition in (
        ("operators", ""),
        ("integration_clients", ""),
        ("operator_sessions", " WHERE revoked_at IS NULL"),
        ("audit_events", " WHERE outcome = 'succeeded'"),
        ("customers", ""),
        ("customer_imports", ""),
        ("customer_avatars", ""),
        ("customer_events", ""),
        ("orders", ""),
        ("payment_instruments", ""),
        ("levels", ""),
        ("points_of_sale", ""),
        ("points_transfers", ""),
        ("companies", ""),
        ("company_users", ""),
        ("company_events", ""),
        ("invitation_symbols", ""),
        ("access_requests", ""),
        ("access_request_events", ""),
        ("mail_outbox", ""),
        ("refusals", ""),
    ):
        table = "audit_events" if name == "refusals" else name
        where = " WHERE outcome = 'refused'" if name == "refusals" else condition
        counted.append((name, f"(SELECT COUNT(*) FROM {table}{where})"))  # noqa: S608 - our names
    # One statement, one snapshot of every count.
    row = await db.fetch_one(sa.text("SELECT " + ", ".join(count for _, count in counted)))
    return {name: int(row[position]) for position, (name, _) in enumerate(counted)}


async def _table_rows(connection) -> dict[str, tuple[list[str], list[Any]]]:
    """Every table's column names and rows, as the driver reads them (no type conversion)."""
    raw = connection.raw_connection
    tables: dict[str, tuple[list[str], list[Any]]] = {}
    for table in metadata.sorted_tables:
        if isinstance(raw, asyncpg.Connection):
            records = await raw.fetch(f"SELECT * FROM {table.name}")  # noqa: S608 - our metadata's names
            columns = list(records[0].keys()) if records else []
            tables[table.name] = (columns, [tuple(record.values()) for record in records])
        else:
            cursor = await raw.execute(f"SELECT * FROM {table.name}")  # noqa: S608 - our metadata's names
            rows = await cursor.fetchall()
            columns = [description[0] for description in cursor.description]
            await cursor.close()
            tables[table.name] = (columns, [tuple(row) for row in rows])
    return tables


@dataclass
class World:
    """One app, its seeded rows and every caller's token, per test process and backend.

    A refused request writes nothing but its refusal's audit entry (each case asserts so), so the
    world stays as it is after a refusal. Any other case may write (a deletion, a new operator, an
    ended session): the next case first puts every table back as it was seeded, in one
    transaction, with the rows as the driver read them.
    """

    app: Starlette
    client: httpx.AsyncClient
    seeded: Seeded
    callers: dict[str, tuple[dict[str, str], str | None]]
    snapshot: dict[str, tuple[list[str], list[Any]]]
    dirty: bool = False

    async def restore(self) -> None:
        db = self.app.state.services.db
        async with db.transaction() as connection:
            raw = connection.raw_connection
            for table in reversed(metadata.sorted_tables):
                await connection.execute(sa.delete(table))
            for table in metadata.sorted_tables:
                columns, rows = self.snapshot[table.name]
                if not rows:
                    continue
                if isinstance(raw, asyncpg.Connection):
                    await raw.copy_records_to_table(table.name, records=rows, columns=columns)
                else:
                    names = ", ".join(f'"{column}"' for column in columns)
                    marks = ", ".join("?" * len(columns))
                    await raw.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608
        self.dirty = False


@pytest.fixture(scope="module")
async def world(database_url: str, key_path: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The matrix's app: seeded once per backend, put back after every case that may have written.

    No background loop runs in it (mail, imports): nothing may change the rows between a case's
    counts, nor while they are put back. The back-office tokens live as long as the module runs.
    """
    settings = Settings(
        database_url=database_url,
        jwt_private_key_path=key_path,
        mail_directory=str(tmp_path_factory.mktemp("matrix-mail")),
        mail_worker_enabled=False,
        backoffice_access_token_ttl=3600,
        **FAST_ARGON2,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await empty_tables(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            callers = {
                name: await _caller_headers(application, client, spec) for name, spec in CALLERS.items()
            }
            seeded = await _seed(application, client)
            async with application.state.services.db.connection() as connection:
                snapshot = await _table_rows(connection)
            yield World(application, client, seeded, callers, snapshot)


@pytest.mark.parametrize(("row", "caller", "expected"), CASES)
async def test_the_permission_matrix(world: World, row: Row, caller: str, expected: tuple[int, str | None]):
    if world.dirty:
        await world.restore()
    app, client, seeded = world.app, world.client, world.seeded
    headers, own_id = world.callers[caller]
    path = (
        row.path.replace("{operator}", seeded.target_id)
        .replace("{client}", seeded.client_id)
        .replace("{self}", own_id or seeded.target_id)
        .replace("{token}", "mine")
        .replace("{import}", UNKNOWN_IMPORT)
        .replace("{customer}", seeded.reference)
        .replace("{address}", seeded.address_id)
        .replace("{store}", seeded.store.code)
        .replace("{order}", "M-1")
        .replace("{instrument}", seeded.instrument_id)
        .replace("{level}", seeded.level_id)
        .replace("{pos}", seeded.pos_id)
        .replace("{transfer}", seeded.transfer_id)
        .replace("{company}", seeded.company_id)
        .replace("{company_user}", seeded.company_user_id)
        .replace("{symbol}", UNKNOWN_SYMBOL)
        .replace("{access_request}", UNKNOWN_ACCESS_REQUEST)
    )
    before = await _counts(app)

    body = row.body() if row.body else None
    identifiers = {
        "{customer}": seeded.reference,
        "{address}": seeded.address_id,
        "{level}": seeded.level_id,
        "{pos}": seeded.pos_id,
        "{company}": seeded.company_id,
        "{company_user}": seeded.company_user_id,
        "{symbol}": UNKNOWN_SYMBOL,
        "{access_request}": UNKNOWN_ACCESS_REQUEST,
    }
    if body is not None and body["data"].get("id") in identifiers:
        body["data"]["id"] = identifiers[body["data"]["id"]]
    if body is not None and body["data"]["attributes"].get("levelId") == "{level}":
        body["data"]["attributes"]["levelId"] = seeded.level_id
    if body is not None:  # ingest bodies name the customer
        body = json.loads(json.dumps(body).replace('"{customer}"', json.dumps(seeded.reference)))
    world.dirty = True  # until the case has shown that it wrote nothing
    response = await client.request(
        row.method,
        path,
        headers={**headers, **({"Content-Type": JSON_API} if body is not None else {})},
        json=body,
    )

    status, code = expected
    assert response.status_code == status, response.text
    if code is None:
        return
    detail = {
        "002": "Missing access token.",
        "001": "Invalid access token.",
        "1000": "Insufficient permissions.",
    }
    assert response.json() == {"errors": [error(status, code, detail[code])]}
    after = await _counts(app)
    assert after == {**before, "refusals": before["refusals"] + (1 if code == "1000" else 0)}
    world.dirty = False

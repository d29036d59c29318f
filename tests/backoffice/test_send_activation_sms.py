"""``POST /backoffice/customers/{ref}/send-activation-sms`` (BO §4.2): W, or a seller for its own
POS, texts a pending customer a new code; the code, read from the delivered text, activates it."""

from __future__ import annotations

import sqlalchemy as sa

from app.tables import audit_events, customers
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import bearer, error, login, register
from tests.mail_helpers import running_app
from tests.storefront.test_sms_activation import (
    PHONE,
    code_of,
    confirm,
    sms_settings,
    status_of,
    texts,
    wait_for_texts,
)

R, W = "customers:read", "customers:write"
SELLER_POS = "00000000-0000-4000-8000-000000000001"


def path(reference: str) -> str:
    return f"/backoffice/customers/{reference}/send-activation-sms"


async def set_pos(app, reference: str, pos_id: str | None) -> None:
    async with app.state.services.db.transaction():
        await app.state.services.db.execute(
            customers.update().where(customers.c.reference == reference).values(pos_id=pos_id)
        )


async def test_an_operator_texts_a_new_code_that_activates(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path, sms_resend_interval=0)) as (app, client):
        customer = await register(client, phone=PHONE)
        (first,) = await wait_for_texts(directory, 1)
        operator = await logged_in_operator(app, client, permissions=(R, W))
        response = await client.post(path(customer["id"]), headers=operator.headers, json={"ignored": True})
        assert response.status_code == 204
        assert response.content == b""
        found = await wait_for_texts(directory, 2)
        (second,) = [text for text in found if text != first]
        assert second["to"] == PHONE
        assert (await confirm(client, PHONE, code_of(second))).status_code == 204
        assert await status_of(app, customer["id"]) == "active"
        rows = await app.state.services.db.fetch_all(
            sa.select(audit_events.c.action, audit_events.c.customer_reference, audit_events.c.outcome).where(
                audit_events.c.customer_reference == customer["id"]
            )
        )
        assert [(row[0], row[1], row[2]) for row in rows] == [
            ("POST /backoffice/customers/{reference}/send-activation-sms", customer["id"], "succeeded")
        ]


async def test_within_the_resend_interval_it_is_1017_with_retry_after(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path)) as (app, client):
        customer = await register(client, phone=PHONE)
        await wait_for_texts(directory, 1)
        operator = await logged_in_operator(app, client, permissions=(R, W))
        response = await client.post(path(customer["id"]), headers=operator.headers)
        assert response.status_code == 429
        assert response.json()["errors"] == [
            error(429, "1017", "Too many attempts. Please wait 2 minutes before trying again.")
        ]
        assert 0 < int(response.headers["Retry-After"]) <= 120
        await app.state.services.outbox.wait(0.2)
        assert len(texts(directory)) == 1


async def test_refusals(app_factory, tmp_path):
    """Not pending 1013, no phone 1014, unknown 402, another POS 1001, no permission 1000."""
    async with running_app(app_factory, **sms_settings(tmp_path, activation_method="email")) as (app, client):
        operator = await logged_in_operator(app, client, permissions=(R, W))
        pending_without_phone = await register(client)
        response = await client.post(path(pending_without_phone["id"]), headers=operator.headers)
        assert (response.status_code, response.json()) == (
            422,
            {"errors": [error(422, "1014", "Customer has no phone number.")]},
        )
        await app.state.services.db.execute(
            customers.update()
            .where(customers.c.reference == pending_without_phone["id"])
            .values(status="active", phone=PHONE)
        )
        response = await client.post(path(pending_without_phone["id"]), headers=operator.headers)
        assert (response.status_code, response.json()) == (
            422,
            {"errors": [error(422, "1013", "Customer is not awaiting activation.")]},
        )
        response = await client.post(path("DE--999"), headers=operator.headers)
        assert (response.status_code, response.json()) == (
            404,
            {"errors": [error(404, "402", "Customer not found.")]},
        )

        pending = await register(client, phone="+4915112345679")
        seller = await logged_in_operator(app, client, role="seller", permissions=())
        response = await client.post(path(pending["id"]), headers=seller.headers)
        assert (response.status_code, response.json()) == (
            403,
            {"errors": [error(403, "1001", "Customer belongs to another point of sale.")]},
        )
        await set_pos(app, pending["id"], SELLER_POS)
        assert (await client.post(path(pending["id"]), headers=seller.headers)).status_code == 204

        reader = await logged_in_operator(app, client, permissions=(R,))
        response = await client.post(path(pending["id"]), headers=reader.headers)
        assert (response.status_code, response.json()) == (
            403,
            {"errors": [error(403, "1000", "Insufficient permissions.")]},
        )

        customer_tokens = await login(client, pending_without_phone["attributes"]["email"])
        response = await client.post(path(pending["id"]), headers=bearer(customer_tokens["accessToken"]))
        assert (response.status_code, response.json()) == (
            401,
            {"errors": [error(401, "001", "Invalid access token.")]},
        )
        response = await client.post(path(pending["id"]))
        assert (response.status_code, response.json()) == (
            403,
            {"errors": [error(403, "002", "Missing access token.")]},
        )

"""The owner's payment instruments at the HTTP level (CB §7, §8.1): newest first, ``expired`` at a
month boundary in the store's time zone, delete, and another customer's refused."""

from __future__ import annotations

from datetime import UTC, datetime

from app.services.payment_instruments import is_expired
from app.stores import Store
from schemas.payment_instruments import load_payment_instrument
from tests.helpers import bearer, error, register, registered_customer
from tests.mail_helpers import running_app
from tests.order_helpers import instrument_attributes

FORBIDDEN = error(403, "411", "Unauthorized request.")
NOT_FOUND = error(404, "1141", "Payment instrument not found.")
BERLIN = Store("DE", "de_DE", ("de_DE", "en_US"), "EUR", "Europe/Berlin")


async def saved(app, reference, **overrides):
    result = await app.state.services.payment_instruments.upsert(
        app.state.services.stores.default,
        load_payment_instrument(instrument_attributes(reference, **overrides)),
    )
    return result.instrument


async def test_the_list_shows_no_provider_data_newest_first(app, client):
    customer, tokens = await registered_customer(client)
    older = await saved(app, customer["id"], brand="VISA")
    newer = await saved(app, customer["id"], brand="MASTERCARD", expirationMonth="12", expirationYear="2099")
    response = await client.get(
        f"/customers/{customer['id']}/payment-instruments", headers=bearer(tokens["accessToken"])
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [item["id"] for item in data] == [newer.id, older.id]
    assert data[0]["attributes"] == {
        "brand": "MASTERCARD",
        "maskedCardNumber": "513659xxxxxx5354",
        "expirationMonth": "12",
        "expirationYear": "2099",
        "expired": False,
        "createdAt": newer.created_at.isoformat(),
    }
    assert data[0]["links"] == {
        "self": f"http://testserver/customers/{customer['id']}/payment-instruments/{newer.id}"
    }


def test_expired_turns_at_the_month_boundary_in_the_store_time_zone():
    from app.models import PaymentInstrument

    card = PaymentInstrument(
        "i", "DE", 1, "DE--1", "p", "t", "VISA", "411111xxxx1111", 11, 2026, *(datetime.now(UTC),) * 2
    )
    # 23:30 UTC on 30 November is already 00:30 on 1 December in Berlin: the November card expired.
    assert is_expired(card, BERLIN, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert not is_expired(card, BERLIN, datetime(2026, 11, 30, 22, 59, tzinfo=UTC))
    utc_store = Store("DE", "de_DE", ("de_DE",), "EUR", "UTC")
    assert not is_expired(card, utc_store, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))


async def test_expired_is_read_in_the_store_time_zone_over_http(app_factory):
    async with running_app(app_factory, stores=(BERLIN,), mail_worker_enabled=False) as (app, client):
        customer, tokens = await registered_customer(client)
        last_month = datetime.now(UTC).astimezone().replace(day=1)
        month, year = (
            (12, last_month.year - 1) if last_month.month == 1 else (last_month.month - 1, last_month.year)
        )
        await saved(app, customer["id"], expirationMonth=str(month), expirationYear=str(year))
        response = await client.get(
            f"/customers/{customer['id']}/payment-instruments", headers=bearer(tokens["accessToken"])
        )
        assert [item["attributes"]["expired"] for item in response.json()["data"]] == [True]


async def test_one_instrument_and_its_delete(app, client):
    customer, tokens = await registered_customer(client)
    instrument = await saved(app, customer["id"])
    path = f"/customers/{customer['id']}/payment-instruments/{instrument.id}"
    got = await client.get(path, headers=bearer(tokens["accessToken"]))
    assert got.status_code == 200 and got.json()["data"]["id"] == instrument.id
    deleted = await client.delete(path, headers=bearer(tokens["accessToken"]))
    assert deleted.status_code == 204
    again = await client.get(path, headers=bearer(tokens["accessToken"]))
    assert (again.status_code, again.json()) == (404, {"errors": [NOT_FOUND]})
    twice = await client.delete(path, headers=bearer(tokens["accessToken"]))
    assert (twice.status_code, twice.json()) == (404, {"errors": [NOT_FOUND]})


async def test_an_unknown_id_is_1141(client):
    customer, tokens = await registered_customer(client)
    for instrument_id in ("nope", "00000000-0000-4000-8000-000000000000"):
        response = await client.get(
            f"/customers/{customer['id']}/payment-instruments/{instrument_id}",
            headers=bearer(tokens["accessToken"]),
        )
        assert (response.status_code, response.json()) == (404, {"errors": [NOT_FOUND]})


async def test_another_customers_instruments_are_refused(app, client):
    owner = await register(client)
    instrument = await saved(app, owner["id"])
    caller, tokens = await registered_customer(client)
    token = bearer(tokens["accessToken"])
    for method, path in (
        ("GET", f"/customers/{owner['id']}/payment-instruments"),
        ("GET", f"/customers/{owner['id']}/payment-instruments/{instrument.id}"),
        ("DELETE", f"/customers/{owner['id']}/payment-instruments/{instrument.id}"),
    ):
        response = await client.request(method, path, headers=token)
        assert (response.status_code, response.json()) == (403, {"errors": [FORBIDDEN]}), (method, path)
    for method in ("GET", "DELETE"):
        ours = await client.request(
            method, f"/customers/{caller['id']}/payment-instruments/{instrument.id}", headers=token
        )
        assert (ours.status_code, ours.json()) == (404, {"errors": [NOT_FOUND]})
    listed = await client.get(f"/customers/{caller['id']}/payment-instruments", headers=token)
    assert listed.json()["data"] == []


async def test_without_a_token_every_route_is_002(app, client):
    owner = await register(client)
    instrument = await saved(app, owner["id"])
    for method, path in (
        ("GET", f"/customers/{owner['id']}/payment-instruments"),
        ("GET", f"/customers/{owner['id']}/payment-instruments/{instrument.id}"),
        ("DELETE", f"/customers/{owner['id']}/payment-instruments/{instrument.id}"),
    ):
        response = await client.request(method, path)
        assert (response.status_code, response.json()) == (
            403,
            {"errors": [error(403, "002", "Missing access token.")]},
        )

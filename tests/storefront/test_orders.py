"""The owner's order history at the HTTP level (CB §6.4, §8.1): newest first, offset paging with
Paloma's metadata, the status filter, and another customer's list and order refused."""

from __future__ import annotations

import pytest

from tests.helpers import bearer, error, register, registered_customer
from tests.order_helpers import moment, order_fields

FORBIDDEN = error(403, "411", "Unauthorized request.")


async def ingest(app, reference, **overrides):
    return await app.state.services.orders.ingest(
        app.state.services.stores.default, order_fields(reference, **overrides)
    )


async def orders_of(client, customer, tokens, query=""):
    response = await client.get(
        f"/customers/{customer['id']}/orders{query}", headers=bearer(tokens["accessToken"])
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestList:
    async def test_the_seed_example_shape(self, app, client):
        customer, tokens = await registered_customer(client, locale="de_DE")
        await ingest(app, customer["id"], orderNumber="100234", status="shipped")
        body = await orders_of(client, customer, tokens)
        base = f"http://testserver/customers/{customer['id']}/orders"
        assert body == {
            "data": [
                {
                    "type": "orders",
                    "id": "100234",
                    "attributes": {
                        "orderNumber": "100234",
                        "orderDate": "2026-11-20T13:03:00+00:00",
                        "status": "shipped",
                        "currencyIsoCode": "EUR",
                        "totals": {"grandTotal": 11990, "deliveryCosts": 490},
                        "locale": "de_DE",
                        "companyId": None,
                        "items": [
                            {
                                "sku": "A-1001",
                                "name": "Drill",
                                "quantity": 1,
                                "unitPrice": 11500,
                                "sumPrice": 11500,
                            }
                        ],
                    },
                    "links": {"self": f"{base}/100234"},
                }
            ],
            "links": {
                "self": f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=20",
                "first": f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=20",
                "prev": None,
                "next": None,
                "last": f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=20",
            },
            "meta": {
                "page": {
                    "offset": 0,
                    "limit": 20,
                    "size": 20,
                    "number": 0,
                    "totalElements": 1,
                    "totalPages": 1,
                    "first": True,
                    "last": True,
                }
            },
        }

    async def test_newest_first_ties_by_order_number_and_sort_reverses(self, app, client):
        customer, tokens = await registered_customer(client)
        await ingest(app, customer["id"], orderNumber="A", orderDate=moment(0))
        await ingest(app, customer["id"], orderNumber="B", orderDate=moment(0))
        await ingest(app, customer["id"], orderNumber="C", orderDate=moment(-5))
        await ingest(app, customer["id"], orderNumber="D", orderDate=moment(5))
        newest = await orders_of(client, customer, tokens)
        assert [item["id"] for item in newest["data"]] == ["D", "B", "A", "C"]
        oldest = await orders_of(client, customer, tokens, "?sort=orderDate")
        assert [item["id"] for item in oldest["data"]] == ["C", "A", "B", "D"]

    async def test_paging_links_and_metadata(self, app, client):
        customer, tokens = await registered_customer(client)
        for minute in range(5):
            await ingest(app, customer["id"], orderNumber=f"N{minute}", orderDate=moment(minute))
        body = await orders_of(
            client, customer, tokens, "?page%5Boffset%5D=2&page%5Blimit%5D=2&sort=-orderDate"
        )
        base = f"http://testserver/customers/{customer['id']}/orders"
        assert [item["id"] for item in body["data"]] == ["N2", "N1"]
        assert body["links"] == {
            "self": f"{base}?page%5Boffset%5D=2&page%5Blimit%5D=2&sort=-orderDate",
            "first": f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=2&sort=-orderDate",
            "prev": f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=2&sort=-orderDate",
            "next": f"{base}?page%5Boffset%5D=4&page%5Blimit%5D=2&sort=-orderDate",
            "last": f"{base}?page%5Boffset%5D=4&page%5Blimit%5D=2&sort=-orderDate",
        }
        assert body["meta"]["page"] == {
            "offset": 2,
            "limit": 2,
            "size": 2,
            "number": 1,
            "totalElements": 5,
            "totalPages": 3,
            "first": False,
            "last": False,
        }

    async def test_the_status_filter_keeps_one_status_and_counts_it(self, app, client):
        customer, tokens = await registered_customer(client)
        await ingest(app, customer["id"], orderNumber="S1", status="shipped")
        await ingest(app, customer["id"], orderNumber="C1", status="cancelled")
        await ingest(app, customer["id"], orderNumber="S2", status="shipped")
        body = await orders_of(client, customer, tokens, "?filter[status]=shipped")
        assert [item["id"] for item in body["data"]] == ["S2", "S1"]
        assert body["meta"]["page"]["totalElements"] == 2

    @pytest.mark.parametrize(
        "query",
        [
            "?page[limit]=0",
            "?page[limit]=101",
            "?page[offset]=-1",
            "?page[offset]=x",
            "?page[cursor]=",
            "?page[size]=3",
            "?sort=status",
            "?filter[status]=lost",
            "?filter[sku]=A",
            "?page[limit]=2&page[limit]=3",
            "?include=items",
        ],
    )
    async def test_bad_query_parameters_are_011(self, client, query):
        customer, tokens = await registered_customer(client)
        response = await client.get(
            f"/customers/{customer['id']}/orders{query}", headers=bearer(tokens["accessToken"])
        )
        assert (response.status_code, response.json()) == (
            400,
            {"errors": [error(400, "011", "Invalid query parameter.")]},
        )

    async def test_another_customers_list_is_refused_with_411(self, app, client):
        owner = await register(client)
        await ingest(app, owner["id"])
        _, tokens = await registered_customer(client)
        response = await client.get(f"/customers/{owner['id']}/orders", headers=bearer(tokens["accessToken"]))
        assert (response.status_code, response.json()) == (403, {"errors": [FORBIDDEN]})

    async def test_without_a_token_the_list_is_002(self, client):
        owner = await register(client)
        response = await client.get(f"/customers/{owner['id']}/orders")
        assert (response.status_code, response.json()) == (
            403,
            {"errors": [error(403, "002", "Missing access token.")]},
        )

    @pytest.mark.slow  # minutes: 10,000 ingests through the domain service, row by row
    async def test_a_customer_with_10000_orders_pages_to_the_end(self, app, client):
        customer, tokens = await registered_customer(client)
        store = app.state.services.stores.default
        await app.state.services.orders.seed(
            store,
            [
                order_fields(customer["id"], orderNumber=f"O{index:05d}", orderDate=moment(index))
                for index in range(10_000)
            ],
        )
        first = await orders_of(client, customer, tokens)
        assert [item["id"] for item in first["data"]][:2] == ["O09999", "O09998"]
        assert first["meta"]["page"] | {} == {
            "offset": 0,
            "limit": 20,
            "size": 20,
            "number": 0,
            "totalElements": 10_000,
            "totalPages": 500,
            "first": True,
            "last": False,
        }
        last = await orders_of(client, customer, tokens, "?page[offset]=9980")
        assert [item["id"] for item in last["data"]][-1] == "O00000"
        assert last["links"]["next"] is None and last["meta"]["page"]["last"] is True


class TestGet:
    async def test_one_order(self, app, client):
        customer, tokens = await registered_customer(client)
        await ingest(app, customer["id"], orderNumber="100234")
        response = await client.get(
            f"/customers/{customer['id']}/orders/100234", headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 200
        assert response.json()["data"]["attributes"]["orderNumber"] == "100234"
        assert response.json()["links"] == {
            "self": f"http://testserver/customers/{customer['id']}/orders/100234"
        }

    @pytest.mark.parametrize("number", ["nope", "x" * 65, "a%20b"])
    async def test_an_unknown_order_is_1130(self, client, number):
        customer, tokens = await registered_customer(client)
        response = await client.get(
            f"/customers/{customer['id']}/orders/{number}", headers=bearer(tokens["accessToken"])
        )
        assert (response.status_code, response.json()) == (
            404,
            {"errors": [error(404, "1130", "Order not found.")]},
        )

    async def test_another_customers_order_is_refused_with_411_on_their_path_and_1130_on_ours(
        self, app, client
    ):
        owner = await register(client)
        await ingest(app, owner["id"], orderNumber="THEIRS")
        caller, tokens = await registered_customer(client)
        theirs = await client.get(
            f"/customers/{owner['id']}/orders/THEIRS", headers=bearer(tokens["accessToken"])
        )
        assert (theirs.status_code, theirs.json()) == (403, {"errors": [FORBIDDEN]})
        ours = await client.get(
            f"/customers/{caller['id']}/orders/THEIRS", headers=bearer(tokens["accessToken"])
        )
        assert (ours.status_code, ours.json()) == (404, {"errors": [error(404, "1130", "Order not found.")]})

"""``GET /companies/{id|mine}/orders`` at the HTTP level (CB §4.3, §6.4, §8.1): a company admin reads
the orders ingested with its company's id, whoever of its users placed them, paged, sorted and
filtered as a customer's own list; a customer token is 1102, a buyer 1103, another company's id 1106."""

from __future__ import annotations

import pytest

from tests.backoffice.helpers import logged_in_operator
from tests.helpers import bearer, error, registered_customer
from tests.order_helpers import moment, order_fields
from tests.storefront.test_company_users import REFUSED_KIND, REFUSED_ROLE, _company, _member

COMPANY_NOT_FOUND = error(404, "1106", "Company not found.")


async def _ingest(app, reference, **overrides):
    return await app.state.services.orders.ingest(
        app.state.services.stores.default, order_fields(reference, **overrides)
    )


async def _company_with_admin_and_buyer(app, client, name: str = "ACME GmbH"):
    operator = await logged_in_operator(app, client)
    company = await _company(client, operator, name)
    admin = await _member(client, operator, company, "admin")
    buyer = await _member(client, operator, company, "buyer")
    return operator, company, admin, buyer


async def _orders(client, headers, path="/companies/mine/orders"):
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _shown(number: str, order_date: str, status: str, company_id: str, company_user_id: str) -> dict:
    """An order of the builders' defaults as the company view shows it: no self link."""
    item = {"sku": "A-1001", "name": "Drill", "quantity": 1, "unitPrice": 11500, "sumPrice": 11500}
    return {
        "type": "orders",
        "id": number,
        "attributes": {
            "orderNumber": number,
            "orderDate": order_date,
            "status": status,
            "currencyIsoCode": "EUR",
            "totals": {"grandTotal": 11990, "deliveryCosts": 490},
            "locale": "en_US",
            "companyId": company_id,
            "companyUserId": company_user_id,
            "items": [item],
        },
    }


class TestList:
    async def test_the_companys_orders_of_every_user_and_only_those(self, app, client):
        operator, company, admin, buyer = await _company_with_admin_and_buyer(app, client)
        other_company = await _company(client, operator, "Other AG")
        outsider = await _member(client, operator, other_company, "admin")
        await _ingest(app, buyer.reference, orderNumber="B-1", companyId=company, status="shipped")
        await _ingest(app, admin.reference, orderNumber="A-1", companyId=company, orderDate=moment(5))
        await _ingest(app, buyer.reference, orderNumber="PRIVATE-1")  # no companyId: the buyer's own
        await _ingest(app, outsider.reference, orderNumber="O-1", companyId=other_company)

        body = await _orders(client, admin.headers)

        base = "http://testserver/companies/mine/orders"
        page = f"{base}?page%5Boffset%5D=0&page%5Blimit%5D=20"
        assert body == {
            "data": [
                _shown("A-1", "2026-11-20T13:08:00+00:00", "new", company, admin.company_user_id),
                _shown("B-1", "2026-11-20T13:03:00+00:00", "shipped", company, buyer.company_user_id),
            ],
            "links": {"self": page, "first": page, "prev": None, "next": None, "last": page},
            "meta": {
                "page": {
                    "offset": 0,
                    "limit": 20,
                    "size": 20,
                    "number": 0,
                    "totalElements": 2,
                    "totalPages": 1,
                    "first": True,
                    "last": True,
                }
            },
        }
        by_id = await _orders(client, admin.headers, f"/companies/{company}/orders")
        assert by_id["data"] == body["data"]
        assert by_id["links"]["self"] == (
            f"http://testserver/companies/{company}/orders?page%5Boffset%5D=0&page%5Blimit%5D=20"
        )
        assert [item["id"] for item in (await _orders(client, outsider.headers))["data"]] == ["O-1"]

    async def test_sort_filter_and_paging_as_a_customers_own_list(self, app, client):
        _, company, admin, buyer = await _company_with_admin_and_buyer(app, client)
        for minute, (number, status) in enumerate(
            [("N0", "new"), ("N1", "cancelled"), ("N2", "new"), ("N3", "new"), ("N4", "new")]
        ):
            await _ingest(
                app,
                buyer.reference,
                orderNumber=number,
                companyId=company,
                status=status,
                orderDate=moment(minute),
            )
        await _ingest(app, admin.reference, orderNumber="M0", companyId=company, orderDate=moment(0))

        newest = await _orders(client, admin.headers)
        assert [item["id"] for item in newest["data"]] == ["N4", "N3", "N2", "N1", "N0", "M0"]
        oldest = await _orders(client, admin.headers, "/companies/mine/orders?sort=orderDate")
        assert [item["id"] for item in oldest["data"]] == ["M0", "N0", "N1", "N2", "N3", "N4"]
        filtered = await _orders(
            client, admin.headers, "/companies/mine/orders?filter[status]=new&page[offset]=1&page[limit]=2"
        )
        assert [item["id"] for item in filtered["data"]] == ["N3", "N2"]
        assert filtered["meta"]["page"] == {
            "offset": 1,
            "limit": 2,
            "size": 2,
            "number": 0,
            "totalElements": 5,
            "totalPages": 3,
            "first": False,
            "last": False,
        }
        base = "http://testserver/companies/mine/orders"
        assert (
            filtered["links"]["next"] == f"{base}?page%5Boffset%5D=3&page%5Blimit%5D=2&filter%5Bstatus%5D=new"
        )
        sparse = await _orders(
            client, admin.headers, "/companies/mine/orders?fields[orders]=companyUserId,status"
        )
        assert sparse["data"][0]["attributes"] == {"companyUserId": buyer.company_user_id, "status": "new"}

    async def test_a_company_without_orders_answers_an_empty_page(self, app, client):
        _, _, admin, _ = await _company_with_admin_and_buyer(app, client)
        body = await _orders(client, admin.headers)
        assert (body["data"], body["meta"]["page"]["totalElements"], body["links"]["next"]) == ([], 0, None)

    @pytest.mark.parametrize(
        "query",
        [
            "?page[limit]=0",
            "?page[offset]=-1",
            "?page[cursor]=",
            "?sort=status",
            "?filter[status]=lost",
            "?filter[companyUserId]=x",
            "?include=items",
            "?fields[orders]=customerReference",
        ],
    )
    async def test_bad_query_parameters_are_011(self, app, client, query):
        _, _, admin, _ = await _company_with_admin_and_buyer(app, client)
        response = await client.get(f"/companies/mine/orders{query}", headers=admin.headers)
        assert (response.status_code, response.json()) == (
            400,
            {"errors": [error(400, "011", "Invalid query parameter.")]},
        )


class TestRefusals:
    async def test_another_companys_id_and_an_unknown_one_are_1106(self, app, client):
        operator, company, admin, _ = await _company_with_admin_and_buyer(app, client)
        other_company = await _company(client, operator, "Other AG")
        outsider = await _member(client, operator, other_company, "admin")
        await _ingest(app, outsider.reference, orderNumber="O-2", companyId=other_company)
        for company_id in (other_company, "00000000-0000-4000-8000-000000000009", "x"):
            response = await client.get(f"/companies/{company_id}/orders", headers=admin.headers)
            assert (response.status_code, response.json()) == (404, {"errors": [COMPANY_NOT_FOUND]})

    @pytest.mark.parametrize("company_path", ["mine", "own id", "another company's id"])
    async def test_a_buyer_is_1103_whatever_the_id(self, app, client, company_path):
        operator, company, _, buyer = await _company_with_admin_and_buyer(app, client)
        other_company = await _company(client, operator, "Other AG")
        company_id = {"mine": "mine", "own id": company, "another company's id": other_company}[company_path]
        response = await client.get(f"/companies/{company_id}/orders", headers=buyer.headers)
        assert (response.status_code, response.json()) == (403, {"errors": [error(*REFUSED_ROLE)]})

    async def test_a_customer_token_of_a_company_admin_is_1102(self, app, client):
        _, company, admin, _ = await _company_with_admin_and_buyer(app, client)
        for company_id in ("mine", company):
            response = await client.get(
                f"/companies/{company_id}/orders", headers=bearer(admin.customer_token)
            )
            assert (response.status_code, response.json()) == (403, {"errors": [error(*REFUSED_KIND)]})
        _, b2c_tokens = await registered_customer(client)
        response = await client.get("/companies/mine/orders", headers=bearer(b2c_tokens["accessToken"]))
        assert (response.status_code, response.json()) == (403, {"errors": [error(*REFUSED_KIND)]})

    async def test_without_a_token_it_is_002_and_with_an_operators_001(self, app, client):
        operator = await logged_in_operator(app, client)
        missing = await client.get("/companies/mine/orders")
        assert (missing.status_code, missing.json()) == (
            403,
            {"errors": [error(403, "002", "Missing access token.")]},
        )
        foreign = await client.get("/companies/mine/orders", headers=operator.headers)
        assert (foreign.status_code, foreign.json()) == (
            401,
            {"errors": [error(401, "001", "Invalid access token.")]},
        )

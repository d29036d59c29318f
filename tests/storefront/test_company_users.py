"""CB §4.1-§4.3 on the storefront: a customer's own company users, company tokens (claims, the
binding kept on refresh, switching companies), the company paths that want one (1102), the roles
(1103), another company's ids (1104, 1106), the last-admin rule (1107) under concurrent demotions,
and a role change, deactivation or removal ending the company tokens at once. The §4.3 matrix is
data walked by one parametrized test; a refusal writes nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.tables import access_requests
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import JSON_API, bearer, document, error, login, patch, post, registered_customer

REFUSED_KIND = (403, "1102", "A company user access token is required.")
REFUSED_ROLE = (403, "1103", "Your company role does not allow this action.")


@dataclass
class Member:
    reference: str
    email: str
    customer_token: str
    company_user_id: str
    token: str = ""
    refresh_token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def _company(client, operator, name: str = "ACME GmbH") -> str:
    created = await post(
        client,
        "/backoffice/companies",
        document("companies", {"store": "DE", "name": name}),
        headers=operator.headers,
    )
    assert created.status_code == 201, created.text
    company_id: str = created.json()["data"]["id"]
    return company_id


async def _link(client, operator, company_id: str, email: str, role: str) -> str:
    body = document(
        "company-users", {"email": email, "salutation": "Mr", "firstName": "J", "lastName": "D", "role": role}
    )
    created = await post(
        client, f"/backoffice/companies/{company_id}/company-users", body, headers=operator.headers
    )
    assert created.status_code == 201, created.text
    user_id: str = created.json()["data"]["id"]
    return user_id


async def _company_token(client, customer_token: str, company_user_id: str):
    return await post(
        client,
        "/company-user-access-tokens",
        document("company-user-access-tokens", {"idCompanyUser": company_user_id}),
        headers=bearer(customer_token),
    )


async def _member(client, operator, company_id: str, role: str) -> Member:
    customer, tokens = await registered_customer(client)
    email = customer["attributes"]["email"]
    user_id = await _link(client, operator, company_id, email, role)
    member = Member(customer["id"], email, tokens["accessToken"], user_id)
    issued = await _company_token(client, member.customer_token, user_id)
    assert issued.status_code == 201, issued.text
    member.token = issued.json()["data"]["attributes"]["accessToken"]
    member.refresh_token = issued.json()["data"]["attributes"]["refreshToken"]
    return member


async def _counts(app) -> dict[str, int]:
    db = app.state.services.db
    counts = {}
    for name, sql in (
        ("company_users", "SELECT COUNT(*) FROM company_users"),
        ("admins", "SELECT COUNT(*) FROM company_users WHERE role = 'admin' AND is_active"),
        ("events", "SELECT COUNT(*) FROM customer_events"),
        ("live_sessions", "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL"),
    ):
        counts[name] = int((await db.fetch_one(sa.text(sql)))[0])
    return counts


def _refusal(expected: tuple[int, str, str]) -> dict[str, Any]:
    return {"errors": [error(*expected)]}


class TestMineAndTokens:
    async def test_a_b2c_customer_has_none_and_keeps_its_customer_token(self, app, client):
        customer, tokens = await registered_customer(client)
        mine = await client.get("/company-users/mine", headers=bearer(tokens["accessToken"]))
        assert mine.status_code == 200, mine.text
        assert mine.json() == {"data": []}
        assert _claims(tokens["accessToken"])["scope"] == "customer"
        assert "company_user" not in _claims(tokens["accessToken"])
        unknown = await _company_token(client, tokens["accessToken"], "00000000-0000-4000-8000-000000000009")
        assert unknown.status_code == 404
        assert unknown.json() == _refusal((404, "1104", "Company user not found."))
        invalid = await post(
            client,
            "/company-user-access-tokens",
            document("company-user-access-tokens", {}),
            headers=bearer(tokens["accessToken"]),
        )
        assert invalid.status_code == 422
        assert invalid.json() == {
            "errors": [
                error(422, "901", "idCompanyUser => This field is missing.", "/data/attributes/idCompanyUser")
            ]
        }

    async def test_mine_lists_every_company_the_oldest_is_default_and_includes_companies(self, app, client):
        operator = await logged_in_operator(app, client)
        first, second = await _company(client, operator, "First"), await _company(client, operator, "Second")
        customer, tokens = await registered_customer(client)
        email = customer["attributes"]["email"]
        first_user = await _link(client, operator, first, email, "buyer")
        second_user = await _link(client, operator, second, email, "admin")
        mine = await client.get(
            "/company-users/mine?include=companies", headers=bearer(tokens["accessToken"])
        )
        assert mine.status_code == 200, mine.text
        data = mine.json()["data"]
        assert [(item["id"], item["attributes"]["isDefault"]) for item in data] == [
            (first_user, True),
            (second_user, False),
        ]
        assert set(data[0]["attributes"]) == {
            "isActive",
            "isDefault",
            "role",
            "email",
            "firstName",
            "lastName",
            "createdAt",
            "updatedAt",
        }
        assert [(item["id"], item["attributes"]) for item in mine.json()["included"]] == [
            (first, {"name": "First", "isActive": True}),
            (second, {"name": "Second", "isActive": True}),
        ]

    async def test_a_company_token_carries_the_claims_keeps_the_binding_and_switches(self, app, client):
        operator = await logged_in_operator(app, client)
        first, second = await _company(client, operator, "First"), await _company(client, operator, "Second")
        customer, tokens = await registered_customer(client)
        email = customer["attributes"]["email"]
        first_user = await _link(client, operator, first, email, "buyer")
        second_user = await _link(client, operator, second, email, "admin")

        issued = await _company_token(client, tokens["accessToken"], first_user)
        assert issued.status_code == 201, issued.text
        attributes = issued.json()["data"]["attributes"]
        assert issued.json()["data"]["type"] == "company-user-access-tokens"
        claims = _claims(attributes["accessToken"])
        assert (claims["sub"], claims["store"], claims["scope"]) == (
            customer["id"],
            "DE",
            "customer company-user",
        )
        assert (claims["company_user"], claims["company"], claims["company_role"]) == (
            first_user,
            first,
            "buyer",
        )
        assert claims["sid"] == issued.json()["data"]["id"] != tokens["sessionId"]
        # The calling session stays; the company token acts as the customer too.
        assert (
            await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        ).status_code == 200
        own = await client.get(f"/customers/{customer['id']}", headers=bearer(attributes["accessToken"]))
        assert own.status_code == 200, own.text

        refreshed = await post(
            client,
            "/refresh-tokens",
            document("refresh-tokens", {"refreshToken": attributes["refreshToken"]}),
        )
        assert refreshed.status_code == 201, refreshed.text
        renewed = _claims(refreshed.json()["data"]["attributes"]["accessToken"])
        assert (renewed["company_user"], renewed["scope"]) == (first_user, "customer company-user")

        switched = await _company_token(client, attributes["accessToken"], second_user)
        assert switched.status_code == 201, switched.text
        switched_claims = _claims(switched.json()["data"]["attributes"]["accessToken"])
        assert (switched_claims["company"], switched_claims["company_role"]) == (second, "admin")

    async def test_only_the_callers_active_users_of_active_companies_get_a_token(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        someone = await _member(client, operator, company, "admin")
        customer, tokens = await registered_customer(client)
        own = await _link(client, operator, company, customer["attributes"]["email"], "buyer")
        before = await _counts(app)
        foreign = await _company_token(client, tokens["accessToken"], someone.company_user_id)
        assert foreign.status_code == 404
        assert foreign.json() == _refusal((404, "1104", "Company user not found."))
        await patch(
            client,
            f"/backoffice/company-users/{own}",
            document("company-users", {"isActive": False}, own),
            operator.token,
        )
        inactive = await _company_token(client, tokens["accessToken"], own)
        assert inactive.status_code == 403
        assert inactive.json() == _refusal((403, "1105", "Company user is not active."))
        await patch(
            client,
            f"/backoffice/company-users/{own}",
            document("company-users", {"isActive": True}, own),
            operator.token,
        )
        await patch(
            client,
            f"/backoffice/companies/{company}",
            document("companies", {"isActive": False}, company),
            operator.token,
        )
        closed = await _company_token(client, tokens["accessToken"], own)
        assert closed.status_code == 403
        assert closed.json() == _refusal((403, "1105", "Company user is not active."))
        after = await _counts(app)
        assert after["company_users"] == before["company_users"]


class TestCompanyPaths:
    async def test_the_company_by_id_or_mine(self, app, client):
        operator = await logged_in_operator(app, client)
        company, other = await _company(client, operator), await _company(client, operator, "Other")
        buyer = await _member(client, operator, company, "buyer")
        for path in (f"/companies/{company}", "/companies/mine"):
            read = await client.get(path, headers=buyer.headers)
            assert read.status_code == 200, read.text
            assert read.json() == {
                "data": {
                    "type": "companies",
                    "id": company,
                    "attributes": {"name": "ACME GmbH", "isActive": True},
                    "links": {"self": f"http://testserver/companies/{company}"},
                }
            }
        foreign = await client.get(f"/companies/{other}", headers=buyer.headers)
        assert foreign.status_code == 404
        assert foreign.json() == _refusal((404, "1106", "Company not found."))

    async def test_the_list_is_offset_paged_and_filtered(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        buyers = [await _member(client, operator, company, "buyer") for _ in range(2)]
        page = await client.get("/company-users?page[limit]=2", headers=admin.headers)
        assert page.status_code == 200, page.text
        assert [item["id"] for item in page.json()["data"]] == [
            buyers[1].company_user_id,
            buyers[0].company_user_id,
        ]
        assert page.json()["meta"]["page"]["totalElements"] == 3
        assert page.json()["links"]["next"] is not None
        admins = await client.get("/company-users?filter[role]=admin", headers=admin.headers)
        assert [item["id"] for item in admins.json()["data"]] == [admin.company_user_id]
        wrong = await client.get("/company-users?filter[role]=owner", headers=admin.headers)
        assert wrong.status_code == 400
        assert wrong.json() == _refusal((400, "011", "Invalid query parameter."))

    async def test_another_companys_user_is_unknown(self, app, client):
        operator = await logged_in_operator(app, client)
        company, other = await _company(client, operator), await _company(client, operator, "Other")
        admin = await _member(client, operator, company, "admin")
        stranger = await _member(client, operator, other, "buyer")
        before = await _counts(app)
        for method, body in (
            ("GET", None),
            ("PATCH", document("company-users", {"role": "admin"}, stranger.company_user_id)),
            ("DELETE", None),
        ):
            headers = {**admin.headers, **({"Content-Type": JSON_API} if body else {})}
            response = await client.request(
                method, f"/company-users/{stranger.company_user_id}", json=body, headers=headers
            )
            assert response.status_code == 404, (method, response.text)
            assert response.json() == _refusal((404, "1104", "Company user not found."))
        assert await _counts(app) == before


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: str  # {other}: another buyer of the company; {self}: the caller's own company user
    body: dict[str, Any] | None
    expected: dict[str, tuple[int, str | None, str | None]]  # caller kind -> (status, code, detail)
    resource_type: str = "company-users"  # {request}: an access request accepted into the company


OK = 200
MATRIX = [
    Action(
        "read own company",
        "GET",
        "/companies/mine",
        None,
        {"b2c": REFUSED_KIND, "buyer": (OK, None, None), "admin": (OK, None, None)},
    ),
    Action(
        "list the company's users",
        "GET",
        "/company-users",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "read another user",
        "GET",
        "/company-users/{other}",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "read itself",
        "GET",
        "/company-users/{self}",
        None,
        {"b2c": REFUSED_KIND, "buyer": (OK, None, None), "admin": (OK, None, None)},
    ),
    Action(
        "change a role",
        "PATCH",
        "/company-users/{other}",
        {"role": "admin"},
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "deactivate a user",
        "PATCH",
        "/company-users/{other}",
        {"isActive": False},
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "change its own role",
        "PATCH",
        "/company-users/{self}",
        {"role": "admin"},
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "remove another user",
        "DELETE",
        "/company-users/{other}",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (204, None, None)},
    ),
    Action(
        "leave",
        "DELETE",
        "/company-users/{self}",
        None,
        {"b2c": REFUSED_KIND, "buyer": (204, None, None), "admin": (204, None, None)},
    ),
    Action(
        "own company users",
        "GET",
        "/company-users/mine",
        None,
        {"b2c": (OK, None, None), "buyer": (OK, None, None), "admin": (OK, None, None)},
    ),
    Action(
        "the company's orders",
        "GET",
        "/companies/mine/orders",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "list access requests",
        "GET",
        "/access-requests",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "read an access request",
        "GET",
        "/access-requests/{request}",
        None,
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
    ),
    Action(
        "approve an access request",
        "PATCH",
        "/access-requests/{request}",
        {"state": "approved"},
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
        "access-requests",
    ),
    Action(
        "decline an access request",
        "PATCH",
        "/access-requests/{request}",
        {"state": "declined", "reason": "Unknown to us."},
        {"b2c": REFUSED_KIND, "buyer": REFUSED_ROLE, "admin": (OK, None, None)},
        "access-requests",
    ),
]
CASES = [
    pytest.param(action, caller, expected, id=f"{action.name} as {caller}")
    for action in MATRIX
    for caller, expected in action.expected.items()
]


async def _accepted_request(app, company_id: str) -> str:
    """An access request accepted into the company (CB §5.2 row 7), written as the service leaves it."""
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    await app.state.services.db.execute(
        access_requests.insert().values(
            id=request_id,
            store="DE",
            state="accepted",
            email=f"applicant-{request_id[:8]}@example.com",
            email_key=f"applicant-{request_id[:8]}@example.com",
            salutation="Ms",
            first_name="Grace",
            last_name="Hopper",
            locale="en_US",
            company_id=company_id,
            role="buyer",
            created_at=now,
            updated_at=now,
        )
    )
    return request_id


@pytest.mark.parametrize(("action", "caller", "expected"), CASES)
async def test_the_company_permission_matrix(app, client, action: Action, caller: str, expected):
    operator = await logged_in_operator(app, client)
    company = await _company(client, operator)
    admin = await _member(client, operator, company, "admin")
    await _member(client, operator, company, "admin")  # a second admin: the first may leave
    buyer = await _member(client, operator, company, "buyer")
    other = await _member(client, operator, company, "buyer")
    _, b2c_tokens = await registered_customer(client)
    calling = {"admin": admin, "buyer": buyer}.get(caller)
    headers = calling.headers if calling else bearer(b2c_tokens["accessToken"])
    own_id = calling.company_user_id if calling else other.company_user_id
    path = action.path.replace("{other}", other.company_user_id).replace("{self}", own_id)
    if "{request}" in path:
        path = path.replace("{request}", await _accepted_request(app, company))
    target_id = path.rsplit("/", 1)[1]
    body = document(action.resource_type, action.body, target_id) if action.body is not None else None
    before = await _counts(app)

    response = await client.request(
        action.method, path, json=body, headers={**headers, **({"Content-Type": JSON_API} if body else {})}
    )

    status, code, detail = expected
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json() == {"errors": [error(status, code, detail)]}
        assert await _counts(app) == before


class TestLastAdminAndRevocation:
    async def test_the_last_active_admin_may_not_go(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        await _member(client, operator, company, "buyer")
        path = f"/company-users/{admin.company_user_id}"
        before = await _counts(app)
        for method, attributes in (
            ("PATCH", {"role": "buyer"}),
            ("PATCH", {"isActive": False}),
            ("DELETE", None),
        ):
            body = document("company-users", attributes, admin.company_user_id) if attributes else None
            headers = {**admin.headers, **({"Content-Type": JSON_API} if body else {})}
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 422, (method, response.text)
            assert response.json() == _refusal(
                (422, "1107", "A company needs at least one active administrator.")
            )
        assert await _counts(app) == before

    async def test_a_role_change_ends_that_users_company_tokens_at_once(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        second = await _member(client, operator, company, "admin")
        demoted = await patch(
            client,
            f"/company-users/{second.company_user_id}",
            document("company-users", {"role": "buyer"}, second.company_user_id),
            admin.token,
        )
        assert demoted.status_code == 200, demoted.text
        assert demoted.json()["data"]["attributes"]["role"] == "buyer"
        gone = await client.get("/companies/mine", headers=second.headers)
        assert gone.status_code == 401
        assert gone.json() == _refusal((401, "001", "Invalid access token."))
        # Its customer token lives on, and a new company token carries the new role.
        assert (
            await client.get("/company-users/mine", headers=bearer(second.customer_token))
        ).status_code == 200
        again = await _company_token(client, second.customer_token, second.company_user_id)
        assert _claims(again.json()["data"]["attributes"]["accessToken"])["company_role"] == "buyer"
        # The one who changed it keeps its token.
        assert (await client.get("/companies/mine", headers=admin.headers)).status_code == 200

    async def test_backoffice_deactivation_and_removal_end_company_tokens(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        buyer = await _member(client, operator, company, "buyer")
        removed = await client.delete(
            f"/backoffice/company-users/{buyer.company_user_id}", headers=operator.headers
        )
        assert removed.status_code == 204
        assert (await client.get("/companies/mine", headers=buyer.headers)).status_code == 401
        assert (await client.get("/company-users/mine", headers=bearer(buyer.customer_token))).json() == {
            "data": []
        }
        closed = await patch(
            client,
            f"/backoffice/companies/{company}",
            document("companies", {"isActive": False}, company),
            operator.token,
        )
        assert closed.status_code == 200
        assert (await client.get("/companies/mine", headers=admin.headers)).status_code == 401
        assert (
            await client.get("/company-users/mine", headers=bearer(admin.customer_token))
        ).status_code == 200

    async def test_logout_of_every_session_covers_company_tokens(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        logged_out = await client.delete("/refresh-tokens/mine", headers=bearer(admin.customer_token))
        assert logged_out.status_code == 204
        assert (await client.get("/companies/mine", headers=admin.headers)).status_code == 401

    async def test_concurrent_demotions_leave_exactly_one_admin(self, app, client, is_postgres):
        if not is_postgres:
            pytest.skip("SQLite runs one write at a time; the company row's lock is PostgreSQL's")
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admins = [await _member(client, operator, company, "admin") for _ in range(5)]

        async def demote_self(member: Member):
            return await patch(
                client,
                f"/company-users/{member.company_user_id}",
                document("company-users", {"role": "buyer"}, member.company_user_id),
                member.token,
            )

        answers = await asyncio.gather(*(demote_self(member) for member in admins))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 200, 200, 200, 422], [answer.text for answer in answers]
        (refused,) = [answer for answer in answers if answer.status_code == 422]
        assert refused.json() == _refusal((422, "1107", "A company needs at least one active administrator."))
        assert (await _counts(app))["admins"] == 1

    async def test_a_company_admins_login_is_a_customer_login(self, app, client):
        operator = await logged_in_operator(app, client)
        company = await _company(client, operator)
        admin = await _member(client, operator, company, "admin")
        tokens = await login(client, admin.email)
        assert _claims(tokens["accessToken"])["scope"] == "customer"

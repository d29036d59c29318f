"""CB §5.3, §8.2: a company's request codes and e-mail domains as the back-office writes them:
their forms, defaults, the unique (store, kind, value) (1126), another company's or an unknown
symbol (1127), an unknown company (1106), each write one company event and one audit entry, and a
refusal writing nothing."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.access_request_helpers import create_company, create_symbol
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import JSON_API, document, error, post

UNKNOWN = "00000000-0000-4000-8000-00000000abcd"
NOT_FOUND = {"errors": [error(404, "1127", "Invitation symbol not found.")]}


def _path(company_id: str, symbol_id: str | None = None) -> str:
    tail = f"/{symbol_id}" if symbol_id else ""
    return f"/backoffice/companies/{company_id}/invitation-symbols{tail}"


async def _counts(app) -> dict[str, int]:
    db = app.state.services.db
    counts = {}
    for table, where in (
        ("invitation_symbols", ""),
        ("company_events", ""),
        ("audit_events", " WHERE outcome = 'succeeded'"),
    ):
        counts[table] = int((await db.fetch_one(sa.text(f"SELECT COUNT(*) FROM {table}{where}")))[0])  # noqa: S608
    return counts


async def _patch(client, headers, company_id: str, symbol_id: str, **attributes: Any):
    return await client.patch(
        _path(company_id, symbol_id),
        json=document("invitation-symbols", attributes, symbol_id),
        headers={**headers, "Content-Type": JSON_API},
    )


class TestInvitationSymbols:
    async def test_create_list_change_and_remove_with_their_events(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await create_company(client, admin.headers)
        code = await create_symbol(client, admin.headers, company, value="acme-2026", maxUses=5)
        attributes = code["attributes"]
        assert {key: attributes[key] for key in ("kind", "value", "role", "autoApprove", "isActive")} == {
            "kind": "request-code",
            "value": "ACME-2026",
            "role": "buyer",
            "autoApprove": False,
            "isActive": True,
        }
        assert (attributes["maxUses"], attributes["uses"], attributes["expiresAt"]) == (5, 0, None)
        assert code["links"]["self"] == f"http://testserver{_path(company, code['id'])}"
        domain = await create_symbol(
            client, admin.headers, company, kind="email-domain", value="ACME.Example"
        )
        assert domain["attributes"]["value"] == "acme.example"

        listed = await client.get(_path(company) + "?page[limit]=1", headers=admin.headers)
        assert [item["id"] for item in listed.json()["data"]] == [domain["id"]]
        following = await client.get(listed.json()["links"]["next"], headers=admin.headers)
        assert [item["id"] for item in following.json()["data"]] == [code["id"]]

        changed = await _patch(
            client,
            admin.headers,
            company,
            code["id"],
            role="admin",
            autoApprove=True,
            value="IGNORED-1",
            expiresAt="2030-01-01T00:00:00+01:00",
        )
        assert changed.status_code == 200, changed.text
        changed_attributes = changed.json()["data"]["attributes"]
        assert (changed_attributes["role"], changed_attributes["autoApprove"]) == ("admin", True)
        assert changed_attributes["value"] == "ACME-2026"  # fixed
        assert changed_attributes["expiresAt"].startswith("2029-12-31T23:00:00")

        removed = await client.delete(_path(company, code["id"]), headers=admin.headers)
        assert removed.status_code == 204
        assert (await _patch(client, admin.headers, company, code["id"], role="buyer")).json() == NOT_FOUND

        rows = await app.state.services.db.fetch_all(
            sa.text('SELECT event_type, "values" FROM company_events ORDER BY id')
        )
        types = [row[0] for row in rows]
        assert types == [
            "CompanyWasCreated",
            "InvitationSymbolWasAdded",
            "InvitationSymbolWasAdded",
            "InvitationSymbolWasUpdated",
            "InvitationSymbolWasRemoved",
        ]
        updated = rows[3][1] if not isinstance(rows[3][1], str) else json.loads(rows[3][1])
        assert updated["symbolId"] == code["id"]
        assert sorted(updated["changes"]) == ["autoApprove", "expiresAt", "role"]

    async def test_every_refusal_writes_nothing(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await create_company(client, admin.headers)
        other = await create_company(client, admin.headers, name="Other")
        code = await create_symbol(client, admin.headers, company, value="TAKEN-CODE")
        domain = await create_symbol(
            client, admin.headers, company, kind="email-domain", value="acme.example"
        )
        before = await _counts(app)

        def invalid(attribute: str, message: str) -> dict[str, Any]:
            return {
                "errors": [error(422, "901", f"{attribute} => {message}", f"/data/attributes/{attribute}")]
            }

        creations = [
            (
                {"kind": "request-code", "value": "taken-code"},
                {"errors": [error(422, "1126", "This invitation symbol is already in use.")]},
            ),
            (
                {"kind": "email-domain", "value": "ACME.example"},
                {"errors": [error(422, "1126", "This invitation symbol is already in use.")]},
            ),
            ({"kind": "request-code", "value": "short"}, invalid("value", "This value is not valid.")),
            ({"kind": "request-code", "value": "with space"}, invalid("value", "This value is not valid.")),
            ({"kind": "request-code", "value": "X" * 65}, invalid("value", "This value is not valid.")),
            ({"kind": "email-domain", "value": "localhost"}, invalid("value", "This value is not valid.")),
            ({"kind": "email-domain", "value": "exämple.com"}, invalid("value", "This value is not valid.")),
            ({"kind": "email-domain", "value": "-bad.example"}, invalid("value", "This value is not valid.")),
            (
                {"kind": "email-domain", "value": "b.example", "maxUses": 3},
                invalid("maxUses", "This field was not expected."),
            ),
            (
                {"kind": "phone", "value": "ABCDEF"},
                invalid("kind", "The value you selected is not a valid choice."),
            ),
            ({"value": "ABCDEFG"}, invalid("kind", "This field is missing.")),
            (
                {"kind": "request-code", "value": "ABCDEFG", "maxUses": 0},
                invalid("maxUses", "This value should be greater than or equal to 1."),
            ),
            (
                {"kind": "request-code", "value": "ABCDEFG", "role": "owner"},
                invalid("role", "The value you selected is not a valid choice."),
            ),
            (
                {"kind": "request-code", "value": "ABCDEFG", "expiresAt": "tomorrow"},
                invalid("expiresAt", "This value is not a valid datetime."),
            ),
        ]
        for attributes, expected in creations:
            response = await post(
                client, _path(company), document("invitation-symbols", attributes), headers=admin.headers
            )
            assert response.json() == expected, attributes
        unknown_company = await post(
            client,
            _path(UNKNOWN),
            document("invitation-symbols", {"kind": "request-code", "value": "ABCDEFG"}),
            headers=admin.headers,
        )
        assert unknown_company.json() == {"errors": [error(404, "1106", "Company not found.")]}
        assert (await client.get(_path(UNKNOWN), headers=admin.headers)).status_code == 404

        changes = [
            (company, domain["id"], {"maxUses": 2}, invalid("maxUses", "This field was not expected.")),
            (
                company,
                code["id"],
                {"autoApprove": "yes"},
                invalid("autoApprove", "This value should be of type bool."),
            ),
            (other, code["id"], {"role": "admin"}, NOT_FOUND),
            (company, UNKNOWN, {"role": "admin"}, NOT_FOUND),
        ]
        for company_id, symbol_id, attributes, expected in changes:
            response = await _patch(client, admin.headers, company_id, symbol_id, **attributes)
            assert response.json() == expected, attributes
        assert (await client.delete(_path(other, code["id"]), headers=admin.headers)).json() == NOT_FOUND
        assert await _counts(app) == before

    async def test_symbols_of_an_inactive_company_never_match(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await create_company(client, admin.headers, isActive=False)
        await create_symbol(client, admin.headers, company, value="SLEEPING-1")
        response = await post(
            client,
            "/access-requests",
            document(
                "access-requests",
                {
                    "salutation": "Ms",
                    "firstName": "G",
                    "lastName": "H",
                    "email": "g@example.com",
                    "password": "Correct-Horse-7",
                    "confirmPassword": "Correct-Horse-7",
                    "acceptedTerms": True,
                    "requestCode": "sleeping-1",
                },
            ),
        )
        assert response.json() == {"errors": [error(422, "1123", "Request code is not valid.")]}

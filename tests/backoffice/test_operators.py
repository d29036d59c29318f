"""BO §2, §4.10: operators' CRUD, activation, own password, the rules on one's own record and the
last administrator, session revocation when a token's scope would lie."""

from __future__ import annotations

from typing import Any

import pytest

from errors import ApiError
from tests.backoffice.helpers import (
    CLI_WRITER,
    OPERATOR_PASSWORD,
    logged_in_operator,
    operator_login,
    seed_operator,
)
from tests.helpers import JSON_API, document, error, post

NEW_PASSWORD = "Another-Long-Secret-42"


def _operator(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "email": "grace@example.com",
        "password": OPERATOR_PASSWORD,
        "confirmPassword": OPERATOR_PASSWORD,
        "firstName": "Grace",
        "lastName": "Hopper",
        "role": "admin",
        "permissions": ["customers:read", "customers:write"],
    }
    attributes.update(overrides)
    return document("operators", {key: value for key, value in attributes.items() if value is not ...})


async def _patch(client, path: str, body: Any, headers: dict[str, str]):
    return await client.patch(path, json=body, headers={"Content-Type": JSON_API, **headers})


async def test_an_admin_creates_an_operator_who_can_log_in(app, client):
    admin = await logged_in_operator(app, client)
    response = await post(
        client, "/backoffice/operators", _operator(phone="+4930123456"), headers=admin.headers
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert response.headers["location"] == data["links"]["self"]
    assert data["attributes"] == {
        "email": "grace@example.com",
        "firstName": "Grace",
        "lastName": "Hopper",
        "phone": "+4930123456",
        "role": "admin",
        "permissions": ["customers:read", "customers:write"],
        "stores": None,
        "posId": None,
        "allowPointTransfer": False,
        "active": True,
        "mfaActive": False,
        "createdAt": data["attributes"]["createdAt"],
        "updatedAt": data["attributes"]["updatedAt"],
        "lastLoginAt": None,
    }
    assert (await operator_login(client, "grace@example.com")).status_code == 201


async def test_a_taken_email_is_1003_in_any_letter_case(app, client):
    admin = await logged_in_operator(app, client)
    await post(client, "/backoffice/operators", _operator(), headers=admin.headers)
    response = await post(
        client, "/backoffice/operators", _operator(email="GRACE@example.com"), headers=admin.headers
    )
    assert response.status_code == 422
    assert response.json() == {"errors": [error(422, "1003", "Operator with this email already exists.")]}


async def test_invalid_operators_are_901_all_at_once_and_nothing_is_written(app, client):
    admin = await logged_in_operator(app, client)
    response = await post(
        client,
        "/backoffice/operators",
        _operator(permissions=["customers:write"], stores=["XX"], password="short", confirmPassword="short"),
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            error(
                422,
                "901",
                "password => This value is too short. It should have 12 characters or more.",
                "/data/attributes/password",
            ),
            error(
                422,
                "901",
                "permissions => customers:write needs customers:read.",
                "/data/attributes/permissions",
            ),
            error(
                422,
                "901",
                "stores => The value you selected is not a valid choice.",
                "/data/attributes/stores",
            ),
        ]
    }
    listed = await client.get("/backoffice/operators", headers=admin.headers)
    assert [item["id"] for item in listed.json()["data"]] == [admin.id]


async def test_a_password_confirmation_that_differs_is_406(app, client):
    admin = await logged_in_operator(app, client)
    response = await post(
        client, "/backoffice/operators", _operator(confirmPassword=NEW_PASSWORD), headers=admin.headers
    )
    assert response.json() == {
        "errors": [
            error(
                422,
                "406",
                "Value in field password should be identical to value in the confirmPassword field.",
            )
        ]
    }


async def test_a_seller_needs_an_existing_point_of_sale(app, client):
    admin = await logged_in_operator(app, client)
    response = await post(
        client,
        "/backoffice/operators",
        _operator(role="seller", posId="00000000-0000-4000-8000-000000000001"),
        headers=admin.headers,
    )
    assert response.json() == {
        "errors": [
            error(
                422, "901", "posId => The value you selected is not a valid choice.", "/data/attributes/posId"
            )
        ]
    }


async def test_the_list_filters_and_pages_by_cursor_newest_first(app, client):
    admin = await logged_in_operator(app, client)
    for index in range(3):
        await seed_operator(app, email=f"list{index}@example.com")
    first = await client.get("/backoffice/operators?page[limit]=2&filter[email]=LIST", headers=admin.headers)
    assert [item["attributes"]["email"] for item in first.json()["data"]] == [
        "list2@example.com",
        "list1@example.com",
    ]
    second = await client.get(first.json()["links"]["next"], headers=admin.headers)
    assert [item["attributes"]["email"] for item in second.json()["data"]] == ["list0@example.com"]
    assert second.json()["links"]["next"] is None
    cursor = first.json()["links"]["next"].split("page%5Bcursor%5D=")[1]
    other_filter = await client.get(f"/backoffice/operators?page[cursor]={cursor}", headers=admin.headers)
    assert other_filter.json() == {"errors": [error(400, "011", "Invalid query parameter.")]}
    sellers = await client.get("/backoffice/operators?filter[role]=seller", headers=admin.headers)
    assert sellers.json()["data"] == []
    for bad in ("page[limit]=0", "page[limit]=101", "filter[role]=boss", "filter[active]=yes", "sort=email"):
        response = await client.get(f"/backoffice/operators?{bad}", headers=admin.headers)
        assert response.status_code == 400, bad


async def test_an_unknown_operator_is_1002(app, client):
    admin = await logged_in_operator(app, client)
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method,
            "/backoffice/operators/00000000-0000-4000-8000-000000000000",
            headers={**admin.headers, "Content-Type": JSON_API},
            json=document("operators", {}) if method == "PATCH" else None,
        )
        assert response.status_code == 404, method
        assert response.json() == {"errors": [error(404, "1002", "Operator not found.")]}


async def test_an_operator_without_operators_write_reads_and_renames_itself_only(app, client):
    reader = await logged_in_operator(app, client, permissions=("customers:read",))
    other_id, _ = await seed_operator(app)
    own = await client.get(f"/backoffice/operators/{reader.id}", headers=reader.headers)
    assert own.status_code == 200
    renamed = await _patch(
        client,
        f"/backoffice/operators/{reader.id}",
        document("operators", {"firstName": "Augusta", "permissions": ["customers:read", "operators:write"]}),
        reader.headers,
    )
    assert renamed.status_code == 200
    assert renamed.json()["data"]["attributes"]["firstName"] == "Augusta"
    assert renamed.json()["data"]["attributes"]["permissions"] == ["customers:read"]  # ignored
    other = await client.get(f"/backoffice/operators/{other_id}", headers=reader.headers)
    assert other.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}


async def test_changing_permissions_ends_the_operators_sessions(app, client):
    admin = await logged_in_operator(app, client)
    other = await logged_in_operator(app, client)
    response = await _patch(
        client,
        f"/backoffice/operators/{other.id}",
        document("operators", {"permissions": ["customers:read"]}, other.id),
        admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["permissions"] == ["customers:read"]
    after = await client.get(f"/backoffice/operators/{other.id}", headers=other.headers)
    assert after.json() == {"errors": [error(401, "001", "Invalid access token.")]}


async def test_renaming_keeps_the_sessions(app, client):
    admin = await logged_in_operator(app, client)
    other = await logged_in_operator(app, client)
    await _patch(
        client,
        f"/backoffice/operators/{other.id}",
        document("operators", {"lastName": "Byron"}),
        admin.headers,
    )
    assert (await client.get(f"/backoffice/operators/{other.id}", headers=other.headers)).status_code == 200


async def test_nobody_deactivates_deletes_or_demotes_themselves(app, client):
    admin = await logged_in_operator(app, client)
    await seed_operator(app)  # another administrator: 1005 does not apply
    own_record = {
        "errors": [error(422, "1004", "Operators cannot deactivate, delete, demote or reset themselves.")]
    }
    deactivated = await client.post(f"/backoffice/operators/{admin.id}/deactivate", headers=admin.headers)
    deleted = await client.delete(f"/backoffice/operators/{admin.id}", headers=admin.headers)
    demoted = await _patch(
        client,
        f"/backoffice/operators/{admin.id}",
        document("operators", {"permissions": ["customers:read"]}),
        admin.headers,
    )
    assert deactivated.json() == deleted.json() == demoted.json() == own_record


async def test_deactivating_another_administrator_is_allowed_while_the_caller_remains(app, client):
    admin = await logged_in_operator(app, client)
    other = await logged_in_operator(app, client)
    assert (
        await client.post(f"/backoffice/operators/{other.id}/deactivate", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(f"/backoffice/operators/{other.id}", headers=other.headers)).status_code == 401
    again = await client.post(f"/backoffice/operators/{other.id}/deactivate", headers=admin.headers)
    assert again.status_code == 204  # nothing written
    assert (
        await client.post(f"/backoffice/operators/{other.id}/activate", headers=admin.headers)
    ).status_code == 204
    assert (await operator_login(client, other.email)).status_code == 201


async def test_the_last_active_administrator_with_operators_write_remains(app):
    # Over HTTP the caller is itself an active administrator with operators:write, so the target is
    # never the last one (1004 covers one's own record); the rule holds for any writer, the CLI too.
    last_id, _ = await seed_operator(app)
    await seed_operator(app, permissions=("customers:read",))
    operators = app.state.services.operators
    last_one = "At least one active administrator with operators:write must remain."
    for attempt in (
        operators.set_active(last_id, False, CLI_WRITER),
        operators.delete(last_id, CLI_WRITER),
        operators.update(last_id, {"permissions": ["customers:read"]}, CLI_WRITER),
    ):
        with pytest.raises(ApiError) as raised:
            await attempt
        assert raised.value.problems[0].detail == last_one
    assert (await operators.get(last_id)).active


async def test_an_operator_changes_its_own_password_keeping_the_calling_session(app, client):
    operator = await logged_in_operator(app, client)
    second = await operator_login(client, operator.email)
    second_token = {"Authorization": "Bearer " + second.json()["data"]["attributes"]["accessToken"]}
    body = document(
        "operator-password",
        {"password": OPERATOR_PASSWORD, "newPassword": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD},
    )
    response = await _patch(client, "/backoffice/operator-password", body, operator.headers)
    assert response.status_code == 204
    assert (
        await client.get(f"/backoffice/operators/{operator.id}", headers=operator.headers)
    ).status_code == 200
    assert (await client.get(f"/backoffice/operators/{operator.id}", headers=second_token)).status_code == 401
    assert (await operator_login(client, operator.email, NEW_PASSWORD)).status_code == 201
    wrong = await _patch(client, "/backoffice/operator-password", body, operator.headers)
    assert wrong.json() == {"errors": [error(400, "408", "Invalid password")]}


async def test_deleting_an_operator_ends_its_sessions(app, client):
    admin = await logged_in_operator(app, client)
    other = await logged_in_operator(app, client)
    assert (
        await client.delete(f"/backoffice/operators/{other.id}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(f"/backoffice/operators/{other.id}", headers=other.headers)).status_code == 401
    gone = await client.get(f"/backoffice/operators/{other.id}", headers=admin.headers)
    assert gone.status_code == 404


async def test_an_unchanged_patch_writes_nothing(app, client):
    admin = await logged_in_operator(app, client)
    other = await logged_in_operator(app, client)
    before = await client.get("/backoffice/audit-events", headers=admin.headers)
    same = document("operators", {"email": other.email, "lastName": "Lovelace"})
    response = await _patch(client, f"/backoffice/operators/{other.id}", same, admin.headers)
    assert response.status_code == 200
    after = await client.get("/backoffice/audit-events", headers=admin.headers)
    assert after.json()["data"] == before.json()["data"]
    assert (await client.get(f"/backoffice/operators/{other.id}", headers=other.headers)).status_code == 200


async def test_an_administrator_changing_its_own_stores_ends_its_own_session_too(app, client):
    admin = await logged_in_operator(app, client)
    await seed_operator(app)
    response = await _patch(
        client, f"/backoffice/operators/{admin.id}", document("operators", {"stores": ["DE"]}), admin.headers
    )
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["stores"] == ["DE"]
    assert (await client.get(f"/backoffice/operators/{admin.id}", headers=admin.headers)).status_code == 401


# 1005 under concurrency (PostgreSQL): two administrators, the last two holding operators:write,
# each removing the other at the same moment must leave one of them.
LAST_ADMINISTRATOR = {
    "errors": [error(422, "1005", "At least one active administrator with operators:write must remain.")]
}


async def _until_waiting_on_locks(connection, count: int) -> None:
    """Until ``count`` other sessions of this database wait for a lock (10 s at most)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        waiting = await connection.fetchval(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} requests wait for a lock")


async def _active_writers(app) -> int:
    import sqlalchemy as sa

    row = await app.state.services.db.fetch_one(
        sa.text(
            "SELECT COUNT(*) FROM operators WHERE role = 'admin' AND active AND permissions LIKE :write"
        ).bindparams(write="%operators:write%")
    )
    return int(row[0])


async def _race(app, client, database_url, first, second, requests) -> list[Any]:
    """Hold both administrators' rows in another connection until every request waits, then let go."""
    import asyncio

    import asyncpg

    other = await asyncpg.connect(database_url)
    try:
        holder = other.transaction()
        await holder.start()
        await other.execute(
            "SELECT 1 FROM operators WHERE id = ANY($1::text[]) FOR UPDATE", [first.id, second.id]
        )
        pending = [asyncio.create_task(request) for request in requests]
        await _until_waiting_on_locks(other, len(pending))
        await holder.commit()
        return list(await asyncio.gather(*pending))
    finally:
        await other.close()


@pytest.mark.parametrize("action", ["deactivate", "delete", "demote"])
async def test_the_last_two_administrators_removing_each_other_at_once_leave_one(
    app, client, database_url, is_postgres, action
):
    if not is_postgres:
        pytest.skip("needs PostgreSQL row locks to hold both requests at the same point")
    first = await logged_in_operator(app, client)
    second = await logged_in_operator(app, client)

    def remove(caller, target):
        path = f"/backoffice/operators/{target.id}"
        if action == "deactivate":
            return client.post(f"{path}/deactivate", headers=caller.headers)
        if action == "delete":
            return client.delete(path, headers=caller.headers)
        body = document("operators", {"permissions": ["customers:read"]}, target.id)
        return client.patch(path, json=body, headers={**caller.headers, "Content-Type": JSON_API})

    responses = await _race(
        app, client, database_url, first, second, [remove(first, second), remove(second, first)]
    )

    assert sorted(response.status_code for response in responses) == [200 if action == "demote" else 204, 422]
    assert [response.json() for response in responses if response.status_code == 422] == [LAST_ADMINISTRATOR]
    assert await _active_writers(app) == 1

"""The points ledger (BO §4.3): add, spend across several adds (earliest expiry first, none last,
then oldest), locked points, cancel, expiry by the store's calendar (before and after the jobs
worker marks it), refusals 1027-1029, the status figures against a hand-computed ledger, and
concurrent spends on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.mail.worker import DeliveryWorker
from app.stores import Store
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import bearer, document, error, post, registered_customer
from tests.mail_helpers import running_app

BERLIN = ZoneInfo("Europe/Berlin")


def _today(zone: ZoneInfo = BERLIN) -> date:
    return datetime.now(zone).date()


def _transfer(transfer_type: str, points: Any, **attributes: Any) -> dict[str, Any]:
    return document("points-transfers", {"transferType": transfer_type, "points": points, **attributes})


async def _send(client, headers, reference: str, body: dict[str, Any]):
    return await post(client, f"/backoffice/customers/{reference}/points-transfers", body, headers=headers)


async def _add(client, headers, reference: str, points: Any, **attributes: Any) -> dict[str, Any]:
    response = await _send(client, headers, reference, _transfer("add", points, **attributes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _spend(client, headers, reference: str, points: Any):
    return await _send(client, headers, reference, _transfer("spend", points))


async def _remaining(client, headers, reference: str, transfer_id: str) -> tuple[str, str]:
    response = await client.get(
        f"/backoffice/customers/{reference}/points-transfers/{transfer_id}", headers=headers
    )
    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    return attributes["remainingPoints"], attributes["state"]


async def _status(client, headers, reference: str) -> dict[str, Any]:
    response = await client.get(f"/backoffice/customers/{reference}/status", headers=headers)
    assert response.status_code == 200, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


async def _backdate(app, transfer_id: str, expires_on: date) -> None:
    """Time passes: the add's expiry date lies behind (the API takes none in the past)."""
    await app.state.services.db.execute(
        sa.text("UPDATE points_transfers SET expires_on = :day WHERE id = :id").bindparams(
            day=expires_on, id=transfer_id
        )
    )


async def _reference(client) -> str:
    customer, _ = await registered_customer(client)
    return str(customer["id"])


class TestAddAndSpend:
    async def test_an_add_is_created_with_its_attributes(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = await _reference(client)
        expires = (_today() + timedelta(days=60)).isoformat()
        locked = (_today() + timedelta(days=5)).isoformat()
        response = await _send(
            client,
            admin.headers,
            reference,
            _transfer("add", 100.5, comment="Welcome", expiresOn=expires, lockedUntil=locked),
        )
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert (
            response.headers["Location"]
            == data["links"]["self"]
            == (f"http://testserver/backoffice/customers/{reference}/points-transfers/{data['id']}")
        )
        attributes = dict(data["attributes"])
        assert attributes.pop("createdAt")
        assert attributes == {
            "transferType": "add",
            "points": "100.50",
            "comment": "Welcome",
            "expiresOn": expires,
            "lockedUntil": locked,
            "state": "active",
            "remainingPoints": "100.50",
            "actor": {"type": "operator", "id": admin.id},
            "canceledAt": None,
        }
        history = await client.get(
            f"/backoffice/customers/{reference}/history?filter[eventType]=PointsWereAdded",
            headers=admin.headers,
        )
        event = history.json()["data"][0]["attributes"]
        assert event["values"] == {
            "transferId": data["id"],
            "points": "100.50",
            "comment": "Welcome",
            "expiresOn": expires,
        }
        assert event["pointsBalance"] == "0.00"  # locked until then

    async def test_a_spend_takes_the_earliest_expiry_first_then_the_oldest_none_last(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = await _reference(client)
        never = await _add(client, admin.headers, reference, "50")
        late = await _add(
            client, admin.headers, reference, "30", expiresOn=(_today() + timedelta(days=90)).isoformat()
        )
        soon = await _add(
            client, admin.headers, reference, "20", expiresOn=(_today() + timedelta(days=10)).isoformat()
        )
        never_too = await _add(client, admin.headers, reference, "10")

        spent = await _spend(client, admin.headers, reference, "45.25")
        assert spent.status_code == 201, spent.text
        assert spent.json()["data"]["attributes"]["remainingPoints"] == "0.00"
        assert await _remaining(client, admin.headers, reference, soon["id"]) == ("0.00", "active")
        assert await _remaining(client, admin.headers, reference, late["id"]) == ("4.75", "active")
        assert await _remaining(client, admin.headers, reference, never["id"]) == ("50.00", "active")

        await _spend(client, admin.headers, reference, "54.75")  # late's 4.75, then the oldest undated
        assert await _remaining(client, admin.headers, reference, late["id"]) == ("0.00", "active")
        assert await _remaining(client, admin.headers, reference, never["id"]) == ("0.00", "active")
        assert await _remaining(client, admin.headers, reference, never_too["id"]) == ("10.00", "active")
        history = await client.get(
            f"/backoffice/customers/{reference}/history?filter[eventType]=PointsWereSpent",
            headers=admin.headers,
        )
        assert [item["attributes"]["pointsBalance"] for item in history.json()["data"]] == ["10.00", "64.75"]

    async def test_above_the_balance_is_1027_and_nothing_is_written(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = await _reference(client)
        added = await _add(client, admin.headers, reference, "10")
        await _add(
            client, admin.headers, reference, "90", lockedUntil=(_today() + timedelta(days=1)).isoformat()
        )
        refused = await _spend(client, admin.headers, reference, "10.01")
        assert refused.status_code == 422
        assert refused.json() == {"errors": [error(422, "1027", "Not enough points.")]}
        assert await _remaining(client, admin.headers, reference, added["id"]) == ("10.00", "active")
        listed = await client.get(
            f"/backoffice/customers/{reference}/points-transfers?filter[transferType]=spend",
            headers=admin.headers,
        )
        assert listed.json()["data"] == []
        assert listed.json()["meta"]["page"]["totalElements"] == 0

    async def test_invalid_transfers_are_901(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = await _reference(client)
        today = _today()

        async def problems(body: dict[str, Any]) -> list[tuple[str, str]]:
            response = await _send(client, admin.headers, reference, body)
            assert response.status_code == 422, response.text
            return [(item["source"]["pointer"], item["detail"]) for item in response.json()["errors"]]

        assert await problems(_transfer("gift", 0)) == [
            ("/data/attributes/points", "points => This value should be greater than 0."),
            (
                "/data/attributes/transferType",
                "transferType => The value you selected is not a valid choice.",
            ),
        ]
        assert await problems(_transfer("add", "1.234")) == [
            ("/data/attributes/points", "points => This value should be a number with at most two decimals.")
        ]
        assert await problems(_transfer("add", "100000000")) == [
            ("/data/attributes/points", "points => This value should be less than or equal to 99999999.99.")
        ]
        yesterday = (today - timedelta(days=1)).isoformat()
        assert await problems(_transfer("add", 1, expiresOn=yesterday, lockedUntil=today.isoformat())) == [
            (
                "/data/attributes/expiresOn",
                f"expiresOn => This value should be greater than or equal to {today}.",
            ),
            ("/data/attributes/lockedUntil", f"lockedUntil => This value should be greater than {today}."),
        ]
        expires = today + timedelta(days=3)
        assert await problems(
            _transfer("add", 1, expiresOn=expires.isoformat(), lockedUntil=expires.isoformat())
        ) == [("/data/attributes/lockedUntil", f"lockedUntil => This value should be less than {expires}.")]
        assert await problems(_transfer("spend", 1, expiresOn=expires.isoformat())) == [
            ("/data/attributes/expiresOn", "expiresOn => This field applies to adds only.")
        ]
        listed = await client.get(
            f"/backoffice/customers/{reference}/points-transfers", headers=admin.headers
        )
        assert listed.json()["data"] == []


class TestCancel:
    async def test_an_active_add_is_canceled_and_its_remainder_dropped(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = await _reference(client)
        added = await _add(client, admin.headers, reference, "40")
        spend = (await _spend(client, admin.headers, reference, "15")).json()["data"]
        path = f"/backoffice/customers/{reference}/points-transfers"
        canceled = await post(client, f"{path}/{added['id']}/cancel", None, headers=admin.headers)
        assert canceled.status_code == 204
        shown = (await client.get(f"{path}/{added['id']}", headers=admin.headers)).json()["data"][
            "attributes"
        ]
        assert (shown["state"], shown["remainingPoints"]) == ("canceled", "0.00")
        assert shown["canceledAt"] is not None
        status = await _status(client, admin.headers, reference)
        assert (status["points"], status["usedPoints"], status["totalEarnedPoints"]) == (
            "0.00",
            "15.00",
            "15.00",
        )

        not_cancelable = {"errors": [error(422, "1029", "This points transfer cannot be canceled.")]}
        again = await post(client, f"{path}/{added['id']}/cancel", None, headers=admin.headers)
        assert again.json() == not_cancelable
        a_spend = await post(client, f"{path}/{spend['id']}/cancel", None, headers=admin.headers)
        assert a_spend.json() == not_cancelable

    async def test_an_unknown_or_another_customers_transfer_is_1028(self, app, client):
        admin = await logged_in_operator(app, client)
        owner, other = await _reference(client), await _reference(client)
        added = await _add(client, admin.headers, owner, "5")
        not_found = {"errors": [error(404, "1028", "Points transfer not found.")]}
        for path in (
            f"/backoffice/customers/{other}/points-transfers/{added['id']}",
            f"/backoffice/customers/{owner}/points-transfers/00000000-0000-4000-8000-00000000dead",
        ):
            assert (await client.get(path, headers=admin.headers)).json() == not_found
            assert (await post(client, f"{path}/cancel", None, headers=admin.headers)).json() == not_found
        assert await _remaining(client, admin.headers, owner, added["id"]) == ("5.00", "active")


async def test_expiry_follows_the_store_calendar_before_and_after_the_worker(app, client, settings):
    admin = await logged_in_operator(app, client)
    reference = await _reference(client)
    lapsing = await _add(client, admin.headers, reference, "25", expiresOn=_today().isoformat())
    await _add(client, admin.headers, reference, "5")
    # Usable through its expiry date.
    assert (await _status(client, admin.headers, reference))["points"] == "30.00"
    await _backdate(app, lapsing["id"], _today() - timedelta(days=1))

    # Before the worker runs: no longer spendable, shown expired.
    status = await _status(client, admin.headers, reference)
    assert (status["points"], status["expiredPoints"]) == ("5.00", "25.00")
    assert await _remaining(client, admin.headers, reference, lapsing["id"]) == ("0.00", "expired")
    refused = await _spend(client, admin.headers, reference, "6")
    assert refused.json() == {"errors": [error(422, "1027", "Not enough points.")]}
    expired = await client.get(
        f"/backoffice/customers/{reference}/points-transfers?filter[state]=expired", headers=admin.headers
    )
    assert [item["id"] for item in expired.json()["data"]] == [lapsing["id"]]

    worker = DeliveryWorker(app.state.services.db, settings)
    try:
        assert await worker.run_jobs() == 1
        assert await worker.run_jobs() == 0
    finally:
        await worker.close()
    history = await client.get(
        f"/backoffice/customers/{reference}/history?filter[eventType]=PointsTransferWasExpired",
        headers=admin.headers,
    )
    events = [item["attributes"] for item in history.json()["data"]]
    assert [(event["actor"], event["values"]["transferId"], event["pointsBalance"]) for event in events] == [
        ({"type": "system", "id": None}, lapsing["id"], "5.00")
    ]
    assert await _status(client, admin.headers, reference) == status


async def test_the_first_valid_expiry_date_is_today_in_the_stores_time_zone(app_factory):
    # UTC+14: its date is a day ahead of UTC's for ten hours of every day.
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    stores = (Store("KI", "en_GB", ("en_GB",), "AUD", "Pacific/Kiritimati"),)
    async with running_app(app_factory, stores=stores) as (app, client):
        admin = await logged_in_operator(app, client)
        customer, _ = await registered_customer(client, locale="en_GB")
        today = _today(kiritimati)
        accepted = await _send(
            client, admin.headers, customer["id"], _transfer("add", 1, expiresOn=today.isoformat())
        )
        assert accepted.status_code == 201, accepted.text
        earlier = (today - timedelta(days=1)).isoformat()
        refused = await _send(client, admin.headers, customer["id"], _transfer("add", 1, expiresOn=earlier))
        assert refused.json()["errors"][0]["detail"] == (
            f"expiresOn => This value should be greater than or equal to {today}."
        )


async def test_the_status_figures_match_a_hand_computed_ledger(app, client):
    admin = await logged_in_operator(app, client)
    reference = await _reference(client)
    today = _today()
    in_10, in_20, in_45 = (today + timedelta(days=days) for days in (10, 20, 45))
    levels = [
        (
            await post(
                client,
                "/backoffice/levels",
                document(
                    "levels", {"store": "DE", "name": name, "conditionValue": value, "rewardPercent": percent}
                ),
                headers=admin.headers,
            )
        ).json()["data"]
        for name, value, percent in (("Bronze", 0, "1"), ("Silver", 20000, "2.5"))
    ]
    # The ledger:
    #   A  add 100, expires in 10 days        B  add 60, expires in 20 days
    #   C  add 40, expires in 45 days         D  add 30, locked until in 20 days, expires in 45 days
    #   E  add 25, expired yesterday (before G) F  add 50, canceled with nothing spent from it
    #   G  spend 120: A 100 (earliest), then B 20 -> A 0, B 40
    a = await _add(client, admin.headers, reference, "100", expiresOn=in_10.isoformat())
    await _add(client, admin.headers, reference, "60", expiresOn=in_20.isoformat())
    await _add(client, admin.headers, reference, "40", expiresOn=in_45.isoformat())
    await _add(
        client, admin.headers, reference, "30", expiresOn=in_45.isoformat(), lockedUntil=in_20.isoformat()
    )
    e = await _add(client, admin.headers, reference, "25", expiresOn=today.isoformat())
    f = await _add(client, admin.headers, reference, "50")
    await post(
        client,
        f"/backoffice/customers/{reference}/points-transfers/{f['id']}/cancel",
        None,
        headers=admin.headers,
    )
    await _backdate(app, e["id"], today - timedelta(days=1))
    assert (await _spend(client, admin.headers, reference, "120")).status_code == 201
    assert await _remaining(client, admin.headers, reference, a["id"]) == ("0.00", "active")

    status = await _status(client, admin.headers, reference)
    # points: B 40 + C 40 = 80; locked: D 30; used: 120; expired: E 25;
    # total earned: 100+60+40+30+25+50 - F's dropped 50 = 255 = 80 + 30 + 120 + 25;
    # expiring within 30 days: B 40 on in_20 (A is used up; C and D expire in 45 days).
    assert status == {
        "points": "80.00",
        "totalEarnedPoints": "255.00",
        "usedPoints": "120.00",
        "expiredPoints": "25.00",
        "lockedPoints": "30.00",
        "pointsExpiringNextMonth": "40.00",
        "pointsExpiringBreakdown": {in_20.isoformat(): "40.00"},
        "levelId": levels[0]["id"],
        "levelName": "Bronze",
        "levelRewardPercent": "1.00",
        "levelConditionValue": 0,
        "manuallyAssignedLevel": False,
        "nextLevelId": levels[1]["id"],
        "nextLevelName": "Silver",
        "nextLevelRewardPercent": "2.50",
        "nextLevelConditionValue": 20000,
        "transactionsAmountToNextLevelWithoutDeliveryCosts": 20000,
        "transactionsCount": 0,
        "transactionsAmount": 0,
        "transactionsAmountWithoutDeliveryCosts": 0,
        "averageTransactionAmount": 0,
        "lastTransactionDate": None,
        "currency": "EUR",
    }


async def test_the_customer_reads_its_own_status_and_transfers_only(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    other, _ = await registered_customer(client)
    await _add(client, admin.headers, customer["id"], "12")
    own = bearer(tokens["accessToken"])
    status = await client.get(f"/customers/{customer['id']}/status", headers=own)
    assert status.status_code == 200, status.text
    assert status.json()["data"]["links"]["self"] == f"http://testserver/customers/{customer['id']}/status"
    assert status.json()["data"]["attributes"]["points"] == "12.00"
    listed = await client.get(f"/customers/{customer['id']}/points-transfers", headers=own)
    assert [item["attributes"]["points"] for item in listed.json()["data"]] == ["12.00"]
    refused = {"errors": [error(403, "411", "Unauthorized request.")]}
    assert (await client.get(f"/customers/{other['id']}/status", headers=own)).json() == refused
    assert (await client.get(f"/customers/{other['id']}/points-transfers", headers=own)).json() == refused


async def test_a_seller_transfers_points_only_when_allowed(app, client):
    admin = await logged_in_operator(app, client)
    reference = await _reference(client)
    seller = await logged_in_operator(app, client, role="seller", permissions=())
    refused = await _send(client, seller.headers, reference, _transfer("add", 1))
    assert refused.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
    await app.state.services.db.execute(
        sa.text("UPDATE operators SET allow_point_transfer = true WHERE id = :id").bindparams(id=seller.id)
    )
    allowed = await _send(client, seller.headers, reference, _transfer("add", 1))
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["data"]["attributes"]["actor"] == {"type": "operator", "id": seller.id}
    cancel = await post(
        client,
        f"/backoffice/customers/{reference}/points-transfers/{allowed.json()['data']['id']}/cancel",
        None,
        headers=seller.headers,
    )
    assert cancel.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
    assert (await _status(client, admin.headers, reference))["points"] == "1.00"


async def test_concurrent_spends_never_take_the_balance_below_zero(app, client, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises every write; the row lock is PostgreSQL's")
    admin = await logged_in_operator(app, client)
    reference = await _reference(client)
    for points in ("40", "35", "25"):
        await _add(client, admin.headers, reference, points)
    answers = await asyncio.gather(*(_spend(client, admin.headers, reference, "30") for _ in range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 201, 201, 422, 422, 422, 422, 422]
    status = await _status(client, admin.headers, reference)
    assert (status["points"], status["usedPoints"]) == ("10.00", "90.00")
    row = await app.state.services.db.fetch_one(
        sa.text(
            "SELECT MIN(remaining_points), SUM(remaining_points) FROM points_transfers"
            " WHERE transfer_type = 'add'"
        )
    )
    assert row[0] >= 0 and row[1] == 10


async def test_erasing_a_customer_erases_its_ledger(app, client):
    admin = await logged_in_operator(app, client)
    reference = await _reference(client)
    await _add(client, admin.headers, reference, "3")
    erased = await client.delete(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert erased.status_code == 204, erased.text
    row = await app.state.services.db.fetch_one(sa.text("SELECT COUNT(*) FROM points_transfers"))
    assert row[0] == 0

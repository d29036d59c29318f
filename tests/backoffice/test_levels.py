"""Levels (BO §4.3): CRUD with every refusal, store scoping, manual assignment and its removal, and
the automatic level recomputed set-based on each level write (LevelWasRecalculated)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.stores import Store
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import document, error, patch, post, register
from tests.mail_helpers import running_app

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("CH", "de_CH", ("de_CH", "fr_CH"), "CHF", "Europe/Zurich"),
)


def _level(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "store": "DE",
        "name": "Gold",
        "conditionValue": 50000,
        "rewardPercent": "5.5",
        "translations": {"de": {"name": "Gold"}},
    }
    attributes.update(overrides)
    return document("levels", {key: value for key, value in attributes.items() if value is not ...})


async def _create(client, headers, **overrides: Any) -> dict[str, Any]:
    response = await post(client, "/backoffice/levels", _level(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _events(client, headers, reference: str, event_type: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/backoffice/customers/{reference}/history?filter[eventType]={event_type}", headers=headers
    )
    assert response.status_code == 200, response.text
    return [item["attributes"] for item in response.json()["data"]]


async def _customer(client, headers, reference: str) -> dict[str, Any]:
    response = await client.get(f"/backoffice/customers/{reference}", headers=headers)
    assert response.status_code == 200, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


async def _set_spent(app, reference: str, amount: int) -> None:
    """The aggregate the levels follow, as the orders service leaves it (its own tests cover that)."""
    await app.state.services.db.execute(
        sa.text(
            "UPDATE customers SET transactions_amount_without_delivery_costs = :amount"
            " WHERE reference = :reference"
        ).bindparams(amount=amount, reference=reference)
    )


class TestCrud:
    async def test_create_read_list_update_delete(self, app, client):
        admin = await logged_in_operator(app, client)
        created = await post(client, "/backoffice/levels", _level(), headers=admin.headers)
        assert created.status_code == 201, created.text
        level = created.json()["data"]
        assert created.headers["Location"] == f"http://testserver/backoffice/levels/{level['id']}"
        assert level["type"] == "levels"
        attributes = level["attributes"]
        assert {name: attributes[name] for name in ("store", "name", "conditionValue", "rewardPercent")} == {
            "store": "DE",
            "name": "Gold",
            "conditionValue": 50000,
            "rewardPercent": "5.50",
        }
        assert attributes["translations"] == {"de": {"name": "Gold"}}

        read = await client.get(f"/backoffice/levels/{level['id']}", headers=admin.headers)
        assert read.json()["data"] == level

        silver = await _create(client, admin.headers, name="Silver", conditionValue=10000, rewardPercent=2)
        listed = await client.get("/backoffice/levels?filter[store]=DE", headers=admin.headers)
        assert [item["id"] for item in listed.json()["data"]] == [silver["id"], level["id"]]

        changed = await patch(
            client,
            f"/backoffice/levels/{level['id']}",
            document("levels", {"name": "Platinum", "rewardPercent": 7, "store": "CH"}, level["id"]),
            admin.token,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["data"]["attributes"]["name"] == "Platinum"
        assert changed.json()["data"]["attributes"]["rewardPercent"] == "7.00"
        assert changed.json()["data"]["attributes"]["store"] == "DE"  # fixed

        deleted = await client.delete(f"/backoffice/levels/{level['id']}", headers=admin.headers)
        assert deleted.status_code == 204
        gone = await client.get(f"/backoffice/levels/{level['id']}", headers=admin.headers)
        assert gone.status_code == 404
        assert gone.json() == {"errors": [error(404, "1020", "Level not found.")]}

    async def test_a_taken_name_or_condition_value_is_1021_at_its_pointer(self, app, client):
        admin = await logged_in_operator(app, client)
        await _create(client, admin.headers)
        detail = "A level with this name or condition value already exists."
        same_name = await post(client, "/backoffice/levels", _level(conditionValue=1), headers=admin.headers)
        assert same_name.status_code == 422
        assert same_name.json() == {"errors": [error(422, "1021", detail, "/data/attributes/name")]}
        same_value = await post(client, "/backoffice/levels", _level(name="Other"), headers=admin.headers)
        assert same_value.json() == {
            "errors": [error(422, "1021", detail, "/data/attributes/conditionValue")]
        }
        other = await _create(client, admin.headers, name="Other", conditionValue=2)
        renamed = await patch(
            client, f"/backoffice/levels/{other['id']}", document("levels", {"name": "Gold"}), admin.token
        )
        assert renamed.json() == {"errors": [error(422, "1021", detail, "/data/attributes/name")]}
        assert (await client.get("/backoffice/levels", headers=admin.headers)).json()["data"][0][
            "attributes"
        ]["name"] == "Other"

    async def test_invalid_attributes_are_901_together(self, app, client):
        admin = await logged_in_operator(app, client)
        response = await post(
            client,
            "/backoffice/levels",
            _level(name=..., conditionValue=-1, rewardPercent="100.01", translations={"de": {"name": ""}}),
            headers=admin.headers,
        )
        assert response.status_code == 422
        assert response.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "conditionValue => This value should be greater than or equal to 0.",
                    "/data/attributes/conditionValue",
                ),
                error(422, "901", "name => This field is missing.", "/data/attributes/name"),
                error(
                    422,
                    "901",
                    "rewardPercent => This value should be less than or equal to 100.",
                    "/data/attributes/rewardPercent",
                ),
                error(
                    422,
                    "901",
                    "translations => Each translated name should have between 1 and 100 characters.",
                    "/data/attributes/translations",
                ),
            ]
        }
        three_decimals = await post(
            client, "/backoffice/levels", _level(rewardPercent="1.005"), headers=admin.headers
        )
        assert three_decimals.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "rewardPercent => This value should be a number with at most two decimals.",
                    "/data/attributes/rewardPercent",
                )
            ]
        }
        unknown_store = await post(client, "/backoffice/levels", _level(store="XX"), headers=admin.headers)
        assert unknown_store.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "store => The value you selected is not a valid choice.",
                    "/data/attributes/store",
                )
            ]
        }
        assert (await client.get("/backoffice/levels", headers=admin.headers)).json()["data"] == []

    async def test_an_unknown_level_is_1020_before_the_document(self, app, client):
        admin = await logged_in_operator(app, client)
        not_found = {"errors": [error(404, "1020", "Level not found.")]}
        unknown = "00000000-0000-4000-8000-00000000dead"
        assert (await client.get(f"/backoffice/levels/{unknown}", headers=admin.headers)).json() == not_found
        assert (
            await client.patch(
                f"/backoffice/levels/{unknown}",
                content=b"not json",
                headers={**admin.headers, "Content-Type": "application/vnd.api+json"},
            )
        ).json() == not_found
        assert (
            await client.delete(f"/backoffice/levels/{unknown}", headers=admin.headers)
        ).json() == not_found


async def test_another_stores_levels_are_out_of_sight(app_factory):
    async with running_app(app_factory, stores=STORES) as (app, client):
        everywhere = await logged_in_operator(app, client)
        german = await logged_in_operator(app, client, stores=["DE"])
        swiss = await _create(client, everywhere.headers, store="CH")
        not_found = {"errors": [error(404, "1020", "Level not found.")]}
        assert (
            await client.get(f"/backoffice/levels/{swiss['id']}", headers=german.headers)
        ).json() == not_found
        assert (
            await client.delete(f"/backoffice/levels/{swiss['id']}", headers=german.headers)
        ).json() == not_found
        refused = await post(client, "/backoffice/levels", _level(store="CH"), headers=german.headers)
        assert (
            refused.json()["errors"][0]["detail"] == "store => The value you selected is not a valid choice."
        )
        assert (await client.get("/backoffice/levels", headers=german.headers)).json()["data"] == []
        filtered = await client.get("/backoffice/levels?filter[store]=CH", headers=german.headers)
        assert filtered.status_code == 400
        assert filtered.json() == {
            "errors": [
                {
                    "status": "400",
                    "code": "011",
                    "detail": "Invalid query parameter.",
                    "source": {"parameter": "filter[store]"},
                }
            ]
        }
        listed = await client.get("/backoffice/levels?filter[store]=CH", headers=everywhere.headers)
        assert [item["id"] for item in listed.json()["data"]] == [swiss["id"]]


class TestAssignment:
    async def test_a_manual_level_is_assigned_kept_and_removed(self, app, client):
        admin = await logged_in_operator(app, client)
        customer = await register(client)
        reference = customer["id"]
        bronze = await _create(client, admin.headers, name="Bronze", conditionValue=0)
        gold = await _create(client, admin.headers)
        assert (await _customer(client, admin.headers, reference))["levelId"] == bronze["id"]

        assigned = await post(
            client,
            f"/backoffice/customers/{reference}/level",
            document("level-assignment", {"levelId": gold["id"]}),
            headers=admin.headers,
        )
        assert assigned.status_code == 204, assigned.text
        shown = await _customer(client, admin.headers, reference)
        assert (shown["levelId"], shown["manuallyAssignedLevel"]) == (gold["id"], True)
        events = await _events(client, admin.headers, reference, "LevelWasAssigned")
        assert [(event["values"], event["actor"]) for event in events] == [
            ({"levelId": gold["id"], "previousLevelId": bronze["id"]}, {"type": "operator", "id": admin.id})
        ]

        again = await post(
            client,
            f"/backoffice/customers/{reference}/level",
            document("level-assignment", {"levelId": gold["id"]}),
            headers=admin.headers,
        )
        assert again.status_code == 204
        assert len(await _events(client, admin.headers, reference, "LevelWasAssigned")) == 1

        # A level write leaves a manual level alone.
        await _create(client, admin.headers, name="Entry", conditionValue=1)
        assert (await _customer(client, admin.headers, reference))["levelId"] == gold["id"]

        held = await client.delete(f"/backoffice/levels/{gold['id']}", headers=admin.headers)
        assert held.status_code == 422
        assert held.json() == {"errors": [error(422, "1022", "Level is manually assigned to customers.")]}

        removed = await post(
            client, f"/backoffice/customers/{reference}/remove-manually-level", None, headers=admin.headers
        )
        assert removed.status_code == 204
        shown = await _customer(client, admin.headers, reference)
        assert (shown["levelId"], shown["manuallyAssignedLevel"]) == (bronze["id"], False)
        events = await _events(client, admin.headers, reference, "ManualLevelWasRemoved")
        assert [event["values"] for event in events] == [
            {"levelId": bronze["id"], "previousLevelId": gold["id"]}
        ]
        not_manual = await post(
            client, f"/backoffice/customers/{reference}/remove-manually-level", None, headers=admin.headers
        )
        assert not_manual.status_code == 422
        assert not_manual.json() == {
            "errors": [error(422, "1023", "Customer is not assigned to a level manually.")]
        }

    async def test_an_unknown_level_or_a_missing_id_is_901(self, app, client):
        admin = await logged_in_operator(app, client)
        reference = (await register(client))["id"]
        for attributes, message in (
            (
                {"levelId": "00000000-0000-4000-8000-00000000dead"},
                "The value you selected is not a valid choice.",
            ),
            ({}, "This field is missing."),
        ):
            response = await post(
                client,
                f"/backoffice/customers/{reference}/level",
                document("level-assignment", attributes),
                headers=admin.headers,
            )
            assert response.status_code == 422
            assert response.json() == {
                "errors": [error(422, "901", f"levelId => {message}", "/data/attributes/levelId")]
            }
        assert (await _customer(client, admin.headers, reference))["manuallyAssignedLevel"] is False

    async def test_an_unknown_customer_is_402_before_the_document(self, app, client):
        admin = await logged_in_operator(app, client)
        response = await post(
            client, "/backoffice/customers/DE--999/level", {"data": "nonsense"}, headers=admin.headers
        )
        assert response.status_code == 404
        assert response.json() == {"errors": [error(404, "402", "Customer not found.")]}


async def test_another_stores_level_is_no_choice(app_factory):
    async with running_app(app_factory, stores=STORES) as (app, client):
        admin = await logged_in_operator(app, client)
        swiss = await _create(client, admin.headers, store="CH")
        reference = (await register(client, locale="de_DE"))["id"]  # a customer of DE
        response = await post(
            client,
            f"/backoffice/customers/{reference}/level",
            document("level-assignment", {"levelId": swiss["id"]}),
            headers=admin.headers,
        )
        assert response.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "levelId => The value you selected is not a valid choice.",
                    "/data/attributes/levelId",
                )
            ]
        }


class TestRecalculation:
    async def test_each_level_write_moves_the_customers_that_earn_another_level(self, app, client):
        admin = await logged_in_operator(app, client)
        big, small, none = (
            (await register(client))["id"],
            (await register(client))["id"],
            (await register(client))["id"],
        )
        await _set_spent(app, big, 60000)
        await _set_spent(app, small, 15000)
        silver = await _create(client, admin.headers, name="Silver", conditionValue=10000)
        for reference in (big, small):
            assert (await _customer(client, admin.headers, reference))["levelId"] == silver["id"]
        assert (await _customer(client, admin.headers, none))["levelId"] is None

        gold = await _create(client, admin.headers)  # 50000
        assert (await _customer(client, admin.headers, big))["levelId"] == gold["id"]
        assert (await _customer(client, admin.headers, small))["levelId"] == silver["id"]
        events = await _events(client, admin.headers, big, "LevelWasRecalculated")
        assert [event["values"] for event in events] == [
            {"levelId": gold["id"], "previousLevelId": silver["id"]},
            {"levelId": silver["id"], "previousLevelId": None},
        ]
        assert events[0]["actor"] == {"type": "operator", "id": admin.id}
        assert await _events(client, admin.headers, none, "LevelWasRecalculated") == []

        # Raising gold's threshold above the big spender moves it back; deleting silver empties both.
        await patch(
            client,
            f"/backoffice/levels/{gold['id']}",
            document("levels", {"conditionValue": 70000}),
            admin.token,
        )
        assert (await _customer(client, admin.headers, big))["levelId"] == silver["id"]
        await client.delete(f"/backoffice/levels/{silver['id']}", headers=admin.headers)
        for reference in (big, small):
            assert (await _customer(client, admin.headers, reference))["levelId"] is None
        assert len(await _events(client, admin.headers, small, "LevelWasRecalculated")) == 2
        assert len(await _events(client, admin.headers, big, "LevelWasRecalculated")) == 4

    async def test_lowering_raising_past_another_level_and_deleting_leave_every_level_earned(
        self, app, client
    ):
        """A level write recomputes only the amounts it can move (from the lower of the old and new
        condition values to the next level above the higher one): after each write of a sequence
        that lowers, raises past other levels and deletes, every customer holds the level its
        amount earns, as a full recomputation from the levels would give."""
        admin = await logged_in_operator(app, client)
        amounts = [0, 5000, 9999, 10000, 15000, 49999, 50000, 60000, 99999, 100000, 120000]
        spenders = []
        for amount in amounts:
            reference = (await register(client))["id"]
            await _set_spent(app, reference, amount)
            spenders.append((reference, amount))
        conditions: dict[str, int] = {}

        async def check() -> None:
            for reference, amount in spenders:
                reached = [(value, level) for level, value in conditions.items() if value <= amount]
                expected = max(reached)[1] if reached else None
                assert (await _customer(client, admin.headers, reference))["levelId"] == expected, (
                    amount,
                    conditions,
                )

        async def change(level: str, value: int) -> None:
            response = await patch(
                client,
                f"/backoffice/levels/{level}",
                document("levels", {"conditionValue": value}),
                admin.token,
            )
            assert response.status_code == 200, response.text
            conditions[level] = value

        for name, value in (("A", 10000), ("B", 50000), ("C", 100000)):
            conditions[(await _create(client, admin.headers, name=name, conditionValue=value))["id"]] = value
            await check()
        a, b, c = list(conditions)
        await change(b, 8000)  # lowered below A
        await check()
        await change(b, 110000)  # raised past A and C
        await check()
        await change(a, 60000)  # raised past nothing, into B's old range
        await check()
        assert (await client.delete(f"/backoffice/levels/{c}", headers=admin.headers)).status_code == 204
        del conditions[c]
        await check()
        await change(b, 1)  # lowered below everyone but the customer without orders
        await check()

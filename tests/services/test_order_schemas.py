"""The ingest schema of orders (CB §1 money, §6.1 rules, §6.2 batches): every rule's 901 with its
detail and pointer, all of a document's errors at once."""

from __future__ import annotations

import pytest

from app.jsonapi import error_document
from errors import ApiError
from schemas.orders import load_order, load_order_batch, load_status_change
from tests.helpers import error
from tests.order_helpers import order_attributes

NOT_INTEGER = "This value should be of type integer."


def refusal(load, *args):
    with pytest.raises(ApiError) as refused:
        load(*args)
    return refused.value.status, error_document(refused.value)["errors"]


def invalid(pointer, message):
    return error(422, "901", f"{pointer.rsplit('/', 1)[-1]} => {message}", f"/data/attributes/{pointer}")


def test_the_seed_example_loads_with_its_offset():
    loaded = load_order(order_attributes("DE--7", orderNumber="100234"))
    assert loaded["order_number"] == "100234"
    assert loaded["order_date"].isoformat() == "2026-11-20T14:03:00+01:00"
    assert loaded["items"] == [{"sku": "A-1001", "name": "Drill", "quantity": 1, "unit_price": 11500}]


@pytest.mark.parametrize(
    ("overrides", "pointer", "message"),
    [
        ({"orderNumber": ""}, "orderNumber", "This value should not be blank."),
        ({"orderNumber": "a" * 65}, "orderNumber", "This value is not valid."),
        ({"orderNumber": "10 02"}, "orderNumber", "This value is not valid."),
        ({"orderNumber": "Ä1"}, "orderNumber", "This value is not valid."),
        ({"orderNumber": ...}, "orderNumber", "This field is missing."),
        ({"customerReference": ...}, "customerReference", "This field is missing."),
        ({"orderDate": "2026-11-20T14:03:00"}, "orderDate", "This value is not a valid datetime."),
        ({"orderDate": "2026-11-20"}, "orderDate", "This value is not a valid datetime."),
        ({"orderDate": "2026-13-20T14:03:00Z"}, "orderDate", "This value is not a valid datetime."),
        ({"orderDate": 1700000000}, "orderDate", "This value is not a valid datetime."),
        ({"status": "lost"}, "status", "The value you selected is not a valid choice."),
        ({"status": None}, "status", "This value should not be blank."),
        ({"currencyIsoCode": ...}, "currencyIsoCode", "This field is missing."),
        ({"totals": 5}, "totals", "This value should be of type object."),
        ({"totals": {"grandTotal": 100}}, "totals/deliveryCosts", "This field is missing."),
        ({"totals": {"grandTotal": 100.5, "deliveryCosts": 0}}, "totals/grandTotal", NOT_INTEGER),
        ({"totals": {"grandTotal": 1e3, "deliveryCosts": 0}}, "totals/grandTotal", NOT_INTEGER),
        ({"totals": {"grandTotal": 100.0, "deliveryCosts": 0}}, "totals/grandTotal", NOT_INTEGER),
        ({"totals": {"grandTotal": "100", "deliveryCosts": 0}}, "totals/grandTotal", NOT_INTEGER),
        ({"totals": {"grandTotal": True, "deliveryCosts": 0}}, "totals/grandTotal", NOT_INTEGER),
        (
            {"totals": {"grandTotal": -1, "deliveryCosts": 0}},
            "totals/grandTotal",
            "This value should be greater than or equal to 0.",
        ),
        (
            {"totals": {"grandTotal": 10_000_000_000, "deliveryCosts": 0}},
            "totals/grandTotal",
            "This value should be less than or equal to 9999999999.",
        ),
        (
            {"totals": {"grandTotal": 100, "deliveryCosts": 101}},
            "totals/deliveryCosts",
            "This value should be less than or equal to 100.",
        ),
        ({"items": []}, "items", "This collection should contain 1 element or more."),
        (
            {"items": [{"sku": "s", "name": "n", "quantity": 1, "unitPrice": 1}] * 501},
            "items",
            "This collection should contain 500 elements or less.",
        ),
        ({"items": {"sku": "s"}}, "items", "This value should be of type array."),
        (
            {"items": [{"sku": "", "name": "n", "quantity": 1, "unitPrice": 1}]},
            "items/0/sku",
            "This value should not be blank.",
        ),
        (
            {"items": [{"sku": "s" * 65, "name": "n", "quantity": 1, "unitPrice": 1}]},
            "items/0/sku",
            "This value is too long. It should have 64 characters or less.",
        ),
        (
            {"items": [{"sku": "s", "name": "n" * 256, "quantity": 1, "unitPrice": 1}]},
            "items/0/name",
            "This value is too long. It should have 255 characters or less.",
        ),
        (
            {"items": [{"sku": "s", "name": "n", "quantity": 0, "unitPrice": 1}]},
            "items/0/quantity",
            "This value should be greater than or equal to 1.",
        ),
        (
            {"items": [{"sku": "s", "name": "n", "quantity": 1_000_001, "unitPrice": 1}]},
            "items/0/quantity",
            "This value should be less than or equal to 1000000.",
        ),
        (
            {"items": [{"sku": "s", "name": "n", "quantity": 1.5, "unitPrice": 1}]},
            "items/0/quantity",
            NOT_INTEGER,
        ),
        (
            {"items": [{"sku": "s", "name": "n", "quantity": 1}]},
            "items/0/unitPrice",
            "This field is missing.",
        ),
        ({"items": ["drill"]}, "items/0", "This value should be of type object."),
        ({"locale": ""}, "locale", "This value should not be blank."),
        ({"sourceUpdatedAt": ...}, "sourceUpdatedAt", "This field is missing."),
        ({"sourceUpdatedAt": "yesterday"}, "sourceUpdatedAt", "This value is not a valid datetime."),
    ],
)
def test_each_rule_is_901_at_its_pointer(overrides, pointer, message):
    assert refusal(load_order, order_attributes("DE--7", **overrides)) == (422, [invalid(pointer, message)])


def test_every_error_of_a_document_comes_at_once_in_pointer_order():
    attributes = order_attributes(
        "DE--7",
        orderNumber="",
        status="lost",
        items=[{"sku": "s", "name": "n", "quantity": 0, "unitPrice": -1}],
    )
    assert refusal(load_order, attributes) == (
        422,
        [
            invalid("items/0/quantity", "This value should be greater than or equal to 1."),
            invalid("items/0/unitPrice", "This value should be greater than or equal to 0."),
            invalid("orderNumber", "This value should not be blank."),
            invalid("status", "The value you selected is not a valid choice."),
        ],
    )


class TestBatch:
    def test_rows_load_in_order(self):
        rows = load_order_batch({"orders": [order_attributes("DE--7"), order_attributes("DE--8")]}, 500)
        assert [row["customer_reference"] for row in rows] == ["DE--7", "DE--8"]

    def test_every_bad_row_is_reported_under_its_index(self):
        rows = [order_attributes("DE--7") for _ in range(12)]
        rows[3]["status"] = "lost"
        rows[10]["totals"] = {"grandTotal": 1, "deliveryCosts": 2}
        rows[11]["orderNumber"] = rows[0]["orderNumber"]
        assert refusal(load_order_batch, {"orders": rows}, 500) == (
            422,
            [
                invalid("orders/3/status", "The value you selected is not a valid choice."),
                invalid("orders/10/totals/deliveryCosts", "This value should be less than or equal to 1."),
                invalid("orders/11/orderNumber", "This value is already used."),
            ],
        )

    @pytest.mark.parametrize(
        ("attributes", "message"),
        [
            ({}, "This field is missing."),
            ({"orders": []}, "This collection should contain 1 element or more."),
            ({"orders": {}}, "This value should be of type array."),
            ({"orders": [{}] * 4}, "This collection should contain 3 elements or less."),
        ],
    )
    def test_the_batch_size_is_bounded(self, attributes, message):
        assert refusal(load_order_batch, attributes, 3) == (422, [invalid("orders", message)])

    def test_a_row_that_is_no_object_is_901(self):
        assert refusal(load_order_batch, {"orders": [order_attributes("DE--7"), "x"]}, 500) == (
            422,
            [invalid("orders/1", "This value should be of type object.")],
        )


def test_a_status_change_needs_a_status_and_its_source_time():
    assert refusal(load_status_change, {"status": "lost"}) == (
        422,
        [
            invalid("sourceUpdatedAt", "This field is missing."),
            invalid("status", "The value you selected is not a valid choice."),
        ],
    )
    loaded = load_status_change({"status": "cancelled", "sourceUpdatedAt": "2026-11-21T08:00:00Z"})
    assert loaded["status"] == "cancelled" and loaded["source_updated_at"].utcoffset().total_seconds() == 0

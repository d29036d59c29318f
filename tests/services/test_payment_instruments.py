"""Payment instruments (CB §7): the upsert's outcomes, 1131/1132, and the card-data refusal (1140)
by every rule, with the refused value in no table, no log line and no error."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from app.jsonapi import error_document
from app.tables import metadata
from errors import ApiError
from schemas.payment_instruments import load_payment_instrument, luhn_valid
from tests.helpers import error, register
from tests.order_helpers import instrument_attributes, luhn_complete

CARD = "4111 1111 1111 1111"
REFUSED = error(422, "1140", "Card numbers and security codes must not be sent.")


def refused_at(pointer):
    return {**REFUSED, "source": {"pointer": f"/data/attributes/{pointer}"}}


def refusal(attributes):
    with pytest.raises(ApiError) as refused:
        load_payment_instrument(attributes)
    return error_document(refused.value)["errors"]


class TestCardData:
    @pytest.mark.parametrize(
        "name",
        [
            "cvv",
            "CVC",
            "cvv2",
            "cvc_2",
            "cid",
            "securityCode",
            "card-security-code",
            "cardNumber",
            "full_card_number",
            "PAN",
            "number",
        ],
    )
    def test_a_card_attribute_name_is_refused_whatever_its_value(self, name):
        assert refusal(instrument_attributes("DE--1", **{name: "123"})) == [refused_at(name)]

    def test_a_card_attribute_name_nested_is_refused(self):
        attributes = instrument_attributes("DE--1", details={"card": {"cvc": "123"}})
        assert refusal(attributes) == [refused_at("details/card/cvc")]

    @pytest.mark.parametrize(
        "value",
        [
            "4111111111111111",
            CARD,
            "4111-1111-1111-1111",
            "card 4111 1111 1111 1111 ok",
            "378282246310005",
            "6011111111111117",
            "4222222222222",
        ],
    )
    def test_a_luhn_valid_digit_run_in_any_string_is_refused(self, value):
        assert refusal(instrument_attributes("DE--1", brand=value)) == [refused_at("brand")]

    def test_a_card_number_nested_in_a_list_or_as_a_json_number_is_refused(self):
        attributes = instrument_attributes("DE--1", notes=["fine", {"text": CARD}], raw=4111111111111111)
        assert refusal(attributes) == [refused_at("notes/1/text"), refused_at("raw")]

    @pytest.mark.parametrize(
        "value",
        [
            "4111111111111112",  # fails Luhn
            "41111111111",  # 11 digits
            "41111111111111111111",  # 20 digits
            "4111  1111 1111 1111",  # a double space splits it into runs too short
            "2026-11-20T14:03:00+01:00",
        ],
    )
    def test_what_is_not_a_card_number_passes(self, value):
        assert load_payment_instrument(instrument_attributes("DE--1", comment=value))

    def test_a_provider_token_that_is_the_card_itself_is_refused(self):
        card = luhn_complete("513659", "5354")
        assert luhn_valid(card)
        attributes = instrument_attributes("DE--1", providerToken=card, maskedCardNumber="513659******5354")
        assert refusal(attributes) == [refused_at("providerToken")]

    def test_a_numeric_provider_token_that_passes_luhn_by_chance_is_kept(self):
        token = luhn_complete("840000", "0001")
        loaded = load_payment_instrument(instrument_attributes("DE--1", providerToken=token))
        assert loaded["provider_token"] == token

    def test_the_masked_number_itself_is_not_card_data(self):
        loaded = load_payment_instrument(instrument_attributes("DE--1", maskedCardNumber="513659XXXXXX5354"))
        assert loaded["masked_card_number"] == "513659xxxxxx5354"


class TestRules:
    def test_normal_forms(self):
        loaded = load_payment_instrument(
            instrument_attributes(
                "DE--1", expirationMonth="03", expirationYear="2031", maskedCardNumber="411111**1111"
            )
        )
        assert (loaded["expiration_month"], loaded["expiration_year"], loaded["masked_card_number"]) == (
            3,
            2031,
            "411111xx1111",
        )

    @pytest.mark.parametrize(
        ("attribute", "value"),
        [
            ("provider", "Adyen"),
            ("provider", "a" * 65),
            ("providerToken", "tök"),
            ("providerToken", "t" * 256),
            ("brand", "B" * 33),
            ("maskedCardNumber", "5136595354"),
            ("maskedCardNumber", "513659xxxxxxxxxx5354"),
            ("maskedCardNumber", "51365-xxxxxx5354"),
            ("expirationMonth", "13"),
            ("expirationMonth", "0"),
            ("expirationMonth", 3),
            ("expirationYear", "1999"),
            ("expirationYear", "2100"),
            ("expirationYear", "202"),
        ],
    )
    def test_a_value_out_of_its_rule_is_901(self, attribute, value):
        assert refusal(instrument_attributes("DE--1", **{attribute: value}))[0]["code"] == "901"
        assert refusal(instrument_attributes("DE--1", **{attribute: value}))[0]["source"] == {
            "pointer": f"/data/attributes/{attribute}"
        }

    def test_missing_attributes_are_901_each(self):
        attributes = instrument_attributes("DE--1", brand=..., expirationYear=...)
        assert refusal(attributes) == [
            error(422, "901", "brand => This field is missing.", "/data/attributes/brand"),
            error(422, "901", "expirationYear => This field is missing.", "/data/attributes/expirationYear"),
        ]


async def _all_rows_text(app) -> str:
    db = app.state.services.db
    dumped = []
    for table in metadata.sorted_tables:
        rows = await db.fetch_all(sa.select(table))
        dumped.extend(str(dict(row._mapping)) for row in rows)
    return "\n".join(dumped)


async def test_a_refused_card_number_is_in_no_table_no_log_line_and_no_error(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    customer = await register(client)
    security_code = "sc-737-never-kept"  # distinctive: a bare 737 turns up in debug logs' addresses
    attributes = instrument_attributes(customer["id"], brand=CARD, cvv=security_code)
    with pytest.raises(ApiError) as refused:
        await app.state.services.payment_instruments.upsert(
            app.state.services.stores.default, load_payment_instrument(attributes)
        )
    answer = json.dumps(error_document(refused.value))
    stored = await _all_rows_text(app)
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    for text in (answer, stored, logged):
        assert CARD not in text and CARD.replace(" ", "") not in text and security_code not in text
    assert json.loads(answer)["errors"] == [refused_at("brand"), refused_at("cvv")]


class TestUpsert:
    async def test_created_then_unchanged_then_updated(self, app, client):
        customer = await register(client)
        service, store = app.state.services.payment_instruments, app.state.services.stores.default
        attributes = instrument_attributes(customer["id"], providerToken="tok_1")
        created = await service.upsert(store, load_payment_instrument(attributes))
        again = await service.upsert(store, load_payment_instrument(attributes))
        changed = await service.upsert(store, load_payment_instrument({**attributes, "expirationYear": "30"}))
        assert [created.outcome, again.outcome, changed.outcome] == ["created", "unchanged", "updated"]
        assert created.instrument.id == again.instrument.id == changed.instrument.id
        assert changed.instrument.expiration_year == 2030

    async def test_another_customers_token_is_1132_and_an_unknown_customer_1131(self, app, client):
        owner, other = await register(client), await register(client)
        service, store = app.state.services.payment_instruments, app.state.services.stores.default
        await service.upsert(
            store, load_payment_instrument(instrument_attributes(owner["id"], providerToken="t"))
        )
        with pytest.raises(ApiError) as theirs:
            await service.upsert(
                store, load_payment_instrument(instrument_attributes(other["id"], providerToken="t"))
            )
        assert error_document(theirs.value)["errors"] == [
            error(409, "1132", "The record belongs to another customer.", "/data/attributes/providerToken")
        ]
        with pytest.raises(ApiError) as unknown:
            await service.upsert(store, load_payment_instrument(instrument_attributes("DE--999")))
        assert error_document(unknown.value)["errors"] == [
            error(422, "1131", "Customer not found in this store.", "/data/attributes/customerReference")
        ]

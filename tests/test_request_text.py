"""Text a request may carry: what cannot be stored, or is not the documented format, is a 4xx."""

from __future__ import annotations

import json

import pytest

from tests.helpers import JSON_API, document, error, post, registration


def _invalid(attribute: str, message: str) -> dict[str, str]:
    return error(422, "901", f"{attribute} => {message}", f"/data/attributes/{attribute}")


@pytest.mark.parametrize("attribute", ["firstName", "lastName"])
async def test_registration_with_a_nul_character_is_refused_with_901(client, attribute):
    response = await post(
        client, "/customers", document("customers", registration(**{attribute: "Jo\x00hn"}))
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [_invalid(attribute, "This value should not contain the NUL character.")]
    }


async def test_login_with_a_nul_character_is_refused_with_901(client):
    attributes = {"username": "jdoe\x00@example.com", "password": "Correct-Horse-7"}
    response = await post(client, "/access-tokens", document("access-tokens", attributes))
    assert response.status_code == 422
    assert response.json() == {
        "errors": [_invalid("username", "This value should not contain the NUL character.")]
    }


async def test_an_unpaired_surrogate_escape_is_not_a_valid_document(client):
    body = document("customers", registration(firstName="SURROGATE"))
    raw = json.dumps(body).replace("SURROGATE", "\\ud800x")
    response = await client.post("/customers", content=raw, headers={"Content-Type": JSON_API})
    assert response.status_code == 400
    assert response.json() == {"errors": [error(400, "013", "Post data is invalid.")]}


@pytest.mark.parametrize("value", ["2000-1-5", "\u0662\u0660\u0660\u0660-01-01", "2000-01-01\n", "20000101"])
async def test_a_birth_date_other_than_yyyy_mm_dd_is_refused_with_901(client, value):
    response = await post(client, "/customers", document("customers", registration(dateOfBirth=value)))
    assert response.status_code == 422
    assert response.json() == {"errors": [_invalid("dateOfBirth", "This value is not a valid date.")]}


async def test_an_email_with_a_local_part_above_64_characters_is_refused_with_901(client):
    response = await post(
        client, "/customers", document("customers", registration(email="a" * 65 + "@example.com"))
    )
    assert response.status_code == 422
    assert response.json() == {"errors": [_invalid("email", "This value is not a valid email address.")]}


async def test_token_request_with_a_nul_character_is_an_invalid_request(client):
    form = {"grant_type": "password", "username": "jdoe\x00@example.com", "password": "Correct-Horse-7"}
    response = await client.post("/token", data=form)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter username is repeated or not text.",
    }


async def test_a_local_part_is_measured_in_utf8_octets(client):
    response = await post(
        client, "/customers", document("customers", registration(email="ä" * 33 + "@example.com"))
    )
    assert response.json() == {"errors": [_invalid("email", "This value is not a valid email address.")]}
    accepted = await post(
        client, "/customers", document("customers", registration(email="ä" * 32 + "@example.com"))
    )
    assert accepted.status_code == 201

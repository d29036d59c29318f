"""BO §1: two faces in one process; GLUE_FACES serves one; neither takes the other's tokens."""

from __future__ import annotations

import httpx
import pytest

from app.settings import Settings, SettingsError
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import bearer, error, registered_customer


async def test_the_storefront_refuses_an_operator_token_and_the_back_office_a_customer_token(app, client):
    operator = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)

    storefront = await client.get(f"/customers/{customer['id']}", headers=operator.headers)
    backoffice = await client.get("/backoffice/operators", headers=bearer(tokens["accessToken"]))

    assert storefront.status_code == backoffice.status_code == 401
    assert storefront.json() == backoffice.json() == {"errors": [error(401, "001", "Invalid access token.")]}


async def test_back_office_paths_without_a_token_are_002(client):
    response = await client.get("/backoffice/operators")
    assert response.status_code == 403
    assert response.json() == {"errors": [error(403, "002", "Missing access token.")]}


async def _get(app, path: str) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.get(path)


async def test_a_process_serving_only_the_back_office_answers_storefront_paths_404(app_factory):
    app = app_factory(faces=("backoffice",))
    assert (await _get(app, "/customers")).json() == {"errors": [error(404, "007", "Not found.")]}
    assert (await _get(app, "/backoffice/operators")).status_code == 403  # served: the token is missing
    assert (await _get(app, "/.well-known/jwks.json")).status_code == 200
    assert (await _get(app, "/health/live")).status_code == 200


async def test_a_process_serving_only_the_storefront_answers_back_office_paths_404(app_factory):
    app = app_factory(faces=("storefront",))
    assert (await _get(app, "/backoffice/operators")).json() == {"errors": [error(404, "007", "Not found.")]}
    assert (await _get(app, "/stores")).status_code == 200


def test_glue_faces_names_one_or_both_faces_and_a_bad_value_stops_the_start():
    assert Settings.from_environment({"GLUE_FACES": "backoffice"}).faces == ("backoffice",)
    assert Settings.from_environment({}).faces == ("storefront", "backoffice")
    for bad in ("", "admin", "storefront,storefront"):
        with pytest.raises(SettingsError, match="GLUE_FACES"):
            Settings.from_environment({"GLUE_FACES": bad})
    with pytest.raises(SettingsError, match="GLUE_BACKOFFICE_JWT_AUDIENCE"):
        Settings(backoffice_jwt_audience="glue-storefront")

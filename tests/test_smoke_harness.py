from __future__ import annotations

from tests.helpers import bearer, registered_customer


async def test_registered_customer_reads_own_profile(client):
    customer, tokens = await registered_customer(client)
    response = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
    assert response.status_code == 200
    assert response.json()["data"]["id"] == customer["id"]

"""The storefront's route table: every path, its methods, their endpoints and access rules."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from app.access import CUSTOMER, OWNER, OWNER_OR_NOT_FOUND, PUBLIC
from app.routing import resource_route
from errors import catalogue
from resources.refusals import refuse_with
from resources.storefront import addresses, confirmations, customers, oauth, passwords, tokens

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        resource_route(
            "/customers",
            {
                "GET": (customers.list_customers, CUSTOMER),
                "POST": (customers.create_customer, PUBLIC),
                # Glue's row for 015: PATCH and DELETE on a collection path name no resource.
                "PATCH": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
                "DELETE": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
            },
        ),
        resource_route(
            "/customers/{reference}",
            {
                "GET": (customers.get_customer, OWNER_OR_NOT_FOUND),
                "PATCH": (customers.update_customer, OWNER),
                "DELETE": (customers.delete_customer, OWNER),
            },
        ),
        resource_route(
            "/customers/{reference}/addresses",
            {
                "GET": (addresses.list_addresses, OWNER),
                "POST": (addresses.create_address, OWNER),
                "PATCH": (refuse_with(catalogue.ADDRESS_ID_MISSING), OWNER),
                "DELETE": (refuse_with(catalogue.ADDRESS_ID_MISSING), OWNER),
            },
        ),
        # An empty reference (``/customers//addresses``): Glue's 405, after the token is checked as
        # on every customer-scoped path.
        resource_route(
            "/customers//addresses",
            {
                method: (refuse_with(catalogue.CUSTOMER_REFERENCE_MISSING), CUSTOMER)
                for method in ("GET", "POST", "PATCH", "DELETE")
            },
        ),
        resource_route(
            "/customers//addresses/{address_id}",
            {
                method: (refuse_with(catalogue.CUSTOMER_REFERENCE_MISSING), CUSTOMER)
                for method in ("GET", "PATCH", "DELETE")
            },
        ),
        resource_route(
            "/customers/{reference}/addresses/{address_id}",
            {
                "GET": (addresses.get_address, OWNER),
                "PATCH": (addresses.update_address, OWNER),
                "DELETE": (addresses.delete_address, OWNER),
            },
        ),
        resource_route("/access-tokens", {"POST": (tokens.create_access_token, PUBLIC)}),
        resource_route(
            "/refresh-tokens",
            {
                "POST": (tokens.create_refresh_token, PUBLIC),
                "DELETE": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
            },
        ),
        resource_route("/refresh-tokens/{token}", {"DELETE": (tokens.revoke_refresh_token, CUSTOMER)}),
        resource_route("/customer-password", {"PATCH": (passwords.change_password, OWNER)}),
        resource_route("/customer-password/{reference}", {"PATCH": (passwords.change_password, OWNER)}),
        resource_route("/customer-forgotten-password", {"POST": (passwords.forgotten_password, PUBLIC)}),
        resource_route("/customer-restore-password", {"PATCH": (passwords.restore_password, PUBLIC)}),
        resource_route("/customer-restore-password/{key}", {"PATCH": (passwords.restore_password, PUBLIC)}),
        resource_route("/customer-confirmation", {"POST": (confirmations.confirm_customer, PUBLIC)}),
        # OAuth 2.0 endpoints speak RFC 6749's errors, not JSON:API; their clients are public.
        Route("/token", oauth.token, methods=["POST"]),
        Route("/token/revoke", oauth.revoke, methods=["POST"]),
        Route(
            "/.well-known/oauth-authorization-server", oauth.authorization_server_metadata, methods=["GET"]
        ),
        Route("/.well-known/jwks.json", oauth.jwks, methods=["GET"]),
    ]

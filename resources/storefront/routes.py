"""The storefront's route table: every path, its methods, their endpoints and access rules.

Every storefront route answers in the store the ``Store`` header names (``storefront_checks``, run
before each access rule); ``/token`` and ``/token/revoke`` resolve it themselves, the
``/.well-known`` documents ignore it."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import BaseRoute, Route

from app.access import (
    COMPANY_ADMIN,
    COMPANY_ADMIN_OR_SELF,
    COMPANY_MEMBER,
    CUSTOMER,
    OWNER,
    OWNER_OR_NOT_FOUND,
    PUBLIC,
    Access,
    storefront_checks,
)
from app.routing import EdgeRule, Endpoint, ResourceRoute, resource_route
from errors import catalogue
from resources import exports
from resources.backoffice import customer_status as backoffice_customer_status
from resources.backoffice import points_transfers as backoffice_points_transfers
from resources.refusals import refuse_with
from resources.storefront import (
    access_requests,
    activation,
    addresses,
    avatars,
    companies,
    company_user_tokens,
    company_users,
    confirmations,
    customers,
    oauth,
    orders,
    passwords,
    payment_instruments,
    push_tokens,
    stores,
    tokens,
)
from resources.uploads import avatar_body_limit

__all__ = ["routes"]


def _route(path: str, handlers: Mapping[str, tuple[Endpoint, Access]]) -> ResourceRoute:
    return resource_route(path, handlers, face_check=storefront_checks)


def routes() -> list[BaseRoute]:
    return [
        _route(
            "/customers",
            {
                "GET": (customers.list_customers, CUSTOMER),
                "POST": (customers.create_customer, PUBLIC),
                # Glue's row for 015: PATCH and DELETE on a collection path name no resource.
                "PATCH": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
                "DELETE": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
            },
        ),
        _route(
            "/customers/{reference}",
            {
                "GET": (customers.get_customer, OWNER_OR_NOT_FOUND),
                "PATCH": (customers.update_customer, OWNER),
                "DELETE": (customers.delete_customer, OWNER),
            },
        ),
        _route("/customers/{reference}/data-export", {"GET": (exports.storefront_export, OWNER)}),
        _route(
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
        _route(
            "/customers//addresses",
            {
                method: (refuse_with(catalogue.CUSTOMER_REFERENCE_MISSING), CUSTOMER)
                for method in ("GET", "POST", "PATCH", "DELETE")
            },
        ),
        _route(
            "/customers//addresses/{address_id}",
            {
                method: (refuse_with(catalogue.CUSTOMER_REFERENCE_MISSING), CUSTOMER)
                for method in ("GET", "PATCH", "DELETE")
            },
        ),
        _route(
            "/customers/{reference}/addresses/{address_id}",
            {
                "GET": (addresses.get_address, OWNER),
                "PATCH": (addresses.update_address, OWNER),
                "DELETE": (addresses.delete_address, OWNER),
            },
        ),
        _route("/customers/{reference}/orders", {"GET": (orders.list_orders, OWNER)}),
        _route("/customers/{reference}/orders/{order_number}", {"GET": (orders.get_order, OWNER)}),
        _route(
            "/customers/{reference}/payment-instruments",
            {"GET": (payment_instruments.list_payment_instruments, OWNER)},
        ),
        _route(
            "/customers/{reference}/payment-instruments/{instrument_id}",
            {
                "GET": (payment_instruments.get_payment_instrument, OWNER),
                "DELETE": (payment_instruments.delete_payment_instrument, OWNER),
            },
        ),
        # The avatar is an upload (its own media types and body limit) and an image served as it
        # is, whatever Accept says.
        resource_route(
            "/customers/{reference}/avatar",
            {
                "PUT": (avatars.put_avatar, OWNER),
                "GET": (avatars.get_avatar, OWNER),
                "DELETE": (avatars.delete_avatar, OWNER),
            },
            face_check=avatars.avatar_checks,
            edge_rules={"PUT": EdgeRule(body_limit=avatar_body_limit), "GET": EdgeRule(ignores_accept=True)},
        ),
        _route(
            "/customers/{reference}/push-tokens",
            {
                "GET": (push_tokens.list_push_tokens, OWNER),
                "POST": (push_tokens.create_push_token, OWNER),
            },
        ),
        _route(
            "/customers/{reference}/push-tokens/{token_id}",
            {"DELETE": (push_tokens.delete_push_token, OWNER)},
        ),
        _route(
            "/customers/{reference}/credential-confirmation",
            {"POST": (activation.confirm_credential_change, OWNER)},
        ),
        _route("/access-tokens", {"POST": (tokens.create_access_token, PUBLIC)}),
        _route(
            "/refresh-tokens",
            {
                "POST": (tokens.create_refresh_token, PUBLIC),
                "DELETE": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
            },
        ),
        _route("/refresh-tokens/{token}", {"DELETE": (tokens.revoke_refresh_token, CUSTOMER)}),
        _route("/customer-password", {"PATCH": (passwords.change_password, OWNER)}),
        _route("/customer-password/{reference}", {"PATCH": (passwords.change_password, OWNER)}),
        _route("/customer-forgotten-password", {"POST": (passwords.forgotten_password, PUBLIC)}),
        _route("/customer-restore-password", {"PATCH": (passwords.restore_password, PUBLIC)}),
        _route("/customer-restore-password/{key}", {"PATCH": (passwords.restore_password, PUBLIC)}),
        _route("/customer-confirmation", {"POST": (confirmations.confirm_customer, PUBLIC)}),
        _route("/customer-sms-confirmation", {"POST": (activation.confirm_by_sms, PUBLIC)}),
        _route("/customer-confirmation-resend", {"POST": (activation.resend_confirmation, PUBLIC)}),
        _route("/stores", {"GET": (stores.list_stores, PUBLIC)}),
        _route("/stores/{code}", {"GET": (stores.get_store, PUBLIC)}),
        # BO §4.3: the customer's own points transfers and status (the back-office's resources).
        _route(
            "/customers/{reference}/points-transfers",
            {"GET": (backoffice_points_transfers.list_own_transfers, OWNER)},
        ),
        _route("/customers/{reference}/status", {"GET": (backoffice_customer_status.get_own_status, OWNER)}),
        # Companies and company users (CB §4): a company token on the company paths (1102 for a
        # customer token), an admin's role where it says so (1103).
        _route("/company-users/mine", {"GET": (company_users.list_my_company_users, CUSTOMER)}),
        _route(
            "/company-user-access-tokens",
            {"POST": (company_user_tokens.create_company_user_access_token, CUSTOMER)},
        ),
        _route("/companies/{company_id}", {"GET": (companies.get_company, COMPANY_MEMBER)}),
        _route("/company-users", {"GET": (company_users.list_company_users, COMPANY_ADMIN)}),
        _route(
            "/company-users/{company_user_id}",
            {
                "GET": (company_users.get_company_user, COMPANY_ADMIN_OR_SELF),
                "PATCH": (company_users.update_company_user, COMPANY_ADMIN),
                "DELETE": (company_users.delete_company_user, COMPANY_ADMIN_OR_SELF),
            },
        ),
        # CB §6.4: the orders ingested with the company's id, for its admins.
        _route("/companies/{company_id}/orders", {"GET": (orders.list_company_orders, COMPANY_ADMIN)}),
        # Access requests (CB §5): public submission and confirmation; a company admin's requests.
        _route(
            "/access-requests",
            {
                "POST": (access_requests.submit_access_request, PUBLIC),
                "GET": (access_requests.list_access_requests, COMPANY_ADMIN),
            },
        ),
        _route("/access-request-confirmation", {"POST": (access_requests.confirm_access_request, PUBLIC)}),
        _route(
            "/access-requests/{id}",
            {
                "GET": (access_requests.get_access_request, COMPANY_ADMIN),
                "PATCH": (access_requests.decide_access_request, COMPANY_ADMIN),
            },
        ),
        # OAuth 2.0 endpoints speak RFC 6749's errors, not JSON:API; their clients are public.
        Route("/token", oauth.token, methods=["POST"]),
        Route("/token/revoke", oauth.revoke, methods=["POST"]),
        Route(
            "/.well-known/oauth-authorization-server", oauth.authorization_server_metadata, methods=["GET"]
        ),
        Route("/.well-known/jwks.json", oauth.jwks, methods=["GET"]),
    ]

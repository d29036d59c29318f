"""``/company-user-access-tokens``: a company token for one of the caller's company users (CB §4.2),
with a customer token or a company token of the same customer (switching companies)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services, token_issuer
from resources._rendering import schema_for
from schemas.tokens import CompanyUserAccessTokenSchema

__all__ = ["create_company_user_access_token"]

TYPE = "company-user-access-tokens"


async def create_company_user_access_token(request: Request) -> Response:
    caller = principal(request)
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(CompanyUserAccessTokenSchema, TYPE, attributes)
    user = await services(request).company_users.token_target(caller, loaded["id_company_user"])
    tokens = await services(request).sessions.start_company_session(
        caller,
        user,
        issuer=token_issuer(request),
        client_id=services(request).settings.oauth_default_client_id,
    )
    return jsonapi.document_response(schema_for(request, CompanyUserAccessTokenSchema).dump(tokens), 201)

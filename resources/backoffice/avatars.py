"""``/backoffice/customers/{ref}/avatar`` (BO §4.8): operators upload, read and remove a customer's
avatar. The storefront's rules (``resources.storefront.avatars``): the content decides, the GET
serves the image itself with its ``ETag``; the customer is checked (402, 1001, 1012 for writes)
before any body is read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from resources.backoffice.customers import caller
from resources.storefront.avatars import avatar_headers, matches_if_none_match
from resources.uploads import check_upload_media_type, read_upload

__all__ = ["put_avatar", "get_avatar", "delete_avatar", "avatar_checks"]


def avatar_checks(request: Request) -> None:
    """The back-office's step before the access rule, for an upload: its media type (415)."""
    check_upload_media_type(request)


async def put_avatar(request: Request) -> Response:
    who = caller(request)
    customers = services(request).backoffice_customers
    customer = await customers.find(request.path_params["reference"], who, write=True)
    upload = await read_upload(request)
    await services(request).avatars.set(
        customer, upload, who.actor, customers.audited(customer, who, ["avatar"])
    )
    return jsonapi.empty_response()


async def get_avatar(request: Request) -> Response:
    who = caller(request)
    customers = services(request).backoffice_customers
    customer = await customers.find(request.path_params["reference"], who, reading=True)
    avatar = await services(request).avatars.get(customer.id)
    await customers.audit_read(customer, who)
    headers = avatar_headers(avatar)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and matches_if_none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(avatar.data, media_type=avatar.content_type, headers=headers)


async def delete_avatar(request: Request) -> Response:
    who = caller(request)
    customers = services(request).backoffice_customers
    customer = await customers.find(request.path_params["reference"], who, write=True)
    await services(request).avatars.delete(customer, who.actor, customers.audited(customer, who, ["avatar"]))
    return jsonapi.empty_response()

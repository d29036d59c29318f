"""``/customers/{customerReference}/avatar``: the owner uploads, reads and removes their avatar.

The GET serves the stored image itself (not JSON:API, whatever ``Accept`` says): ``ETag`` is its
SHA-256, a matching ``If-None-Match`` answers 304, and the image may be cached privately but must
be revalidated. The PUT takes the upload media types of ``resources.uploads`` instead of JSON:API's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, resolve_store, services
from app.models import Actor, Avatar
from resources.uploads import check_upload_media_type, read_upload

__all__ = [
    "put_avatar",
    "get_avatar",
    "delete_avatar",
    "avatar_checks",
    "avatar_headers",
    "matches_if_none_match",
]


def avatar_checks(request: Request) -> None:
    """The storefront's steps before the access rule, for an upload: its media type (415), then the
    ``Store`` header (1100)."""
    check_upload_media_type(request)
    request.state.store = resolve_store(request)


def avatar_headers(avatar: Avatar) -> dict[str, str]:
    return {
        "ETag": f'"{avatar.sha256}"',
        "Cache-Control": "private, no-cache",
        "Content-Security-Policy": "default-src 'none'",
    }


def matches_if_none_match(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag, compared weakly."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def put_avatar(request: Request) -> Response:
    customer = principal(request).customer
    upload = await read_upload(request)
    await services(request).avatars.set(customer, upload, Actor.customer(customer.reference))
    return jsonapi.empty_response()


async def get_avatar(request: Request) -> Response:
    customer = principal(request).customer
    avatar = await services(request).avatars.get(customer.id)
    headers = avatar_headers(avatar)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and matches_if_none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(avatar.data, media_type=avatar.content_type, headers=headers)


async def delete_avatar(request: Request) -> Response:
    customer = principal(request).customer
    await services(request).avatars.delete(customer, Actor.customer(customer.reference))
    return jsonapi.empty_response()

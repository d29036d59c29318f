"""File uploads of either face: the media types an upload route takes and the bytes of the file.

An upload is a raw body (``image/jpeg``, ``image/png``, ``image/webp`` or
``application/octet-stream``: the type only says "a file", the content decides what it is) or
``multipart/form-data`` with the file in the part named ``file``. The edge bounds the body by the
route's own limit (``avatar_body_limit``) before any of this runs."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.settings import Settings
from errors import ApiError, catalogue

__all__ = ["RAW_MEDIA_TYPES", "MULTIPART", "avatar_body_limit", "check_upload_media_type", "read_upload"]

RAW_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
MULTIPART = "multipart/form-data"
FILE_PART = "file"
# Room for a multipart body's boundaries and part headers around a file of the largest size.
MULTIPART_ALLOWANCE = 64 * 1024


def avatar_body_limit(settings: Settings) -> int:
    """The avatar PUT's body limit: the largest avatar plus the multipart framing (§1: 017 above)."""
    return settings.avatar_max_bytes + MULTIPART_ALLOWANCE


def _media_type(request: Request) -> str | None:
    content_type = request.headers.get("content-type")
    return content_type.split(";", 1)[0].strip().lower() if content_type is not None else None


def check_upload_media_type(request: Request) -> None:
    """415 for an upload sent as anything but a file or a multipart form (a PUT without a body
    and without a type is judged by the endpoint: no file)."""
    if request.method != "PUT":
        return
    media = _media_type(request)
    length = request.headers.get("content-length", "0").strip()
    has_body = "transfer-encoding" in request.headers or not (length.isdigit() and int(length) == 0)
    if (has_body or media is not None) and media not in (*RAW_MEDIA_TYPES, MULTIPART):
        raise ApiError(catalogue.UNSUPPORTED_MEDIA_TYPE)


async def read_upload(request: Request) -> bytes:
    """The uploaded file's bytes: the raw body, or the multipart part ``file`` (without one, or a
    form that cannot be read: 1040, nothing is a file)."""
    if _media_type(request) != MULTIPART:
        return await request.body()
    try:
        form = await request.form(max_files=1)
    except HTTPException:  # a malformed form, or more than one file
        raise ApiError(catalogue.AVATAR_NOT_AN_IMAGE) from None
    try:
        part = form.get(FILE_PART)
        if not isinstance(part, UploadFile):
            raise ApiError(catalogue.AVATAR_NOT_AN_IMAGE)
        return await part.read()
    finally:
        await form.close()

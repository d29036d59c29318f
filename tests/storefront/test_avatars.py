"""Avatars at the HTTP level (backoffice-api §4.8, storefront rows): every upload is decoded and
re-encoded, judged by its bytes; refusals store nothing; the GET is the image with its ETag."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image, PngImagePlugin

from app.tables import customer_avatars
from tests.helpers import bearer, error, registered_customer

NOT_AN_IMAGE = error(422, "1040", "The file is not a JPEG, PNG or WebP image.")
TOO_LARGE = error(422, "1041", "The image is too large.")
NO_AVATAR = error(404, "1042", "Avatar not found.")
BODY_TOO_LARGE = error(413, "017", "Request body is too large.")
UNAUTHORIZED = error(403, "411", "Unauthorized request.")
MISSING_TOKEN = error(403, "002", "Missing access token.")
UNSUPPORTED_MEDIA_TYPE = error(415, "012", "Unsupported media type.")
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A small ICC profile is enough to see whether one survives.
ICC_PROFILE = b"\x00\x00\x01\x00fake-icc-profile" + bytes(240)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def exif_with_gps_and_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Camera"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 0.0),
    }
    return exif


def picture(
    image_format: str, size: tuple[int, int] = (60, 40), *, orientation: int = 1, **options: object
) -> bytes:
    """An image whose left half is red and right half blue, with EXIF (GPS, orientation), ICC and
    XMP metadata, and a text chunk for PNG."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    output = io.BytesIO()
    metadata: dict[str, object] = {
        "exif": exif_with_gps_and_orientation(orientation).tobytes(),
        "icc_profile": ICC_PROFILE,
    }
    if image_format in ("WEBP", "PNG"):
        metadata["xmp"] = XMP
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "<script>alert(1)</script>")
        metadata["pnginfo"] = text
    image.save(output, image_format, **metadata, **options)
    return output.getvalue()


async def put_avatar(client, customer, token, body: bytes, content_type: str = "application/octet-stream"):
    return await client.put(
        f"/customers/{customer['id']}/avatar",
        content=body,
        headers={**bearer(token), "Content-Type": content_type},
    )


async def stored_avatars(app) -> list[dict]:
    rows = await app.state.services.db.fetch_all(sa.select(customer_avatars))
    return [dict(row._mapping) for row in rows]


def assert_no_metadata(image: Image.Image) -> None:
    assert not image.getexif()
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info
    assert not getattr(image, "text", {})
    assert "Comment" not in image.info


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
async def test_put_reencodes_the_image_without_metadata(client, image_format):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    sent = picture(image_format)
    assert Image.open(io.BytesIO(sent)).getexif()  # the upload does carry EXIF

    response = await put_avatar(client, customer, token, sent, MEDIA_TYPES[image_format])
    assert response.status_code == 204, response.text
    assert response.content == b""

    served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(token))
    assert served.status_code == 200
    assert served.headers["content-type"] == MEDIA_TYPES[image_format]
    assert served.content != sent
    image = Image.open(io.BytesIO(served.content))
    assert image.format == image_format
    assert image.size == (60, 40)
    assert_no_metadata(image)


async def test_the_content_decides_not_the_content_type(client):
    customer, tokens = await registered_customer(client)
    response = await put_avatar(client, customer, tokens["accessToken"], picture("PNG"), "image/jpeg")
    assert response.status_code == 204
    served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(tokens["accessToken"]))
    assert served.headers["content-type"] == "image/png"


async def test_exif_orientation_is_applied(client):
    customer, tokens = await registered_customer(client)
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    sent = picture("JPEG", (60, 40), orientation=6)
    assert (await put_avatar(client, customer, tokens["accessToken"], sent)).status_code == 204
    served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(tokens["accessToken"]))
    image = Image.open(io.BytesIO(served.content)).convert("RGB")
    assert image.size == (40, 60)
    assert not image.getexif()
    # The red left half is on top once turned clockwise.
    red, green, blue = image.getpixel((20, 5))
    assert red > 200 and blue < 60
    red, green, blue = image.getpixel((20, 55))
    assert blue > 200 and red < 60


async def test_large_images_are_scaled_down_to_the_maximum_dimension(app_factory):
    app = app_factory(avatar_max_dimension=64)
    import httpx

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        customer, tokens = await registered_customer(client)
        token = tokens["accessToken"]
        assert (await put_avatar(client, customer, token, picture("JPEG", (400, 100)))).status_code == 204
        served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(token))
        assert Image.open(io.BytesIO(served.content)).size == (64, 16)
        # Never scaled up.
        assert (await put_avatar(client, customer, token, picture("PNG", (20, 10)))).status_code == 204
        served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(token))
        assert Image.open(io.BytesIO(served.content)).size == (20, 10)
        (row,) = await stored_avatars(app)
        assert (row["width"], row["height"], row["size"], row["content_type"]) == (
            20,
            10,
            len(served.content),
            "image/png",
        )


async def test_only_the_first_frame_of_an_animation_is_kept(client):
    customer, tokens = await registered_customer(client)
    frames = [Image.new("RGB", (30, 30), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    output = io.BytesIO()
    frames[0].save(output, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert (await put_avatar(client, customer, tokens["accessToken"], output.getvalue())).status_code == 204
    served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(tokens["accessToken"]))
    image = Image.open(io.BytesIO(served.content))
    assert getattr(image, "n_frames", 1) == 1
    red, green, blue = image.convert("RGB").getpixel((15, 15))
    assert red > 200 and green < 60


async def test_multipart_upload_takes_the_file_part(client):
    customer, tokens = await registered_customer(client)
    response = await client.put(
        f"/customers/{customer['id']}/avatar",
        files={"file": ("me.webp", picture("WEBP"), "image/webp")},
        data={"note": "ignored"},
        headers=bearer(tokens["accessToken"]),
    )
    assert response.status_code == 204, response.text
    served = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(tokens["accessToken"]))
    assert served.headers["content-type"] == "image/webp"


async def test_multipart_without_a_file_part_is_refused_with_1040(client, app):
    customer, tokens = await registered_customer(client)
    # Another part's file; a field named file that is no file (no filename); two files.
    for files in (
        {"picture": ("me.png", picture("PNG"), "image/png")},
        {"file": (None, b"not a file")},
        [("file", ("a.png", picture("PNG"), "image/png")), ("file", ("b.png", picture("PNG"), "image/png"))],
    ):
        response = await client.put(
            f"/customers/{customer['id']}/avatar", files=files, headers=bearer(tokens["accessToken"])
        )
        assert (response.status_code, response.json()) == (422, {"errors": [NOT_AN_IMAGE]})
    assert await stored_avatars(app) == []


def jpeg_with_appended(payload: bytes) -> bytes:
    return picture("JPEG") + payload


def zip_archive() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    return output.getvalue()


def gif() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(output, "GIF")
    return output.getvalue()


REFUSED_UPLOADS = {
    "gif": (gif, "image/jpeg"),
    "text named jpeg": (lambda: b"Hello, this is text and not a picture.\n" * 10, "image/jpeg"),
    "empty": (lambda: b"", "image/jpeg"),
    "truncated jpeg": (lambda: picture("JPEG", (200, 200))[:-300], "image/jpeg"),
    "truncated png": (lambda: picture("PNG", (200, 200))[:-40], "image/png"),
    "jpeg with a zip appended": (lambda: jpeg_with_appended(zip_archive()), "image/jpeg"),
    "jpeg with html appended": (
        lambda: jpeg_with_appended(b"<html><script>alert(1)</script></html>"),
        "image/jpeg",
    ),
    "html before a jpeg": (lambda: b"<html><script>alert(1)</script>" + picture("JPEG"), "image/jpeg"),
    "png with html after IEND": (lambda: picture("PNG") + b"<html></html>", "image/png"),
    "webp with a zip appended": (lambda: picture("WEBP") + zip_archive(), "image/webp"),
}


@pytest.mark.parametrize("name", list(REFUSED_UPLOADS))
async def test_files_that_are_not_one_whole_image_are_refused_with_1040(client, app, name):
    customer, tokens = await registered_customer(client)
    build, content_type = REFUSED_UPLOADS[name]
    response = await put_avatar(client, customer, tokens["accessToken"], build(), content_type)
    assert (response.status_code, response.json()) == (422, {"errors": [NOT_AN_IMAGE]})
    assert await stored_avatars(app) == []


async def test_a_refused_upload_keeps_the_avatar_there_was(client, app):
    customer, tokens = await registered_customer(client)
    assert (await put_avatar(client, customer, tokens["accessToken"], picture("PNG"))).status_code == 204
    before = await stored_avatars(app)
    response = await put_avatar(client, customer, tokens["accessToken"], gif())
    assert response.status_code == 422
    assert await stored_avatars(app) == before


def one_colour_png(width: int, height: int) -> bytes:
    """A one-bit PNG of one colour: tens of kilobytes that decode to width x height pixels."""
    output = io.BytesIO()
    Image.new("1", (width, height), 0).save(output, "PNG", optimize=True)
    return output.getvalue()


async def test_a_decompression_bomb_is_refused_with_1041(client, app):
    customer, tokens = await registered_customer(client)
    bomb = one_colour_png(20_000, 20_000)
    assert len(bomb) < 100_000
    response = await put_avatar(client, customer, tokens["accessToken"], bomb, "image/png")
    assert (response.status_code, response.json()) == (422, {"errors": [TOO_LARGE]})
    assert await stored_avatars(app) == []


async def test_more_pixels_than_allowed_is_refused_with_1041(app_factory):
    import httpx

    app = app_factory(avatar_max_pixels=10_000)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        customer, tokens = await registered_customer(client)
        response = await put_avatar(client, customer, tokens["accessToken"], picture("JPEG", (101, 100)))
        assert (response.status_code, response.json()) == (422, {"errors": [TOO_LARGE]})
        response = await put_avatar(client, customer, tokens["accessToken"], picture("JPEG", (100, 100)))
        assert response.status_code == 204
        assert len(await stored_avatars(app)) == 1


async def test_an_oversized_body_is_refused_with_413(app_factory):
    import httpx

    app = app_factory(avatar_max_bytes=4096)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        customer, tokens = await registered_customer(client)
        token = tokens["accessToken"]
        # Above the body limit (avatar_max_bytes + 64 KiB): the edge answers.
        response = await put_avatar(client, customer, token, bytes(4096 + 64 * 1024 + 1))
        assert (response.status_code, response.json()) == (413, {"errors": [BODY_TOO_LARGE]})
        # Within the body limit, a file above avatar_max_bytes: refused alike.
        response = await put_avatar(client, customer, token, bytes(4097))
        assert (response.status_code, response.json()) == (413, {"errors": [BODY_TOO_LARGE]})
        assert await stored_avatars(app) == []


async def test_the_avatar_body_limit_is_its_own(client):
    """Two MiB pass the avatar PUT, while every other route keeps its 1 MiB."""
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    big = picture("PNG", (8, 8)) + bytes(1024 * 1024 + 10)  # over 1 MiB: the content refuses it
    response = await put_avatar(client, customer, token, big, "image/png")
    assert (response.status_code, response.json()) == (422, {"errors": [NOT_AN_IMAGE]})
    response = await client.patch(
        f"/customers/{customer['id']}",
        content=b" " * (1024 * 1024 + 10),
        headers={**bearer(token), "Content-Type": "application/vnd.api+json"},
    )
    assert (response.status_code, response.json()) == (413, {"errors": [BODY_TOO_LARGE]})


async def test_get_answers_with_etag_and_304_on_if_none_match(client):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    assert (await put_avatar(client, customer, token, picture("JPEG"))).status_code == 204
    path = f"/customers/{customer['id']}/avatar"
    served = await client.get(path, headers={**bearer(token), "Accept": "image/avif,image/webp,*/*"})
    etag = served.headers["etag"]
    import hashlib

    assert etag == f'"{hashlib.sha256(served.content).hexdigest()}"'
    assert served.headers["cache-control"] == "private, no-cache"
    assert served.headers["content-security-policy"] == "default-src 'none'"
    assert served.headers["x-content-type-options"] == "nosniff"

    for if_none_match in (etag, f'"other", W/{etag}', "*"):
        again = await client.get(path, headers={**bearer(token), "If-None-Match": if_none_match})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
    changed = await client.get(path, headers={**bearer(token), "If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.content == served.content


async def test_get_ignores_accept(client):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    assert (await put_avatar(client, customer, token, picture("PNG"))).status_code == 204
    served = await client.get(
        f"/customers/{customer['id']}/avatar", headers={**bearer(token), "Accept": "text/html"}
    )
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"


async def test_get_without_an_avatar_is_1042(client):
    customer, tokens = await registered_customer(client)
    response = await client.get(f"/customers/{customer['id']}/avatar", headers=bearer(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (404, {"errors": [NO_AVATAR]})


async def test_delete_removes_the_avatar_and_answers_204_when_there_is_none(client, app):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    path = f"/customers/{customer['id']}/avatar"
    assert (await put_avatar(client, customer, token, picture("PNG"))).status_code == 204
    assert (await client.delete(path, headers=bearer(token))).status_code == 204
    assert await stored_avatars(app) == []
    assert (await client.delete(path, headers=bearer(token))).status_code == 204
    assert (await client.get(path, headers=bearer(token))).status_code == 404


async def test_another_customers_avatar_is_refused_with_411(client, app):
    owner, owner_tokens = await registered_customer(client)
    _, other_tokens = await registered_customer(client)
    assert (await put_avatar(client, owner, owner_tokens["accessToken"], picture("PNG"))).status_code == 204
    path = f"/customers/{owner['id']}/avatar"
    other = bearer(other_tokens["accessToken"])
    for response in (
        await client.get(path, headers=other),
        await client.delete(path, headers=other),
        await client.put(path, content=picture("JPEG"), headers={**other, "Content-Type": "image/jpeg"}),
    ):
        assert (response.status_code, response.json()) == (403, {"errors": [UNAUTHORIZED]})
    (row,) = await stored_avatars(app)
    assert row["content_type"] == "image/png"


async def test_without_a_token_every_method_is_refused_with_002(client):
    customer, _ = await registered_customer(client)
    path = f"/customers/{customer['id']}/avatar"
    for response in (
        await client.get(path),
        await client.delete(path),
        await client.put(path, content=picture("JPEG"), headers={"Content-Type": "image/jpeg"}),
    ):
        assert (response.status_code, response.json()) == (403, {"errors": [MISSING_TOKEN]})


async def test_other_media_types_are_refused_with_415_before_the_token(client):
    customer, tokens = await registered_customer(client)
    path = f"/customers/{customer['id']}/avatar"
    for content_type in ("image/gif", "application/vnd.api+json", "text/plain"):
        response = await client.put(path, content=picture("PNG"), headers={"Content-Type": content_type})
        assert (response.status_code, response.json()) == (415, {"errors": [UNSUPPORTED_MEDIA_TYPE]})


async def test_anonymizing_the_customer_drops_the_avatar(client, app):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]
    assert (await put_avatar(client, customer, token, picture("PNG"))).status_code == 204
    assert (await client.delete(f"/customers/{customer['id']}", headers=bearer(token))).status_code == 204
    assert await stored_avatars(app) == []


async def test_the_profile_shows_whether_the_customer_has_an_avatar(client):
    customer, tokens = await registered_customer(client)
    token = tokens["accessToken"]

    async def has_avatar() -> bool:
        profile = await client.get(f"/customers/{customer['id']}", headers=bearer(token))
        return profile.json()["data"]["attributes"]["hasAvatar"]

    assert await has_avatar() is False
    assert (await put_avatar(client, customer, token, picture("PNG"))).status_code == 204
    assert await has_avatar() is True
    assert (
        await client.delete(f"/customers/{customer['id']}/avatar", headers=bearer(token))
    ).status_code == 204
    assert await has_avatar() is False

"""Avatar images: what was sent is judged by its bytes, decoded and re-encoded clean.

``reencode`` is synchronous and CPU-bound: callers run it in a worker thread. It keeps the first
frame, applies the EXIF orientation, scales down (never up) to fit a square of ``max_dimension``
and writes a fresh image in the format that was sent (JPEG at quality 85) without any metadata:
no EXIF, GPS, XMP, ICC profile or text chunk survives, because the new file is built from the
pixels alone. A file is refused when it is not exactly one JPEG, PNG or WebP image (a truncated
one, or one with bytes after its end, as polyglots have) or when it has more pixels than allowed.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

__all__ = ["EncodedImage", "NotAnImage", "ImageTooLarge", "reencode", "CONTENT_TYPES"]

# Pillow format name -> the media type served.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
JPEG_QUALITY = 85
WEBP_QUALITY = 85
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotAnImage(Exception):
    """Not a whole JPEG, PNG or WebP image."""


class ImageTooLarge(Exception):
    """More pixels than allowed, or a decompression bomb."""


@dataclass(frozen=True)
class EncodedImage:
    content_type: str
    data: bytes
    width: int
    height: int


def reencode(data: bytes, *, max_pixels: int, max_dimension: int) -> EncodedImage:
    """The image ``data`` holds, re-encoded without metadata and fitted into ``max_dimension``."""
    try:
        with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as image:
            image_format = image.format or ""
            # Judged on the header's size, before a single pixel is decoded.
            if image.width * image.height > max_pixels:
                raise ImageTooLarge
            if not _ends_where_the_format_ends(image_format, data):
                raise NotAnImage
            image.seek(0)
            if image_format == "JPEG":
                # Let the decoder scale down by a power of two while decoding (never below the
                # square asked for): a 4000 x 3000 photo decodes at 2000 x 1500, in a quarter of the time.
                image.draft(None, (max_dimension, max_dimension))
            image.load()
            frame = ImageOps.exif_transpose(image) or image
            frame.thumbnail((max_dimension, max_dimension), Image.Resampling.LANCZOS)
            clean = _pixels_only(frame, image_format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge from None
    except (ImageTooLarge, NotAnImage):
        raise
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError):
        # Pillow's words for "not this format", "truncated" and "corrupt".
        raise NotAnImage from None
    output = io.BytesIO()
    if image_format == "JPEG":
        clean.save(output, "JPEG", quality=JPEG_QUALITY)
    elif image_format == "WEBP":
        clean.save(output, "WEBP", quality=WEBP_QUALITY)
    else:
        clean.save(output, "PNG")
    return EncodedImage(CONTENT_TYPES[image_format], output.getvalue(), clean.width, clean.height)


def _pixels_only(frame: Image.Image, image_format: str) -> Image.Image:
    """A new image from ``frame``'s pixels alone: no ``info`` (EXIF, ICC, XMP, text) to carry over,
    in a mode the output format writes and every browser shows."""
    has_alpha = frame.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        frame.mode == "P" and "transparency" in frame.info
    )
    if image_format == "JPEG":
        mode = "L" if frame.mode in ("1", "L") else "RGB"
    elif image_format == "PNG" and frame.mode in ("1", "L", "RGB", "RGBA", "LA"):
        mode = frame.mode
    else:
        mode = "RGBA" if has_alpha else "RGB"
    converted = frame if frame.mode == mode else frame.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _ends_where_the_format_ends(image_format: str, data: bytes) -> bool:
    """True when nothing follows the image's own end (a ZIP or a page appended makes a polyglot)."""
    if image_format == "PNG":
        return _png_end(data) == len(data)
    if image_format == "WEBP":
        riff_size = int(struct.unpack_from("<I", data, 4)[0])
        return 8 + riff_size + (riff_size & 1) == len(data)
    return _jpeg_end(data) == len(data)


def _png_end(data: bytes) -> int:
    """The offset after the IEND chunk (-1 when there is none)."""
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        position += 12 + int(length)
        if kind == b"IEND":
            return position
    return -1


_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0-7 carry no length


def _jpeg_end(data: bytes) -> int:
    """The offset after the EOI marker, walking the segments and each scan's entropy-coded data
    (-1 when the walk finds no end)."""
    position = 2  # after SOI
    size = len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return -1
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # EOI
            return position + 2
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        if position + 4 > size:
            return -1
        position += 2 + int(struct.unpack_from(">H", data, position + 2)[0])
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next marker that is not RST or stuffing
            position = _next_marker(data, position)
            if position < 0:
                return -1
    return -1


def _next_marker(data: bytes, position: int) -> int:
    """The offset of the marker ending the entropy-coded data from ``position`` (-1: none). There
    0xFF is followed by 0x00 (a stuffed byte), RST0-7, more 0xFF (fill), or the next marker; bytes
    ``find`` skips the rest at C speed."""
    size = len(data)
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= size:
            return -1
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        elif following == 0xFF:
            position += 1
        else:
            return position

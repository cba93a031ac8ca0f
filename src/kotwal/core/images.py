"""The one place where untrusted images are decoded: photographs uploaded to records, and the
probe images the face recognition search will take.

An image is accepted only if its first bytes AND Pillow's own identification agree that it is
JPEG, PNG or WebP; the file name and the declared content type are never consulted (both are
chosen by the sender). The byte size is checked before anything is parsed and the pixel count
after Pillow has read only the header, so a decompression bomb (a few kilobytes that decode
into gigabytes) is refused before a single pixel is decoded. Each kind of refusal is its own
:class:`~kotwal.core.errors.Problem`, so a client can tell "too big" from "not an image".

What is decoded comes back as an RGB image with the EXIF orientation applied (a phone's
portrait photo stands up) and :func:`clean_bytes` re-encodes its pixels alone: no EXIF, no GPS
position, no camera serial number, no embedded thumbnail (which may show what was cropped
away), no ICC profile, no trailing bytes after the image (where polyglot files hide a payload).

Re-encoding format: PNG stays PNG (lossless in, lossless out); JPEG and WebP become JPEG at
quality 90. Two output formats keep what the store holds, and what every browser and face
engine must read, small; WebP's compression gain does not matter at photo-record volumes.
Animated PNG and WebP keep their first frame only.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from kotwal.core.errors import Problem

MAX_BYTES: Final = 10_000_000
MAX_PIXELS: Final = 40_000_000
JPEG_QUALITY: Final = 90

#: Format name as kotwal says it -> Pillow's name for it.
_PILLOW_NAMES: Final = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
#: Media type of each format :func:`clean_bytes` produces.
MEDIA_TYPES: Final = {"jpeg": "image/jpeg", "png": "image/png"}

# Pillow refuses outright (DecompressionBombError) at twice this and warns above it. Our own
# cap is never higher (see decode); this only keeps Pillow's limit from having been switched
# off (None) by some other import.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)

#: Signatures of image formats that are recognised but not accepted, so that a GIF is told
#: "unsupported type" rather than "not an image".
_REFUSED_SIGNATURES: Final = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"%PDF", "PDF"),
)


class ImageTooLarge(Problem):
    status, slug, title = 413, "image-too-large", "The image file is too large"


class ImageTooManyPixels(Problem):
    status, slug = 413, "image-too-many-pixels"
    title = "The image has too many pixels (or is a decompression bomb)"


class NotAnImage(Problem):
    status, slug = 415, "not-an-image"
    title = "The file is not an image; send a JPEG, PNG or WebP photograph"


class UnsupportedImageType(Problem):
    status, slug = 415, "unsupported-image-type"
    title = "This kind of image is not accepted; send a JPEG, PNG or WebP photograph"


class CorruptImage(Problem):
    status, slug, title = 422, "corrupt-image", "The image is truncated or damaged"


@dataclass(frozen=True)
class Decoded:
    """An untrusted image after every check: RGB pixels, upright, and what it came as."""

    image: Image.Image
    #: "jpeg", "png" or "webp": what the input was (by content, not by name).
    format: str
    width: int
    height: int
    #: SHA-256 (hex) of the bytes as received.
    sha256: str


def sniff(data: bytes) -> str | None:
    """The accepted format these bytes start like ("jpeg", "png", "webp"), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _refused_kind(data: bytes) -> str | None:
    for signature, name in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            return name
    if data[4:8] == b"ftyp":  # ISO media: HEIC/AVIF photos from phones, or video
        return "HEIC/AVIF"
    return None


def decode(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Decoded:
    """Check and decode an untrusted image; raise a distinct :class:`Problem` for each refusal.

    Order matters: size before parsing, the header's pixel count before any pixel is decoded.
    Safe to call from many threads at once (no global state is changed).
    """
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    kind = sniff(data)
    if kind is None:
        refused = _refused_kind(data)
        if refused is not None:
            raise UnsupportedImageType(f"{refused} images are not accepted")
        raise NotAnImage()
    # Never above Pillow's own limit: between it and twice it Pillow only warns, and changing
    # the warning filters to make that an error is not thread-safe in a threaded server.
    cap = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        image = _open_header(data, kind)
    except Image.DecompressionBombError as exc:
        raise ImageTooManyPixels(f"the image has more than {cap:,} pixels") from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > cap:
        raise ImageTooManyPixels(
            f"the image is {width} x {height} pixels; the limit is {cap:,} pixels"
        )
    _refuse_if_too_compressed(len(data), width, height)
    image = _load(image)
    return Decoded(
        image=image,
        format=kind,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


#: Pixels any file may have whatever its size; above this, :data:`MIN_BITS_PER_PIXEL` applies.
DENSE_FREE_PIXELS: Final = 4_000_000
#: A photograph of a person takes at least this many bits per pixel in any of the accepted
#: formats (JPEG at a low quality is about 0.5; a camera's output 2 to 4). A 6,000 x 6,000 PNG
#: of one colour is 140 KB (0.03 bits per pixel) and takes seconds to decode: refused unread.
MIN_BITS_PER_PIXEL: Final = 0.1


def _refuse_if_too_compressed(size: int, width: int, height: int) -> None:
    """Refuse a large picture held in a file too small to be a photograph of it, before a
    pixel is decoded: decoding costs time by pixels, not by bytes."""
    pixels = width * height
    if pixels > DENSE_FREE_PIXELS and size * 8 < pixels * MIN_BITS_PER_PIXEL:
        least = int(pixels * MIN_BITS_PER_PIXEL / 8)
        raise ImageTooManyPixels(
            f"the image is {width} x {height} pixels in only {size:,} bytes (a photograph "
            f"that size takes at least {least:,}); send it at {DENSE_FREE_PIXELS // 1_000_000} "
            "megapixels or fewer"
        )


def _open_header(data: bytes, kind: str) -> Image.Image:
    """Read the header only, with Pillow limited to the one plugin the magic bytes name, so
    that no other parser ever sees the input and the two identifications must agree."""
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_NAMES[kind]])
    except UnidentifiedImageError as exc:
        raise CorruptImage(f"the file starts like {kind.upper()} but is not a valid one") from exc
    except Image.DecompressionBombError:
        raise  # not a damaged file: the caller reports it as too many pixels
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage(
            f"the {kind.upper()} file is cut short or its header is damaged"
        ) from exc
    if image.format != _PILLOW_NAMES[kind]:  # defence in depth: formats= should ensure it
        raise NotAnImage()
    return image


def _load(image: Image.Image) -> Image.Image:
    """Decode the pixels, stand the picture up as its EXIF says, and make it plain RGB."""
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        return _rgb(upright)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        # Pillow reports a truncated or damaged stream as OSError ("image file is truncated")
        # and, for some damaged headers, as SyntaxError or ValueError.
        raise CorruptImage() from exc


def _rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency is laid on white, as the photo would be printed."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16-bit and float greyscale: scale to 8 bits before the RGB conversion clips it.
        return image.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def clean_format(decoded: Decoded) -> str:
    """The format :func:`clean_bytes` writes: "png" for PNG input, "jpeg" otherwise."""
    return "png" if decoded.format == "png" else "jpeg"


def clean_bytes(decoded: Decoded) -> bytes:
    """The image re-encoded from its pixels alone: no EXIF, GPS, ICC, XMP, comments or
    trailing data. PNG stays PNG; JPEG and WebP become JPEG (quality 90)."""
    # A fresh image built from the pixel buffer carries no ``info`` at all, so no encoder can
    # copy metadata across (Pillow's PNG writer, for one, falls back to ``image.info``).
    pixels = Image.frombytes("RGB", decoded.image.size, decoded.image.tobytes())
    out = io.BytesIO()
    if clean_format(decoded) == "png":
        pixels.save(out, format="PNG")
    else:
        pixels.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()

"""The image checks: only JPEG, PNG and WebP by content, caps before decoding, each refusal its
own problem, EXIF orientation honoured, metadata gone after cleaning. Every image is made
here by Pillow at run time."""

from __future__ import annotations

import functools
import io
import os
import zlib

import pytest
from PIL import Image

from kotwal.core import images
from kotwal.core.images import (
    CorruptImage,
    ImageTooLarge,
    ImageTooManyPixels,
    NotAnImage,
    UnsupportedImageType,
    clean_bytes,
    decode,
)

ORIENTATION = 0x0112
GPS_IFD = 0x8825
MAKE = 0x010F


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def photo(width: int = 64, height: int = 32) -> Image.Image:
    """A picture with a left half red and a right half blue, so rotation can be seen."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def tagged_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "SyntheticCam"
    exif[GPS_IFD] = {1: "N", 2: (17.0, 23.0, 6.5), 3: "E", 4: (78.0, 28.0, 1.2)}
    return exif


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")])
def test_accepted_formats_decode_to_rgb_with_their_size(fmt: str, name: str) -> None:
    data = encode(photo(), fmt)
    decoded = decode(data)
    assert decoded.format == name
    assert (decoded.width, decoded.height) == (64, 32)
    assert decoded.image.mode == "RGB"
    assert len(decoded.sha256) == 64


def test_sha256_is_of_the_bytes_as_received() -> None:
    import hashlib

    data = encode(photo(), "PNG")
    assert decode(data).sha256 == hashlib.sha256(data).hexdigest()


def test_exif_orientation_is_applied() -> None:
    data = encode(photo(64, 32), "JPEG", exif=tagged_exif(orientation=6))
    decoded = decode(data)
    # Orientation 6: the camera was turned; the picture stands up 32 wide and 64 high.
    assert (decoded.width, decoded.height) == (32, 64)
    assert decoded.image.size == (32, 64)
    top = decoded.image.getpixel((16, 2))
    assert isinstance(top, tuple) and top[0] > 150 and top[2] < 100  # red half now on top


def test_clean_bytes_carry_no_exif_gps_or_camera() -> None:
    data = encode(photo(), "JPEG", exif=tagged_exif(orientation=6))
    assert b"SyntheticCam" in data and b"Exif" in data  # the test input really has them
    cleaned = clean_bytes(decode(data))
    assert b"SyntheticCam" not in cleaned and b"Exif" not in cleaned
    reopened = Image.open(io.BytesIO(cleaned))
    assert dict(reopened.getexif()) == {}
    assert "exif" not in reopened.info and "icc_profile" not in reopened.info
    assert reopened.size == (32, 64)  # the rotation is kept in the pixels, not in a tag


def test_clean_png_drops_text_chunks_exif_and_icc() -> None:
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-location-note")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(photo(), "PNG", pnginfo=info, exif=tagged_exif(), icc_profile=icc)
    assert b"secret-location-note" in data
    cleaned = clean_bytes(decode(data))
    assert cleaned.startswith(b"\x89PNG")
    assert b"secret-location-note" not in cleaned and b"SyntheticCam" not in cleaned
    reopened = Image.open(io.BytesIO(cleaned))
    assert "icc_profile" not in reopened.info and dict(reopened.getexif()) == {}


def test_webp_is_cleaned_to_jpeg_and_png_stays_png() -> None:
    webp = decode(encode(photo(), "WEBP"))
    assert images.clean_format(webp) == "jpeg" and clean_bytes(webp).startswith(b"\xff\xd8\xff")
    png = decode(encode(photo(), "PNG"))
    assert images.clean_format(png) == "png"


def test_trailing_bytes_after_the_image_are_not_kept() -> None:
    data = encode(photo(), "JPEG") + b"<?php system($_GET['c']); ?>"
    cleaned = clean_bytes(decode(data))
    assert b"<?php" not in cleaned


def test_transparency_is_laid_on_white() -> None:
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    decoded = decode(encode(clear, "PNG"))
    assert decoded.image.getpixel((4, 4)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "I;16", "P", "LA", "1"])
def test_other_pixel_modes_become_rgb(mode: str) -> None:
    assert decode(encode(Image.new(mode, (8, 8)), "PNG")).image.mode == "RGB"


def test_cmyk_jpeg_becomes_rgb() -> None:
    assert decode(encode(Image.new("CMYK", (8, 8)), "JPEG")).image.mode == "RGB"


def test_a_file_over_the_byte_cap_is_refused_before_parsing() -> None:
    data = encode(photo(), "PNG")
    with pytest.raises(ImageTooLarge) as caught:
        decode(data, max_bytes=len(data) - 1)
    assert caught.value.status == 413


def test_oversize_is_judged_on_length_alone() -> None:
    # Not even a valid image: the size check comes first and says so.
    with pytest.raises(ImageTooLarge):
        decode(b"\x00" * 2_000, max_bytes=1_000)


def test_too_many_pixels_is_refused_from_the_header() -> None:
    data = encode(Image.new("L", (3_000, 2_000)), "PNG")
    with pytest.raises(ImageTooManyPixels) as caught:
        decode(data, max_pixels=5_000_000)
    assert caught.value.status == 413 and "3000 x 2000" in (caught.value.detail or "")


@functools.cache
def _png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG whose all-zero pixels compress ~1000:1 (a decompression bomb)."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = _png_bomb(15_000, 15_000)  # 225 megapixels in well under a megabyte
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageTooManyPixels) as caught:
        decode(bomb)
    assert caught.value.type == "urn:kotwal:problem:image-too-many-pixels"


def test_pillows_own_bomb_guard_backs_a_caller_that_raises_the_cap() -> None:
    bomb = _png_bomb(15_000, 15_000)
    with pytest.raises(ImageTooManyPixels):
        decode(bomb, max_pixels=10**12)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"PK\x03\x04zip"],
)
def test_a_non_image_is_refused_as_not_an_image(data: bytes) -> None:
    with pytest.raises(NotAnImage) as caught:
        decode(data)
    assert caught.value.status == 415


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_other_image_formats_are_refused_as_unsupported(fmt: str) -> None:
    with pytest.raises(UnsupportedImageType) as caught:
        decode(encode(photo(), fmt))
    assert caught.value.status == 415 and fmt in (caught.value.detail or "")


def test_a_truncated_jpeg_is_refused_as_corrupt() -> None:
    data = encode(photo(400, 300), "JPEG", quality=95)
    with pytest.raises(CorruptImage) as caught:
        decode(data[: len(data) * 2 // 3])
    assert caught.value.status == 422


def test_a_truncated_png_is_refused_as_corrupt() -> None:
    noisy = Image.effect_noise((300, 300), 64).convert("RGB")
    data = encode(noisy, "PNG")
    with pytest.raises(CorruptImage):
        decode(data[: len(data) // 2])


def test_right_magic_bytes_with_a_wrong_body_is_corrupt() -> None:
    with pytest.raises(CorruptImage):
        decode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


def test_a_file_named_and_typed_as_jpeg_is_judged_by_content() -> None:
    # Magic bytes of one format wrapped around another: Pillow, limited to the format the
    # magic names, cannot read it, so it is not smuggled in as "some image".
    gif = encode(photo(), "GIF")
    with pytest.raises((CorruptImage, NotAnImage)):
        decode(b"\xff\xd8\xff" + gif)


def test_each_refusal_has_its_own_problem_type() -> None:
    kinds = {
        cls("x").type
        for cls in (
            ImageTooLarge,
            ImageTooManyPixels,
            NotAnImage,
            UnsupportedImageType,
            CorruptImage,
        )
    }
    assert len(kinds) == 5


def test_a_small_file_of_many_pixels_is_refused_before_decoding() -> None:
    # Issue 18, finding 7: a 6,000 x 6,000 PNG of 140 KB was accepted, after seconds of work.
    flat = _png_bomb(6_000, 6_000)
    assert len(flat) < 200_000
    with pytest.raises(ImageTooManyPixels) as caught:
        decode(flat)
    assert "6000 x 6000" in (caught.value.detail or "") and "bytes" in (caught.value.detail or "")


def test_a_photograph_of_many_pixels_in_a_file_its_size_is_accepted() -> None:
    noise = Image.frombytes("L", (2_500, 2_000), os.urandom(5_000_000))  # 5 MP, incompressible
    decoded = decode(encode(noise.convert("RGB"), "JPEG"))
    assert (decoded.width, decoded.height) == (2_500, 2_000)

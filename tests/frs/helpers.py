"""The committed portraits (see data/README.md) and pictures built from them at run time."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

DATA = Path(__file__).parent / "data"


def photo(name: str) -> bytes:
    """A committed portrait's bytes: obama.jpg, obama2.jpg or biden.jpg."""
    return (DATA / name).read_bytes()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def side_by_side(*names: str) -> bytes:
    """One picture holding several portraits next to each other (several faces)."""
    parts = [Image.open(io.BytesIO(photo(n))).convert("RGB") for n in names]
    height = max(p.height for p in parts)
    canvas = Image.new("RGB", (sum(p.width for p in parts), height), "white")
    x = 0
    for p in parts:
        canvas.paste(p, (x, 0))
        x += p.width
    return jpeg(canvas)


def blank() -> bytes:
    """A valid photograph with no face in it."""
    return jpeg(Image.new("RGB", (320, 240), (120, 140, 160)))

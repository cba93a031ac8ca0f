"""Helpers for photo tests: pictures made by Pillow at run time, and uploads through the API."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.factories import Officer

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112
CAMERA = "SyntheticCam-X1"


def jpeg_with_gps(width: int = 120, height: int = 80, orientation: int = 1) -> bytes:
    """A JPEG carrying a camera make and a GPS position in its EXIF, as phone photos do."""
    image = Image.new("RGB", (width, height), (180, 120, 90))
    image.paste((30, 30, 30), (0, 0, width // 2, height // 2))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = CAMERA
    exif[GPS_IFD] = {1: "N", 2: (17.0, 23.0, 6.5), 3: "E", 4: (78.0, 28.0, 1.2)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def upload(
    client: TestClient,
    officer: Officer,
    person_id: str,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    return client.post(
        f"/api/v1/persons/{person_id}/photos",
        files={"file": (filename, data, content_type)},
        headers=officer.bearer,
    )


def add_photo(client: TestClient, officer: Officer, person_id: str, data: bytes) -> dict[str, Any]:
    r = upload(client, officer, person_id, data)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created

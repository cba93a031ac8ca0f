"""Shapes and units for the patrol tests: squares laid out in degrees around a synthetic place
(made here, no outside data), and units with trackers issued through the API (tokens are made
by the server at run time)."""

from __future__ import annotations

import zlib
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Officer

#: A made-up spot in Hyderabad's latitude band.
LON0, LAT0 = 78.47, 17.36
#: About 1.1 km of latitude.
KM = 0.01


def square(lon: float, lat: float, size: float) -> list[list[float]]:
    """A closed ring: a square with its south-west corner at (lon, lat)."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(kind: str, station: str, code: str | None, ring: Any, **props: Any) -> dict[str, Any]:
    properties = {"kind": kind, "station": station, "name": f"{code or kind} (synthetic)", **props}
    if code is not None:
        properties["code"] = code
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def point(kind: str, station: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "station": station, "name": f"{kind} (synthetic)", **props},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def station_a_map() -> dict[str, Any]:
    """PS-A's area (2 x 2 km) split into two beats, with a bank in the first beat."""
    return collection(
        feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, 2 * KM)),
        feature("beat", "PS-A", "PS-A-B01", square(LON0, LAT0, KM)),
        feature("beat", "PS-A", "PS-A-B02", square(LON0 + KM, LAT0, KM)),
        point("bank", "PS-A", LON0 + 0.005, LAT0 + 0.005, radius_m=40),
    )


def import_map(client: TestClient, officer: Officer, document: dict[str, Any]) -> Any:
    return client.post("/api/v1/patrol/areas/import", json=document, headers=officer.bearer)


def new_unit(
    client: TestClient, officer: Officer, station_id: str, call_sign: str = "BC-A1"
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/patrol/units",
        json={
            "call_sign": call_sign,
            "vehicle_number": f"TS 09 PA {zlib.crc32(call_sign.encode()) % 9000 + 1000}",
            "kind": "blue_colts",
            "station_id": station_id,
        },
        headers=officer.bearer,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def tracker(client: TestClient, officer: Officer, unit_id: str) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/patrol/units/{unit_id}/devices",
        json={"label": "Duty phone"},
        headers=officer.bearer,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())

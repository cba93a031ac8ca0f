"""Helpers for arms licence tests: licences issued through the API with synthetic holders and
serial numbers made at run time, and cases to name persons in."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Officer

PURPOSE = "complaint: arms recovered in a dacoity (FIR PS-C/2025/0031)"


def serial() -> str:
    return "SYN" + secrets.token_hex(4).upper()


def licence_body(station_id: str, **extra: Any) -> dict[str, Any]:
    """A well-formed licence issued a year ago for five years, with one revolver."""
    body: dict[str, Any] = {
        "licence_number": f"TST/2025/{secrets.randbelow(10**10):010d}",
        "uin": "UIN" + secrets.token_hex(5).upper(),
        "holder_name": "Kommu Srinivas",
        "holder_father_name": "Kommu Ramesh",
        "holder_birth_year": 1975,
        "holder_address": "H.No. 4-5-6, Synthetic Colony",
        "holder_phone": "90000" + "".join(secrets.choice("0123456789") for _ in range(5)),
        "grounds": "self_protection",
        "area_of_validity": "State of Telangana",
        "issuing_authority": "Commissioner of Police (synthetic)",
        "issued_on": "2025-01-15",
        "valid_until": "2030-01-14",
        "station_id": station_id,
        "weapons": [
            {"category": "revolver", "make": "IOF", "bore": ".32", "serial": serial()},
        ],
    }
    body.update(extra)
    return body


def issue(client: TestClient, officer: Officer, station_id: str, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/arms/licences", json=licence_body(station_id, **extra), headers=officer.bearer
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def register_case(client: TestClient, officer: Officer, station_id: str, code: str) -> str:
    body = {
        "fir_number": f"{code}/2025/{secrets.randbelow(9999) + 1:04d}",
        "sections": ["BNS 309"],
        "registered_on": "2025-03-01",
        "station_id": station_id,
    }
    r = client.post("/api/v1/cases", json=body, headers=officer.bearer)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def name_in_case(
    client: TestClient, officer: Officer, case_id: str, person_id: str, role: str = "accused"
) -> None:
    body = {"person_id": person_id, "role": role, "role_on": "2025-03-02"}
    r = client.post(f"/api/v1/cases/{case_id}/parties", json=body, headers=officer.bearer)
    assert r.status_code == 201, r.text

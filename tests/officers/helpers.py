"""Helpers for the force tests: officers entered through the API by a real account."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Officer
from tests.records_helpers import synthetic_phone

PURPOSE = "complaint: inquiry No. 14/2026 into a joint operation"


def officer_body(unit_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": extra.pop("name", "Test Officer " + secrets.token_hex(3)),
        "rank": extra.pop("rank", "sub_inspector"),
        "belt_number": extra.pop("belt_number", "T" + secrets.token_hex(4).upper()),
        "unit_id": unit_id,
        "posted_on": extra.pop("posted_on", "2025-06-01"),
        "official_phone": extra.pop("official_phone", synthetic_phone()),
        "personal_phone": extra.pop("personal_phone", synthetic_phone()),
        "personal_address": extra.pop("personal_address", "H.No. 4-5-6, Synthetic Colony"),
        **extra,
    }


def enter_officer(
    client: TestClient, manager: Officer, unit_id: str, **extra: Any
) -> dict[str, Any]:
    """An officer entered by ``manager``; the answer carries the body sent as ``_sent``."""
    body = officer_body(unit_id, **extra)
    r = client.post("/api/v1/officers", json=body, headers=manager.bearer)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    created["_sent"] = body
    return created

"""Helpers for tests that need protected records (persons) filed at a station."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Officer


def synthetic_phone() -> str:
    """A random ten-digit number in a synthetic range (starts 90000)."""
    return "90000" + "".join(secrets.choice("0123456789") for _ in range(5))


def file_person(
    client: TestClient, writer: Officer, station_id: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "name": extra.pop("name", "Test Person " + secrets.token_hex(3)),
        "category": "offender",
        "sex": "male",
        "birth_year": 1990,
        "station_id": station_id,
        "phone": extra.pop("phone", synthetic_phone()),
        "address": extra.pop("address", "H.No. 1-2-3, Synthetic Colony"),
        **extra,
    }
    r = client.post("/api/v1/persons", json=body, headers=writer.bearer)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    created["_phone"] = body["phone"]
    return created


def seed_records_reference(runtime: Any) -> None:
    """Seed the reference rows migration 0005 adds (history sheet categories, sections of law):
    the per-test cleanup empties every table, reference tables included."""
    import importlib.util
    from pathlib import Path

    from kotwal.core.uow import UnitOfWork
    from kotwal.records.models import HistorySheetCategory, LawSection

    path = Path(__file__).parents[1] / "migrations/versions/0005_records_history_sheets_cases.py"
    spec = importlib.util.spec_from_file_location("migration_0005_reference", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with UnitOfWork(runtime, write=True) as uow:
        if uow.session.get(HistorySheetCategory, "rowdy_sheet") is None:
            for code, title, months in migration.CATEGORIES:
                uow.session.add(HistorySheetCategory(code=code, title=title, review_months=months))
        if uow.session.get(LawSection, "BNS 303") is None:
            for code, title, legacy in migration.SECTIONS:
                uow.session.add(LawSection(code=code, act="BNS", title=title, equivalent=legacy))
                if legacy:
                    ipc = LawSection(code=legacy, act="IPC", title=title, equivalent=code)
                    uow.session.add(ipc)

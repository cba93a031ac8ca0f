"""Helpers for tests that need protected records (persons) filed at a station."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from kotwal.core.db import Database
from kotwal.core.policy import Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.records import reference
from kotwal.records.models import Case, HistorySheetCategory, LawSection
from kotwal.records.schemas import canonical_fir
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


def seed_records_reference(db: Database) -> None:
    """The reference rows a new database holds (history sheet categories, sections of law; see
    :mod:`kotwal.records.reference`), which the per-test cleanup empties with every table."""
    with db.transaction(write=True) as session:
        for model, rows in (
            (HistorySheetCategory, reference.category_rows()),
            (LawSection, reference.law_section_rows()),
        ):
            if session.execute(select(func.count()).select_from(model)).scalar_one() == 0:
                session.execute(insert(model), rows)


def register_case(runtime: Runtime, station_id: str, fir_number: str) -> None:
    """A case in the register at ``station_id``: what a purpose (or a face search) naming
    ``fir_number`` needs. Written as a station's clerk would have registered it."""
    code, year, _ = fir_number.split("/")
    with runtime.db.transaction(write=True) as session:
        station = session.get(Jurisdiction, station_id)
        assert station is not None and station.code == code, "the FIR must carry the station's code"
        session.add(
            Case(
                fir_number=canonical_fir(fir_number),
                sections="BNS 303",
                registered_on=date(int(year), 1, 15),
                station_id=station_id,
                jurisdiction_path=station.path,
            )
        )

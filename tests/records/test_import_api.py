"""Import and export over HTTP: a CSV upload is all or nothing, an export is audited CSV."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer

DATA = Path(__file__).parent / "data"


def test_upload_of_a_good_file_creates_every_row(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.circle)
    )
    good = (DATA / "persons_good.csv").read_bytes()
    r = client.post(
        "/api/v1/persons/import", files={"file": ("p.csv", good, "text/csv")}, headers=sho.bearer
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == r.json()["rows_read"] > 0
    export = client.post(
        "/api/v1/persons/export", json={"purpose": "monthly crime review"}, headers=sho.bearer
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.count("\n") >= r.json()["created"]


def test_upload_of_a_bad_file_is_refused_with_its_lines(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.circle)
    )
    bad = (DATA / "persons_bad_line7.csv").read_bytes()
    r = client.post(
        "/api/v1/persons/import", files={"file": ("p.csv", bad, "text/csv")}, headers=sho.bearer
    )
    assert r.status_code == 422
    assert any(e["line"] == 7 for e in r.json()["errors"])


def test_a_constable_can_neither_import_nor_export(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    pc = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    good = (DATA / "persons_good.csv").read_bytes()
    r = client.post(
        "/api/v1/persons/import", files={"file": ("p.csv", good, "text/csv")}, headers=pc.bearer
    )
    assert r.status_code == 403
    r = client.post("/api/v1/persons/export", json={"purpose": "curiosity only"}, headers=pc.bearer)
    assert r.status_code == 403

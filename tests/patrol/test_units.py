"""Patrol units: created at one's own station, released through the gate, every status change
kept with who made it; shifts with a crew from the force's roll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, api_officer
from tests.helpers import audit_events
from tests.officers.helpers import enter_officer
from tests.patrol.helpers import import_map, new_unit, station_a_map


def _shift(crew: list[str], hours: float = 8, **extra: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "crew": [{"officer_id": c, "duty": "crew"} for c in crew],
        **extra,
    }


def _crew(client: TestClient, sho: Officer, station: str, n: int = 2) -> list[str]:
    return [enter_officer(client, sho, station, rank="constable")["id"] for _ in range(n)]


def test_a_unit_is_created_off_duty_at_ones_own_station(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    unit = new_unit(client, hc, world.station_a)
    assert unit["status"] == "off_duty" and unit["kind"] == "blue_colts"
    assert unit["vehicle_number"].startswith("TS09PA")  # spaces dropped, capitals
    elsewhere = client.post(
        "/api/v1/patrol/units",
        json={
            "call_sign": "BC-C1",
            "vehicle_number": "TS09PA0001",
            "kind": "patrol_car",
            "station_id": world.station_c,
        },
        headers=hc.bearer,
    )
    assert elsewhere.status_code == 403
    assert audit_events(runtime, "patrol.unit.create", outcome="denied")


def test_a_vehicle_number_is_one_unit(client: TestClient, runtime: Runtime, world: World) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    unit = new_unit(client, hc, world.station_a, "BC-A1")
    again = client.post(
        "/api/v1/patrol/units",
        json={
            "call_sign": "BC-A2",
            "vehicle_number": unit["vehicle_number"].lower(),
            "kind": "patrol_car",
            "station_id": world.station_a,
        },
        headers=hc.bearer,
    )
    assert again.status_code == 409


def test_a_constable_reads_units_of_the_station_through_the_gate(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    unit = new_unit(client, hc, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    listed = client.get("/api/v1/patrol/units", headers=constable.bearer).json()
    assert [u["call_sign"] for u in listed] == ["BC-A1"]
    assert audit_events(runtime, "record.disclose", resource_id=unit["id"])
    outsider = api_officer(runtime, Role.CONSTABLE, world.station_c)
    assert client.get("/api/v1/patrol/units", headers=outsider.bearer).json() == []
    masked = client.get(f"/api/v1/patrol/units/{unit['id']}", headers=outsider.bearer).json()
    assert masked["call_sign"] == {"masked": True}


def test_every_status_change_is_kept_with_who_made_it(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    unit = new_unit(client, hc, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    for status in ("available", "dispatched", "en_route", "on_scene", "available"):
        r = client.post(
            f"/api/v1/patrol/units/{unit['id']}/status",
            json={"status": status, "note": f"now {status}"},
            headers=constable.bearer,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    history = client.get(f"/api/v1/patrol/units/{unit['id']}/history", headers=hc.bearer).json()
    assert [(h["previous"], h["status"]) for h in history] == [
        (None, "off_duty"),
        ("off_duty", "available"),
        ("available", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_scene"),
        ("on_scene", "available"),
    ]
    assert history[-1]["by_name"] == constable.username
    same = client.post(
        f"/api/v1/patrol/units/{unit['id']}/status",
        json={"status": "available"},
        headers=constable.bearer,
    )
    assert same.status_code == 409


def test_an_unknown_status_is_refused_and_changes_nothing(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hc = api_officer(runtime, Role.HEAD_CONSTABLE, world.station_a)
    unit = new_unit(client, hc, world.station_a)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/status",
        json={"status": "asleep"},
        headers=hc.bearer,
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    history = client.get(f"/api/v1/patrol/units/{unit['id']}/history", headers=hc.bearer).json()
    assert len(history) == 1


def test_a_shift_with_its_crew_makes_the_unit_available_and_its_end_off_duty(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    beat = client.get("/api/v1/patrol/areas?kind=beat", headers=sho.bearer).json()[0]
    unit = new_unit(client, sho, world.station_a)
    crew = _crew(client, sho, world.station_a)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts",
        json=_shift(crew, beat_id=beat["id"]),
        headers=sho.bearer,
    )
    assert r.status_code == 201, r.text
    shift = r.json()
    assert sorted(c["officer_id"] for c in shift["crew"]) == sorted(crew)
    assert shift["beat_id"] == beat["id"] and shift["ended_at"] is None
    unit_now = client.get(f"/api/v1/patrol/units/{unit['id']}", headers=sho.bearer).json()
    assert unit_now["status"] == "available"
    second = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts", json=_shift(crew), headers=sho.bearer
    )
    assert second.status_code == 409
    ended = client.post(f"/api/v1/patrol/units/{unit['id']}/shifts/end", headers=sho.bearer)
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    unit_now = client.get(f"/api/v1/patrol/units/{unit['id']}", headers=sho.bearer).json()
    assert unit_now["status"] == "off_duty"
    shifts = client.get(f"/api/v1/patrol/units/{unit['id']}/shifts", headers=sho.bearer).json()
    assert len(shifts) == 1 and len(shifts[0]["crew"]) == 2


def test_a_crew_comes_from_the_roll_of_ones_jurisdiction(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    unit = new_unit(client, sho, world.station_a)
    unknown = "00000000-0000-4000-8000-000000000000"
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts", json=_shift([unknown]), headers=sho.bearer
    )
    assert r.status_code == 422 and "roll" in r.json()["detail"]
    far_sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_c)
    far = _crew(client, far_sho, world.station_c, 1)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts", json=_shift(far), headers=sho.bearer
    )
    assert r.status_code == 422 and "not posted in your jurisdiction" in r.json()["detail"]
    too_long = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts",
        json=_shift(_crew(client, sho, world.station_a, 1), hours=20),
        headers=sho.bearer,
    )
    assert too_long.status_code == 422


def test_a_constable_cannot_plan_shifts(client: TestClient, runtime: Runtime, world: World) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    unit = new_unit(client, sho, world.station_a)
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.post(
        f"/api/v1/patrol/units/{unit['id']}/shifts",
        json=_shift(_crew(client, sho, world.station_a, 1)),
        headers=constable.bearer,
    )
    assert r.status_code == 403

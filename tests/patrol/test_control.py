"""The control room's feed (what the map's server-sent events carry): everything at first, then
only what changed; positions only for those who may see them, each tick's positions released
through the gate as one audited disclosure; a constable's feed has units and incidents and no
position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import control, coverage
from kotwal.patrol.models import PatrolArea
from tests.factories import FACTORY, Officer, World, api_officer, make_officer
from tests.helpers import audit_events, console_login
from tests.import_helpers import actor_of
from tests.patrol.helpers import LAT0, LON0, import_map, new_unit, station_a_map, tracker


def _feed(runtime: Runtime, officer: Officer, cursor: control.Cursor) -> dict[str, object]:
    with UnitOfWork(runtime, write=False) as uow:
        return control.changes(uow, actor_of(runtime, officer), cursor)


def test_the_feed_sends_changes_and_positions_only_to_those_allowed(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    unit = new_unit(client, sho, world.station_a, "CR-1")
    token = tracker(client, sho, unit["id"])["token"]
    client.get("/api/v1/patrol/osmand", params={"id": token, "lat": LAT0 + 0.001, "lon": LON0})
    cursor = control.Cursor()
    first = _feed(runtime, sho, cursor)
    assert first["can_see_positions"] is True
    assert {a["code"] for a in first["areas"]} == {"PS-A", "PS-A-B01", "PS-A-B02"}  # type: ignore[index,union-attr]
    assert [u["call_sign"] for u in first["units"]] == ["CR-1"]  # type: ignore[union-attr]
    assert [p["unit_id"] for p in first["positions"]] == [unit["id"]]  # type: ignore[union-attr]
    assert first["incidents"] == []
    disclosed = audit_events(runtime, "record.disclose", resource_type="patrol_position")
    assert disclosed
    # Nothing new: nothing sent (and nothing disclosed).
    assert _feed(runtime, sho, cursor) == {}
    assert len(audit_events(runtime, "record.disclose", resource_type="patrol_position")) == len(
        disclosed
    )
    # A ping and a status change: only those.
    client.get("/api/v1/patrol/osmand", params={"id": token, "lat": LAT0 + 0.002, "lon": LON0})
    client.post(
        f"/api/v1/patrol/units/{unit['id']}/status",
        json={"status": "available"},
        headers=sho.bearer,
    )
    later = _feed(runtime, sho, cursor)
    assert set(later) == {"units", "positions"}
    assert later["positions"][0]["lat"] == round(LAT0 + 0.002, 6)  # type: ignore[index]
    assert later["units"][0]["status"] == "available"  # type: ignore[index]

    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    theirs = _feed(runtime, constable, control.Cursor())
    assert theirs["can_see_positions"] is False and "positions" not in theirs
    assert [u["call_sign"] for u in theirs["units"]] == ["CR-1"]  # type: ignore[union-attr]
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    elsewhere = _feed(runtime, other, control.Cursor())
    assert elsewhere["units"] == [] and "positions" not in elsewhere and elsewhere["areas"] == []


def test_a_map_past_the_disclosure_budget_is_told_so_and_stops(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    """Every unit on the map is charged to the viewer's budget (kotwal.watch): a constable's
    map of more units than a constable may see in an hour is refused, and the stream says so
    and ends instead of failing silently."""
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    for n in range(110):  # a constable's hourly hard limit is 100 distinct records
        body = {
            "call_sign": f"CR-B{n:03d}",
            "vehicle_number": f"TS09PB{1000 + n}",
            "kind": "blue_colts",
            "station_id": world.station_a,
        }
        assert client.post("/api/v1/patrol/units", json=body, headers=sho.bearer).status_code == 201
    constable = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console_login(client, constable)
    r = client.get("/patrol/control/events")
    assert r.status_code == 200
    assert "event: refused" in r.text and "event: changes" not in r.text


def test_uncovered_beats_reach_those_who_read_coverage(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    with runtime.db.transaction(write=True) as session:  # drawn five hours ago
        session.execute(
            update(PatrolArea).values(created_at=datetime.now(UTC) - timedelta(hours=5))
        )
    assert coverage.check_uncovered(runtime, FACTORY).raised == 2
    cursor = control.Cursor()
    alerts = _feed(runtime, sho, cursor)["beat_alerts"]
    assert sorted(a["code"] for a in alerts) == ["PS-A-B01", "PS-A-B02"]  # type: ignore[union-attr]
    assert "beat_alerts" not in _feed(runtime, sho, cursor)  # unchanged: not sent again
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert "beat_alerts" not in _feed(runtime, constable, control.Cursor())

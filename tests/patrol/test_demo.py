"""The patrol demo: every demo station gets an area and beats (Hyderabad's from the shipped
OpenStreetMap wards), check-in points and units; one unit is on shift with a tracker and an
hour of positions, which a sub-inspector sees and a constable does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal import demo
from kotwal.core.policy import Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.manifest import DemoContext
from kotwal.officers.demo import seed as seed_officers
from kotwal.patrol.demo import seed
from kotwal.patrol.models import PatrolArea, PatrolPoint, PatrolPosition, PatrolUnit
from kotwal.patrol.wards import STATION_WARDS, load_wards
from tests.factories import api_officer


def _no_progress(_what: str, _total: int | None):  # type: ignore[no-untyped-def]
    return lambda _done, _of: None


def test_every_ward_the_demo_names_is_in_the_shipped_file_and_valid() -> None:
    from shapely.geometry import shape

    wards = load_wards()
    for names in STATION_WARDS.values():
        for name in names:
            assert shape(wards[name]["geometry"]).is_valid, name


def test_the_demo_lays_beats_units_and_a_tracked_unit(runtime: Runtime, client: TestClient) -> None:
    stations = demo.build_tree(runtime)
    ctx = DemoContext(runtime, stations, 0, 7, demo._state_seeder(runtime), _no_progress)
    seed_officers(ctx)
    seed(ctx)
    seed(ctx)  # a second run adds nothing
    with runtime.db.transaction(write=False) as session:

        def count(model: type, *where: object) -> int:
            stmt = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return int(session.execute(stmt).scalar_one())

        assert count(PatrolArea, PatrolArea.kind == "station_area") == 30
        wards = sum(len(w) for w in STATION_WARDS.values())
        assert count(PatrolArea, PatrolArea.kind == "beat") == wards + 20 * 4
        assert count(PatrolArea, PatrolArea.source.like("OpenStreetMap GHMC ward%")) == wards
        assert count(PatrolPoint) == 30 * 5
        assert count(PatrolUnit) == 60
        assert count(PatrolPosition) == 60
    station = stations[0]
    si = api_officer(runtime, Role.SUB_INSPECTOR, station)
    positions = client.get("/api/v1/patrol/positions", headers=si.bearer)
    assert positions.status_code == 200 and len(positions.json()) == 1
    constable = api_officer(runtime, Role.CONSTABLE, station)
    assert client.get("/api/v1/patrol/positions", headers=constable.bearer).status_code == 403
    units = client.get("/api/v1/patrol/units", headers=constable.bearer).json()
    assert [u["status"] for u in units] == ["available", "off_duty"]
    # One open incident waits in the first station's queue; a week of closed ones gives the
    # response times of the first five stations, every watch reached.
    queue = client.get("/api/v1/patrol/incidents", headers=si.bearer).json()
    assert [(i["status"], i["priority"]) for i in queue] == [("open", 2)]
    with runtime.db.transaction(write=False) as session:
        state_id = session.execute(
            select(Jurisdiction.id).where(Jurisdiction.code == demo.STATE_CODE)
        ).scalar_one()
    state = api_officer(runtime, Role.STATE_HQ, state_id)
    now = datetime.now(UTC)
    period = {"since": (now - timedelta(days=8)).isoformat(), "until": now.isoformat()}
    times = client.get("/api/v1/patrol/response-times", params=period, headers=state.bearer)
    rows = times.json()
    assert len({r["station_id"] for r in rows}) == 5
    # Every incident reached but the open one.
    assert sum(r["incidents"] for r in rows) - sum(r["reached"] for r in rows) == 1
    assert all(0 < r["response_median_s"] <= r["response_p90_s"] <= 31 * 60 for r in rows)

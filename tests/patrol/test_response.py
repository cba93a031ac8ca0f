"""Response-time statistics: per station and watch (entered 06-14, 14-22 or 22-06 local time),
the median and 90th percentile from the call to a unit on scene and to a unit sent; only the
stations of one's jurisdiction; counts and durations, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import update

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol.models import PatrolIncident
from tests.factories import World, api_officer
from tests.helpers import console_login

IST = ZoneInfo("Asia/Kolkata")
DAY = datetime(2026, 11, 20, tzinfo=IST)
#: Somewhere no station's area is drawn: the incident is filed at the station named.
PLACE = {"lat": 18.5, "lon": 79.5}


def _incident(
    client: TestClient,
    runtime: Runtime,
    officer: object,
    station: str,
    entered: datetime,
    sent_min: float | None,
    on_scene_min: float | None,
) -> None:
    body = {
        "source": "dial_100",
        "category": "theft",
        "priority": 2,
        **PLACE,
        "station_id": station,
    }
    r = client.post("/api/v1/patrol/incidents", json=body, headers=officer.bearer)  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text
    entered = entered.astimezone(UTC)  # stored in UTC, as the service stores every moment
    values = {
        "created_at": entered,
        "assigned_at": entered + timedelta(minutes=sent_min) if sent_min is not None else None,
        "on_scene_at": (
            entered + timedelta(minutes=on_scene_min) if on_scene_min is not None else None
        ),
    }
    # The calls were taken on DAY: their times are set as they were then.
    with runtime.db.transaction(write=True) as session:
        session.execute(
            update(PatrolIncident).where(PatrolIncident.id == r.json()["id"]).values(**values)
        )


def test_response_times_per_station_and_watch(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    other = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_b)
    for hour, sent, on_scene in ((8, 2, 10), (9, 4, 20), (10, 1, 30)):
        _incident(client, runtime, sho, world.station_a, DAY.replace(hour=hour), sent, on_scene)
    _incident(client, runtime, sho, world.station_a, DAY.replace(hour=23, minute=30), None, None)
    _incident(client, runtime, other, world.station_b, DAY.replace(hour=8), 1, 5)
    period = {
        "since": (DAY - timedelta(days=1)).isoformat(),
        "until": (DAY + timedelta(days=2)).isoformat(),
    }
    r = client.get("/api/v1/patrol/response-times", params=period, headers=sho.bearer)
    assert r.status_code == 200, r.text
    rows = {row["watch"]: row for row in r.json()}
    assert set(rows) == {"06-14", "22-06"}
    assert {row["station_id"] for row in r.json()} == {world.station_a}
    day = rows["06-14"]
    assert day["incidents"] == 3 and day["reached"] == 3
    assert day["response_median_s"] == 1200 and day["response_p90_s"] == 1680
    assert day["dispatch_median_s"] == 120
    night = rows["22-06"]
    assert night["incidents"] == 1 and night["reached"] == 0 and night["response_median_s"] is None
    # Only durations and counts: no place, category or unit.
    assert not {"lat", "lon", "category", "unit_id"} & set(day)
    # Station B's SHO sees station B's only.
    theirs = client.get("/api/v1/patrol/response-times", params=period, headers=other.bearer).json()
    assert [(row["station_id"], row["response_median_s"]) for row in theirs] == [
        (world.station_b, 300.0)
    ]
    bad = {"since": period["until"], "until": period["since"]}
    assert (
        client.get("/api/v1/patrol/response-times", params=bad, headers=sho.bearer).status_code
        == 422
    )


def test_the_response_page_draws_the_chart(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    recent = datetime.now(IST) - timedelta(days=2)
    _incident(client, runtime, sho, world.station_a, recent, 3, 12)
    console_login(client, sho)
    page = client.get("/patrol/response?days=7")
    assert page.status_code == 200
    assert 'id="response-chart"' in page.text and "12.0 min" in page.text

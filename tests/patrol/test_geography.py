"""Station areas, beats and check-in points: the GeoJSON import and its checks (closed rings,
no self-intersection, a beat inside its station's area within the tolerance, all or nothing,
every wrong feature named), and finding a place's beat and the points near it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.patrol.models import PatrolArea, PatrolPoint
from tests.factories import World, api_officer
from tests.helpers import audit_events
from tests.patrol.helpers import (
    KM,
    LAT0,
    LON0,
    collection,
    feature,
    import_map,
    point,
    square,
    station_a_map,
)


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.db.transaction(write=False) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_station_area_its_beats_and_a_bank_are_imported(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    r = import_map(client, sho, station_a_map())
    assert r.status_code == 201, r.text
    assert r.json() == {"station_areas": 1, "beats": 2, "points": 1}
    areas = client.get("/api/v1/patrol/areas?kind=beat", headers=sho.bearer).json()
    assert [a["code"] for a in areas] == ["PS-A-B01", "PS-A-B02"]
    assert all(a["parent_id"] for a in areas)
    assert audit_events(runtime, "patrol.areas.import", outcome="success")


def test_a_place_is_located_in_its_beat_with_the_points_near_it(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    r = client.get(
        f"/api/v1/patrol/locate?lat={LAT0 + 0.004}&lon={LON0 + 0.004}", headers=constable.bearer
    )
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["station_area"]["code"] == "PS-A"
    assert found["beat"]["code"] == "PS-A-B01"
    (bank, metres), *_ = found["points"]
    assert bank["kind"] == "bank" and bank["beat_id"] == found["beat"]["id"]
    assert 100 < metres < 200  # 0.001 degree each way is about 150 m
    east = client.get(
        f"/api/v1/patrol/locate?lat={LAT0 + 0.004}&lon={LON0 + 0.015}", headers=constable.bearer
    ).json()
    assert east["beat"]["code"] == "PS-A-B02" and east["points"] == []


def test_an_area_outside_ones_jurisdiction_is_not_found_by_locate(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    assert import_map(client, sho, station_a_map()).status_code == 201
    elsewhere = api_officer(runtime, Role.CONSTABLE, world.station_c)
    found = client.get(
        f"/api/v1/patrol/locate?lat={LAT0 + 0.004}&lon={LON0 + 0.004}", headers=elsewhere.bearer
    ).json()
    assert found == {"station_area": None, "beat": None, "points": []}


def _rejected(client: TestClient, runtime: Runtime, world: World, document: Any) -> list[Any]:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    r = import_map(client, sho, document)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _count(runtime, PatrolArea) == 0 and _count(runtime, PatrolPoint) == 0
    return list(r.json()["errors"])


def test_a_ring_that_is_not_closed_is_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    ring = square(LON0, LAT0, KM)[:-1]
    errors = _rejected(
        client, runtime, world, collection(feature("station_area", "PS-A", "PS-A", ring))
    )
    assert errors == [
        {
            "feature": 1,
            "label": "PS-A",
            "reason": "the outer ring is not closed (its last position must repeat its first)",
        }
    ]


def test_a_self_intersecting_ring_is_refused_with_where_it_crosses(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    bowtie = [[LON0, LAT0], [LON0 + KM, LAT0 + KM], [LON0 + KM, LAT0], [LON0, LAT0 + KM]]
    errors = _rejected(
        client,
        runtime,
        world,
        collection(feature("station_area", "PS-A", "PS-A", [*bowtie, bowtie[0]])),
    )
    assert errors[0]["reason"].startswith("the shape is not valid: Self-intersection")


def test_a_beat_outside_its_station_area_is_refused_and_nothing_is_written(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    document = station_a_map()
    # Sticks out 100 m east of the area: beyond the 30 m tolerance.
    document["features"].append(
        feature("beat", "PS-A", "PS-A-B03", square(LON0 + 1.1 * KM, LAT0 + KM, KM))
    )
    errors = _rejected(client, runtime, world, document)
    assert errors == [
        {
            "feature": 5,
            "label": "PS-A-B03",
            "reason": "the beat is not inside its station's area PS-A (allowing 30 m)",
        }
    ]


def test_a_beat_a_few_metres_over_the_boundary_is_accepted(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    over = 0.0001  # about 11 m: boundaries traced from different sources disagree this much
    document = collection(
        feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, 2 * KM)),
        feature("beat", "PS-A", "PS-A-B01", square(LON0 - over, LAT0 - over, KM)),
    )
    assert import_map(client, sho, document).status_code == 201


def test_every_wrong_feature_is_named(client: TestClient, runtime: Runtime, world: World) -> None:
    document = collection(
        feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, 2 * KM)),
        feature("beat", "PS-A", "PS-A-B01", square(LON0, LAT0, KM)),
        feature("beat", "PS-A", "PS-A-B01", square(LON0 + KM, LAT0, KM)),
        feature("beat", "PS-C", "PS-C-B01", square(LON0, LAT0, KM)),
        feature("lake", "PS-A", "PS-A-L", square(LON0, LAT0, KM)),
        point("bank", "PS-A", 200.0, LAT0),
    )
    errors = _rejected(client, runtime, world, document)
    assert [(e["feature"], e["reason"]) for e in errors] == [
        (3, "the code PS-A-B01 appears twice in the file"),
        (4, "properties.station: 'PS-C' is outside your jurisdiction"),
        (
            5,
            "properties.kind must be one of station_area, beat, bank, atm, place_of_worship, "
            "school, hot_spot",
        ),
        (6, "the point holds [200.0, 17.36], outside longitude/latitude"),
    ]


def test_a_beat_needs_its_station_area(client: TestClient, runtime: Runtime, world: World) -> None:
    errors = _rejected(
        client,
        runtime,
        world,
        collection(feature("beat", "PS-A", "PS-A-B01", square(LON0, LAT0, KM))),
    )
    assert errors[0]["reason"] == "the station has no area: import its area first"


def test_a_second_import_adds_beats_to_the_stored_area(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    area = collection(feature("station_area", "PS-A", "PS-A", square(LON0, LAT0, 2 * KM)))
    assert import_map(client, sho, area).status_code == 201
    beats = collection(feature("beat", "PS-A", "PS-A-B01", square(LON0, LAT0, KM)))
    assert import_map(client, sho, beats).json() == {"station_areas": 0, "beats": 1, "points": 0}
    again = import_map(client, sho, area)
    assert again.status_code == 422
    assert "exists already" in again.json()["errors"][0]["reason"]


def test_a_constable_cannot_import_areas(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    constable = api_officer(runtime, Role.CONSTABLE, world.station_a)
    assert import_map(client, constable, station_a_map()).status_code == 403
    assert _count(runtime, PatrolArea) == 0


def test_a_file_that_is_not_a_feature_collection_is_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    r = import_map(client, sho, {"type": "Feature"})
    assert r.status_code == 422
    assert r.json()["detail"] == "the file is not a GeoJSON FeatureCollection"

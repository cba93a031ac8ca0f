"""Demo arms licences: the same seed gives the same licences, every one visibly synthetic, and
the seeded licences are readable by the demo's licensing officer through the API."""

from __future__ import annotations

import random
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal import demo
from kotwal.arms.demo import seed_licences, synthetic_licence
from kotwal.arms.models import ArmsLicence, ArmsLicenceEvent
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import issue_token, make_officer

TODAY = date(2026, 11, 1)


def test_same_seed_gives_the_same_licences_and_all_are_visibly_synthetic() -> None:
    a = [synthetic_licence(random.Random(7), "s" * 36, "HYD-PS-01", n, TODAY) for n in range(50)]
    b = [synthetic_licence(random.Random(7), "s" * 36, "HYD-PS-01", n, TODAY) for n in range(50)]
    assert a == b
    assert all(
        lic.licence_number.startswith("DEMO/") and lic.uin.startswith("DEMO-UIN-") for lic in a
    )
    assert all(w.serial.startswith("DEMO") for lic in a for w in lic.weapons)
    assert all(lic.holder_phone is None or lic.holder_phone.startswith("90000") for lic in a)
    assert all("Demo Colony" in (lic.holder_address or "") for lic in a)


def test_seeded_licences_are_filed_across_the_stations_and_readable(
    runtime: Runtime, client: TestClient
) -> None:
    stations = demo.build_tree(runtime)
    assert seed_licences(runtime, stations, 90, seed=3, batch=40) == 90
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(func.count()).select_from(ArmsLicence)).scalar_one() == 90
        per_station = s.execute(
            select(ArmsLicence.station_id, func.count()).group_by(ArmsLicence.station_id)
        ).all()
        issued = s.execute(
            select(func.count()).where(ArmsLicenceEvent.action == "issued")
        ).scalar_one()
    assert len(per_station) == 30 and issued == 90
    with runtime.db.transaction(write=False) as s:
        root = s.execute(select(ArmsLicence.jurisdiction_path).limit(1)).scalar_one()
    officer = issue_token(
        runtime, make_officer(runtime, Role.ARMS_LICENSING_OFFICER, posting=root.split("/")[1])
    )
    page = client.get("/api/v1/arms/licences", params={"limit": 10}, headers=officer.bearer)
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 10 and page.json()["next_after"].startswith("DEMO/")
    assert all(i["holder_name"] for i in page.json()["items"])

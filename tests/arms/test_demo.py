"""Demo arms licences: the same seed and day give the same licences, every one visibly
synthetic, dated relative to the day the demo is seeded (mostly in force, some expiring within
30/60/90 days, a minority lapsed), and the seeded licences are readable by the demo's licensing
officer through the API."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal import demo
from kotwal.arms.demo import TERM_DAYS, seed_licences, synthetic_licence
from kotwal.arms.models import ArmsLicence, ArmsLicenceEvent
from kotwal.core.clock import station_today
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import issue_token, make_officer

TODAY = date(2026, 11, 1)


def _licences(seed: int, today: date, count: int = 50) -> list[Any]:
    rng = random.Random(seed)
    return [synthetic_licence(rng, "s" * 36, "HYD-PS-01", n, today) for n in range(count)]


def test_same_seed_and_day_give_the_same_licences_and_all_are_visibly_synthetic() -> None:
    a, b = _licences(7, TODAY), _licences(7, TODAY)
    assert a == b
    assert [x.issue for x in _licences(8, TODAY)] != [x.issue for x in a]
    issues = [x.issue for x in a]
    assert all(
        lic.licence_number.startswith("DEMO/") and lic.uin.startswith("DEMO-UIN-") for lic in issues
    )
    assert all(w.serial.startswith("DEMO") for lic in issues for w in lic.weapons)
    assert all(lic.holder_phone is None or lic.holder_phone.startswith("90000") for lic in issues)
    assert all("Demo Colony" in (lic.holder_address or "") for lic in issues)


def _standing(valid_until: date, today: date) -> str:
    days = (valid_until - today).days
    if days < 0:
        return "lapsed"
    return next(f"within {h}" for h in (30, 60, 90) if days <= h) if days <= 90 else "in force"


@pytest.mark.parametrize("today", [TODAY, date(2031, 2, 28), date(2040, 6, 15)])
def test_licence_dates_move_with_the_day_in_realistic_shares(today: date) -> None:
    made = _licences(11, today, count=4000)
    shares = Counter(_standing(x.valid_until, today) for x in made)
    # Mostly in force; about 3% in each 30-day band of expiry; a minority (about 8%) lapsed.
    assert shares["in force"] / len(made) > 0.75, shares
    for band in ("within 30", "within 60", "within 90"):
        assert 0.015 < shares[band] / len(made) < 0.05, shares
    assert 0.05 < shares["lapsed"] / len(made) < 0.12, shares
    for x in made:
        lic = x.issue
        # Each term within the law's five years, issued no later than today, renewals in order.
        assert lic.issued_on <= today and lic.issued_on < lic.valid_until
        assert (lic.valid_until - lic.issued_on).days == TERM_DAYS
        terms = [lic.valid_until, *x.renewals]
        assert all((b - a).days == TERM_DAYS + 1 for a, b in pairwise(terms))
        assert x.valid_until <= today + timedelta(days=TERM_DAYS)
        assert lic.holder_birth_year <= lic.issued_on.year - 21
    # A licence's number keeps its first year: some of those in force were issued long ago.
    renewed = [x for x in made if x.renewals]
    assert 0.3 < len(renewed) / len(made) < 0.5
    assert {_standing(x.valid_until, today) for x in renewed} >= {"in force", "lapsed"}


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
        renewed = s.execute(
            select(func.count()).where(ArmsLicenceEvent.action == "renewed")
        ).scalar_one()
        expiries = list(s.execute(select(ArmsLicence.valid_until)).scalars())
    assert len(per_station) == 30 and issued == 90 and renewed > 0
    # Reckoned from the stations' today: most of them are in force on the day they were seeded.
    today = station_today(runtime)
    assert sum(until >= today for until in expiries) > 90 * 0.75
    with runtime.db.transaction(write=False) as s:
        root = s.execute(select(ArmsLicence.jurisdiction_path).limit(1)).scalar_one()
    officer = issue_token(
        runtime, make_officer(runtime, Role.ARMS_LICENSING_OFFICER, posting=root.split("/")[1])
    )
    page = client.get("/api/v1/arms/licences", params={"limit": 10}, headers=officer.bearer)
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 10 and page.json()["next_after"].startswith("DEMO/")
    assert all(i["holder_name"] for i in page.json()["items"])

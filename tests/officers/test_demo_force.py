"""The force part of `kotwal demo`: 300 synthetic officers with dated careers, an SHO posted at
every demo station, station profiles inside Telangana-like bounds, all from the seed."""

from __future__ import annotations

import random
from collections import Counter
from itertools import pairwise

from sqlalchemy import select

from kotwal import demo
from kotwal.core.runtime import Runtime
from kotwal.officers import demo as force_demo
from kotwal.officers.models import Officer, OfficerPosting, StationProfile

STATIONS = [f"{n:036d}" for n in range(30)]


def test_the_same_seed_gives_the_same_officers() -> None:
    def force(seed: int) -> list[force_demo.DemoOfficer]:
        rng = random.Random(seed)
        return [force_demo.synthetic_officer(rng, STATIONS, n % 30, n // 30, n) for n in range(60)]

    assert force(5) == force(5)
    assert force(5) != force(6)
    for made in force(5):
        entry = made.entry
        assert entry.belt_number.startswith("DEMO-")
        assert (entry.official_email or "").endswith(".invalid")
        assert (entry.personal_phone or "").startswith("90002")
        assert "Demo Colony" in (entry.personal_address or "")
        assert all(p.unit_id != entry.unit_id for p in entry.earlier_postings)


def test_seeding_gives_every_demo_station_its_officers_sho_and_profile(runtime: Runtime) -> None:
    stations = demo.build_tree(runtime)
    assert force_demo.seed_force(runtime, seed=2026) == 300
    assert force_demo.seed_force(runtime, seed=2026) == 0  # once only
    with runtime.db.transaction(write=False) as s:
        officers = list(s.execute(select(Officer)).scalars())
        profiles = list(s.execute(select(StationProfile)).scalars())
        postings = list(s.execute(select(OfficerPosting)).scalars())
    assert len(officers) == 300
    assert Counter(o.unit_id for o in officers) == dict.fromkeys(stations, 10)
    assert len({o.rank for o in officers}) >= 5
    by_id = {o.id: o for o in officers}
    assert {p.id for p in profiles} == set(stations)
    for profile in profiles:
        assert profile.sho_officer_id is not None
        assert by_id[profile.sho_officer_id].unit_id == profile.id
        assert 15.8 <= (profile.latitude or 0) <= 19.95
        assert 77.2 <= (profile.longitude or 0) <= 81.35
        assert "Demo Colony" in profile.address
    open_postings = [p for p in postings if p.to_date is None]
    assert sorted(p.officer_id for p in open_postings) == sorted(by_id)
    assert len(postings) > 300  # most officers have served elsewhere before
    for officer_id in by_id:
        career = sorted(
            (p for p in postings if p.officer_id == officer_id), key=lambda p: p.from_date
        )
        for before, after in pairwise(career):
            assert before.to_date is not None and before.to_date < after.from_date

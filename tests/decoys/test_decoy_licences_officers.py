"""Decoy arms licences and decoy officers: modelled on the real records beside them, filed like
them, registered with their copy; opening one suspends the reader, listing one does not; a leak
carrying one's number, however re-punctuated, names the copy."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.arms.models import ArmsLicence
from kotwal.core.errors import InvalidInput
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import mimic, service
from kotwal.leak.service import trace
from kotwal.officers.models import Officer as OfficerRecord
from kotwal.watch.models import WatchAlert
from tests.arms.helpers import issue
from tests.factories import FACTORY, World, api_officer
from tests.officers.helpers import enter_officer


@pytest.fixture
def real(client: TestClient, runtime: Runtime, world: World) -> dict[str, Any]:
    """One real licence and one real officer at station A, for decoys to be modelled on."""
    alo = api_officer(runtime, Role.ARMS_LICENSING_OFFICER, world.district)
    sho = api_officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    return {
        "licence": issue(client, alo, world.station_a),
        "officer": enter_officer(client, sho, world.station_a, belt_number="TGP-SI-00417"),
    }


def _plant(runtime: Runtime, **counts: int) -> service.Planted:
    with UnitOfWork(runtime, write=True) as uow:
        return service.plant(uow, FACTORY, count=2, seed=7, **counts)


def _entries(runtime: Runtime) -> list[dict[str, Any]]:
    with UnitOfWork(runtime, write=False) as uow:
        return service.register_contents(uow.session)


def _shape(value: str) -> str:
    return re.sub(r"\d", "9", value)


def test_decoys_take_the_shape_of_their_neighbours_and_are_registered(
    runtime: Runtime, real: dict[str, Any], world: World
) -> None:
    planted = _plant(runtime, licences=2, officers=2)
    assert len(planted.licence_ids) == 2 and len(planted.officer_ids) == 2
    model = real["licence"]
    with runtime.db.transaction(write=False) as session:
        licences = list(
            session.scalars(select(ArmsLicence).where(ArmsLicence.id.in_(planted.licence_ids)))
        )
        officers = list(
            session.scalars(select(OfficerRecord).where(OfficerRecord.id.in_(planted.officer_ids)))
        )
    for licence in licences:  # the real one's station, numbers of its shape, new digits
        assert licence.station_id == world.station_a
        assert _shape(licence.licence_number) == _shape(model["licence_number"])
        assert licence.licence_number != model["licence_number"]
        assert _shape(licence.uin) == _shape(model["uin"]) and licence.uin != model["uin"]
    for officer in officers:
        assert officer.unit_id == world.station_a and officer.rank == "sub_inspector"
        assert re.fullmatch(r"TGP-SI-\d{5}", officer.belt_number)
        assert officer.belt_number != "TGP-SI-00417"
    entries = _entries(runtime)
    kinds = {(e["resource_type"], e["record_id"]) for e in entries}
    assert {("arms_licence", i) for i in planted.licence_ids} <= kinds
    assert {("officer", i) for i in planted.officer_ids} <= kinds
    assert sum(e["resource_type"] == "phone" for e in entries) == 2 + 2 + 2


def test_without_real_ones_to_model_on_none_are_planted_unless_asked(
    runtime: Runtime, world: World
) -> None:
    planted = _plant(runtime)
    assert planted.licence_ids == () and planted.officer_ids == ()
    with pytest.raises(InvalidInput, match="no arms licence to model"):
        _plant(runtime, licences=1)


@pytest.mark.parametrize(
    ("kind", "path"), [("licence", "/api/v1/arms/licences/{}"), ("officer", "/api/v1/officers/{}")]
)
def test_opening_a_decoy_licence_or_officer_suspends_the_reader(
    client: TestClient,
    runtime: Runtime,
    real: dict[str, Any],
    world: World,
    kind: str,
    path: str,
) -> None:
    planted = _plant(runtime, licences=1, officers=1)
    decoy = planted.licence_ids[0] if kind == "licence" else planted.officer_ids[0]
    reader = api_officer(runtime, Role.SUB_INSPECTOR, world.station_a)
    listing = "/api/v1/arms/licences" if kind == "licence" else "/api/v1/officers"
    listed = client.get(listing, headers=reader.bearer)
    assert listed.status_code == 200 and decoy in listed.text  # listed: not punished
    assert client.get(listing, headers=reader.bearer).status_code == 200
    # Opened: the answer leaves (a refusal would point at the trap), then the account is
    # suspended and every session ends.
    assert client.get(path.format(decoy), headers=reader.bearer).status_code == 200
    after = client.get(listing, headers=reader.bearer)
    assert after.status_code in (401, 403), after.text
    with runtime.db.transaction(write=False) as session:
        alerts = list(session.scalars(select(WatchAlert)))
    assert [(a.kind, a.action, a.account_id) for a in alerts] == [
        ("decoy", "suspend", reader.account_id)
    ]


def test_a_leak_carrying_a_decoy_licence_or_belt_number_names_the_copy(
    runtime: Runtime, real: dict[str, Any], world: World
) -> None:
    with UnitOfWork(runtime, write=True) as uow:
        planted = service.plant(
            uow, FACTORY, count=1, copy_id="staging", seed=11, licences=1, officers=1
        )
    entries = {e["record_id"]: e for e in _entries(runtime)}
    licence = entries[planted.licence_ids[0]]
    officer = entries[planted.officer_ids[0]]
    # Re-punctuated the way a seller retypes them, beside a real licence's number.
    sample = "\n".join(
        [
            "licence no;holder;weapon",
            f"{real['licence']['licence_number']};{real['licence']['holder_name']};revolver",
            f"{licence['licence_number'].replace('/', '-')};{licence['holder_name']};gun",
            f"{officer['belt_number'].replace('-', ' ')};{officer['name']};SI",
        ]
    ).encode()
    report = trace(runtime, FACTORY, sample)
    assert report.copy.copy_id == "staging" and report.copy.basis == "decoys"
    assert {d["decoy_id"] for d in report.decoys} == {licence["decoy_id"], officer["decoy_id"]}


def test_a_number_is_varied_in_its_last_run_of_digits_only() -> None:
    rng = random.Random(3)
    varied = mimic.vary_number(rng, "HYD-PS-01/2023/00417")
    assert varied.startswith("HYD-PS-01/2023/") and re.fullmatch(r"\d{5}", varied[-5:])
    assert mimic.vary_number(rng, "ABC").startswith("ABC")
    assert mimic.codes_of("hyd-ps-01 / 2023 / 00417") == "HYDPS01202300417"

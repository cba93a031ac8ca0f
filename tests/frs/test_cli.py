"""``kotwal frs`` on both databases: calibrate a threshold from a labelled folder and see it in
force, enrol a folder over every core, rebuild the index; each acting as a real account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.frs import service
from kotwal.frs.models import Calibration, Gallery, GalleryFace
from tests.factories import Officer, World, issue_token, make_officer
from tests.frs.helpers import blank, photo
from tests.import_helpers import actor_of
from tests.records_helpers import file_person

runner = CliRunner()


@pytest.fixture
def operator(runtime: Runtime, world: World) -> Officer:
    return make_officer(runtime, Role.FRS_OPERATOR, posting=world.station_a)


def _rows(runtime: Runtime, model: Any) -> list[Any]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(model)).scalars())


def test_calibrate_stores_a_threshold_above_every_impostor_and_status_shows_it(
    env: Settings, runtime: Runtime, operator: Officer, tmp_path: Path
) -> None:
    for identity, names in {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"]}.items():
        (tmp_path / identity).mkdir()
        for name in names:
            (tmp_path / identity / name).write_bytes(photo(name))
    args = ["frs", "calibrate", str(tmp_path), "--as", operator.username, "--target-fmr", "0.1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "FMR        0.000000" in result.stdout
    assert "FNMR       0.000000" in result.stdout
    # Two impostor pairs are far too few for the tail of a 1:N threshold: the LFW tail stays.
    assert "tail       none stored: an impostor tail needs at least 10,000" in result.stdout
    assert "1:N        target FPIR 0.01; at the gallery sizes in force:" in result.stdout
    assert "offenders: 0 face(s), threshold " in result.stdout
    assert "default (LFW)" in result.stdout
    (calibration,) = _rows(runtime, Calibration)
    assert (calibration.genuine_pairs, calibration.impostor_pairs) == (1, 2)
    status = runner.invoke(app, ["frs", "status"])
    assert status.exit_code == 0, status.output
    assert f"{calibration.threshold:.4f} (calibration {calibration.id}" in status.stdout
    assert "exact below 200,000 faces a gallery" in status.stdout
    with runtime.db.transaction(write=False) as s:
        (event,) = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "frs.calibrate")
        ).scalars()
    assert event.actor_id == operator.account_id
    assert json.loads(event.detail)["threshold"] == f"{calibration.threshold:.4f}"


def test_a_folder_is_enrolled_and_refusals_are_listed(
    env: Settings,
    client: TestClient,
    runtime: Runtime,
    world: World,
    operator: Officer,
    tmp_path: Path,
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    good = file_person(client, si, world.station_a)
    faceless = file_person(client, si, world.station_a)
    (tmp_path / f"{good['id']}.jpg").write_bytes(photo("obama.jpg"))
    (tmp_path / f"{faceless['id']}.jpg").write_bytes(blank())
    args = ["frs", "enrol", "offenders", str(tmp_path), "--as", operator.username]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "enrolled 1 face(s) into offenders" in result.stdout
    assert f"refused {faceless['id']}.jpg: 0 faces" in result.stdout
    (face,) = _rows(runtime, GalleryFace)
    assert face.person_id == good["id"]
    with runtime.db.transaction(write=False) as s:
        (refusal,) = s.execute(
            select(AuditEventRow).where(AuditEventRow.action == "frs.refused")
        ).scalars()
    assert json.loads(refusal.detail)["reason"] == "no-face"
    assert json.loads(refusal.detail)["action"] == "enrol"

    (env.data_dir / "frs").mkdir(exist_ok=True)
    reindexed = runner.invoke(app, ["frs", "reindex", "--as", operator.username])
    assert reindexed.exit_code == 0, reindexed.output
    assert "offenders: 1 face(s) indexed" in reindexed.stdout
    assert (env.data_dir / "frs" / "offenders.npz").exists()


def test_a_command_as_an_account_without_the_permission_changes_nothing(
    env: Settings, runtime: Runtime, world: World
) -> None:
    si = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    result = runner.invoke(app, ["frs", "reindex", "--as", si.username])
    assert result.exit_code == 2
    assert _rows(runtime, Calibration) == []


def test_a_calibration_with_a_tail_chooses_the_one_to_n_thresholds_its_gallery_first(
    env: Settings, runtime: Runtime, operator: Officer
) -> None:
    # 50 made-up identities of 4 faces each: 19,600 impostor pairs, enough for a tail.
    rng = np.random.default_rng(9)
    labelled: dict[str, list[Any]] = {}
    for n in range(50):
        centre = rng.standard_normal(128)
        labelled[f"id{n}"] = [centre + 0.3 * rng.standard_normal(128) for _ in range(4)]
    every = service.choose_threshold(labelled, 1e-3)
    assert every.tail is not None and every.impostor_pairs == 19_600
    # A second one, stored for the missing persons' gallery alone.
    own = service.choose_threshold(dict(list(labelled.items())[5:]), 1e-3)
    assert own.tail is not None
    actor = actor_of(runtime, operator)
    with UnitOfWork(runtime, write=True) as uow:
        first = service.save_calibration(uow, actor, every)
    with UnitOfWork(runtime, write=True) as uow:
        mine = service.save_calibration(uow, actor, own, Gallery.MISSING)
    result = runner.invoke(app, ["frs", "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0].split()[-1]: line for line in result.stdout.splitlines()}
    assert f"calibration {first.id}" in lines["offenders"]
    assert f"calibration {mine.id}" in lines["missing_persons"]
    with UnitOfWork(runtime, write=False) as uow:
        limit = service.search_threshold(uow, ["offenders"], 10_000)
        bigger = service.search_threshold(uow, ["offenders"], 100_000)
    assert limit.source.startswith(f"calibration {first.id}")
    assert bigger.value > limit.value >= limit.one_to_one.value

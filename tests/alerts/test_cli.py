"""``kotwal alerts``: importing the DLT registry mirror from JSON or a CSV of templates, as a
named officer, all or nothing; listing templates and alerts; and the demo's alerts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal import demo
from kotwal.alerts.demo import demo_registry, seed
from kotwal.alerts.models import AlertOutboxMessage, PublicAlert
from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.jurisdictions import by_code
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import DemoContext
from tests.alerts.conftest import officer
from tests.alerts.helpers import RAIN, counts, drafted, rain
from tests.factories import Officer, World
from tests.helpers import audit_events

runner = CliRunner()


def _registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "dlt.json"
    path.write_text(json.dumps(demo_registry().model_dump(mode="json"), ensure_ascii=False))
    return path


def test_the_registry_is_imported_as_an_officer_and_again_changes_nothing(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    file = _registry_file(tmp_path)
    result = runner.invoke(app, ["alerts", "templates", "import", str(file), "--as", hq.username])
    assert result.exit_code == 0, result.output
    assert "registered 6 allowed, 1 entities, 2 headers, 7 templates" in result.output
    again = runner.invoke(app, ["alerts", "templates", "import", str(file), "--as", hq.username])
    assert again.exit_code == 0 and "registered nothing" in again.output
    listed = runner.invoke(app, ["alerts", "templates", "list", "--as", hq.username])
    assert listed.exit_code == 0 and RAIN in listed.output and "[text,date,phone]" in listed.output
    assert audit_events(runtime, "alert_registry.imported")[0].actor_name == hq.username


def test_a_csv_of_templates_is_imported_under_registered_headers(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path, templates: dict[str, str]
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    path = tmp_path / "templates.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["dlt_template_id", "header", "name", "category", "variables", "text"])
        writer.writerow(
            [
                "1999000000000000301",
                "DEMOTR",
                "Procession route",
                "service-implicit",
                "text|date",
                "Procession on {#var#} on {#var#}. -Traffic Police",
            ]
        )
    result = runner.invoke(app, ["alerts", "templates", "import", str(path), "--as", hq.username])
    assert result.exit_code == 0, result.output
    assert counts(runtime)["alert_templates"] == len(templates) + 1


def test_a_bad_file_writes_nothing(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    document = demo_registry().model_dump(mode="json")
    document["templates"][2]["category"] = "promotional"
    path = tmp_path / "dlt.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    result = runner.invoke(app, ["alerts", "templates", "import", str(path), "--as", hq.username])
    assert result.exit_code == 2 and "promotional" in result.output
    assert counts(runtime)["alert_templates"] == 0
    path.write_text("{not json")
    result = runner.invoke(app, ["alerts", "templates", "import", str(path), "--as", hq.username])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_an_officer_without_the_permission_cannot_import(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    dcp = officer(runtime, Role.DISTRICT_CHIEF, world.district)
    file = _registry_file(tmp_path)
    result = runner.invoke(app, ["alerts", "templates", "import", str(file), "--as", dcp.username])
    assert result.exit_code == 2
    assert counts(runtime)["alert_templates"] == 0


def test_alerts_are_listed_for_an_officer(
    env: Settings, client: TestClient, templates: dict[str, str], sho: Officer, world: World
) -> None:
    drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    result = runner.invoke(app, ["alerts", "list", "--as", sho.username])
    assert result.exit_code == 0 and "awaiting" in result.output and "Dear Citizen" in result.output


def test_the_demo_registers_templates_and_queues_one_approved_alert(runtime: Runtime) -> None:
    stations = demo.build_tree(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        root = by_code(uow, demo.STATE_CODE)
        assert root is not None
        seeder = Actor(None, "cli:demo-seed", frozenset({Role.STATE_HQ}), (root.path,))
    seed(DemoContext(runtime, stations, 100, 1, seeder, lambda _d, _t: lambda _n, _o: None))
    with runtime.db.transaction(write=False) as s:
        assert s.execute(select(PublicAlert.status)).scalars().all() == ["queued"]
        # One message to the station, fanned out to the demo's subscribers there, in the
        # district above and in Ward 33 who want weather alerts.
        kinds = dict(
            s.execute(
                select(AlertOutboxMessage.kind, func.count()).group_by(AlertOutboxMessage.kind)
            ).all()
        )
        assert kinds["area"] == 1 and 150 <= kinds["alert"] <= 190
    assert counts(runtime)["alert_templates"] == 7


def test_subscribers_are_imported_from_a_csv_and_a_bad_line_writes_nothing(
    env: Settings, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    good = tmp_path / "subscribers.csv"
    rows = [
        ["number", "categories", "areas", "wards", "source"],
        ["9800000101", "Met|Safety", _station_code(runtime, world), "", "SMS START"],
        ["+91 98000 00102", "Met", "", "33|91", "SMS START"],
    ]
    _write_csv(good, rows)
    result = runner.invoke(app, ["alerts", "subscribers", "import", str(good), "--as", hq.username])
    assert result.exit_code == 0, result.output
    assert "2 subscriber(s) added, 0 updated" in result.output
    bad = tmp_path / "bad.csv"
    _write_csv(bad, [*rows, ["9800000103", "Weather", "", "33", "SMS START"]])
    failed = runner.invoke(app, ["alerts", "subscribers", "import", str(bad), "--as", hq.username])
    assert failed.exit_code == 2 and "line 4: categories" in failed.output
    count = runner.invoke(app, ["alerts", "subscribers", "count", "--as", hq.username])
    assert "2 subscriber(s)" in count.output
    gone = runner.invoke(
        app, ["alerts", "subscribers", "remove", "9800000101", "--as", hq.username]
    )
    assert gone.exit_code == 0 and "removed" in gone.output


def test_channels_are_listed_and_switched_off_from_the_command_line(
    env: Settings, runtime: Runtime, world: World, client: TestClient, templates: dict[str, str]
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    sho = officer(runtime, Role.STATION_HOUSE_OFFICER, world.station_a)
    dcp = officer(runtime, Role.DISTRICT_CHIEF, world.district)
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    assert client.post(f"/api/v1/alerts/{alert['id']}/approve", headers=dcp.bearer).is_success
    listed = runner.invoke(app, ["alerts", "channels", "list", "--as", hq.username])
    assert listed.exit_code == 0 and "public-feed" in listed.output and "live" in listed.output
    off = runner.invoke(app, ["alerts", "channels", "disable", "public-feed", "--as", hq.username])
    assert off.exit_code == 0
    listed = runner.invoke(app, ["alerts", "channels", "list", "--as", hq.username])
    assert "disabled (officer)" in listed.output
    own = runner.invoke(
        app,
        [
            "alerts",
            "channels",
            "request",
            "public-feed",
            "--owner",
            hq.username,
            "--as",
            hq.username,
        ],
    )
    assert own.exit_code == 0
    refused = runner.invoke(
        app, ["alerts", "channels", "approve", "public-feed", "--as", hq.username]
    )
    assert refused.exit_code == 2 and "second officer" in refused.output
    denied = runner.invoke(app, ["alerts", "channels", "list", "--as", sho.username])
    assert denied.exit_code == 2


def _station_code(runtime: Runtime, world: World) -> str:
    with runtime.db.transaction(write=False) as s:
        node = s.get(Jurisdiction, world.station_a)
        assert node is not None
        return node.code


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)

"""Dashboards by role (issue 25 item 2): every figure equals the count of what its reader can
open one by one, through the same services and the gate, with no purpose declared; a reader
without a list's permission gets no figure of it; the panel's numbers export as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal import panels
from kotwal.arms import service as arms
from kotwal.arms.models import ArmsLicence, ArmsLicenceReview
from kotwal.core import audit
from kotwal.core.clock import station_today
from kotwal.core.identity import actor_for, get_account
from kotwal.core.models import AuditCheckpoint
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records import service as records
from kotwal.records.models import Case, CaseParty, HistorySheet, Person
from kotwal.watch import service as watch
from tests.factories import World, make_officer
from tests.helpers import console_login
from tests.records_helpers import seed_records_reference


def _masked(value: Any) -> bool:
    return isinstance(value, dict)


@pytest.fixture
def seeded(runtime: Runtime, world: World) -> dict[str, list[str]]:
    """Persons, sheets, cases, parties, licences and reviews at stations A, B (one circle)
    and C (another zone): some counted by each figure, some just outside its filter."""
    seed_records_reference(runtime.db)
    today = station_today(runtime)
    ids: dict[str, list[str]] = {"person": [], "sheet": [], "case": [], "licence": []}
    with UnitOfWork(runtime, write=True) as uow:
        paths = dict(uow.session.execute(select(Jurisdiction.id, Jurisdiction.path)).all())
        stations = (world.station_a, world.station_b, world.station_c)
        n = 0
        for k, station in enumerate(stations):
            path = paths[station]
            for i in range(4 + k):
                n += 1
                status = "absconding" if i % 2 == 0 else "active"
                p = Person(
                    name=f"Test Person {n}",
                    category="offender",
                    status=status,
                    station_id=station,
                    jurisdiction_path=path,
                )
                uow.session.add(p)
                uow.session.flush()
                ids["person"].append(p.id)
                review = today - timedelta(days=3) if i % 3 != 2 else today + timedelta(days=9)
                sheet = HistorySheet(
                    person_id=p.id,
                    category="rowdy_sheet",
                    station_id=station,
                    jurisdiction_path=path,
                    legal_basis="SP order 1/HS/2026",
                    opened_on=today - timedelta(days=400),
                    next_review_on=review,
                    closed_on=today - timedelta(days=1) if i == 3 else None,
                )
                uow.session.add(sheet)
                registered = today - timedelta(days=40) if i == 1 else today.replace(day=1)
                case = Case(
                    fir_number=f"PS/{n}/2026",
                    sections="BNS 303",
                    registered_on=registered,
                    station_id=station,
                    jurisdiction_path=path,
                )
                uow.session.add(case)
                uow.session.flush()
                ids["sheet"].append(sheet.id)
                ids["case"].append(case.id)
                for person_id in {p.id, ids["person"][0] if station == stations[0] else p.id}:
                    uow.session.add(
                        CaseParty(
                            case_id=case.id,
                            person_id=person_id,
                            role="accused",
                            role_on=registered,
                            jurisdiction_path=path,
                        )
                    )
                lapse = today + timedelta(days=(10, 45, 80, 200, -5)[i % 5])
                lic = ArmsLicence(
                    licence_number=f"TS/TEST/{n}",
                    uin=f"UIN-TEST-{n}",
                    holder_name=f"Holder {n}",
                    grounds="self_protection",
                    area_of_validity="Telangana",
                    issuing_authority="Commissioner of Police",
                    issued_on=today - timedelta(days=900),
                    valid_until=lapse,
                    status="suspended" if i == 2 and k == 1 else "valid",
                    station_id=station,
                    jurisdiction_path=path,
                )
                uow.session.add(lic)
                uow.session.flush()
                ids["licence"].append(lic.id)
                if i % 2 == 0:
                    uow.session.add(
                        ArmsLicenceReview(
                            licence_id=lic.id,
                            case_id=case.id,
                            person_id=p.id,
                            party_role="accused",
                            match="exact",
                            status="open" if i == 0 else "decided",
                            station_id=station,
                            jurisdiction_path=path,
                        )
                    )
    return ids


def _actor(runtime: Runtime, role: Role, posting: str | None) -> Actor:
    officer = make_officer(runtime, role, posting=posting)
    with UnitOfWork(runtime, write=False) as uow:
        return actor_for(uow.session, get_account(uow.session, officer.account_id), None, None)


def _panels(runtime: Runtime, actor: Actor) -> dict[str, panels.Panel]:
    with UnitOfWork(runtime, write=True) as uow:
        return {p.key: p for p in panels.panels_for(uow, actor)}


def _opened(
    runtime: Runtime, actor: Actor, read: Any, record_ids: list[str]
) -> Iterator[dict[str, Any]]:
    """Each record opened on its own, as its page opens it; those the gate released whole."""
    for record_id in record_ids:
        with UnitOfWork(runtime, write=True) as uow:
            shown = read(uow, actor, record_id, None)
        if not any(_masked(v) for k, v in shown.items() if k != "phone" and k != "address"):
            yield shown


def _station_of(runtime: Runtime) -> dict[str, str]:
    with UnitOfWork(runtime, write=False) as uow:
        return dict(uow.session.execute(select(Jurisdiction.id, Jurisdiction.name)).all())


def _one_by_one(
    runtime: Runtime, actor: Actor, ids: dict[str, list[str]]
) -> dict[str, dict[str, int]]:
    """Per station name, each command figure counted from records opened one at a time."""
    today = station_today(runtime)
    first = today.replace(day=1)
    names = _station_of(runtime)
    out: dict[str, dict[str, int]] = {}

    def bump(station: str, figure: str, by: int = 1) -> None:
        row = out.setdefault(names[station], {})
        row[figure] = row.get(figure, 0) + by

    for s in _opened(runtime, actor, records.read_history_sheet, ids["sheet"]):
        if s["closed_on"] is None and s["next_review_on"] < today:
            bump(s["station_id"], "Overdue history-sheet reviews")
    named: dict[str, set[str]] = {}
    for c in _opened(runtime, actor, records.read_case, ids["case"]):
        if first <= c["registered_on"] <= today:
            bump(c["station_id"], "Cases registered this month")
        # A person named in two of a station's cases this month is one person named.
        mine = named.setdefault(c["station_id"], set())
        mine |= {p["person_id"] for p in c["parties"] if first <= p["role_on"] <= today}
    for station, persons in named.items():
        if persons:
            bump(station, "Persons named this month", len(persons))
    for p in _opened(runtime, actor, records.read_person, ids["person"]):
        if p["status"] == "absconding":
            bump(p["station_id"], "Absconding persons")
    return out


def _figures(panel: panels.Panel) -> dict[str, dict[str, int]]:
    return {label: dict(zip(panel.columns, values, strict=True)) for label, values in panel.rows}


COMMAND = (
    (Role.STATION_HOUSE_OFFICER, "station_a"),
    (Role.CIRCLE_OFFICER, "circle"),
    (Role.DISTRICT_CHIEF, "district"),
    (Role.STATE_HQ, "state"),
)


def test_command_figures_equal_what_the_reader_opens_one_by_one(
    runtime: Runtime, world: World, seeded: dict[str, list[str]]
) -> None:
    """Station house officer (rows of figures), circle and district (stations side by side),
    state (districts side by side; a station outside any district stands alone)."""
    for role, where in COMMAND:
        _check_command(runtime, world, seeded, role, where)


def _check_command(
    runtime: Runtime, world: World, seeded: dict[str, list[str]], role: Role, where: str
) -> None:
    actor = _actor(runtime, role, getattr(world, where))
    panel = _panels(runtime, actor)["records.command"]
    opened = _one_by_one(runtime, actor, seeded)
    if role == Role.STATION_HOUSE_OFFICER:
        # One station: the figures are rows of their own.
        (station,) = opened
        assert {label: values[0] for label, values in panel.rows} == {
            c: opened[station].get(c, 0) for c, _ in panel.rows
        }
        assert panel.total > 0
        return
    figures = _figures(panel)
    if role == Role.STATE_HQ:
        # Per district: stations A and B are in the one district, C in none (it stands alone).
        names = _station_of(runtime)
        district = names[world.district]
        merged: dict[str, dict[str, int]] = {}
        for station, row in opened.items():
            label = station if station == names[world.station_c] else district
            for figure, n in row.items():
                merged.setdefault(label, {})[figure] = merged.get(label, {}).get(figure, 0) + n
        opened = merged
    assert set(figures) == set(opened)
    for label, row in figures.items():
        assert row == {c: opened[label].get(c, 0) for c in panel.columns}, label


def test_licensing_figures_equal_the_licences_and_reviews_opened_one_by_one(
    runtime: Runtime, world: World, seeded: dict[str, list[str]]
) -> None:
    actor = _actor(runtime, Role.ARMS_LICENSING_OFFICER, world.district)
    panel = _panels(runtime, actor)["arms.licensing"]
    today = station_today(runtime)
    names = _station_of(runtime)
    opened: dict[str, dict[str, int]] = {}
    bands = ((0, 30), (31, 60), (61, 90))
    for lic in _opened(runtime, actor, arms.read_licence, seeded["licence"]):
        days = (lic["valid_until"] - today).days
        for (lo, hi), column in zip(bands, panel.columns, strict=False):
            if lic["status"] == "valid" and lo <= days <= hi:
                row = opened.setdefault(names[lic["station_id"]], {})
                row[column] = row.get(column, 0) + 1
    with UnitOfWork(runtime, write=True) as uow:
        queue = arms.review_queue(uow, actor, status="open")
    for review in queue:
        row = opened.setdefault(names[review["station_id"]], {})
        row["Suspension reviews pending"] = row.get("Suspension reviews pending", 0) + 1
    figures = _figures(panel)
    assert set(figures) == set(opened)
    for label, row in figures.items():
        assert row == {c: opened[label].get(c, 0) for c in panel.columns}, label
    assert names[world.station_c] not in figures  # another zone: not the district's to count


def test_security_and_audit_figures_equal_what_their_readers_list(
    runtime: Runtime, world: World, seeded: dict[str, list[str]]
) -> None:
    reader = _actor(runtime, Role.SUB_INSPECTOR, world.station_a)
    list(_opened(runtime, reader, records.read_person, seeded["person"][:3]))
    security = _actor(runtime, Role.SECURITY_OFFICER, world.state)
    found = _panels(runtime, security)
    with UnitOfWork(runtime, write=True) as uow:
        alerts = watch.list_alerts(uow, security, status="open", limit=1000)
    assert sum(v[0] for _, v in found["watch.alerts"].rows) == len(alerts)
    # Three persons opened by the sub-inspector, each charged once: three records released.
    assert sum(v[0] for _, v in found["watch.hourly"].rows) == 3
    auditor = _actor(runtime, Role.AUDITOR, world.state)
    with UnitOfWork(runtime, write=True) as uow:
        audit.checkpoint(uow.session, runtime.keyring)
    with UnitOfWork(runtime, write=False) as uow:
        before = audit.search(uow.session, limit=1)[0].seq
    chain = _panels(runtime, auditor)["audit.chain"]
    with UnitOfWork(runtime, write=False) as uow:
        after = audit.search(uow.session, limit=1)[0].seq  # the panel's own view is audited
        signed = (
            uow.session.execute(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq.desc()))
            .scalars()
            .first()
        )
    rows = {label: v[0] for label, v in chain.rows}
    assert rows["Verified and signed up to"] == signed
    assert before <= rows["Events written"] < after


def test_readers_without_the_lists_get_no_figures(
    runtime: Runtime, world: World, seeded: dict[str, list[str]]
) -> None:
    for role in (Role.CONSTABLE, Role.SUB_INSPECTOR, Role.SYSTEM_ADMIN):
        assert _panels(runtime, _actor(runtime, role, world.station_a)) == {}
    assert set(_panels(runtime, _actor(runtime, Role.STATION_HOUSE_OFFICER, world.station_a))) == {
        "records.command"
    }


def test_the_start_page_draws_each_panel_and_exports_its_numbers(
    client: TestClient, runtime: Runtime, world: World, seeded: dict[str, list[str]]
) -> None:
    officer = make_officer(runtime, Role.CIRCLE_OFFICER, posting=world.circle)
    console_login(client, officer)
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 1
    assert '<table class="figures">' in page.text
    exported = client.get("/dashboard/records.command.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][0] == "Station" and len(rows) == 3  # stations A and B
    assert client.get("/dashboard/watch.alerts.csv").status_code == 404
    with UnitOfWork(runtime, write=False) as uow:
        actions = [e.action for e in audit.search(uow.session, actor=officer.account_id, limit=20)]
    assert "dashboard.view" in actions and "dashboard.export" in actions

"""`kotwal demo`: deterministic synthetic data, working accounts for every role."""

from __future__ import annotations

import io
import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal import demo
from kotwal.cli import app
from kotwal.core.clock import add_months, station_today
from kotwal.core.config import Settings, get_settings
from kotwal.core.crypto import open_fields
from kotwal.core.db import Database
from kotwal.core.jurisdictions import by_code
from kotwal.core.keys import generate_keys, load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.models import Account
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from kotwal.instance_cli import print_demo_accounts
from kotwal.officers.demo import ACCOUNT_RANKS
from kotwal.officers.models import Officer
from kotwal.records.models import (
    Case,
    CaseParty,
    HistorySheet,
    HistorySheetEvent,
    Person,
    PersonAlias,
)
from kotwal.records.service import find_case_by_fir, history_sheet_events, overdue_history_sheets
from tests.helpers import backend_independent
from tests.records_helpers import seed_records_reference
from tests.test_cli import env  # noqa: F401 - the CLI environment fixture

runner = CliRunner()


def test_same_seed_gives_the_same_people() -> None:
    a = [demo.synthetic_person(random.Random(7), "s" * 36, n) for n in range(50)]
    b = [demo.synthetic_person(random.Random(7), "s" * 36, n) for n in range(50)]
    assert a == b
    assert all(p.phone is None or p.phone.startswith("90000") for p in a)
    assert all("Demo Colony" in (p.address or "") for p in a)


def test_demo_seeds_once_and_every_account_logs_in(runtime: Runtime, client: TestClient) -> None:
    stations = demo.build_tree(runtime)
    assert len(stations) == 30
    assert demo.seed_persons(runtime, stations, 300, seed=1) == 300
    assert demo.seeded(runtime)
    accounts = demo.create_accounts(runtime)
    assert {a.role for a in accounts} == {role for _, role, _ in demo.ACCOUNTS}
    si = next(a for a in accounts if a.username == "demo.si")
    r = client.post(
        "/api/v1/auth/token",
        json={
            "username": si.username,
            "password": si.password,
            "totp": demo.current_code(runtime, si.username),
        },
    )
    assert r.status_code == 200, r.text
    token = {"authorization": f"Bearer {r.json()['access_token']}"}
    found = client.get("/api/v1/persons/search", params={"name": "Srinivas"}, headers=token)
    # 300 persons over 30 stations: most matches lie at other stations, counted but not shown.
    assert found.status_code == 200
    assert found.json()["items"] or found.json()["outside_jurisdiction"]


@backend_independent
def test_codes_are_shown_only_for_demo_accounts(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="demo accounts"):
        demo.current_code(runtime, "admin")


def test_demo_command_without_serving(env: Path, db: Database) -> None:  # noqa: F811
    seed_records_reference(db)
    result = runner.invoke(app, ["demo", "--size", "60", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo.sho" in result.output
    # Not a terminal: one plain line per account, nothing wrapped (the secret is whole).
    accounts = [line for line in result.output.splitlines() if line.startswith("username: ")]
    assert len(accounts) == len(demo.ACCOUNTS)
    assert any(
        re.fullmatch(
            r"username: demo\.si  role: sub_inspector  "
            r"password: \S{20,}  totp_secret: [A-Z2-7]{32}",
            line,
        )
        for line in accounts
    ), accounts
    with db.transaction(write=False) as session:
        seeded = [
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Person, HistorySheet, Case)
        ]
    # 60 persons and the demo's own 5 decoy persons (kotwal.decoys, copy "demo")
    assert seeded[0] == 65 and seeded[1] > 0 and seeded[2] > 0
    linked = _linked(db)
    again = runner.invoke(app, ["demo", "--size", "60", "--no-serve"])
    assert again.exit_code == 0 and "already present" in again.output
    get_settings.cache_clear()
    # Every officer's account is on the force's roll, once, with a fitting rank.
    assert linked == _linked(db)
    assert set(linked) == {u for u, r, _ in demo.ACCOUNTS_BY_USERNAME if r in ACCOUNT_RANKS}
    for username, (rank, unit, name, display) in linked.items():
        role = next(r for u, r, _ in demo.ACCOUNTS_BY_USERNAME if u == username)
        assert rank == ACCOUNT_RANKS[role][0].value
        assert name in display and unit in display


def _fake_accounts() -> list[demo.DemoAccount]:
    """Accounts with credentials made now, as the demo makes them (none written in the tests)."""
    return [
        demo.DemoAccount(f"demo.{name}", role, *demo._fresh_credentials())
        for name, role, _ in demo.ACCOUNTS
    ]


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_demo_secrets_are_never_broken_across_lines_however_narrow_the_output(
    terminal: bool,
) -> None:
    accounts = _fake_accounts()
    sink = io.StringIO()
    # 40 columns: narrower than any account's line, as a phone's terminal or a CI log pane.
    console = Console(file=sink, width=40, force_terminal=terminal, no_color=True)
    print_demo_accounts(accounts, console)
    lines = sink.getvalue().splitlines()
    for acc in accounts:
        holding = [line for line in lines if acc.password in line]
        assert len(holding) == 1, (acc.username, lines)
        assert acc.username in holding[0] and acc.totp_secret in holding[0], holding
        if not terminal:
            assert holding[0] == (
                f"username: {acc.username}  role: {acc.role.value}  "
                f"password: {acc.password}  totp_secret: {acc.totp_secret}"
            )
    assert any(("┃" in line) == terminal for line in lines)  # a table only in a terminal


def _linked(db: Database) -> dict[str, tuple[str, str, str, str]]:
    """Each demo account tied to an officer: rank, unit code, officer's name, display name."""
    stmt = (
        select(
            Account.username, Officer.rank, Jurisdiction.code, Officer.name, Account.display_name
        )
        .join(Officer, Officer.account_id == Account.id)
        .join(Jurisdiction, Jurisdiction.id == Officer.unit_id)
    )
    with db.transaction(write=False) as session:
        rows = session.execute(stmt).all()
    assert len(rows) == len({r[0] for r in rows})
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


# --- history sheets and cases ----------------------------------------------------------------

DAY = date(2026, 3, 15)


def _fresh_sqlite(tmp_path: Path) -> Runtime:
    """A second, empty installation (its own keys) to seed again and compare with."""
    data = tmp_path / "second"
    data.mkdir(mode=0o700)
    generate_keys(data / "keys")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'kotwal.db'}")
    runtime = open_runtime(settings, keyring=load_keys(settings))
    upgrade(runtime.db.engine)
    return runtime


def _seed_all(runtime: Runtime, size: int, seed: int) -> tuple[int, int]:
    seed_records_reference(runtime.db)
    stations = demo.build_tree(runtime)
    demo.seed_persons(runtime, stations, size, seed=seed)
    return demo.seed_history_sheets(runtime, seed, today=DAY), demo.seed_cases(
        runtime, seed, today=DAY
    )


def _snapshot(runtime: Runtime) -> dict[str, list[Any]]:
    """Everything seeded, by content: ids and ciphertexts differ between installations."""
    with UnitOfWork(runtime, write=False) as uow:
        s = uow.session
        codes = dict(s.execute(select(Jurisdiction.id, Jurisdiction.code)).all())
        persons = list(s.execute(select(Person)).scalars())
        sealed = open_fields(s, persons, ["phone", "address"])
        aliases: dict[str, list[str]] = {}
        for person_id, alias in s.execute(select(PersonAlias.person_id, PersonAlias.name)):
            aliases.setdefault(person_id, []).append(alias)
        who = {
            p.id: (
                p.name,
                p.name_te,
                p.father_name,
                p.birth_year,
                p.sex,
                p.category,
                p.status,
                p.marks,
                codes[p.station_id],
                o["phone"],
                o["address"],
                tuple(sorted(aliases.get(p.id, []))),
            )
            for p, o in zip(persons, sealed, strict=True)
        }
        steps: dict[str, list[Any]] = {}
        for e in s.execute(select(HistorySheetEvent)).scalars():
            steps.setdefault(e.sheet_id, []).append(
                (e.version, e.action, e.previous_review_on, e.next_review_on, e.note)
            )
        sheets = [
            (
                who[h.person_id],
                h.category,
                codes[h.station_id],
                h.legal_basis,
                h.modus_operandi,
                h.opened_on,
                h.next_review_on,
                h.closed_on,
                h.close_reason,
                h.version,
                sorted(steps[h.id], key=repr),
            )
            for h in s.execute(select(HistorySheet)).scalars()
        ]
        parties: dict[str, list[Any]] = {}
        for p in s.execute(select(CaseParty)).scalars():
            parties.setdefault(p.case_id, []).append((who[p.person_id], p.role, p.role_on))
        cases = [
            (
                c.fir_number,
                c.sections,
                c.registered_on,
                codes[c.station_id],
                sorted(parties[c.id], key=repr),
            )
            for c in s.execute(select(Case)).scalars()
        ]
    # repr orders tuples that hold None as well.
    return {
        "persons": sorted(who.values(), key=repr),
        "sheets": sorted(sheets, key=repr),
        "cases": sorted(cases, key=repr),
    }


def test_the_same_seed_gives_the_same_persons_sheets_and_cases(
    runtime: Runtime, tmp_path: Path
) -> None:
    other = _fresh_sqlite(tmp_path)
    try:
        assert _seed_all(runtime, 240, seed=5) == _seed_all(other, 240, seed=5)
        first, second = _snapshot(runtime), _snapshot(other)
    finally:
        other.close()
    assert first["sheets"] and first["cases"]
    assert first == second


def test_another_seed_gives_other_sheets_and_cases(runtime: Runtime, tmp_path: Path) -> None:
    other = _fresh_sqlite(tmp_path)
    try:
        _seed_all(runtime, 120, seed=5)
        _seed_all(other, 120, seed=6)
        first, second = _snapshot(runtime), _snapshot(other)
    finally:
        other.close()
    assert first["persons"] != second["persons"] and first["cases"] != second["cases"]


def _hq(runtime: Runtime) -> Actor:
    with UnitOfWork(runtime, write=False) as uow:
        node = by_code(uow, demo.STATE_CODE)
        assert node is not None
        return Actor(
            account_id=None,
            username="test:hq",
            roles=frozenset({Role.STATE_HQ}),
            jurisdiction_paths=(node.path,),
        )


def test_the_demo_seeds_history_sheets_and_some_reviews_are_overdue(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)
    stations = demo.build_tree(runtime)
    demo.seed_persons(runtime, stations, 400, seed=3)
    made = demo.seed_history_sheets(runtime, 3)
    assert 400 * 0.03 < made < 400 * 0.15  # about 8%
    with runtime.db.transaction(write=False) as session:
        sheets = list(session.execute(select(HistorySheet)).scalars())
    with UnitOfWork(runtime, write=False) as uow:
        overdue = overdue_history_sheets(uow, _hq(runtime))
        events = history_sheet_events(uow, _hq(runtime), overdue[0]["id"])
        course = [(e.action, e.version) for e in events]
    assert len(sheets) == made and overdue
    assert {s.category for s in sheets} <= {
        "rowdy_sheet",
        "suspect_sheet",
        "kd",
        "habitual_offender",
    }
    assert all(s.legal_basis.startswith("DEMO") for s in sheets)  # visibly synthetic
    assert all(s.opened_on < s.next_review_on for s in sheets)
    assert all(s.opened_on <= s.closed_on for s in sheets if s.closed_on)
    assert course[0][0] == "opened" and course[-1][1] == overdue[0]["version"]


def test_history_sheet_reviews_are_reckoned_from_the_day_and_overdue_for_a_minority(
    runtime: Runtime,
) -> None:
    seed_records_reference(runtime.db)
    stations = demo.build_tree(runtime)
    demo.seed_persons(runtime, stations, 1000, seed=5)
    demo.seed_history_sheets(runtime, 5)  # the stations' today, as `kotwal demo` seeds them
    today = station_today(runtime)
    with runtime.db.transaction(write=False) as session:
        open_sheets = list(
            session.execute(select(HistorySheet).where(HistorySheet.closed_on.is_(None))).scalars()
        )
    overdue = [s for s in open_sheets if s.next_review_on < today]
    assert len(open_sheets) > 40
    # Overdue for a minority (about one open sheet in five), the rest due within a review period.
    assert 0.05 < len(overdue) / len(open_sheets) < 0.4, (len(overdue), len(open_sheets))
    assert all(s.opened_on <= today for s in open_sheets)
    assert all(s.next_review_on <= add_months(today, 12) for s in open_sheets)


def test_the_demo_seeds_cases_with_fir_numbers_sections_and_parties(runtime: Runtime) -> None:
    seed_records_reference(runtime.db)
    stations = demo.build_tree(runtime)
    demo.seed_persons(runtime, stations, 400, seed=3)
    made = demo.seed_cases(runtime, 3)
    hq = _hq(runtime)
    with runtime.db.transaction(write=False) as session:
        codes = dict(session.execute(select(Jurisdiction.id, Jurisdiction.code)).all())
        cases = list(session.execute(select(Case)).scalars())
        named = session.execute(select(func.count(func.distinct(CaseParty.person_id)))).scalar_one()
    with UnitOfWork(runtime, write=False) as uow:
        shown = find_case_by_fir(uow, hq, cases[0].fir_number, None)[0]
    assert len(cases) == made and 400 * 0.15 < named < 400 * 0.35  # about a quarter
    numbers: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for case in cases:
        code, year, number = case.fir_number.split("/")
        assert code == codes[case.station_id] and int(year) == case.registered_on.year
        numbers.setdefault((code, year), []).append((case.registered_on, int(number)))
        act = "BNS" if case.registered_on >= date(2024, 7, 1) else "IPC"
        assert all(s.startswith(act) for s in case.sections.split(","))
    for registered in numbers.values():  # 1, 2, 3, ... in order of registration
        assert [n for _, n in sorted(registered)] == list(range(1, len(registered) + 1))
    assert [s["title"] for s in shown["sections"]] and shown["parties"]
    roles = [p["role"] for p in shown["parties"]]
    assert roles[0] == "accused"

"""OWASP API10:2023 Unsafe Consumption of APIs: data that kotwal takes in from systems it does
not control must be validated like user input, and a bad answer must change nothing.

What this covers, honestly: kotwal calls no outbound upstream today (no SMS operator, no
external identity or registry service; API7's test fails the day an input takes a URL). What it
consumes from outside is:

- **legacy records systems' CSV exports**, uploaded through ``POST /api/v1/persons/import``:
  the file is the third party's answer. A file that is not UTF-8, carries NUL or control
  characters, has an unknown or missing column, a line too long, a station kotwal does not
  know or the importer may not file at, or the exporter's ``[masked]`` placeholder is refused
  whole with problem+json naming each line, and nothing at all is written (no person, no
  ``record.create`` event);
- **the audit witness file**, a copy of the signed checkpoints kept on another machine and read
  back by ``kotwal audit verify --witness``: a malformed line is a readable refusal naming the
  line, and a well-formed line with a forged signature is reported as a failure, never trusted.

Not covered here: leak-tracing samples (``kotwal.leak``, another module, parses files found
outside; its own tests cover its parser) and any future upstream, which must add its case here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal.accounts.audit_cli import app as audit_app
from kotwal.core.config import Settings
from kotwal.core.db import Database
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from tests.factories import Officer, World, issue_token, make_officer

HEADER = "name,category,station_code,phone,birth_year\n"
GOOD = "Test Upstream One,offender,PS-A,9000070001,1980\nTest Upstream Two,offender,PS-B,,1975\n"
runner = CliRunner()


@pytest.fixture
def sho(runtime: Runtime, world: World) -> Officer:
    """A station house officer over stations A and B (the circle): may import there."""
    return issue_token(
        runtime, make_officer(runtime, Role.STATION_HOUSE_OFFICER, posting=world.circle)
    )


def _upload(client: TestClient, officer: Officer, content: bytes) -> Response:
    r: Response = client.post(
        "/api/v1/persons/import",
        files={"file": ("legacy.csv", content, "text/csv")},
        headers=officer.bearer,
    )
    return r


def _nothing_written(runtime: Runtime) -> None:
    with UnitOfWork(runtime, write=False) as uow:
        persons = uow.session.scalar(select(func.count()).select_from(Person))
        created = uow.session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == "record.create")
        )
    assert (persons, created) == (0, 0)


def _refused(r: Response, line: int | None = None) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["type"] == "urn:kotwal:problem:import-rejected"
    if line is not None:
        assert any(e["line"] == line for e in body["errors"]), body
    return body


def test_a_well_formed_legacy_file_is_taken_in(
    client: TestClient, runtime: Runtime, sho: Officer
) -> None:
    r = _upload(client, sho, (HEADER + GOOD).encode())
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2


@pytest.mark.parametrize(
    ("content", "line"),
    [
        # Not UTF-8: a Latin-1 export is refused, not guessed at.
        ((HEADER + GOOD).encode() + "Test Caf\u00e9,offender,PS-A,,1980\n".encode("latin-1"), 4),
        # A NUL byte inside a cell.
        ((HEADER + GOOD + "Test\x00Nul,offender,PS-A,,1980\n").encode(), 4),
        # A terminal escape sequence inside a cell.
        ((HEADER + GOOD + "Test \x1b[2JClear,offender,PS-A,,1980\n").encode(), 4),
        # The exporter's placeholder for a withheld field is not data.
        ((HEADER + GOOD + "Test Masked,offender,PS-A,[masked],1980\n").encode(), 4),
        # A station that does not exist, and one outside the importer's jurisdiction.
        ((HEADER + GOOD + "Test Nowhere,offender,PS-ZZ,,1980\n").encode(), 4),
        ((HEADER + GOOD + "Test Elsewhere,offender,PS-C,,1980\n").encode(), 4),
        # A value outside its field's rules.
        ((HEADER + GOOD + "Test Old,offender,PS-A,,1700\n").encode(), 4),
        # A line far longer than any person's row.
        ((HEADER + GOOD + "Test Long," + "x" * 70_000 + ",PS-A,,1980\n").encode(), 4),
    ],
    ids=["latin-1", "nul", "escape", "masked", "unknown-station", "outside", "range", "long"],
)
def test_one_bad_row_among_good_ones_refuses_the_file_and_writes_nothing(
    client: TestClient, runtime: Runtime, sho: Officer, content: bytes, line: int
) -> None:
    _refused(_upload(client, sho, content), line)
    _nothing_written(runtime)


@pytest.mark.parametrize(
    "header",
    [
        "name,category,station_code,aadhaar\n",  # a column the format does not have
        "category,station_code\n",  # the name is missing
        "name,name,category,station_code\n",  # the same column twice
    ],
    ids=["unknown-column", "missing-column", "duplicate-column"],
)
def test_a_header_outside_the_documented_format_is_refused(
    client: TestClient, runtime: Runtime, sho: Officer, header: str
) -> None:
    _refused(_upload(client, sho, (header + "Test Person,offender,PS-A,x\n").encode()), 1)
    _nothing_written(runtime)


def test_a_header_ten_thousand_columns_wide_is_refused_whole(
    client: TestClient, runtime: Runtime, sho: Officer
) -> None:
    # Issue 18, finding 7: such a header cost 5-9 s to refuse, checked name by name.
    header = "name,category,station_code," + ",".join(f"c{n}" for n in range(10_000)) + "\n"
    body = _refused(_upload(client, sho, (header + GOOD).encode()), 1)
    assert len(body["errors"]) == 1 and "10,003 columns" in body["errors"][0]["reason"]
    _nothing_written(runtime)


def test_a_refusal_quotes_where_and_why_but_never_the_file_back(
    client: TestClient, runtime: Runtime, sho: Officer
) -> None:
    leaked_row = "Test Leak 9000099999 H.No. 7-7-7"
    content = (HEADER + f"{leaked_row},villain,PS-A,,1980\n").encode()
    body = _refused(_upload(client, sho, content), 2)
    assert "9000099999" not in json.dumps(body)


def _witness_env(env: Settings, db: Database) -> Path:
    """A witness file written by the service's own command, to be tampered with."""
    assert runner.invoke(audit_app, ["checkpoint"]).exit_code == 0
    witness = env.data_dir / "witness.jsonl"
    assert runner.invoke(audit_app, ["witness", str(witness)]).exit_code == 0
    assert runner.invoke(audit_app, ["verify", "--witness", str(witness)]).exit_code == 0
    return witness


def test_a_malformed_witness_file_is_a_readable_refusal_naming_the_line(
    env: Settings, db: Database, runtime: Runtime, world: World
) -> None:
    witness = _witness_env(env, db)
    with witness.open("a", encoding="utf-8") as fh:
        fh.write('{"seq": "1; DROP TABLE audit_events", "hash": 5}\n')
    before = witness.read_bytes()
    result = runner.invoke(audit_app, ["verify", "--witness", str(witness)])
    assert result.exit_code != 0
    assert "line 2" in result.output and "Traceback" not in result.output
    assert witness.read_bytes() == before  # read, never rewritten


def test_a_forged_witness_checkpoint_is_reported_not_trusted(
    env: Settings, db: Database, runtime: Runtime, world: World
) -> None:
    witness = _witness_env(env, db)
    entry = json.loads(witness.read_text().splitlines()[0])
    entry["hash"] = "0" * 64  # a chain head the log never had, under the old signature
    witness.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    result = runner.invoke(audit_app, ["verify", "--witness", str(witness)])
    assert result.exit_code == 1

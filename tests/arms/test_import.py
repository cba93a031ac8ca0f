"""Bulk import of arms licences from CSV (one weapon per row): a good file files every licence
with all its weapons (sealed, audited, findable); any bad row is reported by its line and
nothing is written, whether the fault is in the row itself, in how it agrees with the rows of
the same licence, or in what filing it would break (a number already recorded); only the
licensing officer may import, inside their jurisdiction; the CLI does the same as a named
account."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kotwal.arms.importer import COLUMNS, REQUIRED_COLUMNS, import_licences
from kotwal.arms.models import ArmsLicence, ArmsWeapon
from kotwal.arms.schemas import LicenceIssue, WeaponAdd
from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.csvfile import ImportReport
from kotwal.core.errors import Forbidden
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from tests.factories import Officer, World, make_officer
from tests.import_helpers import actor_of, import_errors, import_text

GOOD = Path(__file__).parent / "data" / "licences_good.csv"
HEADER = GOOD.read_text("utf-8").splitlines()[0]
FIRST = GOOD.read_text("utf-8").splitlines()[1]
runner = CliRunner()


def run_import(runtime: Runtime, actor: Actor, text: str) -> ImportReport:
    return import_text(runtime, actor, import_licences, text)


def rejected(runtime: Runtime, actor: Actor, text: str) -> list[str]:
    return import_errors(runtime, actor, import_licences, text)


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.transaction(write=False) as session:
        licences = session.scalar(select(func.count()).select_from(ArmsLicence))
        weapons = session.scalar(select(func.count()).select_from(ArmsWeapon))
        return int(licences or 0), int(weapons or 0)


@pytest.fixture
def licensing(runtime: Runtime, world: World) -> Officer:
    """The district's licensing officer: PS-A and PS-B are theirs, PS-C is not."""
    return make_officer(runtime, Role.ARMS_LICENSING_OFFICER, posting=world.district)


def test_the_columns_cover_the_licence_and_one_weapon() -> None:
    licence = {"station_code" if f == "station_id" else f for f in LicenceIssue.model_fields}
    weapon = {f"weapon_{f}" for f in WeaponAdd.model_fields}
    assert set(COLUMNS) == (licence - {"weapons", "person_id"}) | (weapon - {"weapon_endorsed_on"})
    assert "weapon_serial" in REQUIRED_COLUMNS and "holder_phone" not in REQUIRED_COLUMNS


def test_a_good_file_files_every_licence_with_its_weapons(
    runtime: Runtime, licensing: Officer
) -> None:
    report = run_import(runtime, actor_of(runtime, licensing), GOOD.read_text("utf-8"))
    assert (report.rows_read, report.created) == (4, 3)
    assert counts(runtime) == (3, 4)
    with runtime.db.transaction(write=False) as session:
        first = session.execute(
            select(ArmsLicence).where(ArmsLicence.licence_number == "HYD/ARMS/2024/0101")
        ).scalar_one()
        # Day-first dates, "Self Protection" and "Shotgun DBBL" read as the schema's values.
        assert (str(first.issued_on), str(first.valid_until)) == ("2024-01-15", "2029-01-14")
        assert first.grounds == "self_protection"
        categories = session.execute(
            select(ArmsWeapon.category).where(ArmsWeapon.licence_id == first.id)
        ).scalars()
        assert sorted(categories) == ["revolver", "shotgun_dbbl"]
        [event] = session.execute(
            select(AuditEventRow).where(AuditEventRow.action == "arms.import")
        ).scalars()
        assert json.loads(event.detail)["created"] == 3


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(
    runtime: Runtime, licensing: Officer
) -> None:
    lines = GOOD.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("Shotgun DBBL", "bazooka")  # line 3: no such category
    lines[3] = lines[3].replace("2024-03-01", "2024-02-30")  # line 4: no such day
    lines[4] = lines[4].replace(",PS-A,", ",PS-C,")  # line 5: outside the district
    errors = rejected(runtime, actor_of(runtime, licensing), "\n".join(lines) + "\n")
    assert [e.split(":")[0:2] for e in errors] == [
        ["line 3", " weapon_category"],
        ["line 4", " issued_on"],
        ["line 5", " station_code"],
    ]
    assert "outside your jurisdiction" in errors[2]
    assert counts(runtime) == (0, 0)


def test_a_later_row_of_a_licence_must_agree_with_its_first(
    runtime: Runtime, licensing: Officer
) -> None:
    second = "HYD/ARMS/2024/0101,,Someone Else,,,,,,,,,,pistol,IOF,.32,SYNPST0101"
    errors = rejected(runtime, actor_of(runtime, licensing), f"{HEADER}\n{FIRST}\n{second}\n")
    assert errors == ["line 3: holder_name: differs from line 2, the first row of this licence"]


def test_what_filing_refuses_is_reported_for_every_licence_and_nothing_stays(
    runtime: Runtime, licensing: Officer
) -> None:
    actor = actor_of(runtime, licensing)
    run_import(runtime, actor, f"{HEADER}\n{FIRST}\n")  # licence 0101 is on record now
    again = FIRST.replace("UINSYN0000101", "UINSYN0000999").replace("SYNREV0101", "SYNREV0999")
    late = (
        FIRST.replace("0101", "0104")
        .replace("15-01-2024", "15-01-2016")
        .replace("14-01-2029", "14-01-2029")
    )
    errors = rejected(runtime, actor, f"{HEADER}\n{again}\n{late}\n")
    assert errors[0] == "line 2: row: a licence with this number is already recorded"
    assert errors[1].startswith("line 3: row: a licence is valid after its issue date")
    assert counts(runtime) == (1, 1)  # the first import only


@pytest.mark.parametrize("role", [Role.STATION_HOUSE_OFFICER, Role.SUB_INSPECTOR])
def test_only_the_licensing_officer_imports(runtime: Runtime, world: World, role: Role) -> None:
    other = make_officer(runtime, role, posting=world.station_a)
    with pytest.raises(Forbidden):
        run_import(runtime, actor_of(runtime, other), GOOD.read_text("utf-8"))
    assert counts(runtime) == (0, 0)


def test_cli_imports_as_the_named_account_and_lists_errors_of_a_bad_file(
    env: Settings, runtime: Runtime, licensing: Officer, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{FIRST.replace(',PS-A,', ',PS-9,')}\n", encoding="utf-8")
    result = runner.invoke(app, ["arms", "import", str(bad), "--as", licensing.username])
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.stderr
    assert "line 2: station_code: no police station has the code 'PS-9'" in result.stderr
    result = runner.invoke(app, ["arms", "import", str(GOOD), "--as", licensing.username])
    assert result.exit_code == 0, result.output
    assert "imported 3 licence(s) (4 weapon rows)" in result.stdout
    assert counts(runtime) == (3, 4)


def test_the_documented_example_imports(runtime: Runtime, licensing: Officer) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "licence-import-format.md").read_text("utf-8")
    [example] = re.findall(r"```csv\n(.*?)```", doc, flags=re.DOTALL)
    report = run_import(runtime, actor_of(runtime, licensing), example)
    assert (report.rows_read, report.created) == (2, 1)
    assert counts(runtime) == (1, 2)

"""The ``kotwal`` command as an operator uses it: init (twice), refusal to run with exposed
or missing keys, account administration, --help everywhere."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.main import get_command
from typer.testing import CliRunner

from kotwal.cli import app
from kotwal.core.config import get_settings
from kotwal.core.db import Database
from kotwal.core.models import Account, AuditEventRow

runner = CliRunner()


@pytest.fixture
def env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "fresh-data"
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(data))
    monkeypatch.setenv("KOTWAL_DATABASE_URL", db.url)
    for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def _admins(db: Database) -> list[Account]:
    with db.transaction(write=False) as s:
        return list(s.execute(select(Account)).scalars())


def test_init_creates_keys_schema_and_first_admin_once(env: Path, db: Database) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert re.search(r"one-time password: \S+", first.output)
    keys = env / "keys"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"
    for f in keys.glob("*.key"):
        assert oct(f.stat().st_mode & 0o777) == "0o600", f
    [admin] = _admins(db)
    assert admin.username == "admin" and admin.must_change_password
    second = runner.invoke(app, ["init"])
    assert second.exit_code == 0
    assert "Nothing changed" in second.output
    assert "one-time password" not in second.output
    assert len(_admins(db)) == 1


def test_audit_verify_passes_on_a_fresh_instance(env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_init_writes_an_audit_event(env: Path, db: Database) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    with db.transaction(write=False) as s:
        actions = s.execute(select(AuditEventRow.action)).scalars().all()
    assert "system.init" in actions and "account.create" in actions


def test_run_refuses_key_files_readable_by_others(env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    os.chmod(env / "keys" / "kek-v1.key", 0o644)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "chmod 600" in result.output


def test_run_refuses_to_start_without_keys(env: Path) -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "kotwal init" in result.output


def test_user_commands_create_and_unlock(env: Path, db: Database) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    add = runner.invoke(app, ["jurisdiction", "add", "TS", "Telangana", "--kind", "state"])
    assert add.exit_code == 0, add.output
    station = runner.invoke(
        app, ["jurisdiction", "add", "PS-1", "Station One", "--kind", "station", "--parent", "TS"]
    )
    assert station.exit_code == 0, station.output
    created = runner.invoke(
        app,
        [
            "user",
            "create",
            "si.ravi",
            "--name",
            "SI Ravi",
            "--role",
            "sub_inspector",
            "--posting",
            "PS-1",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "one-time password" in created.output
    short = runner.invoke(app, ["user", "unlock", "si.ravi", "--reason", "no"])
    assert short.exit_code == 2 and "reason" in short.output
    ok = runner.invoke(app, ["user", "unlock", "si.ravi", "--reason", "verified by phone"])
    assert ok.exit_code == 0
    missing = runner.invoke(app, ["user", "unlock", "nobody", "--reason", "verified by phone"])
    assert missing.exit_code == 2 and "no account" in missing.output


def _commands(group: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(group, "commands", {}).items():
        yield from _commands(sub, (*prefix, name))


def test_every_command_has_help() -> None:
    paths = list(_commands(get_command(app)))
    assert len(paths) > 8
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage" in result.output


def test_run_refuses_a_database_file_readable_by_others(env: Path, db: Database) -> None:
    sqlite_file = env / "kotwal.db"
    os.environ["KOTWAL_DATABASE_URL"] = f"sqlite:///{sqlite_file}"
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert oct(sqlite_file.stat().st_mode & 0o777) == "0o600"
    os.chmod(sqlite_file, 0o644)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "chmod 600" in result.output

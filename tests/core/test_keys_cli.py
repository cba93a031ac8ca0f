"""``kotwal keys`` as an operator uses it: status, rotate, retire, and clear refusals."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kotwal.accounts.keys_cli import app
from kotwal.core.config import Settings, get_settings
from kotwal.core.crypto import bind_keyring, register_keys
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import Account, AuditEventRow

runner = CliRunner()


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, db: Database, keyring: KeyRing
) -> Iterator[Settings]:
    """Point the command at the fixture's data directory and database, as an operator's
    environment would, with three accounts already holding TOTP secrets."""
    for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KOTWAL_DATABASE_URL", db.url)
    monkeypatch.setenv("COLUMNS", "200")
    with db.transaction(write=True) as session:
        register_keys(session, keyring)
        bind_keyring(session, keyring)
        for i in range(3):
            session.add(
                Account(
                    username=f"c{i}",
                    display_name="c",
                    password_hash="x",
                    totp_secret=f"CLISECRET{i}",
                )
            )
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def audit_actions(db: Database) -> list[tuple[str, str, str]]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(AuditEventRow.action, AuditEventRow.outcome, AuditEventRow.actor_name)
        )
        return [(a, o, n) for a, o, n in rows]


def test_status_shows_versions_states_counts_and_modes(env: Settings) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert f"files in {env.keys_dir}" in result.output
    assert "0700" in result.output
    line = next(line for line in result.output.splitlines() if "v1" in line)
    assert "active" in line and " 3 " in line and "0600" in line


def test_status_flags_an_exposed_key_file(env: Settings) -> None:
    # The runtime refuses exposed keys before status can print anything: exit 2 and the fix.
    (env.keys_dir / "kek-v1.key").chmod(0o644)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "chmod 600" in result.output


def test_rotate_rewraps_prints_a_summary_and_is_audited(env: Settings, db: Database) -> None:
    result = runner.invoke(app, ["rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Rotated to v2 (from v1): 3 data key(s) re-wrapped" in result.output
    assert "Retired: v1" in result.output
    (action, outcome, actor) = audit_actions(db)[-1]
    assert (action, outcome) == ("keys.rotate", "success")
    assert actor.startswith("cli:")
    status = runner.invoke(app, ["status"])
    line = next(line for line in status.output.splitlines() if "v2" in line)
    assert "active" in line and " 3 " in line


def test_retire_destroys_an_unused_old_kek_and_refuses_the_active_one(
    env: Settings, db: Database
) -> None:
    assert runner.invoke(app, ["rotate"]).exit_code == 0
    refused = runner.invoke(app, ["retire", "2"])
    assert refused.exit_code == 2
    assert "active key-encryption key" in refused.output
    done = runner.invoke(app, ["retire", "1"])
    assert done.exit_code == 0, done.output
    assert not (env.keys_dir / "kek-v1.key").exists()
    assert [a[:2] for a in audit_actions(db)][-2:] == [
        ("keys.retire", "denied"),
        ("keys.retire", "success"),
    ]


def test_retire_refuses_a_kek_that_still_wraps_data(env: Settings) -> None:
    result = runner.invoke(app, ["retire", "1"])
    assert result.exit_code == 2
    assert "active" in result.output
    assert (env.keys_dir / "kek-v1.key").exists()


def test_missing_keys_exit_2_and_say_what_to_do(
    env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOTWAL_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "Key problem" in result.output and "kotwal init" in result.output


def test_rotate_with_keys_from_the_environment_refuses_clearly(
    env: Settings, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    for name in ("KOTWAL_KEK", "KOTWAL_AUDIT_KEY", "KOTWAL_INDEX_KEY"):
        monkeypatch.setenv(name, base64.b64encode(secrets.token_bytes(32)).decode())
    get_settings.cache_clear()
    status = runner.invoke(app, ["status"])
    assert "environment (KOTWAL_KEK)" in status.output
    result = runner.invoke(app, ["rotate"])
    assert result.exit_code == 2
    assert "KOTWAL_KEK" in result.output and "Rotate by hand" in result.output
    assert audit_actions(db)[-1][:2] == ("keys.rotate", "failure")

"""KEK rotation while the service runs: everything is re-wrapped, nothing is lost, and old
versions are retired (and destroyed only on request, only when nothing uses them)."""

from __future__ import annotations

import base64
import secrets
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from kotwal.core.config import Settings
from kotwal.core.crypto import (
    ACTIVE,
    RETIRED,
    RETIRING,
    bind_keyring,
    destroy_kek,
    kek_status,
    open_fields,
    register_keys,
    rotate,
)
from kotwal.core.db import Database
from kotwal.core.keys import KeyProblem, KeyRing, load_keys
from kotwal.core.models import Account, DataKey, KeyVersion


def write_accounts(db: Database, keyring: KeyRing, prefix: str, count: int) -> dict[str, str]:
    """Create ``count`` accounts with distinct TOTP secrets; return id -> secret."""
    written: dict[str, str] = {}
    with db.transaction(write=True) as session:
        bind_keyring(session, keyring)
        for i in range(count):
            secret = f"{prefix}{i:06d}{secrets.token_hex(4).upper()}"
            name = f"{prefix.lower()}-{i}-{secrets.token_hex(4)}"
            account = Account(
                username=name, display_name=name, password_hash="x", totp_secret=secret
            )
            session.add(account)
            session.flush()
            written[account.id] = secret
    return written


def open_all(db: Database, keyring: KeyRing) -> dict[str, str]:
    with db.transaction(write=False) as session:
        bind_keyring(session, keyring)
        accounts = list(session.execute(select(Account)).scalars())
        opened = open_fields(session, accounts, ["totp_secret"])
    return {a.id: o["totp_secret"] for a, o in zip(accounts, opened, strict=True)}


def versions_in_use(db: Database) -> dict[int, int]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(DataKey.kek_version, func.count()).group_by(DataKey.kek_version)
        )
        return {int(v): int(n) for v, n in rows}


def states(db: Database) -> dict[int, str]:
    with db.transaction(write=False) as session:
        return {
            int(v): str(s) for v, s in session.execute(select(KeyVersion.version, KeyVersion.state))
        }


@pytest.fixture
def registered(db: Database, keyring: KeyRing) -> KeyRing:
    """Keys registered in the database, as ``kotwal init`` leaves them."""
    with db.transaction(write=True) as session:
        register_keys(session, keyring)
    return keyring


def test_rotation_rewraps_every_data_key_and_retires_the_old_version(
    db: Database, registered: KeyRing, settings: Settings
) -> None:
    written = write_accounts(db, registered, "ROT", 120)
    calls: list[tuple[int, int]] = []
    report = rotate(
        db, registered, batch_size=50, settle_seconds=0, progress=lambda d, t: calls.append((d, t))
    )
    assert report.new_version == 2 and report.old_versions == [1]
    assert report.rewrapped == 120 and report.complete
    assert report.retired == [1]
    assert versions_in_use(db) == {2: 120}
    assert states(db) == {1: RETIRED, 2: ACTIVE}
    assert calls[-1] == (120, 120) and len(calls) >= 3  # one call per batch
    assert open_all(db, load_keys(settings)) == written
    # The old file is kept by default: backups taken before the rotation still need it.
    assert (settings.keys_dir / "kek-v1.key").exists()


def test_rotation_twice_moves_everything_to_the_third_version(
    db: Database, registered: KeyRing, settings: Settings
) -> None:
    written = write_accounts(db, registered, "TWO", 30)
    rotate(db, registered, settle_seconds=0)
    report = rotate(db, registered, settle_seconds=0)
    assert report.new_version == 3 and report.old_versions == [2]
    assert versions_in_use(db) == {3: 30}
    assert states(db) == {1: RETIRED, 2: RETIRED, 3: ACTIVE}
    assert open_all(db, load_keys(settings)) == written


def test_rotation_of_an_empty_database_just_switches_keys(db: Database, keyring: KeyRing) -> None:
    report = rotate(db, keyring, settle_seconds=0)  # registers v1 itself if init did not
    assert report.rewrapped == 0 and report.complete
    assert states(db) == {1: RETIRED, 2: ACTIVE}


def test_rotation_while_a_running_server_keeps_writing_loses_nothing(
    db: Database, registered: KeyRing, settings: Settings
) -> None:
    # The "server" is another KeyRing that loaded the keys before the rotation existed; it
    # learns of the new KEK only through the database, as a separate process would.
    server = load_keys(settings)
    written = write_accounts(db, server, "OLD", 300)
    during: dict[str, str] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_writing() -> None:
        round_no = 0
        while not stop.is_set():
            try:
                during.update(write_accounts(db, server, f"LIVE{round_no:04d}X", 5))
            except BaseException as exc:  # reported to the test thread below
                errors.append(exc)
                return
            round_no += 1

    writer = threading.Thread(target=keep_writing, name="server-writer")
    writer.start()
    try:
        report = rotate(db, registered, batch_size=40)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive()
    assert errors == []
    assert len(during) > 20, "the server should have written throughout the rotation"
    assert report.complete and report.retired == [1]
    assert 2 in server.keks  # the server reloaded its key files by itself
    assert 1 not in versions_in_use(db)
    assert states(db)[1] == RETIRED
    fresh = load_keys(settings)
    assert open_all(db, fresh) == {**written, **during}


def test_rotation_refuses_keys_from_the_environment(db: Database) -> None:
    def key() -> SecretStr:
        return SecretStr(base64.b64encode(secrets.token_bytes(32)).decode())

    ring = load_keys(Settings(data_dir=Path("unused"), kek=key(), audit_key=key(), index_key=key()))
    with pytest.raises(KeyProblem, match=r"environment \(KOTWAL_KEK\).*Rotate by hand"):
        rotate(db, ring, settle_seconds=0)
    assert states(db) == {}


def test_rotation_reports_a_data_key_that_does_not_unwrap_and_leaves_it(
    db: Database, registered: KeyRing
) -> None:
    write_accounts(db, registered, "BAD", 5)
    with db.transaction(write=True) as session:
        victim = session.execute(select(DataKey).limit(1)).scalar_one()
        victim.wrapped = bytes(32 + 28)  # garbage of the right shape
        victim_id = victim.id
    report = rotate(db, registered, settle_seconds=0)
    assert report.unreadable == [victim_id]
    assert report.rewrapped == 4
    assert not report.complete and report.still_retiring == {1: 1}
    assert states(db)[1] == RETIRING  # kept, so its file is never destroyed by mistake
    with pytest.raises(KeyProblem, match="still retiring"):
        destroy_kek(db, registered, 1)


def test_destroying_a_retired_unused_kek_removes_its_file(
    db: Database, registered: KeyRing, settings: Settings
) -> None:
    written = write_accounts(db, registered, "DES", 10)
    rotate(db, registered, settle_seconds=0)
    destroy_kek(db, registered, 1)
    assert not (settings.keys_dir / "kek-v1.key").exists()
    assert 1 not in registered.keks
    assert open_all(db, load_keys(settings)) == written
    with db.transaction(write=False) as session:
        status = {s.version: s for s in kek_status(session, load_keys(settings))}
    assert status[1].state == RETIRED and not status[1].loaded
    assert status[2].data_keys == 10


def test_the_active_kek_cannot_be_destroyed(db: Database, registered: KeyRing) -> None:
    with pytest.raises(KeyProblem, match="active"):
        destroy_kek(db, registered, 1)


def test_a_kek_still_wrapping_data_keys_cannot_be_destroyed(
    db: Database, registered: KeyRing, settings: Settings
) -> None:
    write_accounts(db, registered, "USE", 3)
    registered.add_kek()
    with db.transaction(write=True) as session:
        register_keys(session, registered)
        session.execute(update(KeyVersion).where(KeyVersion.version == 1).values(state=RETIRED))
        session.execute(update(KeyVersion).where(KeyVersion.version == 2).values(state=ACTIVE))
    with pytest.raises(KeyProblem, match="3 data key"):
        destroy_kek(db, registered, 1)
    assert (settings.keys_dir / "kek-v1.key").exists()

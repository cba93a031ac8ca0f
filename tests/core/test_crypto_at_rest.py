"""The database file alone gives away no confidential plaintext and no key.

Someone who copies ``kotwal.db`` (and its write-ahead log) gets ciphertext, wrapped data keys
and usernames; the TOTP secrets and every key that could open them stay out of it.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kotwal.core.crypto import bind_keyring, unwrap_key
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing
from kotwal.core.models import Account, DataKey

ROWS = 300


def _database_files(db: Database) -> list[Path]:
    path = Path(str(db.engine.url.database))
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _raw(db: Database) -> bytes:
    return b"".join(p.read_bytes() for p in _database_files(db))


def _key_material(db: Database, keyring: KeyRing) -> list[bytes]:
    seed = keyring.audit_private.private_bytes_raw()
    keys = [*keyring.keks.values(), keyring.index_key, seed]
    with db.transaction(write=False) as session:
        keys += [unwrap_key(keyring, row) for row in session.execute(select(DataKey)).scalars()]
    return keys + [base64.b64encode(k) for k in keys]


@pytest.mark.sqlite_only
def test_the_database_file_holds_no_secret_plaintext_and_no_key(
    db: Database, keyring: KeyRing
) -> None:
    canaries = [f"TOTPCANARY{i:05d}{secrets.token_hex(8).upper()}" for i in range(ROWS)]
    usernames = [f"canary-user-{i:05d}" for i in range(ROWS)]
    with db.transaction(write=True) as session:
        bind_keyring(session, keyring)
        for name, secret in zip(usernames, canaries, strict=True):
            session.add(
                Account(
                    username=name,
                    display_name=name,
                    password_hash="x",
                    totp_secret=secret,
                    totp_pending=secret[::-1],
                )
            )

    def assert_clean(raw: bytes) -> None:
        # The scan sees real content: the PUBLIC usernames are there in clear.
        assert usernames[0].encode() in raw or usernames[-1].encode() in raw
        for secret in canaries:
            assert secret.encode() not in raw
            assert secret[::-1].encode() not in raw
            assert secret.encode("utf-16-le") not in raw
        assert b"TOTPCANARY" not in raw
        for material in _key_material(db, keyring):
            assert material not in raw

    assert_clean(_raw(db))  # committed, most of it still in the WAL
    with db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    assert_clean(_raw(db))  # copied into the main database file

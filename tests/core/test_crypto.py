"""Envelope encryption of fields: what opens, what refuses to, and blind indexes.

The real ``accounts`` table is the specimen: ``Account.totp_secret`` and ``totp_pending`` are
encrypted SECRET columns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from kotwal.core.config import Settings
from kotwal.core.crypto import (
    CryptoProblem,
    bind_keyring,
    blind_index,
    encrypted_columns,
    normalise_phone,
    open_field,
    open_fields,
    open_value,
    seal,
    shred,
)
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing, generate_keys, load_keys
from kotwal.core.models import Account, DataKey
from kotwal.core.policy import DataClass
from kotwal.core.sealed import PlaintextRefused, Sealed

# Made-up TOTP-like values (base32 letters); nothing here is a real secret.
RESEALED = "NEWVALUEAAAAAAAA"
FIRST_TRY = "FIRSTTRYAAAAAAAA"
SECOND_TRY = "SECONDTRYAAAAAAA"


@contextmanager
def keyed(db: Database, keyring: KeyRing, *, write: bool = True) -> Iterator[Session]:
    with db.transaction(write=write) as session:
        yield bind_keyring(session, keyring)


def add_account(session: Session, secret: str | bytes | None, name: str | None = None) -> str:
    name = name or f"u{uuid.uuid4().hex[:12]}"
    account = Account(username=name, display_name=name, password_hash="x", totp_secret=secret)
    session.add(account)
    session.flush()
    return account.id


def open_secret(
    db: Database, keyring: KeyRing, account_id: str, column: str = "totp_secret"
) -> Any:
    with keyed(db, keyring, write=False) as session:
        account = session.get(Account, account_id)
        assert account is not None
        return open_field(session, account, column)


def raw_column(db: Database, account_id: str, column: str = "totp_secret") -> bytes:
    with db.engine.connect() as conn:
        value = conn.execute(
            text(f"SELECT {column} FROM accounts WHERE id = :id"),
            {"id": account_id},
        ).scalar_one()
    return bytes(value)


def write_raw_column(db: Database, account_id: str, value: bytes) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE accounts SET totp_secret = :v WHERE id = :id"),
            {"v": value, "id": account_id},
        )


def test_text_and_bytes_round_trip(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        text_id = add_account(session, "JBSWY3DPEHPK3PXP")
        bytes_id = add_account(session, b"\x00\xffraw")
    assert open_secret(db, keyring, text_id) == "JBSWY3DPEHPK3PXP"
    assert open_secret(db, keyring, bytes_id) == b"\x00\xffraw"


def test_what_is_read_back_is_sealed_and_prints_nothing(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        account_id = add_account(session, "JBSWY3DPEHPK3PXP")
    with keyed(db, keyring, write=False) as session:
        account = session.get(Account, account_id)
        assert account is not None
        assert isinstance(account.totp_secret, Sealed)
        assert repr(account.totp_secret) == "<sealed>"
        assert f"{account.totp_secret}" == "<sealed>"
        assert b"JBSWY3DP" not in bytes(account.totp_secret)


def test_none_stays_none(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        account_id = add_account(session, None)
    assert open_secret(db, keyring, account_id) is None


def test_ciphertext_moved_to_another_row_does_not_open(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
        b = add_account(session, "SECRETOFBBBBBBBB")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE accounts SET totp_secret = "
                "(SELECT totp_secret FROM accounts WHERE id = :a) WHERE id = :b"
            ),
            {"a": a, "b": b},
        )
    assert raw_column(db, a) == raw_column(db, b)
    with pytest.raises(CryptoProblem):
        open_secret(db, keyring, b)
    assert open_secret(db, keyring, a) == "SECRETOFAAAAAAAA"


def test_ciphertext_moved_to_a_row_without_a_data_key_does_not_open(
    db: Database, keyring: KeyRing
) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
        b = add_account(session, None)
    write_raw_column(db, b, raw_column(db, a))
    with pytest.raises(CryptoProblem):
        open_secret(db, keyring, b)


def test_ciphertext_moved_to_another_column_does_not_open(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET totp_pending = totp_secret WHERE id = :a"), {"a": a})
    with pytest.raises(CryptoProblem):
        open_secret(db, keyring, a, "totp_pending")


@pytest.mark.parametrize("position", [1, 2, 13, 14, -17, -1], ids=lambda p: f"byte{p}")
def test_a_flipped_byte_anywhere_fails(db: Database, keyring: KeyRing, position: int) -> None:
    # 1: kind byte of the header; 2..13: nonce; 14: first ciphertext byte; -16..-1: the tag.
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    stored = bytearray(raw_column(db, a))
    stored[position] ^= 0x01
    write_raw_column(db, a, bytes(stored))
    with pytest.raises(CryptoProblem):
        open_secret(db, keyring, a)


def test_a_changed_format_byte_is_refused(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    stored = bytearray(raw_column(db, a))
    stored[0] = 0x7F
    write_raw_column(db, a, bytes(stored))
    with pytest.raises(CryptoProblem, match="not a kotwal ciphertext"):
        open_secret(db, keyring, a)


def test_a_flipped_byte_in_the_wrapped_data_key_fails(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    with db.engine.begin() as conn:
        wrapped = bytearray(
            conn.execute(
                text("SELECT wrapped FROM data_keys WHERE row_id = :a"), {"a": a}
            ).scalar_one()
        )
        wrapped[20] ^= 0x80
        conn.execute(
            text("UPDATE data_keys SET wrapped = :w WHERE row_id = :a"),
            {"w": bytes(wrapped), "a": a},
        )
    with pytest.raises(CryptoProblem, match="does not unwrap"):
        open_secret(db, keyring, a)


def test_a_data_key_moved_to_another_row_does_not_unwrap(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
        b = add_account(session, "SECRETOFBBBBBBBB")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE data_keys SET wrapped = "
                "(SELECT wrapped FROM data_keys WHERE row_id = :a) WHERE row_id = :b"
            ),
            {"a": a, "b": b},
        )
    with pytest.raises(CryptoProblem):
        open_secret(db, keyring, b)


def test_shredding_makes_every_field_of_the_record_unreadable(
    db: Database, keyring: KeyRing
) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
        account = session.get(Account, a)
        assert account is not None
        account.totp_pending = "PENDINGAAAAAAAAA"
        b = add_account(session, "SECRETOFBBBBBBBB")
    with keyed(db, keyring) as session:
        assert shred(session, "accounts", a) is True
        assert shred(session, "accounts", a) is False
    for column in ("totp_secret", "totp_pending"):
        with pytest.raises(CryptoProblem, match="shredded"):
            open_secret(db, keyring, a, column)
    assert open_secret(db, keyring, b) == "SECRETOFBBBBBBBB"


def test_a_shredded_record_sealed_again_gets_a_fresh_key(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "OLDSECRETAAAAAAA")
    with keyed(db, keyring) as session:
        old_key = session.execute(select(DataKey.id).where(DataKey.row_id == a)).scalar_one()
        shred(session, "accounts", a)
        account = session.get(Account, a)
        assert account is not None
        account.totp_secret = RESEALED
    assert open_secret(db, keyring, a) == RESEALED
    with db.transaction(write=False) as session:
        new_key = session.execute(select(DataKey.id).where(DataKey.row_id == a)).scalar_one()
    assert new_key != old_key


def test_deleting_a_record_deletes_its_data_key(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    with keyed(db, keyring) as session:
        account = session.get(Account, a)
        session.delete(account)
    with db.transaction(write=False) as session:
        left = session.execute(select(func.count()).select_from(DataKey)).scalar_one()
    assert left == 0


def test_a_rolled_back_data_key_is_never_reused(db: Database, keyring: KeyRing) -> None:
    fixed = str(uuid.uuid4())
    session = bind_keyring(db.session(write=True), keyring)
    try:
        session.add(
            Account(
                id=fixed, username="r1", display_name="r", password_hash="x", totp_secret=FIRST_TRY
            )
        )
        session.flush()
        session.rollback()
        session.add(
            Account(
                id=fixed, username="r1", display_name="r", password_hash="x", totp_secret=SECOND_TRY
            )
        )
        session.commit()
    finally:
        session.close()
    assert open_secret(db, keyring, fixed) == SECOND_TRY


def test_plaintext_is_refused_without_a_keyring(db: Database) -> None:
    with pytest.raises(PlaintextRefused), db.transaction(write=True) as session:
        add_account(session, "JBSWY3DPEHPK3PXP")
    with db.transaction(write=False) as session:
        assert session.execute(select(func.count()).select_from(Account)).scalar_one() == 0


def test_opening_is_refused_without_a_keyring(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        a = add_account(session, "SECRETOFAAAAAAAA")
    with db.transaction(write=False) as session:
        account = session.get(Account, a)
        with pytest.raises(PlaintextRefused):
            open_field(session, account, "totp_secret")


def test_explicit_seal_and_open_value(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        sealed = seal(session, "accounts", "totp_secret", "row-1", "value")
        assert open_value(session, "accounts", "totp_secret", "row-1", sealed) == "value"
        with pytest.raises(CryptoProblem):
            open_value(session, "accounts", "totp_pending", "row-1", sealed)


def test_encrypted_columns_are_declared_by_type() -> None:
    assert encrypted_columns(Account) == {
        "totp_secret": DataClass.SECRET,
        "totp_pending": DataClass.SECRET,
    }


def _count_statements(db: Database) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


def test_open_fields_loads_a_page_of_data_keys_in_one_query(db: Database, keyring: KeyRing) -> None:
    with keyed(db, keyring) as session:
        ids = [add_account(session, f"SECRET{i:010d}") for i in range(100)]
    with keyed(db, keyring, write=False) as session:
        accounts = list(session.execute(select(Account).where(Account.id.in_(ids))).scalars())
        seen = _count_statements(db)
        opened = open_fields(session, accounts, ["totp_secret", "totp_pending"])
    data_key_queries = [s for s in seen if "data_keys" in s]
    assert len(seen) == 1
    assert len(data_key_queries) == 1
    by_id = {a.id: o for a, o in zip(accounts, opened, strict=True)}
    assert {by_id[i]["totp_secret"] for i in ids} == {f"SECRET{i:010d}" for i in range(100)}
    assert all(o["totp_pending"] is None for o in opened)


def test_open_fields_raises_on_a_shredded_record_unless_told_what_to_show(
    db: Database, keyring: KeyRing
) -> None:
    with keyed(db, keyring) as session:
        ids = [add_account(session, f"SECRET{i:010d}") for i in range(3)]
        shred(session, "accounts", ids[1])
    with keyed(db, keyring, write=False) as session:
        accounts = [session.get(Account, i) for i in ids]
        with pytest.raises(CryptoProblem):
            open_fields(session, accounts, ["totp_secret"])
    with keyed(db, keyring, write=False) as session:
        accounts = [session.get(Account, i) for i in ids]
        seen = _count_statements(db)
        opened = open_fields(session, accounts, ["totp_secret"], unreadable="<shredded>")
    assert [o["totp_secret"] for o in opened] == [
        "SECRET0000000000",
        "<shredded>",
        "SECRET0000000002",
    ]
    assert len(seen) == 1  # the shredded one is known missing from the bulk query


# --- blind indexes -----------------------------------------------------------------------


@pytest.fixture
def other_keyring(tmp_path: Path) -> KeyRing:
    data_dir = tmp_path / "other"
    data_dir.mkdir(mode=0o700)
    generate_keys(data_dir / "keys")
    return load_keys(Settings(data_dir=data_dir))


def test_blind_index_is_deterministic_per_column(keyring: KeyRing) -> None:
    first = blind_index(keyring, "persons.phone", "9876543210")
    assert first == blind_index(keyring, "persons.phone", "9876543210")
    assert first != blind_index(keyring, "persons.phone", "9876543211")


def test_blind_index_differs_across_columns(keyring: KeyRing) -> None:
    assert blind_index(keyring, "persons.phone", "9876543210") != blind_index(
        keyring, "officers.phone", "9876543210"
    )


def test_blind_index_differs_across_keys(keyring: KeyRing, other_keyring: KeyRing) -> None:
    assert blind_index(keyring, "persons.phone", "9876543210") != blind_index(
        other_keyring, "persons.phone", "9876543210"
    )


@pytest.mark.parametrize("bits", [16, 32, 64, 256])
def test_blind_index_is_truncated_to_the_bits_asked(keyring: KeyRing, bits: int) -> None:
    index = blind_index(keyring, "persons.phone", "9876543210", bits=bits)
    assert len(index) == bits // 4
    assert int(index, 16) >= 0
    assert blind_index(keyring, "persons.phone", "9876543210", bits=256).startswith(index)


@pytest.mark.parametrize("bits", [8, 30, 260])
def test_blind_index_refuses_odd_sizes(keyring: KeyRing, bits: int) -> None:
    with pytest.raises(ValueError, match="bits"):
        blind_index(keyring, "persons.phone", "9876543210", bits=bits)


@pytest.mark.parametrize(
    "raw", ["+91 98765 43210", "098765-43210", "9876543210", "(+91) 9876 543 210"]
)
def test_indian_phone_numbers_normalise_to_ten_digits(raw: str) -> None:
    assert normalise_phone(raw) == "9876543210"

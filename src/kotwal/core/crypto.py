"""Envelope encryption of CONFIDENTIAL and SECRET fields, and blind indexes for exact search.

Each record has one random 256-bit data key (``data_keys``), wrapped with AES-256-GCM by the
active key-encryption key (KEK), which never enters the database. Each encrypted field is
AES-256-GCM under the record's data key with associated data binding the table, the column, the
row and the data key's identity, so a ciphertext copied to another row or column fails to open.

Models declare encrypted columns with the :class:`Encrypted` type. They assign plaintext
(``str`` or ``bytes``); a ``before_flush`` hook seals it before it reaches SQL. What is read back
is a :class:`Sealed` value that prints as ``<sealed>``: plaintext exists in the process only
where :func:`open_field` is called, which is the gate's job.

Exact lookup of an encrypted identifier (phone, Aadhaar, IMEI) goes through a keyed blind
index: HMAC-SHA256 under a per-column key derived from the index key, truncated (as CipherSweet
advises) so that the index alone cannot confirm a guess with certainty; candidates are then
opened and compared.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from kotwal.core.db import new_id
from kotwal.core.keys import KeyRing
from kotwal.core.models import DataKey
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted, PlaintextRefused, Sealed

FORMAT_V1 = 1
_KIND_TEXT = 1
_KIND_BYTES = 2
NONCE_BYTES = 12
KEYRING_INFO = "kotwal.keyring"
_DEK_CACHE = "kotwal.deks"


class CryptoProblem(Exception):
    """A ciphertext cannot be opened: wrong row, wrong column, tampered, or key missing."""


def bind_keyring(session: Session, keyring: KeyRing) -> Session:
    """Give a session the keys it needs to seal on flush and to open fields."""
    session.info[KEYRING_INFO] = keyring
    return session


def _keyring(session: Session) -> KeyRing:
    keyring = session.info.get(KEYRING_INFO)
    if keyring is None:
        raise PlaintextRefused("this session holds no keyring; encrypted fields cannot be used")
    assert isinstance(keyring, KeyRing)
    return keyring


def _wrap_aad(table: str, row_id: str, kek_version: int) -> bytes:
    return f"kotwal/dek/v1|{table}|{row_id}|kek{kek_version}".encode()


def _field_aad(table: str, column: str, row_id: str, key_id: str) -> bytes:
    return f"kotwal/field/v1|{table}|{column}|{row_id}|{key_id}".encode()


def wrap_key(keyring: KeyRing, version: int, table: str, row_id: str, dek: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _wrap_aad(table, row_id, version)
    return nonce + AESGCM(keyring.kek(version)).encrypt(nonce, dek, aad)


def unwrap_key(keyring: KeyRing, row: DataKey) -> bytes:
    aad = _wrap_aad(row.table_name, row.row_id, row.kek_version)
    try:
        blob = row.wrapped
        return AESGCM(keyring.kek(row.kek_version)).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad
        )
    except InvalidTag as exc:
        raise CryptoProblem(f"data key for {row.table_name}/{row.row_id} does not unwrap") from exc


def active_kek_version(session: Session, keyring: KeyRing) -> int:
    """The KEK version that wraps new data keys."""
    return keyring.active_kek_version


def _cache(session: Session) -> dict[tuple[str, str], tuple[str, bytes]]:
    cache = session.info.setdefault(_DEK_CACHE, {})
    assert isinstance(cache, dict)
    return cache


def data_key(session: Session, table: str, row_id: str, *, create: bool) -> tuple[str, bytes]:
    """The record's (data key id, data key), creating and wrapping one if asked."""
    cache = _cache(session)
    hit = cache.get((table, row_id))
    if hit is not None:
        return hit
    keyring = _keyring(session)
    row = session.execute(
        select(DataKey).where(DataKey.table_name == table, DataKey.row_id == row_id)
    ).scalar_one_or_none()
    if row is None:
        if not create:
            raise CryptoProblem(f"no data key for {table}/{row_id} (shredded or never sealed)")
        dek = secrets.token_bytes(32)
        version = active_kek_version(session, keyring)
        row = DataKey(
            id=new_id(),
            table_name=table,
            row_id=row_id,
            kek_version=version,
            wrapped=wrap_key(keyring, version, table, row_id, dek),
        )
        session.add(row)  # flushed with the record it protects
    else:
        dek = unwrap_key(keyring, row)
    cache[(table, row_id)] = (row.id, dek)
    return row.id, dek


def seal(session: Session, table: str, column: str, row_id: str, value: str | bytes) -> Sealed:
    """Encrypt one field value for one row."""
    key_id, dek = data_key(session, table, row_id, create=True)
    kind = _KIND_TEXT if isinstance(value, str) else _KIND_BYTES
    raw = value.encode("utf-8") if isinstance(value, str) else value
    nonce = secrets.token_bytes(NONCE_BYTES)
    ct = AESGCM(dek).encrypt(nonce, raw, _field_aad(table, column, row_id, key_id))
    return Sealed(bytes([FORMAT_V1, kind]) + nonce + ct)


def open_value(session: Session, table: str, column: str, row_id: str, sealed: bytes) -> Any:
    """Decrypt one field value; raises :class:`CryptoProblem` if it was moved or altered."""
    if len(sealed) < 2 + NONCE_BYTES + 16 or sealed[0] != FORMAT_V1:
        raise CryptoProblem(f"{table}.{column} of {row_id} is not a kotwal ciphertext")
    key_id, dek = data_key(session, table, row_id, create=False)
    nonce, ct = sealed[2 : 2 + NONCE_BYTES], sealed[2 + NONCE_BYTES :]
    try:
        raw = AESGCM(dek).decrypt(nonce, ct, _field_aad(table, column, row_id, key_id))
    except InvalidTag as exc:
        raise CryptoProblem(f"{table}.{column} of {row_id} does not open here") from exc
    return raw.decode("utf-8") if sealed[1] == _KIND_TEXT else raw


def open_field(session: Session, obj: Any, column: str) -> Any:
    """Decrypt ``obj.<column>`` (None stays None)."""
    value = getattr(obj, column)
    if value is None:
        return None
    if not isinstance(value, Sealed):
        return value  # assigned in this transaction and not flushed yet
    return open_value(session, obj.__table__.name, column, str(obj.id), value)


def encrypted_columns(model: Any) -> dict[str, DataClass]:
    """The encrypted columns of a mapped class and their data classes."""
    return {
        col.key: col.type.data_class
        for col in model.__table__.columns
        if isinstance(col.type, Encrypted)
    }


def _seal_pending(session: Session, objects: Iterable[Any]) -> None:
    for obj in objects:
        table = getattr(obj, "__table__", None)
        if table is None:
            continue
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if not columns:
            continue
        if getattr(obj, "id", None) is None:
            obj.id = new_id()
        for col in columns:
            value = obj.__dict__.get(col.key)
            if value is not None and not isinstance(value, Sealed):
                setattr(obj, col.key, seal(session, table.name, col.key, str(obj.id), value))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    _seal_pending(session, list(session.new) + list(session.dirty))


def shred(session: Session, table: str, row_id: str) -> bool:
    """Destroy a record's data key: every encrypted field of the record becomes unreadable."""
    _cache(session).pop((table, row_id), None)
    row = session.execute(
        select(DataKey).where(DataKey.table_name == table, DataKey.row_id == row_id)
    ).scalar_one_or_none()
    if row is None:
        return False
    session.delete(row)
    return True


def _column_key(keyring: KeyRing, domain: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"kotwal/bidx/{domain}".encode()
    ).derive(keyring.index_key)


def blind_index(keyring: KeyRing, domain: str, normalised: str, bits: int = 32) -> str:
    """Keyed, truncated index of a normalised identifier for ``domain`` (``table.column``).

    ``bits`` trades privacy for precision: 32 bits on a column of a million rows leaves a few
    false candidates per query, which the caller removes by opening and comparing.
    """
    if not 16 <= bits <= 256 or bits % 4:
        raise ValueError("bits must be a multiple of 4 between 16 and 256")
    digest = hmac.new(_column_key(keyring, domain), normalised.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[: bits // 4]


def normalise_phone(raw: str) -> str:
    """Digits only; an Indian number keeps its last ten digits (+91, 0 prefixes dropped)."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits[-10:] if len(digits) >= 10 else digits

"""Envelope encryption of CONFIDENTIAL and SECRET fields, blind indexes for exact search, and
rotation of the key-encryption key.

Each record has one random 256-bit data key (``data_keys``), wrapped with AES-256-GCM by the
active key-encryption key (KEK), which never enters the database. The wrap's associated data
binds the table, the row and the KEK version. Each encrypted field is AES-256-GCM under the
record's data key with associated data binding the ciphertext's header, the table, the column,
the row and the data key's identity, so a ciphertext copied to another row or column, or a
single flipped byte, fails to open.

Models declare encrypted columns with the :class:`Encrypted` type. They assign plaintext
(``str`` or ``bytes``); a ``before_flush`` hook seals it before it reaches SQL. What is read back
is a :class:`Sealed` value that prints as ``<sealed>``: plaintext exists in the process only
where :func:`open_field` / :func:`open_fields` is called, which is the gate's job. Deleting a
record through the ORM deletes its data key too.

Which KEK wraps new data keys is decided by the database (``key_versions``), not by the files a
process happened to load at start: :func:`rotate` records a new active version and every running
server picks it up within :data:`ACTIVE_CACHE_SECONDS`, reloading its key files if needed.

Exact lookup of an encrypted identifier (phone, Aadhaar, IMEI) goes through a keyed blind
index: HMAC-SHA256 under a per-column key derived from the index key, truncated (as CipherSweet
advises) so that the index alone cannot confirm a guess with certainty; candidates are then
opened and compared.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import CursorResult, Table, delete, event, func, select, update
from sqlalchemy.orm import Session, UOWTransaction

from kotwal.core.db import Database, new_id
from kotwal.core.keys import KeyProblem, KeyRing, fingerprint
from kotwal.core.models import DataKey, KeyVersion
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted, PlaintextRefused, Sealed

__all__ = [
    "ACTIVE",
    "ACTIVE_CACHE_SECONDS",
    "RETIRED",
    "RETIRING",
    "CryptoProblem",
    "Encrypted",
    "KekStatus",
    "PlaintextRefused",
    "RotationReport",
    "Sealed",
    "active_kek_version",
    "bind_keyring",
    "blind_index",
    "data_key",
    "destroy_kek",
    "encrypted_columns",
    "kek_status",
    "normalise_phone",
    "open_field",
    "open_fields",
    "open_value",
    "open_with",
    "register_keys",
    "rotate",
    "seal",
    "seal_with",
    "shred",
    "unwrap_key",
    "wrap_key",
]

FORMAT_V1 = 1
_KIND_TEXT = 1
_KIND_BYTES = 2
_HEADER_BYTES = 2
NONCE_BYTES = 12
TAG_BYTES = 16
DEK_BYTES = 32
KEYRING_INFO = "kotwal.keyring"
_DEK_CACHE = "kotwal.deks"
_NO_KEY = "kotwal.no-dek"

#: How long a process trusts its idea of the active KEK version before asking the database
#: again. Rotation waits at least this long after switching, so no server is left behind.
ACTIVE_CACHE_SECONDS = 2.0
ACTIVE = "active"
RETIRING = "retiring"
RETIRED = "retired"
#: Bounds one IN (...) list, well under SQLite's and PostgreSQL's parameter limits.
_IN_CHUNK = 500
#: A rotation that keeps finding fresh data keys under old versions after this many passes is
#: fighting a server that cannot see the new key; it stops and says so instead of spinning.
_MAX_PASSES = 50


class CryptoProblem(Exception):
    """A ciphertext cannot be opened: wrong row, wrong column, tampered, or key missing."""


def bind_keyring(session: Session, keyring: KeyRing) -> Session:
    """Give a session the keys it needs to seal on flush and to open fields."""
    session.info[KEYRING_INFO] = keyring
    return session


def _keyring(session: Session) -> KeyRing:
    keyring = session.info.get(KEYRING_INFO)
    if not isinstance(keyring, KeyRing):
        raise PlaintextRefused("this session holds no keyring; encrypted fields cannot be used")
    return keyring


def _aad(label: str, *parts: str | bytes) -> bytes:
    """Length-prefixed associated data: no choice of names or ids can make two tuples encode
    alike (a plain ``|``-join would let ``("a|b", "c")`` collide with ``("a", "b|c")``)."""
    out = bytearray(label.encode())
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _wrap_aad(table: str, row_id: str, kek_version: int) -> bytes:
    return _aad("kotwal/dek/v1", table, row_id, str(kek_version))


def _field_aad(header: bytes, table: str, column: str, row_id: str, key_id: str) -> bytes:
    # The header is authenticated too: flipping the kind byte must fail, not turn text into
    # bytes.
    return _aad("kotwal/field/v1", header, table, column, row_id, key_id)


def wrap_key(keyring: KeyRing, version: int, table: str, row_id: str, dek: bytes) -> bytes:
    """Wrap a record's data key under KEK ``version`` (nonce || ciphertext || tag)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _wrap_aad(table, row_id, version)
    return nonce + AESGCM(keyring.kek(version)).encrypt(nonce, dek, aad)


def _kek_reloading(keyring: KeyRing, version: int) -> bytes:
    """The KEK, re-reading the key files once if another process created it after we loaded."""
    if version not in keyring.keks:
        keyring.reload()
    return keyring.kek(version)


def _unwrap(keyring: KeyRing, table: str, row_id: str, version: int, blob: bytes) -> bytes:
    kek = _kek_reloading(keyring, version)
    try:
        dek = AESGCM(kek).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(table, row_id, version)
        )
    except (InvalidTag, ValueError) as exc:
        raise CryptoProblem(f"data key for {table}/{row_id} does not unwrap") from exc
    if len(dek) != DEK_BYTES:
        raise CryptoProblem(f"data key for {table}/{row_id} has the wrong length")
    return dek


def unwrap_key(keyring: KeyRing, row: DataKey) -> bytes:
    """Unwrap a stored data key; raises :class:`CryptoProblem` if it was moved or altered and
    :class:`KeyProblem` if its KEK is not available even after reloading the key files."""
    return _unwrap(keyring, row.table_name, row.row_id, row.kek_version, bytes(row.wrapped))


def _database_name(session: Session) -> str:
    # The active-version cache is per database: one KeyRing may (in tools and tests) serve two.
    return str(session.get_bind().engine.url)


def active_kek_version(session: Session, keyring: KeyRing) -> int:
    """The KEK version that wraps new data keys, as recorded in ``key_versions``.

    Cached per KeyRing for :data:`ACTIVE_CACHE_SECONDS`. If the database names a version this
    process does not hold, the key files are reloaded; if it is still missing, or its
    fingerprint differs from the registered one, :class:`KeyProblem` is raised rather than
    wrapping data under a key no other server has. Before any version is registered (a
    database that ``kotwal init`` has not finished) the highest loaded version is used.
    """
    database = _database_name(session)
    cached = keyring.cached_active(database, ACTIVE_CACHE_SECONDS)
    if cached is not None:
        return cached
    row = session.execute(
        select(KeyVersion.version, KeyVersion.fingerprint)
        .where(KeyVersion.state == ACTIVE)
        .order_by(KeyVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        version = keyring.active_kek_version
    else:
        version = int(row.version)
        kek = _kek_reloading(keyring, version)
        if fingerprint(kek) != row.fingerprint:
            raise KeyProblem(
                f"the key-encryption key v{version} loaded here (fingerprint {fingerprint(kek)})"
                f" is not the one registered in the database ({row.fingerprint}); this server "
                "has the wrong key files"
            )
    keyring.remember_active(database, version)
    return version


def register_keys(session: Session, keyring: KeyRing) -> list[int]:
    """Record in ``key_versions`` the KEKs this keyring holds that the database does not know.

    If no version is active yet, the highest loaded one becomes active; every other new one is
    recorded as retiring, so the next rotation moves anything wrapped under it. A loaded key
    whose fingerprint differs from the registered one is refused: it would wrap data that
    other servers cannot open. Returns the versions registered.
    """
    registered = {
        int(r.version): (str(r.state), str(r.fingerprint))
        for r in session.execute(
            select(KeyVersion.version, KeyVersion.state, KeyVersion.fingerprint)
        )
    }
    for version, (_state, known) in registered.items():
        if version in keyring.keks and keyring.fingerprint(version) != known:
            raise KeyProblem(
                f"key-encryption key v{version} (fingerprint {keyring.fingerprint(version)}) "
                f"is not the one registered in the database ({known})"
            )
    has_active = any(state == ACTIVE for state, _ in registered.values())
    newest = max(keyring.keks)
    added: list[int] = []
    for version in sorted(set(keyring.keks) - set(registered)):
        state = ACTIVE if not has_active and version == newest else RETIRING
        session.add(
            KeyVersion(version=version, state=state, fingerprint=keyring.fingerprint(version))
        )
        added.append(version)
    if not has_active and newest in registered:
        session.execute(update(KeyVersion).where(KeyVersion.version == newest).values(state=ACTIVE))
    session.flush()
    keyring.forget_active()
    return added


# --- data keys ---------------------------------------------------------------------------


def _cache(session: Session) -> dict[tuple[str, str], tuple[str, bytes]]:
    return cast(dict[tuple[str, str], tuple[str, bytes]], session.info.setdefault(_DEK_CACHE, {}))


def _no_key(session: Session) -> set[tuple[str, str]]:
    return cast(set[tuple[str, str]], session.info.setdefault(_NO_KEY, set()))


def _forget_keys(session: Session) -> None:
    session.info.pop(_DEK_CACHE, None)
    session.info.pop(_NO_KEY, None)


# The plaintext data keys a session caches must not outlive its transaction: after a rollback
# a key created in it no longer exists in the database, and reusing it would seal fields that
# nothing can ever open. After a commit, dropping them keeps key material short-lived.
@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    _forget_keys(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    _forget_keys(session)


def _create_data_key(
    session: Session, keyring: KeyRing, table: str, row_id: str
) -> tuple[str, bytes]:
    dek = secrets.token_bytes(DEK_BYTES)
    version = active_kek_version(session, keyring)
    row = DataKey(
        id=new_id(),
        table_name=table,
        row_id=row_id,
        kek_version=version,
        wrapped=wrap_key(keyring, version, table, row_id, dek),
    )
    session.add(row)  # flushed with the record it protects
    _no_key(session).discard((table, row_id))
    _cache(session)[(table, row_id)] = (row.id, dek)
    return row.id, dek


def data_key(session: Session, table: str, row_id: str, *, create: bool) -> tuple[str, bytes]:
    """The record's (data key id, data key), creating and wrapping one if asked."""
    hit = _cache(session).get((table, row_id))
    if hit is not None:
        return hit
    if not create and (table, row_id) in _no_key(session):
        raise CryptoProblem(f"no data key for {table}/{row_id} (shredded or never sealed)")
    keyring = _keyring(session)
    row = session.execute(
        select(DataKey.id, DataKey.kek_version, DataKey.wrapped).where(
            DataKey.table_name == table, DataKey.row_id == row_id
        )
    ).first()
    if row is None:
        if not create:
            _no_key(session).add((table, row_id))
            raise CryptoProblem(f"no data key for {table}/{row_id} (shredded or never sealed)")
        return _create_data_key(session, keyring, table, row_id)
    dek = _unwrap(keyring, table, row_id, int(row.kek_version), bytes(row.wrapped))
    _cache(session)[(table, row_id)] = (str(row.id), dek)
    return str(row.id), dek


def _load_data_keys(session: Session, wanted: Iterable[tuple[str, str]]) -> None:
    """Unwrap the data keys of many records with one query per table (per 500 rows)."""
    cache, missing = _cache(session), _no_key(session)
    by_table: dict[str, set[str]] = {}
    for table, row_id in wanted:
        if (table, row_id) not in cache and (table, row_id) not in missing:
            by_table.setdefault(table, set()).add(row_id)
    if not by_table:
        return
    keyring = _keyring(session)
    for table, row_ids in by_table.items():
        ordered = sorted(row_ids)
        for start in range(0, len(ordered), _IN_CHUNK):
            chunk = ordered[start : start + _IN_CHUNK]
            found: set[str] = set()
            rows = session.execute(
                select(DataKey.id, DataKey.row_id, DataKey.kek_version, DataKey.wrapped).where(
                    DataKey.table_name == table, DataKey.row_id.in_(chunk)
                )
            )
            for row in rows:
                found.add(str(row.row_id))
                try:
                    dek = _unwrap(
                        keyring, table, str(row.row_id), int(row.kek_version), bytes(row.wrapped)
                    )
                except CryptoProblem:
                    continue  # left uncached: opening that record raises, the others still open
                cache[(table, str(row.row_id))] = (str(row.id), dek)
            missing.update((table, r) for r in chunk if r not in found)


# --- fields ------------------------------------------------------------------------------


def seal_with(
    key: tuple[str, bytes], table: str, column: str, row_id: str, value: str | bytes
) -> Sealed:
    """Encrypt one field value with a data key already at hand (its id and bytes).

    For rows inserted in bulk, whose data keys the caller makes and inserts itself (a fresh
    key per row, wrapped with :func:`wrap_key`): the same format and associated data as
    :func:`seal` and the flush hook, so the sealed value opens like any other.
    """
    key_id, dek = key
    if isinstance(value, str):
        kind, raw = _KIND_TEXT, value.encode("utf-8")
    elif isinstance(value, bytes | bytearray | memoryview):
        kind, raw = _KIND_BYTES, bytes(value)
    else:
        raise TypeError(f"{table}.{column} takes str or bytes, not {type(value).__name__}")
    header = bytes([FORMAT_V1, kind])
    nonce = secrets.token_bytes(NONCE_BYTES)
    ct = AESGCM(dek).encrypt(nonce, raw, _field_aad(header, table, column, row_id, key_id))
    return Sealed(header + nonce + ct)


def seal(session: Session, table: str, column: str, row_id: str, value: str | bytes) -> Sealed:
    """Encrypt one field value for one row."""
    return seal_with(data_key(session, table, row_id, create=True), table, column, row_id, value)


def open_value(session: Session, table: str, column: str, row_id: str, sealed: bytes) -> Any:
    """Decrypt one field value; raises :class:`CryptoProblem` if it was moved or altered."""
    if (
        len(sealed) < _HEADER_BYTES + NONCE_BYTES + TAG_BYTES
        or sealed[0] != FORMAT_V1
        or sealed[1] not in (_KIND_TEXT, _KIND_BYTES)
    ):
        raise CryptoProblem(f"{table}.{column} of {row_id} is not a kotwal ciphertext")
    return open_with(data_key(session, table, row_id, create=False), table, column, row_id, sealed)


def open_with(key: tuple[str, bytes], table: str, column: str, row_id: str, sealed: bytes) -> Any:
    """Decrypt one field value with a data key at hand (its id and bytes): the counterpart of
    :func:`seal_with`, for values sealed under another record's key (a trip's positions under
    the trip's), so that shredding that one key destroys them all. Raises
    :class:`CryptoProblem` if the value was moved, altered or sealed under another key."""
    if (
        len(sealed) < _HEADER_BYTES + NONCE_BYTES + TAG_BYTES
        or sealed[0] != FORMAT_V1
        or sealed[1] not in (_KIND_TEXT, _KIND_BYTES)
    ):
        raise CryptoProblem(f"{table}.{column} of {row_id} is not a kotwal ciphertext")
    key_id, dek = key
    header = bytes(sealed[:_HEADER_BYTES])
    nonce = bytes(sealed[_HEADER_BYTES : _HEADER_BYTES + NONCE_BYTES])
    ct = bytes(sealed[_HEADER_BYTES + NONCE_BYTES :])
    try:
        raw = AESGCM(dek).decrypt(nonce, ct, _field_aad(header, table, column, row_id, key_id))
    except InvalidTag as exc:
        raise CryptoProblem(f"{table}.{column} of {row_id} does not open here") from exc
    if header[1] != _KIND_TEXT:
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # authenticated, so only a bug could get here
        raise CryptoProblem(f"{table}.{column} of {row_id} is not valid text") from exc


def open_field(session: Session, obj: Any, column: str) -> Any:
    """Decrypt ``obj.<column>`` (None stays None)."""
    value = getattr(obj, column)
    if value is None:
        return None
    if not isinstance(value, Sealed):
        return value  # assigned in this transaction and not flushed yet
    return open_value(session, obj.__table__.name, column, str(obj.id), value)


class _Raise:
    def __repr__(self) -> str:
        return "<raise>"


_RAISE: Any = _Raise()


def open_fields(
    session: Session,
    objs: Sequence[Any],
    columns: Sequence[str],
    *,
    unreadable: Any = _RAISE,
) -> list[dict[str, Any]]:
    """Decrypt ``columns`` of many records, loading their data keys in one query (per table
    and 500 records), not one per record: the gate opens pages of a hundred this way.

    Returns one ``{column: plaintext}`` per object, in order. A field that cannot be opened
    (shredded, moved, tampered) raises :class:`CryptoProblem`, unless ``unreadable`` is given,
    in which case that value stands in for it and the rest of the page still opens.
    """
    wanted = [
        (obj.__table__.name, str(obj.id))
        for obj in objs
        if any(isinstance(getattr(obj, c), Sealed) for c in columns)
    ]
    _load_data_keys(session, wanted)
    opened: list[dict[str, Any]] = []
    for obj in objs:
        fields: dict[str, Any] = {}
        for column in columns:
            try:
                fields[column] = open_field(session, obj, column)
            except CryptoProblem:
                if unreadable is _RAISE:
                    raise
                fields[column] = unreadable
        opened.append(fields)
    return opened


def encrypted_columns(model: Any) -> dict[str, DataClass]:
    """The encrypted columns of a mapped class and their data classes."""
    return {
        col.key: col.type.data_class
        for col in model.__table__.columns
        if isinstance(col.type, Encrypted)
    }


def _encrypted(obj: Any) -> tuple[str, list[str]] | None:
    table = getattr(obj, "__table__", None)
    if table is None:
        return None
    columns = [c.key for c in table.columns if isinstance(c.type, Encrypted)]
    return (table.name, columns) if columns else None


def _row_id(obj: Any, table: str) -> str:
    if getattr(obj, "id", None) is None:
        # The associated data needs the row id before the INSERT, so it is chosen here; an
        # autoincrement integer key would only be known afterwards.
        id_column = obj.__table__.columns.get("id")
        if id_column is None or id_column.type.python_type is not str:
            raise CryptoProblem(f"{table} has encrypted columns but no client-chosen text id")
        obj.id = new_id()
    return str(obj.id)


def _seal_pending(session: Session, objects: Iterable[Any], *, new: bool) -> None:
    for obj in objects:
        found = _encrypted(obj)
        if found is None:
            continue
        table, columns = found
        plain = [
            c
            for c in columns
            if (v := obj.__dict__.get(c)) is not None and not isinstance(v, Sealed)
        ]
        if not plain:
            continue
        row_id = _row_id(obj, table)
        key = _cache(session).get((table, row_id))
        if key is None:
            # A new record cannot have a data key yet: skip the look-up (one query per
            # inserted row otherwise). A stray key would fail the unique constraint loudly.
            key = (
                _create_data_key(session, _keyring(session), table, row_id)
                if new
                else data_key(session, table, row_id, create=True)
            )
        for column in plain:
            setattr(obj, column, seal_with(key, table, column, row_id, obj.__dict__[column]))


def _shred_deleted(session: Session, objects: Iterable[Any]) -> None:
    for obj in objects:
        found = _encrypted(obj)
        if found is not None and getattr(obj, "id", None) is not None:
            shred(session, found[0], str(obj.id))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    _seal_pending(session, list(session.new), new=True)
    _seal_pending(session, list(session.dirty), new=False)
    # A deleted record's data key would otherwise linger, wrapped but orphaned.
    _shred_deleted(session, list(session.deleted))


def shred(session: Session, table: str, row_id: str) -> bool:
    """Destroy a record's data key: every encrypted field of the record becomes unreadable.

    Executed at once (not at the next flush) so that sealing the record again in the same
    transaction creates a fresh key instead of colliding with the old one.
    """
    _cache(session).pop((table, row_id), None)
    result = session.execute(
        delete(DataKey).where(DataKey.table_name == table, DataKey.row_id == row_id),
        execution_options={"synchronize_session": "fetch"},
    )
    _no_key(session).add((table, row_id))
    return bool(cast(CursorResult[Any], result).rowcount)


# --- KEK rotation ------------------------------------------------------------------------


@dataclass
class RotationReport:
    """What a rotation did. ``still_retiring`` and ``unreadable`` are empty when it finished."""

    new_version: int
    old_versions: list[int]
    rewrapped: int = 0
    passes: int = 0
    retired: list[int] = field(default_factory=list)
    #: Old versions that still wrap data keys (version -> count); their state stays retiring.
    still_retiring: dict[int, int] = field(default_factory=dict)
    #: Ids of data keys that did not unwrap (tampered, or their KEK is gone); left untouched.
    unreadable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.still_retiring and not self.unreadable


Progress = Callable[[int, int], None]


def _refuse_environment(keyring: KeyRing) -> None:
    if keyring.keys_dir is None:
        raise KeyProblem(
            "the key-encryption keys come from the environment (KOTWAL_KEK), so "
            "`kotwal keys rotate` cannot create, store or retire them. Rotate by hand: add "
            "v<N+1>:<new base64 key> to KOTWAL_KEK on every server and restart them; "
            "remove an old entry only once `kotwal keys status` shows no data key under it"
        )


def _activate_new_kek(db: Database, keyring: KeyRing) -> tuple[int, list[int]]:
    """Create the next KEK file, then make it active and every other version retiring."""
    keyring.reload()  # a half-finished earlier rotation may have left a newer file
    with db.transaction(write=True) as session:
        register_keys(session, keyring)
        highest = session.execute(select(func.max(KeyVersion.version))).scalar_one_or_none()
    version = max(int(highest or 0), max(keyring.keks)) + 1
    try:
        new = keyring.add_kek(version)
    except FileExistsError as exc:
        raise KeyProblem(
            f"kek-v{version}.key already exists: is another rotation running?"
        ) from exc
    with db.transaction(write=True) as session:
        old = list(
            session.execute(select(KeyVersion.version).where(KeyVersion.state == ACTIVE)).scalars()
        )
        session.execute(update(KeyVersion).where(KeyVersion.state == ACTIVE).values(state=RETIRING))
        session.add(KeyVersion(version=new, state=ACTIVE, fingerprint=keyring.fingerprint(new)))
    keyring.forget_active()
    return new, sorted(old)


def _count_not_under(db: Database, version: int) -> int:
    with db.transaction(write=False) as session:
        return int(
            session.execute(
                select(func.count()).select_from(DataKey).where(DataKey.kek_version != version)
            ).scalar_one()
        )


def _rewrap_batch(
    session: Session,
    keyring: KeyRing,
    active: int,
    after: str,
    batch_size: int,
    report: RotationReport,
) -> tuple[int, str | None]:
    """Re-wrap one batch (keyset-paged by id); return (re-wrapped, last id seen or None)."""
    rows = session.execute(
        select(DataKey.id, DataKey.table_name, DataKey.row_id, DataKey.kek_version, DataKey.wrapped)
        .where(DataKey.kek_version != active, DataKey.id > after)
        .order_by(DataKey.id)
        .limit(batch_size)
    ).all()
    if not rows:
        return 0, None
    done = 0
    table = cast(Table, DataKey.__table__)
    for row in rows:
        if row.id in report.unreadable:
            continue
        old_blob = bytes(row.wrapped)
        try:
            dek = _unwrap(keyring, row.table_name, row.row_id, int(row.kek_version), old_blob)
        except (CryptoProblem, KeyProblem):
            report.unreadable.append(str(row.id))
            continue
        new_blob = wrap_key(keyring, active, row.table_name, row.row_id, dek)
        # Conditional on the row being as we read it: a server may shred it meanwhile, and
        # then there is nothing to re-wrap (rowcount 0), never a resurrected key.
        result = session.execute(
            update(table)
            .where(
                table.c.id == row.id,
                table.c.kek_version == row.kek_version,
                table.c.wrapped == old_blob,
            )
            .values(kek_version=active, wrapped=new_blob)
        )
        done += cast(CursorResult[Any], result).rowcount
    return done, str(rows[-1].id)


def _rewrap_pass(
    db: Database,
    keyring: KeyRing,
    active: int,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> int:
    """One sweep over every data key not under ``active``, each batch its own short write
    transaction so that the service's own writes wait milliseconds, not minutes."""
    total = report.rewrapped + _count_not_under(db, active) - len(report.unreadable)
    done, after = 0, ""
    while True:
        with db.transaction(write=True) as session:
            count, last = _rewrap_batch(session, keyring, active, after, batch_size, report)
        if last is None:
            return done
        done += count
        after = last
        report.rewrapped += count
        if progress is not None:
            progress(report.rewrapped, max(total, report.rewrapped))


def _counts_by_version(session: Session) -> dict[int, int]:
    """How many data keys each KEK version wraps."""
    rows = session.execute(select(DataKey.kek_version, func.count()).group_by(DataKey.kek_version))
    return {int(version): int(count) for version, count in rows}


def _finish(db: Database, report: RotationReport) -> None:
    """Mark retired every non-active version that no data key uses any more."""
    with db.transaction(write=True) as session:
        counts = _counts_by_version(session)
        retiring = list(
            session.execute(
                select(KeyVersion.version).where(KeyVersion.state == RETIRING)
            ).scalars()
        )
        for version in retiring:
            left = counts.get(int(version), 0)
            if left:
                report.still_retiring[int(version)] = left
            else:
                session.execute(
                    update(KeyVersion).where(KeyVersion.version == version).values(state=RETIRED)
                )
                report.retired.append(int(version))


def rotate(
    db: Database,
    keyring: KeyRing,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
    settle_seconds: float | None = None,
) -> RotationReport:
    """Re-wrap every data key under a new KEK while the service keeps running.

    1. Create ``kek-v<N>.key`` (synced to disk), record it active and the old version(s)
       retiring. Servers pick it up within :data:`ACTIVE_CACHE_SECONDS`; rotation waits that
       out (``settle_seconds``) so none is still wrapping under an old version.
    2. Re-wrap in batches of ``batch_size``, each its own transaction, repeating until a sweep
       finds no data key outside the new version; then wait once more and sweep again, which
       catches keys written by a transaction that began before the switch.
    3. Mark retired the old versions nothing uses any more. Their files stay: old backups of
       the database need them. ``kotwal keys retire`` destroys one deliberately.

    ``progress(done, total)`` is called after every batch. Keys from the environment are
    refused with :class:`KeyProblem`: there is no file this command could create.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    _refuse_environment(keyring)
    started = time.monotonic()
    settle = ACTIVE_CACHE_SECONDS + 0.5 if settle_seconds is None else settle_seconds
    new, old = _activate_new_kek(db, keyring)
    report = RotationReport(new_version=new, old_versions=old)
    time.sleep(settle)
    settled = False
    while report.passes < _MAX_PASSES:
        report.passes += 1
        done = _rewrap_pass(db, keyring, new, batch_size, report, progress)
        remaining = _count_not_under(db, new) - len(report.unreadable)
        if remaining > 0:
            settled = False
            continue
        if settled and done == 0:
            break
        # Clean for now; a transaction that picked the old version just before the switch may
        # still be about to commit. Wait and look once more before declaring victory.
        time.sleep(settle)
        settled = True
    _finish(db, report)
    report.seconds = time.monotonic() - started
    return report


# --- status and destruction --------------------------------------------------------------


@dataclass(frozen=True)
class KekStatus:
    """One KEK version as the database and this process see it."""

    version: int
    #: active | retiring | retired, or None when the database has no record of it.
    state: str | None
    #: The registered fingerprint (or, unregistered, the loaded key's).
    fingerprint: str | None
    data_keys: int
    loaded: bool
    #: False when the loaded key is not the registered one (wrong key file on this host).
    matches: bool


def kek_status(session: Session, keyring: KeyRing) -> list[KekStatus]:
    """Every KEK version known to the database or to this keyring, with its data key count."""
    registered = {
        int(r.version): (str(r.state), str(r.fingerprint))
        for r in session.execute(
            select(KeyVersion.version, KeyVersion.state, KeyVersion.fingerprint)
        )
    }
    counts = _counts_by_version(session)
    statuses = []
    for version in sorted(set(registered) | set(keyring.keks) | set(counts)):
        state, known = registered.get(version, (None, None))
        loaded = version in keyring.keks
        mine = keyring.fingerprint(version) if loaded else None
        statuses.append(
            KekStatus(
                version=version,
                state=state,
                fingerprint=known or mine,
                data_keys=counts.get(version, 0),
                loaded=loaded,
                matches=not loaded or known is None or known == mine,
            )
        )
    return statuses


def destroy_kek(db: Database, keyring: KeyRing, version: int) -> None:
    """Destroy an old KEK file for good, only if it is retired and no data key uses it.

    Any backup of the database taken while data keys were wrapped under it becomes unreadable
    for those records; that is the point when the key is suspected compromised, and the
    reason this is never done automatically.
    """
    _refuse_environment(keyring)
    with db.transaction(write=True) as session:
        state = session.execute(
            select(KeyVersion.state).where(KeyVersion.version == version)
        ).scalar_one_or_none()
        if state == ACTIVE:
            raise KeyProblem(f"v{version} is the active key-encryption key; rotate first")
        if state == RETIRING:
            raise KeyProblem(
                f"v{version} is still retiring (a rotation has not finished); "
                "run `kotwal keys rotate` again, then retire"
            )
        left = session.execute(
            select(func.count()).select_from(DataKey).where(DataKey.kek_version == version)
        ).scalar_one()
        if left:
            raise KeyProblem(
                f"{left} data key(s) are still wrapped under v{version}; "
                "run `kotwal keys rotate` first"
            )
        if version not in keyring.keks:
            keyring.reload()
        if version not in keyring.keks:
            raise KeyProblem(f"there is no key file for v{version}")
        if state is None:
            session.add(
                KeyVersion(version=version, state=RETIRED, fingerprint=keyring.fingerprint(version))
            )
    keyring.retire_kek(version)


# --- blind indexes -----------------------------------------------------------------------


def _column_key(keyring: KeyRing, domain: str) -> bytes:
    return _derive_column_key(keyring.index_key, domain)


@lru_cache(maxsize=256)
def _derive_column_key(index_key: bytes, domain: str) -> bytes:
    # Cached: every phone lookup, decoy check and filed record derives one, and HKDF costs more
    # than the HMAC it keys. Keyed by the index key itself, so a new key derives anew.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"kotwal/bidx/{domain}".encode()
    ).derive(index_key)


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

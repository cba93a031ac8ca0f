"""Key material kept outside the database: key-encryption keys, the blind-index key and the
audit signing key.

Keys are files of mode 0600 under ``<data dir>/keys`` (directory mode 0700), or come from
``KOTWAL_KEK`` / ``KOTWAL_INDEX_KEY`` / ``KOTWAL_AUDIT_KEY``. The server refuses to start
without them or when a key file can be read by anyone but its owner: a key that others can read
is a key that has already leaked.

KEKs are versioned (``kek-v1.key``, ``kek-v2.key`` ...); the highest version wraps new data keys
and older ones stay until ``kotwal keys rotate`` has re-wrapped everything under the new one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kotwal.core.config import Settings

KEY_BYTES = 32
_KEK_FILE = re.compile(r"^kek-v(\d+)\.key$")
INDEX_KEY_FILE = "index.key"
AUDIT_KEY_FILE = "audit-signing.key"
AUDIT_PUBLIC_FILE = "audit-signing.pub"


class KeyProblem(Exception):
    """A key is missing, malformed or exposed; the message says which and how to fix it."""


@dataclass
class KeyRing:
    """The keys a running instance holds in memory."""

    keks: dict[int, bytes]
    index_key: bytes
    audit_private: Ed25519PrivateKey
    source: str = "files"
    _dir: Path | None = field(default=None, repr=False)

    @property
    def active_kek_version(self) -> int:
        return max(self.keks)

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError as exc:
            raise KeyProblem(f"key-encryption key v{version} is not loaded") from exc

    @property
    def audit_public(self) -> Ed25519PublicKey:
        return self.audit_private.public_key()

    def audit_public_raw(self) -> bytes:
        return self.audit_public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def add_kek(self) -> int:
        """Create the next KEK version (a file when keys live in files) and return it."""
        version = self.active_kek_version + 1
        material = secrets.token_bytes(KEY_BYTES)
        if self._dir is not None:
            _write_secret(self._dir / f"kek-v{version}.key", material)
        self.keks[version] = material
        return version

    def retire_kek(self, version: int) -> None:
        """Forget an old KEK once nothing is wrapped under it (the file is removed)."""
        if version == self.active_kek_version:
            raise KeyProblem("the active key-encryption key cannot be retired")
        self.keks.pop(version, None)
        if self._dir is not None:
            path = self._dir / f"kek-v{version}.key"
            if path.exists():
                path.unlink()


def _b64(material: bytes) -> bytes:
    return base64.b64encode(material) + b"\n"


def _decode(raw: str, what: str) -> bytes:
    try:
        value = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyProblem(f"{what} is not valid base64") from exc
    if len(value) != KEY_BYTES:
        raise KeyProblem(f"{what} must be {KEY_BYTES} bytes, got {len(value)}")
    return value


def _write_secret(path: Path, material: bytes) -> None:
    """Write a key file readable only by its owner, created that way (no window of exposure)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_b64(material))


def check_private(path: Path) -> None:
    """Refuse a key file or directory that group or others can read, write or enter."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(
            f"{path} has mode {stat.S_IMODE(mode):04o}; keys must be private to their owner. "
            f"Fix: chmod {'700' if path.is_dir() else '600'} {path}"
        )


def _read_secret(path: Path, what: str) -> bytes:
    check_private(path)
    return _decode(path.read_text(encoding="ascii"), what)


def generate_keys(keys_dir: Path) -> list[str]:
    """Create whatever key files are missing; return the names created (empty if none)."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)
    created: list[str] = []
    if not any(_KEK_FILE.match(p.name) for p in keys_dir.iterdir()):
        _write_secret(keys_dir / "kek-v1.key", secrets.token_bytes(KEY_BYTES))
        created.append("kek-v1.key")
    for name in (INDEX_KEY_FILE, AUDIT_KEY_FILE):
        if not (keys_dir / name).exists():
            _write_secret(keys_dir / name, secrets.token_bytes(KEY_BYTES))
            created.append(name)
    _write_public(keys_dir)
    return created


def _write_public(keys_dir: Path) -> None:
    seed = _read_secret(keys_dir / AUDIT_KEY_FILE, "audit signing key")
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (keys_dir / AUDIT_PUBLIC_FILE).write_bytes(_b64(raw))


def _parse_env_keks(raw: str) -> dict[int, bytes]:
    """``KOTWAL_KEK`` is ``base64`` (version 1) or ``v1:base64,v2:base64``."""
    keks: dict[int, bytes] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if ":" in part:
            label, material = part.split(":", 1)
            if not re.fullmatch(r"v\d+", label):
                raise KeyProblem("KOTWAL_KEK entries look like v1:<base64>")
            keks[int(label[1:])] = _decode(material, f"KOTWAL_KEK {label}")
        else:
            keks[1] = _decode(part, "KOTWAL_KEK")
    if not keks:
        raise KeyProblem("KOTWAL_KEK is empty")
    return keks


def load_keys(settings: Settings) -> KeyRing:
    """Load the keys from the environment or the key directory, or explain what is wrong."""
    if settings.kek is not None:
        if settings.audit_key is None or settings.index_key is None:
            raise KeyProblem(
                "KOTWAL_KEK is set but KOTWAL_AUDIT_KEY or KOTWAL_INDEX_KEY is not; "
                "set all three or none"
            )
        seed = _decode(settings.audit_key.get_secret_value(), "KOTWAL_AUDIT_KEY")
        return KeyRing(
            keks=_parse_env_keks(settings.kek.get_secret_value()),
            index_key=_decode(settings.index_key.get_secret_value(), "KOTWAL_INDEX_KEY"),
            audit_private=Ed25519PrivateKey.from_private_bytes(seed),
            source="environment",
        )
    keys_dir = settings.keys_dir
    if not keys_dir.is_dir():
        raise KeyProblem(f"no keys at {keys_dir}. Fix: run `kotwal init` first")
    check_private(keys_dir)
    keks = {
        int(m.group(1)): _read_secret(p, p.name)
        for p in sorted(keys_dir.iterdir())
        if (m := _KEK_FILE.match(p.name))
    }
    if not keks:
        raise KeyProblem(f"no key-encryption key in {keys_dir}. Fix: run `kotwal init`")
    for name in (INDEX_KEY_FILE, AUDIT_KEY_FILE):
        if not (keys_dir / name).exists():
            raise KeyProblem(f"{keys_dir / name} is missing. Fix: run `kotwal init`")
    seed = _read_secret(keys_dir / AUDIT_KEY_FILE, "audit signing key")
    return KeyRing(
        keks=keks,
        index_key=_read_secret(keys_dir / INDEX_KEY_FILE, "blind-index key"),
        audit_private=Ed25519PrivateKey.from_private_bytes(seed),
        source="files",
        _dir=keys_dir,
    )


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an exported audit public key (for verifying a witness copy elsewhere)."""
    raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    return Ed25519PublicKey.from_public_bytes(raw)

"""Key material kept outside the database: key-encryption keys, the blind-index key, the
audit signing key and the document-signing key.

Keys are files of mode 0600 under ``<data dir>/keys`` (directory mode 0700), or come from
``KOTWAL_KEK`` / ``KOTWAL_INDEX_KEY`` / ``KOTWAL_AUDIT_KEY`` / ``KOTWAL_DOCUMENT_KEY``. The
server refuses to start without them or when a key file can be read by anyone but its owner: a
key that others can read is a key that has already leaked.

The document-signing key signs what kotwal publishes for anyone to check (XML Signature over a
public document): it is ECDSA P-256, because XML Signature verifiers (xmlsec1, Santuario,
signxml) check ECDSA-SHA256 and none of them Ed25519 yet. Its public half is written next to it
(``document-signing.pem``) for export. From the environment it is optional, and a module that
signs documents refuses to start without it (:meth:`KeyRing.document_key`).

KEKs are versioned (``kek-v1.key``, ``kek-v2.key`` ...). Which version wraps new data keys is
recorded in the database (``key_versions``, see :mod:`kotwal.core.crypto`), so that a server
that is already running learns of a rotation made by ``kotwal keys rotate`` in another process;
:meth:`KeyRing.reload` picks up the new file. Old KEK files stay after a rotation because old
backups of the database still need them; ``kotwal keys retire`` destroys one explicitly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kotwal.core.config import Settings

KEY_BYTES = 32
_KEK_FILE = re.compile(r"^kek-v(\d+)\.key$")
INDEX_KEY_FILE = "index.key"
AUDIT_KEY_FILE = "audit-signing.key"
AUDIT_PUBLIC_FILE = "audit-signing.pub"
DOCUMENT_KEY_FILE = "document-signing.key"
DOCUMENT_PUBLIC_FILE = "document-signing.pem"
SOURCE_FILES = "files"
SOURCE_ENVIRONMENT = "environment"


class KeyProblem(Exception):
    """A key is missing, malformed or exposed; the message says which and how to fix it."""


def fingerprint(material: bytes) -> str:
    """First 16 hex digits of SHA-256 over a key: names a key without revealing it."""
    return hashlib.sha256(material).hexdigest()[:16]


def kek_file_name(version: int) -> str:
    return f"kek-v{version}.key"


@dataclass
class KeyRing:
    """The keys a running instance holds in memory.

    One KeyRing is shared by every thread of a process; :meth:`reload` swaps the KEK mapping
    whole, so readers never see it half-updated.
    """

    keks: dict[int, bytes]
    index_key: bytes
    audit_private: Ed25519PrivateKey
    source: str = SOURCE_FILES
    #: ECDSA P-256 key signing published documents; None only when the keys come from the
    #: environment without ``KOTWAL_DOCUMENT_KEY``.
    document_private: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    _dir: Path | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    #: database -> (active KEK version, monotonic time it was read); see crypto.
    _active: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def keys_dir(self) -> Path | None:
        """Where the key files live, or None when the keys come from the environment."""
        return self._dir

    @property
    def active_kek_version(self) -> int:
        """The highest KEK version held; the database's ``key_versions`` has the last word."""
        return max(self.keks)

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError as exc:
            where = (
                f"restore {kek_file_name(version)} into {self._dir}"
                if self._dir is not None
                else f"add v{version}:<base64> to KOTWAL_KEK"
            )
            raise KeyProblem(f"key-encryption key v{version} is not loaded. Fix: {where}") from exc

    def fingerprint(self, version: int) -> str:
        return fingerprint(self.kek(version))

    @property
    def audit_public(self) -> Ed25519PublicKey:
        return self.audit_private.public_key()

    @property
    def audit_mac_key(self) -> bytes:
        """The key of each audit event's MAC: derived from the audit signing key (HMAC-SHA256
        of its 32-byte seed under a label of its own), so it lives wherever that key lives and
        never in the database."""
        seed = self.audit_private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return hmac.digest(seed, b"kotwal-audit-mac/v1", "sha256")

    def audit_public_raw(self) -> bytes:
        return self.audit_public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def document_key(self) -> ec.EllipticCurvePrivateKey:
        """The document-signing key, or a problem saying how to provide it."""
        if self.document_private is None:
            raise KeyProblem(
                "no document-signing key: run `kotwal init` (it adds the missing key file), or "
                "set KOTWAL_DOCUMENT_KEY (base64 of a P-256 private scalar, 32 bytes) next to "
                "KOTWAL_KEK"
            )
        return self.document_private

    def document_public_pem(self) -> bytes:
        """The public half of the document-signing key (SubjectPublicKeyInfo, PEM)."""
        return document_public_pem(self.document_key())

    def reload(self) -> set[int]:
        """Re-read the KEK files (another process may have rotated); return versions new to us.

        Keys from the environment cannot change under a running process, so this is a no-op
        for them.
        """
        if self._dir is None:
            return set()
        with self._lock:
            fresh = _read_keks(self._dir)
            added = set(fresh) - set(self.keks)
            self.keks = fresh
            self._active.clear()
        return added

    def add_kek(self, version: int | None = None) -> int:
        """Create the next KEK version as a file and return it.

        ``version`` lets the caller skip numbers the database has already seen (a version is
        never reused, even after its key was destroyed).
        """
        if self._dir is None:
            raise KeyProblem(
                "the key-encryption keys come from KOTWAL_KEK, so `kotwal keys rotate` cannot "
                "create or store a new one. Rotate by hand: generate a key, set "
                "KOTWAL_KEK=v1:<old>,v2:<new> on every server, restart them, and keep the old "
                "entry until no data key uses it"
            )
        with self._lock:
            version = version if version is not None else max(self.keks) + 1
            if version in self.keks:
                raise KeyProblem(f"key-encryption key v{version} already exists")
            material = secrets.token_bytes(KEY_BYTES)
            _write_secret(self._dir / kek_file_name(version), material)
            self.keks = {**self.keks, version: material}
        return version

    def retire_kek(self, version: int) -> None:
        """Destroy an old KEK: forget it and remove its file. The caller checks that nothing is
        wrapped under it any more (see :func:`kotwal.core.crypto.destroy_kek`)."""
        if self._dir is None:
            raise KeyProblem(
                f"the key-encryption keys come from KOTWAL_KEK; remove the v{version} entry "
                "from KOTWAL_KEK on every server instead"
            )
        with self._lock:
            if version == max(self.keks):
                raise KeyProblem("the newest key-encryption key cannot be retired")
            self.keks = {v: k for v, k in self.keks.items() if v != version}
            self._active.clear()
            _destroy_file(self._dir / kek_file_name(version))

    # The active-version cache lives here (not in crypto) so that it is per KeyRing: a test or
    # a tool holding two KeyRings sees two independent views, like two servers would.
    def cached_active(self, database: str, max_age: float) -> int | None:
        hit = self._active.get(database)
        if hit is None or time.monotonic() - hit[1] > max_age:
            return None
        return hit[0]

    def remember_active(self, database: str, version: int) -> None:
        self._active[database] = (version, time.monotonic())

    def forget_active(self) -> None:
        self._active.clear()


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_secret(path: Path, material: bytes) -> None:
    """Write a key file readable only by its owner, created that way (no window of exposure).

    Synced to disk with its directory entry before returning: data keys get wrapped under a new
    KEK right after it is written, and a KEK lost to a power cut would lose them all.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_b64(material))
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(path.parent)


def _destroy_file(path: Path) -> None:
    """Overwrite then unlink a key file. Overwriting is best effort (journalling and SSDs may
    keep old blocks), which is why the key is only ever destroyed deliberately."""
    if not path.exists():
        return
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
    _fsync_dir(path.parent)


def _exposure(path: Path, mode: int) -> str | None:
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} has mode {stat.S_IMODE(mode):04o}"
    return None


def _check_key_dir(keys_dir: Path) -> None:
    """Check the directory and every key file in it, naming all exposed ones in one message so
    the operator fixes them in one go rather than one restart per file."""
    exposed_dirs: list[Path] = []
    exposed_files: list[Path] = []
    if _exposure(keys_dir, keys_dir.stat().st_mode):
        exposed_dirs.append(keys_dir)
    for path in sorted(keys_dir.iterdir()):
        if path.name == AUDIT_PUBLIC_FILE or not path.is_file():
            continue
        if path.name.endswith(".key") and _exposure(path, path.stat().st_mode):
            exposed_files.append(path)
    if not exposed_dirs and not exposed_files:
        return
    details = "; ".join(
        f"{p} has mode {stat.S_IMODE(p.stat().st_mode):04o}" for p in exposed_dirs + exposed_files
    )
    fixes = []
    if exposed_dirs:
        fixes.append(f"chmod 700 {keys_dir}")
    if exposed_files:
        fixes.append("chmod 600 " + " ".join(str(p) for p in exposed_files))
    raise KeyProblem(f"{details}; keys must be private to their owner. Fix: {' && '.join(fixes)}")


def _read_secret(path: Path, what: str) -> bytes:
    # Check the mode of the file actually opened (fstat), not of whatever the path named a
    # moment earlier.
    with path.open("rb") as fh:
        problem = _exposure(path, os.fstat(fh.fileno()).st_mode)
        if problem:
            raise KeyProblem(
                f"{problem}; keys must be private to their owner. Fix: chmod 600 {path}"
            )
        raw = fh.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise KeyProblem(f"{what} ({path}) is not base64 text") from exc
    return _decode(text, what)


def _read_keks(keys_dir: Path) -> dict[int, bytes]:
    keks = {
        int(m.group(1)): _read_secret(p, p.name)
        for p in sorted(keys_dir.iterdir())
        if (m := _KEK_FILE.match(p.name))
    }
    if not keks:
        raise KeyProblem(f"no key-encryption key in {keys_dir}. Fix: run `kotwal init`")
    return keks


def document_key_from(material: bytes) -> ec.EllipticCurvePrivateKey:
    """The P-256 key whose private scalar is ``material`` (32 bytes, big-endian)."""
    scalar = int.from_bytes(material, "big")
    try:
        return ec.derive_private_key(scalar, ec.SECP256R1())
    except ValueError as exc:
        raise KeyProblem("the document-signing key is not a P-256 private scalar") from exc


def document_public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The public half of a document-signing key as PEM (what a verifier is given)."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _new_document_scalar() -> bytes:
    # Generated by the library (not token_bytes) so that the scalar is always below the
    # group's order; stored as 32 raw bytes, base64, like every other key file.
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_numbers().private_value.to_bytes(KEY_BYTES, "big")


def generate_keys(keys_dir: Path) -> list[str]:
    """Create whatever key files are missing; return the names created (empty if none)."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)
    created: list[str] = []
    if not any(_KEK_FILE.match(p.name) for p in keys_dir.iterdir()):
        _write_secret(keys_dir / kek_file_name(1), secrets.token_bytes(KEY_BYTES))
        created.append(kek_file_name(1))
    for name in (INDEX_KEY_FILE, AUDIT_KEY_FILE):
        if not (keys_dir / name).exists():
            _write_secret(keys_dir / name, secrets.token_bytes(KEY_BYTES))
            created.append(name)
    if not (keys_dir / DOCUMENT_KEY_FILE).exists():
        _write_secret(keys_dir / DOCUMENT_KEY_FILE, _new_document_scalar())
        created.append(DOCUMENT_KEY_FILE)
    _write_public(keys_dir)
    return created


def _write_public(keys_dir: Path) -> None:
    seed = _read_secret(keys_dir / AUDIT_KEY_FILE, "audit signing key")
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (keys_dir / AUDIT_PUBLIC_FILE).write_bytes(_b64(raw))
    document = _read_secret(keys_dir / DOCUMENT_KEY_FILE, "document-signing key")
    (keys_dir / DOCUMENT_PUBLIC_FILE).write_bytes(document_public_pem(document_key_from(document)))


def _parse_env_keks(raw: str) -> dict[int, bytes]:
    """``KOTWAL_KEK`` is ``base64`` (version 1) or ``v1:base64,v2:base64``."""
    keks: dict[int, bytes] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if ":" in part:
            label, material = part.split(":", 1)
            if not re.fullmatch(r"v[1-9]\d*", label):
                raise KeyProblem("KOTWAL_KEK entries look like v1:<base64>")
            version, what = int(label[1:]), f"KOTWAL_KEK {label}"
        else:
            version, material, what = 1, part, "KOTWAL_KEK"
        if version in keks:
            # Two values for one version would make data wrapped on one server unreadable on
            # another; refuse rather than pick one.
            raise KeyProblem(f"KOTWAL_KEK gives version v{version} twice")
        keks[version] = _decode(material, what)
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
        document_env = settings.document_key
        return KeyRing(
            keks=_parse_env_keks(settings.kek.get_secret_value()),
            index_key=_decode(settings.index_key.get_secret_value(), "KOTWAL_INDEX_KEY"),
            audit_private=Ed25519PrivateKey.from_private_bytes(seed),
            source=SOURCE_ENVIRONMENT,
            document_private=None
            if document_env is None
            else document_key_from(_decode(document_env.get_secret_value(), "KOTWAL_DOCUMENT_KEY")),
        )
    keys_dir = settings.keys_dir
    if not keys_dir.is_dir():
        raise KeyProblem(f"no keys at {keys_dir}. Fix: run `kotwal init` first")
    _check_key_dir(keys_dir)
    keks = _read_keks(keys_dir)
    for name in (INDEX_KEY_FILE, AUDIT_KEY_FILE):
        if not (keys_dir / name).exists():
            raise KeyProblem(f"{keys_dir / name} is missing. Fix: run `kotwal init`")
    seed = _read_secret(keys_dir / AUDIT_KEY_FILE, "audit signing key")
    # Optional here, as from the environment: a deployment made before the key existed starts
    # as before, and only a module that signs documents refuses to (KeyRing.document_key says
    # to run `kotwal init`, which adds the missing file).
    document = None
    if (keys_dir / DOCUMENT_KEY_FILE).exists():
        document = document_key_from(
            _read_secret(keys_dir / DOCUMENT_KEY_FILE, "document-signing key")
        )
    return KeyRing(
        keks=keks,
        index_key=_read_secret(keys_dir / INDEX_KEY_FILE, "blind-index key"),
        audit_private=Ed25519PrivateKey.from_private_bytes(seed),
        source=SOURCE_FILES,
        document_private=document,
        _dir=keys_dir,
    )

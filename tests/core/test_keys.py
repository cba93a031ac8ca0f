"""Key files and the key ring: exposed keys are refused, versions are registered in the
database, and a running server follows the database's active version."""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from sqlalchemy import select, update
from typer.testing import CliRunner

from kotwal.accounts import keys_cli
from kotwal.core.config import Settings
from kotwal.core.crypto import (
    ACTIVE,
    ACTIVE_CACHE_SECONDS,
    RETIRING,
    active_kek_version,
    bind_keyring,
    open_field,
    register_keys,
)
from kotwal.core.db import Database
from kotwal.core.keys import (
    DOCUMENT_KEY_FILE,
    DOCUMENT_PUBLIC_FILE,
    KeyProblem,
    KeyRing,
    fingerprint,
    generate_keys,
    load_keys,
)
from kotwal.core.models import Account, DataKey, KeyVersion


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def env_settings(kek: str) -> Settings:
    return Settings(
        data_dir=Path("unused"),
        kek=SecretStr(kek),
        audit_key=SecretStr(_key()),
        index_key=SecretStr(_key()),
    )


# --- files and modes ---------------------------------------------------------------------


def test_generated_key_files_are_private(data_dir: Path, keyring: KeyRing) -> None:
    keys_dir = data_dir / "keys"
    assert keys_dir.stat().st_mode & 0o777 == 0o700
    for name in ("kek-v1.key", "index.key", "audit-signing.key"):
        assert (keys_dir / name).stat().st_mode & 0o777 == 0o600
    assert keyring.keys_dir == keys_dir
    assert keyring.source == "files"


def test_generate_keys_twice_creates_nothing_new(data_dir: Path, keyring: KeyRing) -> None:
    assert generate_keys(data_dir / "keys") == []


def test_readable_key_files_and_directory_are_refused_with_the_fix(
    data_dir: Path, keyring: KeyRing
) -> None:
    keys_dir = data_dir / "keys"
    keys_dir.chmod(0o755)
    for path in keys_dir.glob("*.key"):
        path.chmod(0o644)
    with pytest.raises(KeyProblem) as caught:
        load_keys(Settings(data_dir=data_dir))
    message = str(caught.value)
    assert "0755" in message and "0644" in message
    assert f"chmod 700 {keys_dir}" in message
    assert "chmod 600" in message and str(keys_dir / "kek-v1.key") in message
    assert str(keys_dir / "index.key") in message


def test_a_single_readable_key_file_is_refused(data_dir: Path, keyring: KeyRing) -> None:
    path = data_dir / "keys" / "kek-v1.key"
    path.chmod(0o644)
    with pytest.raises(KeyProblem, match=f"Fix: chmod 600 {path}"):
        load_keys(Settings(data_dir=data_dir))


def test_a_group_readable_key_directory_is_refused(data_dir: Path, keyring: KeyRing) -> None:
    (data_dir / "keys").chmod(0o750)
    with pytest.raises(KeyProblem, match="chmod 700"):
        load_keys(Settings(data_dir=data_dir))


def test_missing_keys_say_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeyProblem, match="kotwal init"):
        load_keys(Settings(data_dir=tmp_path / "nowhere"))


def test_a_malformed_key_file_is_refused(data_dir: Path, keyring: KeyRing) -> None:
    path = data_dir / "keys" / "index.key"
    path.write_text("not base64 at all!\n")
    with pytest.raises(KeyProblem, match="blind-index key is not valid base64"):
        load_keys(Settings(data_dir=data_dir))


# --- environment -------------------------------------------------------------------------


def test_keys_from_the_environment_load_with_versions() -> None:
    v1, v2 = _key(), _key()
    ring = load_keys(env_settings(f"v1:{v1},v2:{v2}"))
    assert ring.source == "environment"
    assert ring.keys_dir is None
    assert ring.keks == {1: base64.b64decode(v1), 2: base64.b64decode(v2)}


def test_a_version_given_twice_in_the_environment_is_refused() -> None:
    with pytest.raises(KeyProblem, match="twice"):
        load_keys(env_settings(f"v1:{_key()},v1:{_key()}"))


def test_a_kek_of_the_wrong_size_is_refused() -> None:
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(KeyProblem, match="32 bytes"):
        load_keys(env_settings(short))


def test_environment_keys_cannot_be_added_to_by_command() -> None:
    ring = load_keys(env_settings(_key()))
    with pytest.raises(KeyProblem, match="KOTWAL_KEK"):
        ring.add_kek()
    assert ring.reload() == set()


# --- the document-signing key ----------------------------------------------------------------


def test_init_generates_a_private_document_signing_key_and_exports_its_public_half(
    data_dir: Path, keyring: KeyRing
) -> None:
    keys_dir = data_dir / "keys"
    assert (keys_dir / DOCUMENT_KEY_FILE).stat().st_mode & 0o777 == 0o600
    pem = (keys_dir / DOCUMENT_PUBLIC_FILE).read_bytes()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----") and b"PRIVATE" not in pem
    assert pem == keyring.document_public_pem()
    public = serialization.load_pem_public_key(pem)
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    # The public half verifies what the private half signs.
    signature = keyring.document_key().sign(b"alert", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"alert", ec.ECDSA(hashes.SHA256()))


def test_a_readable_document_signing_key_is_refused(data_dir: Path, keyring: KeyRing) -> None:
    path = data_dir / "keys" / DOCUMENT_KEY_FILE
    path.chmod(0o640)
    with pytest.raises(KeyProblem, match=f"chmod 600 .*{DOCUMENT_KEY_FILE}"):
        load_keys(Settings(data_dir=data_dir))


def test_a_missing_document_signing_key_file_says_to_run_init(
    data_dir: Path, keyring: KeyRing
) -> None:
    path = data_dir / "keys" / DOCUMENT_KEY_FILE
    path.unlink()
    # A deployment made before the key existed still starts; what signs documents refuses.
    ring = load_keys(Settings(data_dir=data_dir))
    with pytest.raises(KeyProblem, match="kotwal init"):
        ring.document_key()
    assert generate_keys(data_dir / "keys") == [DOCUMENT_KEY_FILE]
    assert load_keys(Settings(data_dir=data_dir)).document_private is not None


def test_the_document_signing_key_from_the_environment() -> None:
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    material = base64.b64encode(scalar.to_bytes(32, "big")).decode()
    settings = env_settings(_key())
    ring = load_keys(Settings(**{**settings.model_dump(), "document_key": SecretStr(material)}))
    assert ring.document_key().private_numbers().private_value == scalar
    # Optional from the environment: a module that signs refuses to start without it.
    bare = load_keys(env_settings(_key()))
    assert bare.document_private is None
    with pytest.raises(KeyProblem, match="KOTWAL_DOCUMENT_KEY"):
        bare.document_key()
    zero = base64.b64encode(bytes(32)).decode()
    with pytest.raises(KeyProblem, match="P-256"):
        load_keys(Settings(**{**settings.model_dump(), "document_key": SecretStr(zero)}))


def test_kotwal_keys_exports_the_public_half_and_shows_its_fingerprint(
    env: Settings, keyring: KeyRing
) -> None:
    runner = CliRunner()
    exported = runner.invoke(keys_cli.app, ["public-key"])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.encode("ascii") == keyring.document_public_pem()
    status = runner.invoke(keys_cli.app, ["status"])
    assert status.exit_code == 0, status.output
    line = next(line for line in status.output.splitlines() if "Document-signing" in line)
    assert fingerprint(keyring.document_public_pem()) in line and "0600" in line


# --- registration and the active version ---------------------------------------------------


def _versions(db: Database) -> dict[int, tuple[str, str]]:
    with db.transaction(write=False) as session:
        return {
            v: (s, f)
            for v, s, f in session.execute(
                select(KeyVersion.version, KeyVersion.state, KeyVersion.fingerprint)
            )
        }


def test_register_keys_records_fingerprints_never_keys(db: Database, keyring: KeyRing) -> None:
    with db.transaction() as session:
        assert register_keys(session, keyring) == [1]
    with db.transaction() as session:
        assert register_keys(session, keyring) == []
    versions = _versions(db)
    assert versions == {1: (ACTIVE, fingerprint(keyring.kek(1)))}
    assert len(versions[1][1]) == 16
    assert base64.b64encode(keyring.kek(1)).decode() not in repr(versions)


def test_register_keys_makes_the_newest_active_and_the_rest_retiring(db: Database) -> None:
    ring = load_keys(env_settings(f"v1:{_key()},v2:{_key()}"))
    with db.transaction() as session:
        register_keys(session, ring)
    states = {v: s for v, (s, _f) in _versions(db).items()}
    assert states == {1: RETIRING, 2: ACTIVE}


def test_a_key_file_that_is_not_the_registered_one_is_refused(
    db: Database, keyring: KeyRing, tmp_path: Path
) -> None:
    with db.transaction() as session:
        register_keys(session, keyring)
    other_dir = tmp_path / "other"
    other_dir.mkdir(mode=0o700)
    generate_keys(other_dir / "keys")
    impostor = load_keys(Settings(data_dir=other_dir))
    with pytest.raises(KeyProblem, match="not the one registered"), db.transaction() as session:
        register_keys(session, impostor)
    with pytest.raises(KeyProblem, match="not the one registered"), db.transaction() as session:
        active_kek_version(session, impostor)


def test_a_running_server_follows_the_database_to_a_new_kek(
    db: Database, keyring: KeyRing, settings: Settings
) -> None:
    with db.transaction() as session:
        register_keys(session, keyring)
    server = load_keys(settings)  # a server that started before the rotation
    with db.transaction(write=False) as session:
        assert active_kek_version(session, server) == 1
    tool = load_keys(settings)  # the rotating command, another process
    new = tool.add_kek()
    with db.transaction() as session:
        session.execute(update(KeyVersion).values(state=RETIRING))
        session.add(KeyVersion(version=new, state=ACTIVE, fingerprint=tool.fingerprint(new)))
    with db.transaction(write=False) as session:
        assert active_kek_version(session, server) == 1  # still cached, briefly
    time.sleep(ACTIVE_CACHE_SECONDS + 0.1)
    with db.transaction(write=False) as session:
        assert active_kek_version(session, server) == 2
    assert 2 in server.keks  # picked the new file up by itself


def test_a_server_opens_records_wrapped_under_a_kek_it_had_not_loaded(
    db: Database, keyring: KeyRing, settings: Settings
) -> None:
    server = load_keys(settings)
    tool = load_keys(settings)
    new = tool.add_kek()
    with db.transaction() as session:
        register_keys(session, tool)
        session.execute(update(KeyVersion).where(KeyVersion.version == new).values(state=ACTIVE))
        session.execute(update(KeyVersion).where(KeyVersion.version != new).values(state=RETIRING))
    with db.transaction() as session:
        bind_keyring(session, tool)
        account = Account(username="n", display_name="n", password_hash="x", totp_secret="NEWKEK")
        session.add(account)
        session.flush()
        account_id = account.id
    with db.transaction(write=False) as session:
        assert session.execute(select(DataKey.kek_version)).scalar_one() == new
        bind_keyring(session, server)
        loaded = session.get(Account, account_id)
        assert open_field(session, loaded, "totp_secret") == "NEWKEK"


def test_a_kek_missing_everywhere_is_named(db: Database, keyring: KeyRing) -> None:
    with db.transaction() as session:
        session.add(KeyVersion(version=7, state=ACTIVE, fingerprint="0" * 16))
    with (
        pytest.raises(KeyProblem, match=r"v7 is not loaded.*kek-v7\.key"),
        db.transaction(write=False) as session,
    ):
        active_kek_version(session, keyring)

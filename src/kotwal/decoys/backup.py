"""`kotwal backup create DEST`: a backup that carries its own decoys.

SQLite: the database file is copied with SQLite's online backup API (consistent while the
service runs), then decoy persons that exist only in the backup are filed into the copy, and
both the copy's own register and the primary's name them as the backup's. The file is written
under a temporary name and moved into place only when all of that succeeded.

PostgreSQL is not supported by this command: a ``pg_dump`` cannot be given copy-specific
decoys from here. Plant a test/replica copy's decoys on the restored database instead
(``kotwal decoys plant --copy ID --kind replica``).
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from kotwal.core.audit import GroupCommitter, Outcome, actor_event
from kotwal.core.db import Database
from kotwal.core.errors import InvalidInput
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import service
from kotwal.decoys.generator import FakePerson
from kotwal.records.service import file_person

BACKUP_DECOYS_MIN = 10
#: One decoy per this many persons in the backup.
BACKUP_DENSITY = 50


@dataclass(frozen=True)
class BackupReport:
    """The backup written: where, its copy id and how many decoys it carries."""

    path: Path
    copy_id: str
    decoys: int


def backup_decoy_count(persons: int) -> int:
    return max(BACKUP_DECOYS_MIN, min(service.PLANT_MAX, persons // BACKUP_DENSITY))


def create_backup(
    runtime: Runtime, actor: Actor, dest: Path, *, count: int | None = None
) -> BackupReport:
    """Copy the SQLite database to ``dest`` (which must not exist) with its own decoys."""
    source = runtime.settings.sqlite_path
    if source is None:
        raise InvalidInput(
            "kotwal backup create copies an SQLite database; for PostgreSQL use pg_dump and "
            "plant the restored copy's own decoys (kotwal decoys plant --copy ID --kind replica)"
        )
    if dest.exists() or dest.is_symlink():
        raise InvalidInput(f"{dest} exists; refusing to overwrite it")
    if not dest.parent.is_dir():
        raise InvalidInput(f"no directory {dest.parent}")
    from kotwal.core.db import new_id

    copy_id = new_id()
    fd, partial = tempfile.mkstemp(dir=dest.parent, prefix=".kotwal-backup-")
    os.close(fd)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
        planted = _plant_in_copy(runtime, actor, Path(partial), copy_id, count)
        with UnitOfWork(runtime, write=True) as uow:
            service._ensure_copy(uow.session, copy_id, "backup", actor, str(dest))
            for person_id, fake, code in planted:
                service.register_person(
                    uow.session, runtime.keyring, actor, copy_id, person_id, fake, code
                )
            uow.audit(
                actor_event(
                    actor,
                    "backup.create",
                    Outcome.SUCCESS,
                    resource_type="decoy",
                    detail={"copy": copy_id, "decoys": len(planted)},
                )
            )
        os.link(partial, dest)
    finally:
        with suppress(OSError):
            os.unlink(partial)
    return BackupReport(dest, copy_id, len(planted))


def _plant_in_copy(
    runtime: Runtime, actor: Actor, path: Path, copy_id: str, count: int | None
) -> list[tuple[str, FakePerson, str]]:
    """File decoy persons into the copied database and register them in its own register
    (so that a restored backup raises the alarm too). Returns (person id, values, station)."""
    from sqlalchemy import func, select

    from kotwal.records.models import Person

    copy_db = Database(f"sqlite:///{path}")
    copy_runtime = Runtime(
        settings=runtime.settings,
        db=copy_db,
        keyring=runtime.keyring,
        committer=GroupCommitter(copy_db, keyring=runtime.keyring),
    )
    planted: list[tuple[str, FakePerson, str]] = []
    try:
        with UnitOfWork(copy_runtime, write=True) as uow:
            session = uow.session
            persons = int(session.execute(select(func.count()).select_from(Person)).scalar_one())
            wanted = count if count is not None else backup_decoy_count(persons)
            stations = service._stations(session)
            if not stations:
                raise InvalidInput("the database has no police station to file decoys at")
            service._ensure_copy(session, copy_id, "backup", actor, None)
            planter = Actor(
                account_id=actor.account_id,
                username=actor.username,
                roles=frozenset({Role.STATE_HQ}),
                jurisdiction_paths=service._roots(session),
            )
            rng = random.SystemRandom()
            taken = service._taken_phones(session)
            for _ in range(wanted):
                fake = service._unique_fake(session, runtime.keyring, rng, taken, None)
                station = rng.choice(stations)
                person = file_person(uow, planter, service._person_create(fake, station.id))
                service.register_person(
                    session, runtime.keyring, actor, copy_id, person.id, fake, station.code
                )
                planted.append((person.id, fake, station.code))
    finally:
        copy_db.dispose()
    return planted

"""What a running kotwal process holds: settings, the database, the keys and the audit writer.

The web app and every CLI command build one :class:`Runtime` and pass it down; nothing reads
global state behind its back.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from kotwal.core.audit import GroupCommitter
from kotwal.core.config import Settings
from kotwal.core.db import Database
from kotwal.core.keys import KeyRing, load_keys
from kotwal.core.observers import Hooks, Observers


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: KeyRing
    committer: GroupCommitter
    observers: Observers = field(default_factory=Observers)
    hooks: Hooks = field(default_factory=Hooks)
    #: Names of the domains whose observers and hooks are registered (see kotwal.domains).
    installed: set[str] = field(default_factory=set)

    def close(self) -> None:
        self.committer.stop()
        self.db.dispose()


def open_runtime(settings: Settings, *, keyring: KeyRing | None = None) -> Runtime:
    """Load keys (refusing missing or exposed ones), connect, and start the audit writer."""
    keys = keyring if keyring is not None else load_keys(settings)
    db = Database(settings.sqlalchemy_url, role=settings.app_database_role)
    committer = GroupCommitter(
        db,
        keyring=keys,
        checkpoint_every_events=settings.checkpoint_every_events,
        checkpoint_every_seconds=settings.checkpoint_every_seconds,
        witness=settings.audit_witness,
    )
    committer.start()
    return Runtime(settings=settings, db=db, keyring=keys, committer=committer)


_settled = False


def settle_startup_objects() -> None:
    """Move what start-up built (modules, classes, the app, its routes: some 150,000 objects)
    out of the cyclic garbage collector's way, once per process.

    Every so often Python's collector walks every container object the process holds; with
    start-up's objects among them a full pass took 70-80 ms on a 2-core machine, and the request
    it fell on waited that long (measured: the slowest name searches were those passes). None
    of those objects will become garbage while the process serves, so they are frozen
    (``gc.freeze``) after one collection, and later passes walk only what serving made.
    """
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()

"""Running an importer the way the CLI does (one write unit of work, as a named officer's
actor), shared by the import tests of persons, licences and officers."""

from __future__ import annotations

import io
from typing import Any

import pytest

from kotwal.core import identity
from kotwal.core.csvfile import ImportRejected, ImportReport
from kotwal.core.models import Account
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.factories import Officer


def actor_of(runtime: Runtime, officer: Officer) -> Actor:
    """The officer as a service sees them (no web session: the CLI's way)."""
    with runtime.db.transaction(write=False) as session:
        account = session.get(Account, officer.account_id)
        assert account is not None
        return identity.actor_for(session, account, None, "test")


def import_text(runtime: Runtime, actor: Actor, importer: Any, text: str) -> ImportReport:
    """``importer`` run on CSV ``text`` in one write unit of work."""
    with UnitOfWork(runtime, write=True) as uow:
        report: ImportReport = importer(uow, actor, io.BytesIO(text.encode("utf-8")))
        return report


def import_errors(runtime: Runtime, actor: Actor, importer: Any, text: str) -> list[str]:
    """The errors, as ``line N: column: reason``, for which ``importer`` refuses ``text``."""
    with pytest.raises(ImportRejected) as caught:
        import_text(runtime, actor, importer, text)
    return [str(e) for e in caught.value.report.errors]

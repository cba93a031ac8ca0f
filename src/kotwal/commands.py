"""What every ``kotwal`` command shares: acting as the person who ran it, readable errors, and
a runtime with the enabled domains installed (the same observers and hooks as the server).

Every command acts as someone: the operating-system user who ran it, recorded in the audit log
as ``cli:<user>``. Commands need no terminal; errors are one readable line and a non-zero exit.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from kotwal import domains
from kotwal.core import migrate
from kotwal.core.config import get_settings
from kotwal.core.errors import Problem
from kotwal.core.keys import KeyProblem
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

out = Console()
# Errors are not wrapped: a fix names a path to copy, and a wrapped path breaks the copy.
err = Console(stderr=True, soft_wrap=True)


def operator() -> Actor:
    """The person running this command, as the audit log will name them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    return Actor(account_id=None, username=f"cli:{name}"[:64])


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def runtime_or_exit() -> Iterator[Runtime]:
    """Open the runtime for a command, turning key and schema problems into messages."""
    settings = get_settings()
    try:
        runtime = domains.open_runtime(settings)
    except (KeyProblem, domains.UnknownModule) as exc:
        raise fail(str(exc)) from exc
    try:
        if not migrate.is_current(runtime.db.engine):
            raise fail("the database is not migrated; run `kotwal init` or `kotwal migrate`")
        yield runtime
    finally:
        runtime.close()


@contextmanager
def unit(runtime: Runtime) -> Iterator[UnitOfWork]:
    """One write transaction for a command; problems become readable errors."""
    try:
        with UnitOfWork(runtime, write=True, actor=operator()) as uow:
            yield uow
    except Problem as exc:
        raise fail(exc.detail or exc.title) from exc

"""What every ``kotwal`` command shares: acting as the person who ran it (or, with ``--as``, as
an officer's account), readable errors, a runtime with the enabled domains installed (the same
observers and hooks as the server), and the CSV import command with its progress bars.

Every command acts as someone: the operating-system user who ran it, recorded in the audit log
as ``cli:<user>``. Commands need no terminal; errors are one readable line and a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from kotwal import domains
from kotwal.core import identity, migrate
from kotwal.core.config import get_settings
from kotwal.core.csvfile import CHECKING, ImportRejected, ImportReport
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


AsOption = Annotated[
    str, typer.Option("--as", help="Username of the officer this command acts as.")
]


def stdout() -> Console:
    # Built per call so that output goes to whatever stdout is now (tests swap it).
    return Console(soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, soft_wrap=True)


def acting_as(uow: UnitOfWork, username: str) -> Actor:
    """The officer this command acts for, with the operator's OS user name attached."""
    account = identity.find_account(uow.session, username)
    if account is None:
        raise fail(f"no account named {escape(username)!r}")
    if account.disabled:
        raise fail(f"the account {account.username!r} is disabled")
    actor = identity.actor_for(uow.session, account, None, "cli")
    if actor.restricted:
        raise fail(
            f"the account {account.username!r} has not finished its set-up (initial password "
            "or authenticator); its officer must log in once first"
        )
    return dataclasses.replace(actor, extra={**actor.extra, "operator": operator().username})


@contextmanager
def problems_exit() -> Iterator[None]:
    """A refusal from the service (permission, jurisdiction, purpose) is one line, exit 2."""
    try:
        yield
    except ImportRejected:
        raise  # a bad file: the caller lists its errors and exits 1
    except Problem as exc:
        raise fail(escape(exc.detail or exc.title)) from exc


#: An importer: files what a CSV stream holds in a write unit, or raises ImportRejected.
Importer = Callable[..., ImportReport]


def add_import_command(app: typer.Typer, importer: Importer, *, noun: str, row: str) -> None:
    """Give ``app`` an ``import FILE --as USER`` command running ``importer``, for files of
    ``noun`` records with one ``row`` per line (a licence, one weapon per row)."""

    def command(
        file: Annotated[
            Path,
            typer.Argument(help="CSV file to import.", exists=True, dir_okay=False, readable=True),
        ],
        username: AsOption,
    ) -> None:
        report = run_import(file, username, f"{noun}s", importer)
        typer.echo(
            f"imported {report.created:,} {noun}(s) ({report.rows_read:,} {row} rows) "
            f"from {escape(str(file))}"
        )

    command.__doc__ = (
        f"Import {noun}s from a CSV file (one {row} per row): all, or none if a row is wrong."
    )
    app.command("import")(command)


def run_import(file: Path, username: str, noun: str, importer: Importer) -> ImportReport:
    """Run ``importer`` on ``file`` as the account ``username``, with progress bars; a refused
    file lists its errors and exits 1, a refused command exits 2."""
    with runtime_or_exit() as runtime:
        try:
            with problems_exit(), UnitOfWork(runtime, write=True) as uow:
                actor = acting_as(uow, username)
                with file.open("rb") as stream, import_progress(noun) as progress:
                    return importer(uow, actor, stream, progress=progress)
        except ImportRejected as exc:
            print_rejection(file, exc)
            raise typer.Exit(1) from exc


class _Bar:
    """Rich progress bars for the two stages of an import (checking, then writing)."""

    def __init__(self, progress: Progress, noun: str) -> None:
        self.progress = progress
        self.noun = noun
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.tasks:
            label = "checking the file" if stage == CHECKING else f"writing {self.noun}"
            self.tasks[stage] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


@contextmanager
def import_progress(noun: str) -> Iterator[_Bar]:
    """Progress bars on stderr for an import of ``noun`` (its two stages)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr(), transient=False) as progress:
        yield _Bar(progress, noun)


def print_rejection(file: Path, exc: ImportRejected) -> None:
    """A refused file: every error listed (the first hundred), one per line."""
    report, err = exc.report, stderr()
    err.print(
        f"[bold red]{escape(str(file))} was not imported; nothing was written.[/] "
        f"{report.error_count:,} error(s):"
    )
    for error in report.errors:
        err.print(f"  {escape(str(error))}")
    hidden = report.error_count - len(report.errors)
    if hidden > 0:
        err.print(f"  … and {hidden:,} more; fix these and run the import again")

"""``kotwal records``: import persons from a CSV file and export them to one.

A command acts as a real officer's account (``--as``): that account must exist, be enabled,
have finished its set-up and hold the permission, and the audit log names it, with the
operating-system user who ran the command in the event's detail. Nobody imports or exports
as "the system".

Exit codes: 0 done; 1 the file was refused (every error is listed, nothing was written);
2 the command could not run (bad arguments, unknown or unfit account, missing permission,
keys or database not ready).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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

from kotwal.commands import fail, operator, runtime_or_exit
from kotwal.core import identity
from kotwal.core.errors import Problem
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.records.exporter import export_persons
from kotwal.records.importer import CHECKING, ImportRejected, ImportReport, import_persons

app = typer.Typer(
    help="Import persons from CSV and export them to CSV (docs/person-import-format.md).",
    no_args_is_help=True,
)

AsOption = Annotated[
    str, typer.Option("--as", help="Username of the officer this command acts as.")
]


def _out() -> Console:
    # Built per call so that output goes to whatever stdout is now (tests swap it).
    return Console(soft_wrap=True)


def _err() -> Console:
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


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV file to import.", exists=True, dir_okay=False, readable=True),
    ],
    username: AsOption,
) -> None:
    """Import persons from a CSV file: every row, or none if any row is wrong."""
    report = run_import(file, username, "persons", import_persons)
    _out().print(f"imported {report.created:,} person(s) from {escape(str(file))}")


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
    with Progress(*columns, console=_err(), transient=False) as progress:
        yield _Bar(progress, noun)


def print_rejection(file: Path, exc: ImportRejected) -> None:
    """A refused file: every error listed (the first hundred), one per line."""
    report, err = exc.report, _err()
    err.print(
        f"[bold red]{escape(str(file))} was not imported; nothing was written.[/] "
        f"{report.error_count:,} error(s):"
    )
    for error in report.errors:
        err.print(f"  {escape(str(error))}")
    hidden = report.error_count - len(report.errors)
    if hidden > 0:
        err.print(f"  … and {hidden:,} more; fix these and run the import again")


@app.command("export")
def export_command(
    out_path: Annotated[
        Path,
        typer.Argument(
            metavar="OUT", help="CSV file to write (must not exist); mode 0600.", dir_okay=False
        ),
    ],
    username: AsOption,
    purpose: Annotated[
        str, typer.Option("--purpose", help="Case number or reason (kept in the audit log).")
    ],
    station: Annotated[
        str | None,
        typer.Option(
            "--station",
            help="Code of a station (or circle, district...) in your jurisdiction; "
            "default: all of it.",
        ),
    ] = None,
) -> None:
    """Export persons of your jurisdiction to CSV, in the import format (audited)."""
    if out_path.exists() or out_path.is_symlink():
        raise fail(f"{escape(str(out_path))} exists; refusing to overwrite it")
    if not out_path.parent.is_dir():
        raise fail(f"no directory {escape(str(out_path.parent))}")
    with runtime_or_exit() as runtime:
        # Written under a temporary name and linked into place only after the audit events
        # are durable: no export file exists that the log does not know of.
        fd, partial = tempfile.mkstemp(dir=out_path.parent, prefix=".kotwal-export-")
        try:
            # utf-8-sig: spreadsheets need the byte-order mark to read Telugu as Telugu.
            with (
                os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh,
                problems_exit(),
                UnitOfWork(runtime, write=False) as uow,
            ):
                count = export_persons(
                    uow, acting_as(uow, username), fh, station_code=station, purpose=purpose
                )
                uow.commit()
            try:
                os.link(partial, out_path)
            except FileExistsError as exc:
                raise fail(f"{escape(str(out_path))} appeared meanwhile; not overwritten") from exc
        finally:
            with suppress(OSError):
                os.unlink(partial)
    _out().print(f"exported {count:,} person(s) to {escape(str(out_path))}")

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

import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kotwal.commands import (
    AsOption,
    acting_as,
    fail,
    problems_exit,
    run_import,
    runtime_or_exit,
    stdout,
)
from kotwal.core.uow import UnitOfWork
from kotwal.records.exporter import export_persons
from kotwal.records.importer import import_persons

app = typer.Typer(
    help="Import persons from CSV and export them to CSV (docs/person-import-format.md).",
    no_args_is_help=True,
)


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
    stdout().print(f"imported {report.created:,} person(s) from {escape(str(file))}")


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
    stdout().print(f"exported {count:,} person(s) to {escape(str(out_path))}")

"""``kotwal arms``: import arms licences from a CSV file (docs/licence-import-format.md).

The command acts as a named officer's account (``--as``), whose permissions and jurisdiction
apply as in the API; the audit event names the account and the operating-system user who ran
the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kotwal.arms.importer import import_licences
from kotwal.core.cli import runtime_or_exit
from kotwal.core.csvfile import ImportRejected
from kotwal.core.uow import UnitOfWork
from kotwal.records.cli import (
    AsOption,
    acting_as,
    import_progress,
    print_rejection,
    problems_exit,
)

app = typer.Typer(
    help="Import arms licences from CSV (docs/licence-import-format.md).", no_args_is_help=True
)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV file to import.", exists=True, dir_okay=False, readable=True),
    ],
    username: AsOption,
) -> None:
    """Import licences from a CSV file (one weapon per row): all, or none if a row is wrong."""
    with runtime_or_exit() as runtime:
        try:
            with problems_exit(), UnitOfWork(runtime, write=True) as uow:
                actor = acting_as(uow, username)
                with file.open("rb") as stream, import_progress("licences") as progress:
                    report = import_licences(uow, actor, stream, progress=progress)
        except ImportRejected as exc:
            print_rejection(file, exc)
            raise typer.Exit(1) from exc
    typer.echo(
        f"imported {report.created:,} licence(s) ({report.rows_read:,} weapon rows) "
        f"from {escape(str(file))}"
    )

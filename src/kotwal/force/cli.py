"""``kotwal officers``: import officers with their postings from a CSV file
(docs/officer-import-format.md).

The command acts as a named officer's account (``--as``), whose permissions and jurisdiction
apply as in the API; the audit event names the account and the operating-system user who ran
the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kotwal.force.importer import import_officers
from kotwal.records.cli import AsOption, run_import

app = typer.Typer(
    help="Import officers from CSV (docs/officer-import-format.md).", no_args_is_help=True
)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV file to import.", exists=True, dir_okay=False, readable=True),
    ],
    username: AsOption,
) -> None:
    """Import officers from a CSV file (one posting per row): all, or none if a row is wrong."""
    report = run_import(file, username, "officers", import_officers)
    typer.echo(
        f"imported {report.created:,} officer(s) ({report.rows_read:,} posting rows) "
        f"from {escape(str(file))}"
    )

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
from kotwal.records.cli import AsOption, run_import

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
    report = run_import(file, username, "licences", import_licences)
    typer.echo(
        f"imported {report.created:,} licence(s) ({report.rows_read:,} weapon rows) "
        f"from {escape(str(file))}"
    )

"""``kotwal officers``: import officers with their postings from a CSV file
(docs/officer-import-format.md).

The command acts as a named officer's account (``--as``), whose permissions and jurisdiction
apply as in the API; the audit event names the account and the operating-system user who ran
the command.
"""

from __future__ import annotations

import typer

from kotwal.commands import add_import_command
from kotwal.officers.importer import import_officers

app = typer.Typer(
    help="Import officers from CSV (docs/officer-import-format.md).", no_args_is_help=True
)
add_import_command(app, import_officers, noun="officer", row="posting")

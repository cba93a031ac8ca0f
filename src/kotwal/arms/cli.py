"""``kotwal arms``: import arms licences from a CSV file (docs/licence-import-format.md).

The command acts as a named officer's account (``--as``), whose permissions and jurisdiction
apply as in the API; the audit event names the account and the operating-system user who ran
the command.
"""

from __future__ import annotations

import typer

from kotwal.arms.importer import import_licences
from kotwal.commands import add_import_command

app = typer.Typer(
    help="Import arms licences from CSV (docs/licence-import-format.md).", no_args_is_help=True
)
add_import_command(app, import_licences, noun="licence", row="weapon")

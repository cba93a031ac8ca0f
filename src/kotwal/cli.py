"""The ``kotwal`` command. Each area contributes its sub-commands; ``--help`` on every one."""

from __future__ import annotations

import os

import typer

from kotwal.arms import cli as arms_cli
from kotwal.core import audit_cli, keys_cli
from kotwal.core import cli as core_cli
from kotwal.decoys import cli as decoys_cli
from kotwal.decoys import service as decoys_service
from kotwal.force import cli as force_cli
from kotwal.frs import cli as frs_cli
from kotwal.guard import cli as guard_cli
from kotwal.leak import cli as leak_cli
from kotwal.records import cli as records_cli

app = typer.Typer(
    name="kotwal",
    help="kotwal: police operations platform. Start with `kotwal init`, then `kotwal run`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _private_files() -> None:
    """Everything kotwal creates (database, WAL, exports, witness) is its owner's alone; and
    commands follow the same cross-domain rules as the server (imports refuse decoys)."""
    os.umask(0o077)
    decoys_service.install_import_check()


app.command("init")(core_cli.init)
app.command("run")(core_cli.run)
app.command("migrate")(core_cli.migrate_command)
app.command("demo")(core_cli.demo)
app.command("demo-code")(core_cli.demo_code)
app.add_typer(core_cli.user_app, name="user")
app.add_typer(core_cli.jurisdiction_app, name="jurisdiction")
app.add_typer(
    audit_cli.app, name="audit", help="Verify, checkpoint, witness and export the audit log."
)
app.add_typer(keys_cli.app, name="keys", help="Key status, rotation and retirement.")
app.add_typer(records_cli.app, name="records", help="Import and export person records (CSV).")
app.add_typer(arms_cli.app, name="arms", help="Import arms licences (CSV).")
app.add_typer(force_cli.app, name="officers", help="Import officers with their postings (CSV).")
app.add_typer(guard_cli.app, name="security", help="The security self-check.")
app.add_typer(decoys_cli.app, name="decoys", help="Plant decoys; read the decoy register.")
app.add_typer(decoys_cli.backup_app, name="backup", help="Backups carrying their own decoys.")
app.add_typer(leak_cli.app, name="leak", help="Trace a leaked sample to its copy and accounts.")
app.add_typer(
    frs_cli.app, name="frs", help="Face recognition: status, enrolment, reindex, calibration."
)

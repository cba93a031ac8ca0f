"""``kotwal leak trace FILE [--json]``: which records, which copy, which accounts.

Runs as the operator (``cli:<user>`` in the audit log), on the server, as the security officer's
tool. Exit codes: 0 traced (whatever was found); 2 the file or the installation is unusable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kotwal.commands import fail, operator, out, runtime_or_exit
from kotwal.leak import parser
from kotwal.leak.service import TraceReport, trace

app = typer.Typer(help="Trace a leaked sample to its records, copy and accounts.")


@app.command("trace")
def trace_command(
    file: Annotated[
        Path,
        typer.Argument(help="The leaked sample: CSV, JSON or text.", exists=True, dir_okay=False),
    ],
    json_report: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Match the sample's rows to records and decoys, name the copy it came from and rank the
    accounts and sessions that disclosed those records (from the audit log)."""
    if file.stat().st_size > parser.MAX_BYTES:
        raise fail(f"{escape(str(file))} is larger than {parser.MAX_BYTES // 2**20} MB")
    with runtime_or_exit() as runtime:
        report = trace(runtime, operator(), file.read_bytes())
    if json_report:
        typer.echo(report.as_json())
    else:
        _print(report)


def _print(report: TraceReport) -> None:
    copy = report.copy
    out.print(
        f"{report.rows} row(s) read as {report.format}; {report.matched} match records "
        f"({len(report.decoys)} of them decoys)"
    )
    if copy.copy_id is None:
        out.print("copy: unknown (no decoy in the sample, and nobody disclosed the records)")
    else:
        made = f", made by {escape(copy.created_by_name)}" if copy.created_by_name else ""
        out.print(f"copy: [bold]{copy.copy_id}[/] ({copy.kind}{made}) on {copy.basis} evidence")
    table = Table("rank", "account", "session", "records", "share", "from", "to")
    for n, s in enumerate(report.accounts, start=1):
        table.add_row(
            str(n),
            escape(s.username),
            s.session_id or "-",
            str(s.records),
            f"{s.share:.0%}",
            s.first_at,
            s.last_at,
        )
    out.print(table)

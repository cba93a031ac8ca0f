"""`kotwal security check`: the self-check as a command (text or JSON, exit 1 on a failure)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kotwal.commands import out, runtime_or_exit
from kotwal.core.checks import FAIL, PASS, SKIP
from kotwal.core.config import get_settings
from kotwal.guard import selfcheck

app = typer.Typer(help="Check this deployment the way an auditor would.")

_STYLE = {PASS: "green", FAIL: "bold red", SKIP: "yellow"}


@app.command()
def check(
    json_report: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Probe this live instance instead of an in-process app"),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Leave out the secret scan and the advisory lookup")
    ] = False,
) -> None:
    """Configuration, keys, accounts, audit log, routes and dependencies; each failure says
    how to fix it. Exits 1 if anything failed (skipped checks are never counted as passed)."""
    settings = get_settings()
    with runtime_or_exit() as runtime:
        findings = selfcheck.run_checks(settings, runtime, base_url=url, slow=not quick)
    if json_report:
        typer.echo(selfcheck.as_json(findings))
    else:
        table = Table("check", "result", "detail", "fix", title="kotwal security check")
        for f in findings:
            table.add_row(f.check, f"[{_STYLE[f.status]}]{f.status}[/]", f.detail, f.fix or "")
        out.print(table)
    if selfcheck.failed(findings):
        raise typer.Exit(1)

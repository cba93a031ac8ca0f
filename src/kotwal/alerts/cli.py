"""``kotwal alerts``: bring the DLT registry mirror up to date from a file, and list templates
and alerts.

Commands act as a named officer's account (``--as``), whose permissions and jurisdiction apply
as in the API; the audit log names the account and the operating-system user. A file is
written whole or not at all.

The file is either the registry as JSON (the entity, headers, templates and allow-list; see
docs/domains/alerts.md) or a CSV of templates with the columns ``dlt_template_id, header,
name, category, variables, text`` and optionally ``daily_cap, locked, status``, variables
separated by "|" ("text|date|phone"); the headers of a CSV must already be registered.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from kotwal.alerts import delivery, registry, service, smsc, worker
from kotwal.alerts.reach_cli import channels_app, subscribers_app
from kotwal.alerts.registry import ImportReport
from kotwal.alerts.schemas import RegistryFile, TemplateIn
from kotwal.alerts.smsc import SmscIn, SmscLink
from kotwal.commands import AsOption, acting_as, fail, operator, problems_exit, runtime_or_exit
from kotwal.core.errors import NotFound
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

app = typer.Typer(help="Public alerts and their DLT registry.", no_args_is_help=True)
templates_app = typer.Typer(help="The DLT registry mirror.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
smsc_app = typer.Typer(help="The SMSC link the delivery workers bind to.", no_args_is_help=True)
app.add_typer(smsc_app, name="smsc")
app.add_typer(subscribers_app, name="subscribers")
app.add_typer(channels_app, name="channels")

#: A registry copy is a few thousand templates at most.
FILE_MAX_BYTES = 5 * 1024 * 1024
CSV_COLUMNS = ("dlt_template_id", "header", "name", "category", "variables", "text")


def _read(file: Path) -> str:
    if file.stat().st_size > FILE_MAX_BYTES:
        raise fail(f"{escape(str(file))} is larger than {FILE_MAX_BYTES // (1024 * 1024)} MB")
    try:
        # utf-8-sig: a spreadsheet's CSV starts with a byte-order mark.
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"{escape(str(file))} is not UTF-8 text") from exc


def _invalid(where: str, exc: ValidationError) -> typer.Exit:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return fail(f"{where}: {escape(field)}: {escape(first['msg'])}; nothing was written")


def parse_registry(text: str) -> RegistryFile:
    """A registry file (JSON) checked against its schema."""
    try:
        return RegistryFile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON (line {exc.lineno}): {escape(exc.msg)}") from exc
    except ValidationError as exc:
        raise _invalid("the registry file", exc) from exc


def parse_templates_csv(text: str) -> list[TemplateIn]:
    """The templates of a CSV file, each checked; the first bad line stops the import."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise fail(f"the CSV lacks the column(s) {', '.join(missing)}")
    templates: list[TemplateIn] = []
    for row in reader:
        fields: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        fields["variables"] = [v.strip() for v in row["variables"].split("|") if v.strip()]
        if "locked" in fields:
            fields["locked"] = fields["locked"].strip().lower() in ("1", "true", "yes")
        try:
            templates.append(TemplateIn.model_validate(fields))
        except ValidationError as exc:
            raise _invalid(f"line {reader.line_num}", exc) from exc
    return templates


def _summary(report: ImportReport) -> str:
    made = ", ".join(f"{n} {what}" for what, n in sorted(report.created.items())) or "nothing"
    same = sum(report.unchanged.values())
    return f"registered {made}; {same} already there; {report.deactivated} deactivated"


@templates_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Registry JSON or templates CSV.", exists=True, dir_okay=False, readable=True
        ),
    ],
    username: AsOption,
) -> None:
    """Bring the registry mirror in line with a copy of DLT's: all of it, or nothing."""
    text = _read(file)
    is_csv = file.suffix.lower() == ".csv"
    document = parse_templates_csv(text) if is_csv else parse_registry(text)
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        actor = acting_as(uow, username)
        report = _import(uow, actor, document)
    typer.echo(_summary(report))


def _import(
    uow: UnitOfWork, actor: Actor, document: RegistryFile | list[TemplateIn]
) -> ImportReport:
    if isinstance(document, RegistryFile):
        return registry.import_registry(uow, actor, document)
    report = ImportReport(Counter(), Counter())
    registry.mirror_templates(uow, actor, document, report)
    return report


@templates_app.command("list")
def list_templates(
    username: AsOption,
    all_: Annotated[bool, typer.Option("--all", help="Include inactive templates.")] = False,
) -> None:
    """The registered templates: DLT ID, header, category, variables and status."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=False) as uow:
        views = registry.list_templates(uow, acting_as(uow, username), include_inactive=all_)
        for view in views:
            t = view.template
            typer.echo(
                f"{t.dlt_template_id}  {view.header.header}  {t.category:<16}  {t.status:<8}  "
                f"cap {t.daily_cap}  [{t.variables}]  {t.name}"
            )


@app.command("list")
def list_alerts(
    username: AsOption,
    status: Annotated[
        str | None, typer.Option(help="awaiting, expired, queued or rejected")
    ] = None,
) -> None:
    """Alerts addressed inside the officer's jurisdiction, newest first."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=False) as uow:
        for alert in service.list_alerts(uow, acting_as(uow, username), status=status):
            typer.echo(
                f"{alert['id']}  {alert['status']:<8}  {alert['parts']} part(s)  "
                f"{alert['drafted_by_name']}  {alert['text'][:60]}"
            )


@smsc_app.command("set")
def set_smsc(
    username: AsOption,
    host: Annotated[str, typer.Option(help="The SMSC's address.")],
    port: Annotated[int, typer.Option(help="The SMSC's SMPP port.")],
    system_id: Annotated[str, typer.Option(help="The ESME system_id the SMSC issued.")],
    chain_id: Annotated[str, typer.Option(help="The telemarketer chain ID DLT registered.")],
    name: Annotated[str, typer.Option(help="The link's name.")] = smsc.DEFAULT_NAME,
    system_type: Annotated[str, typer.Option(help="system_type, if the SMSC wants one.")] = "",
    binds: Annotated[int, typer.Option(min=1, max=16, help="Transceiver binds.")] = 2,
    window: Annotated[int, typer.Option(min=1, max=500, help="submit_sm in flight per bind.")] = 10,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set the SMSC link; the password is asked for (or read from standard input), never
    taken as an option, and sealed."""
    password = _password(password_stdin)
    data = _smsc_in(
        name=name,
        host=host,
        port=port,
        system_id=system_id,
        system_type=system_type,
        chain_id=chain_id,
        binds=binds,
        window=window,
    )
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        smsc.configure(uow, acting_as(uow, username), data, password)
    typer.echo(f"SMSC link {name!r} set: {binds} bind(s) to {host}:{port} as {system_id}")


def _password(from_stdin: bool) -> str:
    # An option's value would be in the shell's history and in `ps` for every user to read.
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("SMPP password", hide_input=True))


def _smsc_in(**fields: Any) -> SmscIn:
    try:
        return SmscIn.model_validate(fields)
    except ValidationError as exc:
        raise _invalid("the SMSC link", exc) from exc


@app.command("worker")
def worker_command(
    name: Annotated[str, typer.Option("--smsc", help="The SMSC link to bind.")] = (
        smsc.DEFAULT_NAME
    ),
    binds: Annotated[
        int | None, typer.Option(min=1, max=16, help="Binds (default: the link's).")
    ] = None,
) -> None:
    """Submit the outbox to the SMSC until stopped (SIGTERM or Ctrl-C stop it cleanly)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with runtime_or_exit() as runtime:
        threading.Thread(
            target=worker.housekeeping,
            args=(runtime, stop),
            name="alerts-housekeeping",
            daemon=True,
        ).start()
        link = _wait_for_link(runtime, name, stop)
        if link is None:
            return
        typer.echo(
            f"alerts worker: {binds or link.binds} bind(s) to {link.host}:{link.port} "
            f"as {link.system_id}"
        )
        stats = worker.run(runtime, link, stop, binds=binds)
        with UnitOfWork(runtime, write=False) as uow:
            left = delivery.status_counts(uow)
    outbox = ", ".join(f"{status} {n}" for status, n in sorted(left.items()))
    typer.echo(
        f"alerts worker stopped: {stats.parts_accepted} part(s) accepted, "
        f"{stats.refusals} refused, {stats.receipts} receipt(s); outbox: {outbox or 'empty'}"
    )


#: How often a worker without a configured link looks for one.
LINK_POLL_SECONDS = 30.0


def _wait_for_link(runtime: Runtime, name: str, stop: threading.Event) -> SmscLink | None:
    """The link, once headquarters has set it (a worker started beside the server waits)."""
    told = False
    while not stop.is_set():
        try:
            return smsc.load(runtime, name, operator())
        except NotFound as exc:
            if not told:
                typer.echo(f"alerts worker: {exc.detail}; waiting for it")
                told = True
        stop.wait(LINK_POLL_SECONDS)
    return None

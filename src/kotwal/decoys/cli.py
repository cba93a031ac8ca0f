"""``kotwal decoys plant|list|copies`` and ``kotwal backup create``.

Commands act as the operator who runs them (``cli:<user>`` in the audit log and the register).
Exit codes: 0 done; 2 the command could not run (bad arguments, keys or database not ready).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kotwal.commands import fail, operator, out, runtime_or_exit, unit
from kotwal.core.errors import Problem
from kotwal.core.policy import Actor, Role
from kotwal.decoys import backup, service
from kotwal.decoys.permissions import DecoysPermission

app = typer.Typer(help="Plant decoys and read the decoy register.", no_args_is_help=True)
backup_app = typer.Typer(help="Backups that carry their own decoys.", no_args_is_help=True)


@app.command("plant")
def plant_command(
    count: Annotated[int, typer.Option(min=1, max=service.PLANT_MAX, help="How many")] = 20,
    copy: Annotated[
        str, typer.Option("--copy", help="Copy held in this database: primary, demo, or a name")
    ] = service.PRIMARY,
    kind: Annotated[
        str | None, typer.Option(help="primary, demo, test or replica (default from --copy)")
    ] = None,
    licences: Annotated[
        int | None,
        typer.Option(min=0, max=service.PLANT_MAX, help="Decoy arms licences (default: count/4)"),
    ] = None,
    officers: Annotated[
        int | None,
        typer.Option(min=0, max=service.PLANT_MAX, help="Decoy officers (default: count/10)"),
    ] = None,
) -> None:
    """File decoy persons, arms licences and officers (each with a decoy phone number), modelled
    on the records around them, and register them as decoys of the copy."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        planted = service.plant(
            uow,
            operator(),
            count=count,
            copy_id=copy,
            kind=kind,
            licences=licences,
            officers=officers,
        )
    out.print(
        f"planted {len(planted.person_ids)} decoy person(s), {len(planted.licence_ids)} arms "
        f"licence(s) and {len(planted.officer_ids)} officer(s) in copy {planted.copy_id!r}"
    )


def _register_reader() -> Actor:
    """The operator, reading the register with a security officer's permission: the command
    runs on the server, where its user already holds the database and the keys."""
    import dataclasses

    return dataclasses.replace(operator(), roles=frozenset({Role.SECURITY_OFFICER}))


@app.command("list")
def list_command(
    copy: Annotated[str | None, typer.Option("--copy", help="Only this copy's decoys")] = None,
    limit: Annotated[int, typer.Option(min=1, max=service.PAGE_MAX)] = 50,
) -> None:
    """The register: each decoy's copy, kind of record and record id (audited)."""
    reader = _register_reader()
    assert reader.can(DecoysPermission.DECOY_READ)
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        entries = service.read_register(uow, reader, copy_id=copy, limit=limit)
    table = Table("copy", "kind", "record", "id", "planted", "by", title="decoy register")
    for e in entries:
        table.add_row(
            e.copy_id,
            e.copy_kind,
            e.resource_type,
            e.record_id,
            f"{e.planted_at:%Y-%m-%d %H:%M}",
            escape(e.planted_by_name),
        )
    out.print(table)


@app.command("copies")
def copies_command() -> None:
    """Every copy of the data (primary, exports, backups, demo, test) and its decoys."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        found = service.copies(uow, _register_reader())
    table = Table("copy", "kind", "created", "by", "destination", "decoys", title="copies")
    for c in found:
        table.add_row(
            c.id,
            c.kind,
            f"{c.created_at:%Y-%m-%d %H:%M}",
            escape(c.created_by_name),
            escape(c.destination or ""),
            str(c.decoys),
        )
    out.print(table)


@backup_app.command("create")
def backup_create(
    dest: Annotated[Path, typer.Argument(help="Backup file to write (must not exist); mode 0600.")],
    decoys: Annotated[
        int | None, typer.Option(min=1, max=service.PLANT_MAX, help="Decoys (default: scaled)")
    ] = None,
) -> None:
    """Back up the SQLite database to DEST with the backup's own decoys (registered)."""
    with runtime_or_exit() as runtime:
        try:
            report = backup.create_backup(runtime, operator(), dest, count=decoys)
        except Problem as exc:
            raise fail(escape(exc.detail or exc.title)) from exc
    out.print(
        f"backed up to {escape(str(report.path))}: copy {report.copy_id} "
        f"with {report.decoys} decoy(s)"
    )

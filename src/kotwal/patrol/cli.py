"""``kotwal patrol``: import station areas, beats and check-in points (GeoJSON), issue and
revoke trackers' tokens, and purge tracks older than ``KOTWAL_PATROL_TRACK_DAYS``.

Imports and trackers act as a named officer's account (``--as``), whose permissions and
jurisdiction apply as in the API; the purge acts as the operating-system user who runs it
(schedule it daily, e.g. from cron or a systemd timer).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import astuple
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from kotwal.commands import (
    AsOption,
    acting_as,
    fail,
    operator,
    problems_exit,
    runtime_or_exit,
    stderr,
    stdout,
)
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import coverage, service, stats
from kotwal.patrol.models import PatrolUnit

app = typer.Typer(help="Beats, patrol units and their trackers.", no_args_is_help=True)
device_app = typer.Typer(help="Trackers of patrol units and their tokens.", no_args_is_help=True)
app.add_typer(device_app, name="device")

#: Larger than the API's cap: a command reads a file its operator chose.
IMPORT_FILE_MAX = 200 * 1024 * 1024


@app.command("import-areas")
def import_areas(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON FeatureCollection.", exists=True, dir_okay=False)
    ],
    username: AsOption,
) -> None:
    """Import station areas, beats and check-in points: all, or none if a feature is wrong."""
    if file.stat().st_size > IMPORT_FILE_MAX:
        raise fail(f"{escape(str(file))} is larger than {IMPORT_FILE_MAX // 2**20} MB")
    try:
        document = json.loads(file.read_bytes())
    except ValueError as exc:
        raise fail(f"{escape(str(file))} is not JSON") from exc
    with runtime_or_exit() as runtime, problems_exit():
        try:
            with UnitOfWork(runtime, write=True) as uow:
                counts = service.import_geojson(uow, acting_as(uow, username), document)
        except service.AreasRejected as rejected:  # a bad file: every error listed, exit 1
            err = stderr()
            err.print(
                f"[bold red]{escape(str(file))} was not imported; nothing was written.[/] "
                f"{len(rejected.errors)} error(s):"
            )
            for error in rejected.errors:
                err.print(f"  {escape(str(error))}")
            raise typer.Exit(1) from rejected
    stdout().print(
        f"imported {counts.station_areas} station area(s), {counts.beats} beat(s) and "
        f"{counts.points} check-in point(s) from {escape(str(file))}"
    )


@app.command("purge")
def purge() -> None:
    """Delete every position older than KOTWAL_PATROL_TRACK_DAYS (audited with the count)."""
    with runtime_or_exit() as runtime:
        gone = service.purge_tracks(runtime, operator())
    stdout().print(f"deleted {gone:,} position(s) older than the kept period")


@app.command("check-coverage")
def check_coverage() -> None:
    """Note where units have been since the last run and raise an alert to the station for
    each beat nobody covered for KOTWAL_PATROL_UNCOVERED_HOURS (run it every few minutes)."""
    with runtime_or_exit() as runtime:
        run = coverage.check_uncovered(runtime, operator())
    stdout().print(
        f"read {run.positions:,} position(s) since {run.since:%Y-%m-%d %H:%M} UTC over "
        f"{run.beats:,} beat(s): {run.raised} alert(s) raised, {run.closed} closed"
    )


@app.command("public-figures")
def public_figures(
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (UTC midnight).")],
    until: Annotated[str, typer.Option(help="Day after the last, YYYY-MM-DD; up to 31 days.")],
    username: AsOption,
) -> None:
    """Print the public figures per station as CSV (counts, durations, coverage shares: no
    position, unit or place), for a force to publish."""
    try:
        start = datetime.combine(date.fromisoformat(since), time.min, tzinfo=UTC)
        end = datetime.combine(date.fromisoformat(until), time.min, tzinfo=UTC)
    except ValueError as exc:
        raise fail("--since and --until are dates (YYYY-MM-DD)") from exc
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=False) as uow:
        found = stats.public_figures(uow, acting_as(uow, username), start, end)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(stats.PUBLIC_FIELDS)
    for row in found:
        writer.writerow(["" if v is None else v for v in astuple(row)])
    typer.echo(out.getvalue(), nl=False)


@app.command("point-code")
def point_code(
    point_id: Annotated[str, typer.Argument(help="The check-in point's id.")],
    username: AsOption,
    day: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; today by default, up to a month ahead.")
    ] = None,
) -> None:
    """Print a check-in point's code for a day (to print as a QR code at the point)."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        try:
            wanted = date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise fail(f"--day {escape(day or '')!r} is not a date (YYYY-MM-DD)") from exc
        point, when, code = coverage.point_code(uow, acting_as(uow, username), point_id, wanted)
    stdout().print(f"{escape(point.name)}, {when.isoformat()}:")
    stdout().print(code, markup=False, highlight=False)


@device_app.command("enrol")
def enrol(
    call_sign: Annotated[str, typer.Argument(help="The unit's call sign.")],
    label: Annotated[str, typer.Option(help="What the tracker is: 'Duty phone 2'.")],
    username: AsOption,
) -> None:
    """Issue a tracker's token for a unit; it is printed once and never stored."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        actor = acting_as(uow, username)
        unit_id = uow.session.execute(
            select(PatrolUnit.id).where(PatrolUnit.call_sign == call_sign)
        ).scalar_one_or_none()
        if unit_id is None:
            raise fail(f"no patrol unit has the call sign {escape(call_sign)!r}")
        device, token = service.enrol_device(uow, actor, unit_id, label[:100])
    out = stdout()
    out.print(f"tracker {device.id} for {escape(call_sign)}")
    out.print("token (set it as the device identifier; it is not shown again):")
    out.print(token, markup=False, highlight=False)


@device_app.command("revoke")
def revoke(
    device_id: Annotated[str, typer.Argument(help="The tracker's id.")], username: AsOption
) -> None:
    """Revoke a tracker's token: its pings are refused from now on."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        service.revoke_device(uow, acting_as(uow, username), device_id)
    stdout().print(f"tracker {escape(device_id)} revoked")

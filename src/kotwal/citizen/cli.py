"""``kotwal citizen ...`` (trips' shredding, the SOS sweep) and ``kotwal demo-otp NUMBER``
(a demo's pending login code). Commands act as the operator, recorded in the audit log as
``cli:<user>``."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from kotwal.citizen import breach, service, sos, trips
from kotwal.citizen.models import CitizenOtp
from kotwal.commands import fail, operator, runtime_or_exit, stdout, unit
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_field
from kotwal.core.errors import Problem
from kotwal.core.uow import UnitOfWork

app = typer.Typer(no_args_is_help=True)


@app.command("shred-trips")
def shred_trips() -> None:
    """Destroy the keys of trips past their grace period, and again those of any trip a
    restored copy of the database brought back (its signed tombstone says so); delete login
    codes older than a day and sessions ended a month ago. Run it every few minutes (cron, a
    systemd timer); starting a trip shreds a few in passing."""
    due = 0
    with runtime_or_exit() as runtime:
        with unit(runtime) as uow:
            again = trips.reapply_tombstones(uow)
            purged = service.purge(uow)
            trips.checkpoint_on_commit(uow)
        while True:  # a batch per transaction, so the service's own writes wait little
            with unit(runtime) as uow:
                done = trips.sweep(uow)
                trips.checkpoint_on_commit(uow)
            due += done
            if done < trips.SWEEP_BATCH:
                break
    out = stdout()
    out.print(f"shredded {due} trip(s) past their grace period; {again} again from tombstones")
    out.print(
        f"deleted {purged['codes']} old login code(s) and {purged['sessions']} ended session(s)"
    )


@app.command("sos-sweep")
def sos_sweep() -> None:
    """Escalate every open SOS not answered in KOTWAL_CITIZEN_SOS_ACK_SECONDS, close those whose
    incident the control room has ended, and destroy the positions of those closed longer than
    KOTWAL_CITIZEN_SOS_KEEP_HOURS. The app's own position reports escalate an open SOS every
    few seconds; run this every minute (a systemd timer) for an app that has gone quiet."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        counts = sos.sweep(uow)
        if counts["shredded"]:
            trips.checkpoint_on_commit(uow)
    stdout().print(
        f"escalated {counts['escalated']} SOS, closed {counts['closed']} whose incident ended, "
        f"destroyed the positions of {counts['shredded']}"
    )


@app.command("trip-checks")
def trip_checks() -> None:
    """Run the active trips' deviation checks (off route, standing still, silent, overdue):
    ask the citizen to check in, and raise an SOS for those whose check-in went unanswered.
    A trip's own positions run its checks as they arrive; run this every minute for trips
    whose app has gone quiet."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        counts = trips.check_trips(uow)
    stdout().print(
        f"checked {counts['checked']} active trip(s): asked {counts['asked']} to check in, "
        f"raised {counts['alarm']} SOS for a check-in unanswered"
    )


@app.command("breach-notices")
def breach_notices(
    since: Annotated[str, typer.Option(help="Start of the breach, ISO 8601 with a zone.")],
    until: Annotated[str, typer.Option(help="End of the breach, ISO 8601 with a zone.")],
    out: Annotated[Path, typer.Option(help="A new directory for the notices and the report.")],
    contact: Annotated[
        str, typer.Option(help="Whom affected citizens contact (the DPO's number or address).")
    ],
    actor: Annotated[
        str | None, typer.Option(help="Only reads by this account (its id or username).")
    ] = None,
) -> None:
    """List the citizens whose records were read in a breach (from the audit log) and prepare
    their intimations (notices.csv) and the report to the Data Protection Board
    (board-report.md), as the DPDP Rules 2025 ask within 72 hours. Nothing is sent."""
    try:
        start, end = datetime.fromisoformat(since), datetime.fromisoformat(until)
    except ValueError as exc:
        raise fail("--since and --until are ISO 8601 moments, e.g. 2026-12-07T10:00+05:30") from exc
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise fail("--since and --until need a time zone, and --since comes first")
    if out.exists():
        raise fail(f"{out} exists already: give a new directory")
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        found = breach.find(uow, start, end, actor)
        notices, report = breach.prepare(uow, uow.actor or operator(), found, contact)
    out.mkdir(mode=0o700, parents=True)
    notes = out / "notices.csv"
    fd = os.open(notes, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # mobiles: personal data
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["citizen_id", "mobile", "text"])
        writer.writeheader()
        writer.writerows(notices)
    (out / "board-report.md").write_text(report, encoding="utf-8")
    stdout().print(
        f"{len(found.affected)} citizen(s) affected by {found.reads} read(s); "
        f"notices in {notes}, the Board's report in {out / 'board-report.md'}"
    )


demo_otp_app = typer.Typer()


@demo_otp_app.callback(invoke_without_command=True)
def demo_otp(
    number: Annotated[str, typer.Argument(help="The mobile number a code was asked for.")],
) -> None:
    """Print the pending login code of a number, on a demo instance only (KOTWAL_DEMO): the
    demo sends no SMS, so this is how one logs in to its citizens' app."""
    with runtime_or_exit() as runtime:
        if not runtime.settings.demo:
            raise fail("demo-otp works on a demo instance only (KOTWAL_DEMO=true)")
        try:
            digits = service.mobile_number(number)
        except Problem as exc:
            raise fail(exc.detail or exc.title) from exc
        with UnitOfWork(runtime, write=False) as uow:
            otp = uow.session.execute(
                select(CitizenOtp)
                .where(
                    CitizenOtp.number_key == service.number_key(runtime, digits),
                    CitizenOtp.used_at.is_(None),
                    CitizenOtp.expires_at > utcnow(),
                )
                .order_by(CitizenOtp.created_at.desc())
                .limit(1)
            ).scalar_one_or_none()
            code = open_field(uow.session, otp, "demo_code") if otp is not None else None
    if code is None:
        raise fail(f"no pending code for {digits}; ask for one in the citizens' app first")
    stdout().print(code)

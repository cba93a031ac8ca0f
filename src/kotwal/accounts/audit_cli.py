"""``kotwal audit``: verify the chain, sign a checkpoint, refresh a witness file, export a period.

Exit codes are for scripts and monitoring: 0 all well, 1 the audit chain is broken (the first
bad sequence number and the reason are printed), 2 the command could not run (missing or
exposed keys, unreachable or unmigrated database, bad arguments).
"""

from __future__ import annotations

import getpass
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kotwal.core import audit, audit_partitions, migrate
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.clock import as_utc
from kotwal.core.config import Settings, get_settings
from kotwal.core.crypto import bind_keyring
from kotwal.core.keys import KeyProblem
from kotwal.core.runtime import Runtime
from kotwal.domains import open_runtime

app = typer.Typer(
    help="Check and export the audit log: hash chain, signed checkpoints, witness file.",
    no_args_is_help=True,
)

#: How often (in events) the verifier's progress line is redrawn.
_PROGRESS_EVERY = 50_000


def _out() -> Console:
    # Built per call so that output goes to whatever stdout is now (tests swap it).
    return Console(soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _operator_name() -> str:
    """Who ran the command, as the audit log names command-line users."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    return f"cli:{name}"[:64]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    """The runtime for one command; key and database problems become one readable line."""
    try:
        runtime = open_runtime(get_settings())
    except KeyProblem as exc:
        raise _fail(str(exc)) from exc
    try:
        try:
            current = migrate.is_current(runtime.db.engine)
        except SQLAlchemyError as exc:
            raise _fail(f"cannot reach the database: {exc.__class__.__name__}") from exc
        if not current:
            raise _fail("the database is not migrated; run `kotwal init` or `kotwal migrate`")
        yield runtime
    finally:
        runtime.close()


@app.command()
def verify(
    witness: Annotated[
        Path | None,
        typer.Option(
            "--witness",
            help="Also check the chain against the checkpoints in this witness file.",
            dir_okay=False,
        ),
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Walk only the events after the signed checkpoint the last successful "
            "verification on this machine reached (<data dir>/audit-verified.json).",
        ),
    ] = False,
) -> None:
    """Recompute the whole hash chain and check every signed checkpoint.

    Exits 1 naming the first bad sequence number if any event was altered, removed, inserted
    or reordered directly in the database. Each success records the newest signed checkpoint
    it confirmed, from which ``--incremental`` starts next time (a full run now and then still
    covers what lies before it).
    """
    out = _out()
    with _runtime() as runtime, out.status("verifying the audit chain") as status:
        witness = witness or runtime.settings.audit_witness
        mark = runtime.settings.data_dir / VERIFIED_MARK
        after = _verified_mark(mark) if incremental else None

        def progress(checked: int) -> None:
            if checked % _PROGRESS_EVERY < 1_000:
                status.update(f"verified {checked:,} events")

        started = time.perf_counter()
        result = audit.verify(
            runtime.db.engine,
            runtime.keyring.audit_public,
            witness=witness,
            progress=progress,
            mac_key=runtime.keyring.audit_mac_key,
            after=after,
        )
        elapsed = time.perf_counter() - started
        if result.ok and result.verified_upto is not None:
            _write_verified_mark(mark, result.verified_upto)
        if not result.ok:
            # Closing the runtime signs the head; over a log just found broken it must not.
            runtime.committer.hold_checkpoints(f"audit verify found: {result.describe()}")
        with runtime.db.transaction(write=False) as session:
            lag = audit.signature_lag(session)
        stale = _stale(lag, runtime.settings)
    table = Table(title="Audit log verification", show_header=False)
    table.add_row("Result", "[green]intact[/]" if result.ok else "[bold red]BROKEN[/]")
    table.add_row("Events verified", f"{result.events_checked:,}")
    if after is not None:
        table.add_row("Incremental", f"after the checkpoint at seq {after[0]:,}")
    table.add_row("Checkpoints checked", f"{result.checkpoints_checked:,}")
    if witness is not None:
        table.add_row("Witness file", escape(str(witness)))
    table.add_row(
        "Not yet signed", f"{lag.unsigned_events:,} events, {lag.unsigned_seconds:,.0f} s"
    )
    table.add_row("Time", f"{elapsed:.2f} s")
    table.add_row("Speed", f"{result.events_checked / max(elapsed, 1e-9):,.0f} events/s")
    out.print(table)
    if not result.ok:
        out.print(f"[bold red]{escape(result.describe())}[/]")
        raise typer.Exit(1)
    if stale:
        out.print(f"[bold red]{escape(stale)}[/]")
        raise typer.Exit(1)
    out.print(escape(result.describe()))
    if witness is None:
        out.print(
            "[yellow]No witness file was checked: set KOTWAL_AUDIT_WITNESS so that a rewrite of "
            "the log together with its checkpoints is caught.[/]"
        )


#: Where `kotwal audit verify` notes the newest signed checkpoint it confirmed.
VERIFIED_MARK = "audit-verified.json"


def _verified_mark(path: Path) -> tuple[int, str] | None:
    """The last confirmed checkpoint, or None (never verified here: the run is full)."""
    try:
        said = json.loads(path.read_text(encoding="utf-8"))
        seq, chain_hash = said["seq"], said["hash"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _fail(f"{path} is unreadable ({exc}); remove it to verify in full") from exc
    if not isinstance(seq, int) or not isinstance(chain_hash, str):
        raise _fail(f"{path} does not name a checkpoint; remove it to verify in full")
    return seq, chain_hash


def _write_verified_mark(path: Path, upto: tuple[int, str]) -> None:
    with suppress(OSError):  # only a convenience for the next run
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"seq": upto[0], "hash": upto[1]}), encoding="utf-8")
        temporary.chmod(0o600)
        temporary.replace(path)


def _stale(lag: audit.SignatureLag, settings: Settings) -> str | None:
    """Why the unsigned end of the log is too long to be innocent, or None."""
    max_events = 2 * settings.checkpoint_every_events
    max_seconds = 2 * settings.checkpoint_every_seconds + 60
    if lag.unsigned_events > max_events:
        return (
            f"{lag.unsigned_events:,} events after the newest signed checkpoint (at most "
            f"{max_events:,} expected): checkpoints were deleted or the signer has stopped"
        )
    if lag.unsigned_events and lag.unsigned_seconds > max_seconds:
        return (
            f"the newest {lag.unsigned_events:,} events span {lag.unsigned_seconds:,.0f} s "
            f"without a signed checkpoint (at most {max_seconds:,} s expected): checkpoints "
            "were deleted or the signer has stopped"
        )
    return None


@app.command()
def checkpoint() -> None:
    """Sign a checkpoint of the chain's head now (the service also does so at intervals)."""
    with _runtime() as runtime:
        signed = _sign_head(runtime)
    _out().print(signed)


def _sign_head(runtime: Runtime) -> str:
    try:
        with runtime.db.transaction(write=True) as session:
            row = audit.checkpoint(session, runtime.keyring)
    except audit.AuditIntegrityError as exc:
        raise _fail(f"refusing to sign: {exc}", code=1) from exc
    if row is None:
        return "nothing new to sign: the log is empty or its head is already checkpointed"
    return f"signed checkpoint at seq {row.seq} (hash {row.hash[:16]}…, key {row.key_id})"


@app.command()
def witness(
    path: Annotated[
        Path,
        typer.Argument(
            help="Witness file (JSON lines) to append to; created if missing.", dir_okay=False
        ),
    ],
    sign: Annotated[
        bool,
        typer.Option(
            "--checkpoint/--no-checkpoint",
            help="First sign a checkpoint of the current head, so the witness covers it.",
        ),
    ] = True,
) -> None:
    """Copy the checkpoints not yet in a witness file to it.

    Keep the file where the database's administrators cannot write: it is what reveals events
    deleted from the end of the log together with their checkpoints.
    """
    out = _out()
    with _runtime() as runtime:
        if sign:
            out.print(_sign_head(runtime))
        try:
            with runtime.db.transaction(write=False) as session:
                added = audit.export_witness(session, path)
        except (OSError, ValueError) as exc:
            raise _fail(str(exc)) from exc
    out.print(f"{added} checkpoint(s) added to {escape(str(path))}")


def _moment(value: str, *, end_of_day: bool) -> int:
    """An ISO date or date-time as microseconds since the epoch (UTC unless it says otherwise).

    A bare date means the start of that day, or its last microsecond for ``--until``, so that
    ``--since 2024-01-01 --until 2024-01-31`` is the whole of January.
    """
    try:
        day = date.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise typer.BadParameter(f"{value!r} is not an ISO date or date-time") from exc
    else:
        moment = datetime.combine(day, day_time.max if end_of_day else day_time.min)
    moment = as_utc(moment)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


@app.command()
def export(
    since: Annotated[str, typer.Option("--since", help="First day or moment (ISO 8601).")],
    until: Annotated[str, typer.Option("--until", help="Last day or moment, inclusive.")],
    out_path: Annotated[
        Path,
        typer.Option("--out", help="File to write (must not exist); mode 0600.", dir_okay=False),
    ],
) -> None:
    """Export a period of the log as JSON lines with a signed trailer.

    Anyone with the audit public key can check the file with ``kotwal.core.audit.verify_export``.
    The export itself is recorded in the audit log.
    """
    since_us = _moment(since, end_of_day=False)
    until_us = _moment(until, end_of_day=True)
    if until_us < since_us:
        raise _fail("--until is before --since")
    with _runtime() as runtime:
        try:
            fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise _fail(f"{out_path} exists; refusing to overwrite it") from exc
        except OSError as exc:
            raise _fail(f"cannot create {out_path}: {exc.strerror}") from exc
        try:
            with (
                os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh,
                runtime.db.transaction(write=False) as session,
            ):
                count = audit.export_period(session, runtime.keyring, since_us, until_us, fh)
        except BaseException:
            with suppress(OSError):
                out_path.unlink()  # never leave half an export that looks like a whole one
            raise
        runtime.committer.write(
            [
                AuditEvent(
                    action="audit.export",
                    outcome=Outcome.SUCCESS,
                    actor_id=None,
                    actor_name=_operator_name(),
                    detail={"events": count, "since_us": since_us, "until_us": until_us},
                )
            ]
        )
    _out().print(f"exported {count} event(s) to {escape(str(out_path))}")


@app.command()
def partitions(
    ahead: Annotated[
        int, typer.Option("--ahead", min=0, max=60, help="Months after this one to create.")
    ] = 12,
) -> None:
    """PostgreSQL: create the coming months' partitions of the audit log and list them.

    Run monthly (cron) as the database's owner: the application's role cannot create tables.
    """
    out = _out()
    with _runtime() as runtime, runtime.db.engine.begin() as conn:
        if not audit_partitions.is_partitioned(conn):
            raise _fail("the audit log is partitioned on PostgreSQL only (migration 0035)")
        created = audit_partitions.ensure_months(conn, date.today(), ahead)
        found = audit_partitions.partitions(conn)
    table = Table(title="Audit log partitions")
    for column in ("partition", "month", "events (about)", "first seq", "last seq"):
        table.add_column(column)
    for p in found:
        month = p.month.strftime("%Y-%m") if p.month else "(default)"
        table.add_row(p.name, month, f"{p.events:,}", str(p.first_seq or ""), str(p.last_seq or ""))
    out.print(table)
    names = f": {', '.join(created)}" if created else ""
    out.print(f"{len(created)} partition(s) created{names}")


@app.command()
def retire(
    before: Annotated[
        str, typer.Option("--before", help="Detach the months before this one (YYYY-MM).")
    ],
) -> None:
    """PostgreSQL: detach the audit log's months before ``--before`` from the live database.

    Only months whose every event a witnessed, signed checkpoint covers, oldest first; each
    leaves an ``audit.retire`` event in the log naming the last seq and hash it took, from
    which `kotwal audit verify` starts. The detached tables stay for you to archive
    (``pg_dump -t <name>``) and drop. Run as the database's owner.
    """
    try:
        cutoff = datetime.strptime(before, "%Y-%m").date()
    except ValueError as exc:
        raise _fail("--before is a month, YYYY-MM") from exc
    out = _out()
    with _runtime() as runtime:
        witness = runtime.settings.audit_witness
        if witness is None:
            raise _fail("set KOTWAL_AUDIT_WITNESS: a month leaves only once witnessed")
        try:
            witnessed = audit.witnessed_signed_seq(witness, runtime.keyring.audit_public)
        except (OSError, ValueError) as exc:
            raise _fail(f"witness file unusable: {exc}") from exc
        retired = _retire_months(runtime, cutoff, witnessed)
    names = f": {', '.join(retired)}" if retired else ""
    out.print(f"{len(retired)} month(s) detached{names}")


def _retire_months(runtime: Runtime, cutoff: date, witnessed: int) -> list[str]:
    retired: list[str] = []
    with runtime.db.transaction(write=True) as session:
        bind_keyring(session, runtime.keyring)  # the retirement event carries its MAC
        conn = session.connection()
        if not audit_partitions.is_partitioned(conn):
            raise _fail("the audit log is partitioned on PostgreSQL only (migration 0035)")
        for part in audit_partitions.partitions(conn):
            if part.month is None or part.month >= cutoff:
                continue
            try:
                audit_partitions.retire_partition(conn, part, witnessed)
            except audit_partitions.RetirementRefused as exc:
                raise _fail(f"nothing detached: {exc}", code=1) from exc
            retired.append(part.name)
            if part.last_seq is None:
                continue  # an empty month: nothing left the log
            # The detached month, named from the catalogue (kotwal.core.audit_partitions).
            query = f"SELECT hash FROM {part.name} WHERE seq = :seq"  # noqa: S608  # nosec B608
            upto_hash = conn.execute(text(query), {"seq": part.last_seq}).scalar_one()
            audit.append(
                session,
                [
                    AuditEvent(
                        action=audit.RETIRE_ACTION,
                        outcome=Outcome.SUCCESS,
                        actor_id=None,
                        actor_name=_operator_name(),
                        resource_type="audit_partition",
                        resource_id=part.name,
                        detail={"upto_seq": part.last_seq, "upto_hash": upto_hash},
                    )
                ],
            )
    return retired

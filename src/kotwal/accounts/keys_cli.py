"""``kotwal keys``: see, rotate and retire the key-encryption keys; see and export the public
half of the document-signing key.

The system administrator manages keys but reads no record, and these commands never print key
material: only versions, states, fingerprints, counts and file modes. A rotation and a
retirement are audited as the operating-system user who ran them.
"""

from __future__ import annotations

import getpass
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kotwal.core import crypto
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import get_settings
from kotwal.core.crypto import RotationReport, destroy_kek, kek_status
from kotwal.core.keys import DOCUMENT_KEY_FILE, KeyProblem, KeyRing, fingerprint, kek_file_name
from kotwal.core.runtime import Runtime
from kotwal.domains import open_runtime

app = typer.Typer(
    name="keys",
    help="Key-encryption keys: status, rotation while the service runs, retirement.",
    no_args_is_help=True,
)


# Built per call, not at import, so the width is that of the terminal the command runs in.
# Soft wrap keeps paths and fix commands on one line, copyable.
def _out() -> Console:
    return Console(soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True)


def _actor_name() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = f"uid{os.getuid()}"
    return f"cli:{user}"[:64]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    """Open the runtime, turning a key problem into a readable message and exit code 2."""
    try:
        runtime = open_runtime(get_settings())
    except KeyProblem as exc:
        _err().print(f"[bold red]Key problem:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    try:
        yield runtime
    except KeyProblem as exc:
        _err().print(f"[bold red]Key problem:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=2) from exc
    finally:
        runtime.close()


def _audit(
    runtime: Runtime,
    action: str,
    outcome: str,
    version: int | None,
    detail: dict[str, str | int | bool | None] | None = None,
) -> None:
    """Write the command's audit event durably before the command reports back."""
    runtime.committer.write(
        [
            AuditEvent(
                action=action,
                outcome=outcome,
                actor_id=None,
                actor_name=_actor_name(),
                resource_type="kek",
                resource_id=None if version is None else f"v{version}",
                detail=detail or {},
            )
        ]
    )


def _mode(path: Path) -> str:
    if not path.exists():
        return "-"
    mode = stat.S_IMODE(path.stat().st_mode)
    exposed = mode & (stat.S_IRWXG | stat.S_IRWXO)
    return f"[red]{mode:04o} (exposed)[/]" if exposed else f"{mode:04o}"


@app.command()
def status() -> None:
    """Show every KEK version: state, fingerprint, data keys it wraps, key source and modes."""
    with _runtime() as runtime:
        keyring = runtime.keyring
        with runtime.db.transaction(write=False) as session:
            rows = kek_status(session, keyring)
        keys_dir = keyring.keys_dir
        if keys_dir is None:
            _out().print("Key source: environment (KOTWAL_KEK); rotate by hand, not by command")
        else:
            _out().print(
                f"Key source: files in {escape(str(keys_dir))} (directory mode {_mode(keys_dir)})"
            )
        table = Table("version", "state", "fingerprint", "data keys", "loaded", "file mode")
        for row in rows:
            file_mode = "env" if keys_dir is None else _mode(keys_dir / kek_file_name(row.version))
            loaded = "yes" if row.loaded else "no"
            if not row.matches:
                loaded = "[red]yes, but not the registered key[/]"
            table.add_row(
                f"v{row.version}",
                row.state or "[yellow]unregistered[/]",
                row.fingerprint or "-",
                str(row.data_keys),
                loaded,
                file_mode,
            )
        _out().print(table)
        _document_key_status(keyring)
        pending = sum(r.data_keys for r in rows if r.state != "active")
        if pending:
            _out().print(
                f"[yellow]{pending} data key(s) are not under the active version; "
                "run `kotwal keys rotate`[/]"
            )


def _document_key_status(keyring: KeyRing) -> None:
    """One line on the document-signing key: named by the fingerprint of its public half."""
    if keyring.document_private is None:
        _out().print("[yellow]Document-signing key: none (set KOTWAL_DOCUMENT_KEY)[/]")
        return
    where = (
        "KOTWAL_DOCUMENT_KEY"
        if keyring.keys_dir is None
        else f"{escape(str(keyring.keys_dir / DOCUMENT_KEY_FILE))} "
        f"(mode {_mode(keyring.keys_dir / DOCUMENT_KEY_FILE)})"
    )
    _out().print(
        "Document-signing key: ECDSA P-256, public fingerprint "
        f"{fingerprint(keyring.document_public_pem())}, from {where}"
    )


@app.command("public-key")
def public_key() -> None:
    """Print the public half of the document-signing key (PEM), for those who verify what
    kotwal publishes (signed CAP alerts)."""
    with _runtime() as runtime:
        typer.echo(runtime.keyring.document_public_pem().decode("ascii"), nl=False)


def _print_report(report: RotationReport) -> None:
    old = ", ".join(f"v{v}" for v in report.old_versions) or "none"
    _out().print(
        f"Rotated to v{report.new_version} (from {old}): {report.rewrapped} data key(s) "
        f"re-wrapped in {report.passes} pass(es), {report.seconds:.1f} s."
    )
    if report.retired:
        _out().print(
            "Retired: " + ", ".join(f"v{v}" for v in report.retired) + ". Their key files are "
            "kept for old backups; `kotwal keys retire VERSION` destroys one."
        )
    for version, left in sorted(report.still_retiring.items()):
        _out().print(f"[yellow]v{version} still wraps {left} data key(s); run rotate again[/]")
    if report.unreadable:
        _out().print(
            f"[red]{len(report.unreadable)} data key(s) did not unwrap (tampered or their key "
            "is gone) and were left as they are[/]"
        )


@app.command()
def rotate(
    batch_size: int = typer.Option(500, min=1, max=10_000, help="Data keys per transaction."),
) -> None:
    """Create a new KEK and re-wrap every data key under it while the service keeps running."""
    with _runtime() as runtime:
        _out().print(
            f"Switching to a new key-encryption key; running servers follow within "
            f"{crypto.ACTIVE_CACHE_SECONDS:g} s, then every data key is re-wrapped."
        )
        with Progress(
            TextColumn("re-wrapping data keys"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_out(),
        ) as bar:
            task = bar.add_task("rotate", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                report = crypto.rotate(
                    runtime.db, runtime.keyring, batch_size=batch_size, progress=advance
                )
            except KeyProblem:
                _audit(runtime, "keys.rotate", Outcome.FAILURE, None)
                raise
            bar.update(task, completed=report.rewrapped, total=max(report.rewrapped, 1))
        _audit(
            runtime,
            "keys.rotate",
            Outcome.SUCCESS if report.complete else Outcome.FAILURE,
            report.new_version,
            {
                "old_versions": ",".join(str(v) for v in report.old_versions),
                "rewrapped": report.rewrapped,
                "retired": ",".join(str(v) for v in report.retired),
                "unreadable": len(report.unreadable),
            },
        )
        _print_report(report)
        if not report.complete:
            raise typer.Exit(code=1)


@app.command()
def retire(
    version: int = typer.Argument(..., min=1, help="The KEK version whose file to destroy."),
) -> None:
    """Destroy an old KEK file, only if it is retired and no data key is wrapped under it.

    Backups taken before it was retired will no longer open for the records it wrapped.
    """
    with _runtime() as runtime:
        try:
            destroy_kek(runtime.db, runtime.keyring, version)
        except KeyProblem:
            _audit(runtime, "keys.retire", Outcome.DENIED, version)
            raise
        _audit(runtime, "keys.retire", Outcome.SUCCESS, version)
        _out().print(f"Destroyed key-encryption key v{version}.")

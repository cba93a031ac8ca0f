"""The commands that set up and run an instance: init, run, migrate, demo and demo-code.

Every command acts as someone: the operating-system user who ran it, recorded in the audit log
as ``cli:<user>``. Commands need no terminal; errors are one readable line and a non-zero exit.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import select

from kotwal.commands import fail, operator, out, runtime_or_exit
from kotwal.core import crypto, identity, migrate
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import Settings, get_settings
from kotwal.core.db import Database
from kotwal.core.keys import KeyProblem, generate_keys, load_keys
from kotwal.core.models import AccountRole
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import Progress as StepProgress

ADMIN_USERNAME = "admin"


def _prepare_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # An existing directory keeps its mode on mkdir; the data is nobody else's to read.
    os.chmod(settings.data_dir, 0o700)


def _protect_database_file(settings: Settings) -> None:
    database = settings.sqlite_path
    if database is not None:
        for suffix in ("", "-wal", "-shm"):
            path = database.with_name(database.name + suffix)
            if path.exists():
                os.chmod(path, 0o600)


def _admin_exists(uow: UnitOfWork) -> bool:
    stmt = select(AccountRole.id).where(AccountRole.role == Role.SYSTEM_ADMIN.value).limit(1)
    return uow.session.execute(stmt).first() is not None


def _register_keys(uow: UnitOfWork) -> list[int]:
    return crypto.register_keys(uow.session, uow.runtime.keyring)


def init() -> None:
    """Create the data directory, keys, schema and first administrator. Safe to run again."""
    settings = get_settings()
    _prepare_data_dir(settings)
    changes: list[str] = []
    if settings.kek is None:
        created = generate_keys(settings.keys_dir)
        changes += [f"created key {name} in {settings.keys_dir}" for name in created]
    try:
        keyring = load_keys(settings)
    except KeyProblem as exc:
        raise fail(str(exc)) from exc
    db = Database(settings.sqlalchemy_url)
    before = migrate.current_revision(db.engine)
    migrate.upgrade(db.engine)
    after = migrate.current_revision(db.engine)
    db.dispose()
    _protect_database_file(settings)
    if before != after:
        changes.append(f"migrated the database to revision {after}")
    runtime = open_runtime(settings, keyring=keyring)
    try:
        initial = _first_admin(runtime, changes)
    finally:
        runtime.close()
    _report_init(settings, changes, initial)


def _first_admin(runtime: Runtime, changes: list[str]) -> str | None:
    with UnitOfWork(runtime, write=True) as uow:
        registered = _register_keys(uow)
        if registered:
            changes.append(f"registered key-encryption key version(s) {registered}")
        if _admin_exists(uow):
            return None
        actor = operator()
        _account, initial = identity.create_account(
            uow,
            actor,
            username=ADMIN_USERNAME,
            display_name="First system administrator",
            roles=frozenset({Role.SYSTEM_ADMIN}),
        )
        uow.audit(
            AuditEvent(
                action="system.init",
                outcome=Outcome.SUCCESS,
                actor_id=None,
                actor_name=actor.username,
                detail={"changes": len(changes) + 1},
            )
        )
    changes.append(f"created the first system administrator {ADMIN_USERNAME!r}")
    return initial


def _report_init(settings: Settings, changes: list[str], initial: str | None) -> None:
    if not changes:
        out.print(
            f"kotwal is already initialised at {settings.data_dir.resolve()}: keys, schema and "
            "administrator are in place. Nothing changed."
        )
        return
    for line in changes:
        out.print(f"[green]✓[/] {line}")
    if initial:
        out.print(
            Panel(
                f"username: [bold]{ADMIN_USERNAME}[/]\none-time password: [bold]{initial}[/]\n\n"
                "Shown once. At first login you must change it and enrol an authenticator app.",
                title="First administrator",
            )
        )


SURFACE_CHOICES = ("both", "officers", "citizen")


def run(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (the citizens' with --surface citizen)")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (default: KOTWAL_WORKERS, else one per CPU core, at most 8)",
        ),
    ] = None,
    surface: Annotated[
        str,
        typer.Option(
            help="What to serve: both surfaces (the officers' API and console, and the "
            "citizens' on its own port), 'officers' or 'citizen' alone (on another host)"
        ),
    ] = "both",
    citizen_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="The citizens' port (default KOTWAL_CITIZEN_PORT)"),
    ] = None,
) -> None:
    """Serve the API and the console, and the citizens' surface on its own port (refuses to
    start without keys or with exposed keys)."""
    from kotwal.alerts.launch import worker_beside
    from kotwal.web.app import CITIZEN, OFFICERS
    from kotwal.web.serve import BOTH, serve

    if surface not in SURFACE_CHOICES:
        raise fail(f"--surface is one of {', '.join(SURFACE_CHOICES)}, not {surface!r}")
    settings = get_settings()
    bind_host = host or settings.host
    officers_port = (port if surface != CITIZEN else None) or settings.port
    citizens_port = (port if surface == CITIZEN else citizen_port) or settings.citizen_port
    if surface == BOTH and not _citizen_surface(settings):
        surface = OFFICERS  # no enabled domain serves citizens: nothing to listen for
    if surface == BOTH and officers_port == citizens_port:
        raise fail(f"the officers' and the citizens' surfaces both ask for port {officers_port}")
    # The worker processes read their ports from the settings (the app picks a surface by the
    # port a connection came in on), so options given here are passed on through them.
    os.environ["KOTWAL_PORT"] = str(officers_port)
    os.environ["KOTWAL_CITIZEN_PORT"] = str(citizens_port)
    get_settings.cache_clear()
    settings = get_settings()
    _check_surfaces(settings, surface)
    processes = workers or settings.workers or min(os.cpu_count() or 1, 8)
    shown = "localhost" if bind_host in ("127.0.0.1", "::1") else bind_host
    serving = {
        OFFICERS: f"the officers' surface on http://{shown}:{officers_port}/",
        CITIZEN: f"the citizens' surface on http://{shown}:{citizens_port}/",
        BOTH: f"on http://{shown}:{officers_port}/ and the citizens' surface on "
        f"http://{shown}:{citizens_port}/",
    }[surface]
    out.print(
        f"kotwal is serving {serving} with {processes} worker"
        f"{'s' if processes > 1 else ''}  (Ctrl-C stops it)"
    )
    # On the embedded default a delivery worker for public alerts runs beside the server.
    with worker_beside(settings):
        serve(
            host=bind_host,
            port=citizens_port if surface == CITIZEN else officers_port,
            workers=processes,
            trusted_proxies=settings.trusted_proxies,
            surface=surface,
            citizen_port=citizens_port,
        )


def _citizen_surface(settings: Settings) -> bool:
    """Whether an enabled domain serves citizens (the citizens' surface has routes)."""
    from kotwal import domains

    try:
        return any(manifest.citizen for manifest in domains.enabled(settings))
    except domains.UnknownModule as exc:
        raise fail(str(exc)) from exc


def _check_surfaces(settings: Settings, surface: str) -> None:
    """Build each surface once here, so that every start-up refusal is a readable message
    before any worker process starts; the workers build their own from the same settings."""
    from kotwal.web.app import (
        CITIZEN,
        OFFICERS,
        ExposedDatabase,
        NotMigrated,
        UnguardedRoute,
        create_app,
    )

    for name in (OFFICERS, CITIZEN):
        if surface in (name, "both"):
            try:
                create_app(settings, surface=name).state.runtime.close()
            except (KeyProblem, NotMigrated, UnguardedRoute, ExposedDatabase) as exc:
                raise fail(str(exc)) from exc


def migrate_command() -> None:
    """Bring the database schema to the current migration."""
    settings = get_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        migrate.upgrade(db.engine)
        out.print(f"database at revision {migrate.current_revision(db.engine)}")
    finally:
        db.dispose()


def demo(
    size: Annotated[int, typer.Option(min=0, max=1_000_000, help="Persons to generate")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same data")] = 2026,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve afterwards")] = True,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Set up a synthetic demo instance (accounts for every role, stations, persons, history
    sheets, cases) and serve it. Safe to repeat: data is generated once; demo passwords are
    issued anew each time."""
    from rich.progress import Progress

    from kotwal import demo as demo_data
    from kotwal import domains

    init()
    with runtime_or_exit() as runtime:
        enabled = domains.enabled(runtime.settings)
        if demo_data.seeded(runtime):
            out.print("demo data already present; issuing new demo passwords")
        else:
            with Progress(console=out) as bar:

                def step(description: str, total: int | None) -> StepProgress:
                    task = bar.add_task(description, total=total)

                    def advance(done: int, of: int | None = None) -> None:
                        if of is None:
                            bar.update(task, completed=done)
                        else:
                            bar.update(task, completed=done, total=of)

                    return advance

                demo_data.seed_domains(runtime, enabled, size, seed, step)
        accounts = demo_data.create_accounts(runtime)
        lines = demo_data.link_domains(runtime, enabled, seed)
    print_demo_accounts(accounts)
    for line in lines:
        out.print(line)
    if serve:
        os.environ["KOTWAL_DEMO"] = "true"
        os.environ.setdefault("KOTWAL_API_DOCS", "true")
        get_settings.cache_clear()
        run(host=None, port=port)


def print_demo_accounts(accounts: list[Any], console: Console | None = None) -> None:
    """The demo accounts, printed so that no password or TOTP secret is ever broken across lines.

    Into a terminal, a table whose columns never wrap nor shorten, as wide as its widest row even
    where the window is narrower (a password cut in two, or cut short, is copied wrong).
    Anywhere else (a log, CI, a pipe) one account per line, ``key: value`` pairs separated by two
    spaces, for a person or grep to read.
    """
    console = console or out
    if console.is_terminal:
        table = Table(title="Demo accounts")
        for column in ("username", "role", "password (shown once)", "TOTP secret"):
            table.add_column(column, no_wrap=True)
        for acc in accounts:
            table.add_row(acc.username, acc.role.value, acc.password, acc.totp_secret)
        # A console never renders wider than its width, so the table gets one of its own size.
        natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
        wide = Console(
            file=console.file,
            width=max(natural, console.width),
            force_terminal=True,
            no_color=console.no_color,
        )
        wide.print(table, crop=False)
    else:
        console.print("Demo accounts (passwords shown once):")
        for line in demo_account_lines(accounts):
            # As is: no markup, no highlighting, and never wrapped at the console's width.
            console.out(line, highlight=False)
    # Soft-wrapped (one line, the terminal folds it): the command in it is copied too.
    console.print(
        "Log in with the password and a code from an authenticator app holding the secret, "
        "or print the current code with [bold]kotwal demo-code demo.si[/].",
        soft_wrap=True,
    )


def demo_account_lines(accounts: list[Any]) -> list[str]:
    """One plain line per demo account: ``username: …  role: …  password: …  totp_secret: …``."""
    return [
        f"username: {acc.username}  role: {acc.role.value}  password: {acc.password}  "
        f"totp_secret: {acc.totp_secret}"
        for acc in accounts
    ]


def demo_code(username: str) -> None:
    """Print the current authenticator code of a demo account (demo accounts only)."""
    from kotwal import demo as demo_data

    with runtime_or_exit() as runtime:
        try:
            out.print(demo_data.current_code(runtime, username))
        except ValueError as exc:
            raise fail(str(exc)) from exc

"""The kernel's commands: init, run, migrate, user and jurisdiction administration.

Every command acts as someone: the operating-system user who ran it, recorded in the audit log
as ``cli:<user>``. Commands need no terminal; errors are one readable line and a non-zero exit.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import select

from kotwal.core import crypto, identity, migrate
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.config import Settings, get_settings
from kotwal.core.db import Database
from kotwal.core.errors import Problem
from kotwal.core.jurisdictions import by_code, create_jurisdiction, list_jurisdictions
from kotwal.core.keys import KeyProblem, generate_keys, load_keys
from kotwal.core.models import Account, AccountRole
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork

out = Console()
# Errors are not wrapped: a fix names a path to copy, and a wrapped path breaks the copy.
err = Console(stderr=True, soft_wrap=True)
ADMIN_USERNAME = "admin"

user_app = typer.Typer(help="Manage officers' accounts (as the system administrator).")
jurisdiction_app = typer.Typer(help="Manage the jurisdiction tree (state > ... > station).")


def operator() -> Actor:
    """The person running this command, as the audit log will name them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    return Actor(account_id=None, username=f"cli:{name}"[:64])


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def runtime_or_exit() -> Iterator[Runtime]:
    """Open the runtime for a command, turning key and schema problems into messages."""
    settings = get_settings()
    try:
        runtime = open_runtime(settings)
    except KeyProblem as exc:
        raise fail(str(exc)) from exc
    try:
        if not migrate.is_current(runtime.db.engine):
            raise fail("the database is not migrated; run `kotwal init` or `kotwal migrate`")
        yield runtime
    finally:
        runtime.close()


@contextmanager
def unit(runtime: Runtime) -> Iterator[UnitOfWork]:
    """One write transaction for a command; problems become readable errors."""
    try:
        with UnitOfWork(runtime, write=True, actor=operator()) as uow:
            yield uow
    except Problem as exc:
        raise fail(exc.detail or exc.title) from exc


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


def run(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (default: KOTWAL_WORKERS, else one per CPU core, at most 8)",
        ),
    ] = None,
) -> None:
    """Serve the API and the console (refuses to start without keys or with exposed keys)."""
    from kotwal.web.app import ExposedDatabase, NotMigrated, UnguardedRoute, create_app
    from kotwal.web.serve import serve

    settings = get_settings()
    try:
        # Built here once so that every start-up refusal is a readable message, before any
        # worker process starts; the workers build their own from the same settings.
        create_app(settings).state.runtime.close()
    except (KeyProblem, NotMigrated, UnguardedRoute, ExposedDatabase) as exc:
        raise fail(str(exc)) from exc
    bind_host, bind_port = host or settings.host, port or settings.port
    processes = workers or settings.workers or min(os.cpu_count() or 1, 8)
    shown = "localhost" if bind_host in ("127.0.0.1", "::1") else bind_host
    out.print(
        f"kotwal is serving on http://{shown}:{bind_port}/ with {processes} worker"
        f"{'s' if processes > 1 else ''}  (Ctrl-C stops it)"
    )
    serve(
        host=bind_host,
        port=bind_port,
        workers=processes,
        trusted_proxies=settings.trusted_proxies,
    )


def migrate_command() -> None:
    """Bring the database schema to the current migration."""
    settings = get_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        migrate.upgrade(db.engine)
        out.print(f"database at revision {migrate.current_revision(db.engine)}")
    finally:
        db.dispose()


def _account(uow: UnitOfWork, username: str) -> Account:
    account = identity.find_account(uow.session, username)
    if account is None:
        raise fail(f"no account named {username!r}")
    return account


@user_app.command("create")
def user_create(
    username: str,
    name: Annotated[str, typer.Option("--name", help="Full name and designation")],
    role: Annotated[list[Role], typer.Option("--role", help="Role (repeat for several)")],
    posting: Annotated[
        str | None, typer.Option("--posting", help="Jurisdiction code of the posting")
    ] = None,
) -> None:
    """Create an account and print its one-time password once."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        jurisdiction_id = None
        if posting:
            node = by_code(uow, posting)
            if node is None:
                raise fail(f"no jurisdiction with code {posting!r}")
            jurisdiction_id = node.id
        account, initial = identity.create_account(
            uow,
            operator(),
            username=username,
            display_name=name,
            roles=frozenset(role),
            jurisdiction_id=jurisdiction_id,
        )
    out.print(f"created {account.username}; one-time password (shown once): [bold]{initial}[/]")


@user_app.command("list")
def user_list() -> None:
    """List accounts with their roles and state (no secrets)."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        table = Table("username", "name", "roles", "state")
        for account in uow.session.execute(select(Account).order_by(Account.username)).scalars():
            roles = ", ".join(sorted(identity.roles_of(uow.session, account.id)))
            state = (
                "disabled"
                if account.disabled
                else "locked"
                if identity.is_locked(account)
                else "set-up pending"
                if identity.needs_setup(account)
                else "active"
            )
            table.add_row(account.username, account.display_name, roles, state)
    out.print(table)


@user_app.command("unlock")
def user_unlock(
    username: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log)")],
) -> None:
    """Lift a lock after repeated failed logins."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        identity.unlock(uow, operator(), _account(uow, username), reason)
    out.print(f"unlocked {username}")


@user_app.command("reset-password")
def user_reset_password(username: str) -> None:
    """Issue a new one-time password (shown once); the account's sessions end."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        initial = identity.reset_password(uow, operator(), _account(uow, username))
    out.print(f"new one-time password for {username} (shown once): [bold]{initial}[/]")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account; its sessions end at once."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        identity.set_disabled(uow, operator(), _account(uow, username), True)
    out.print(f"disabled {username}")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled account."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        identity.set_disabled(uow, operator(), _account(uow, username), False)
    out.print(f"enabled {username}")


@jurisdiction_app.command("add")
def jurisdiction_add(
    code: str,
    name: str,
    kind: Annotated[JurisdictionKind, typer.Option("--kind")],
    parent: Annotated[str | None, typer.Option("--parent", help="Parent's code")] = None,
) -> None:
    """Add a node to the jurisdiction tree."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        parent_id = None
        if parent:
            node = by_code(uow, parent)
            if node is None:
                raise fail(f"no jurisdiction with code {parent!r}")
            parent_id = node.id
        create_jurisdiction(uow, operator(), code=code, name=name, kind=kind, parent_id=parent_id)
    out.print(f"added {kind.value} {code}")


@jurisdiction_app.command("list")
def jurisdiction_list() -> None:
    """Print the tree."""
    with runtime_or_exit() as runtime, unit(runtime) as uow:
        for node in list_jurisdictions(uow, limit=10_000):
            depth = node.path.count("/") - 2
            out.print(f"{'  ' * depth}{node.kind}: {node.name} [{node.code}]")


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
    from kotwal.arms import demo as arms_demo
    from kotwal.decoys.service import plant_demo
    from kotwal.force import demo as force_demo

    init()
    with runtime_or_exit() as runtime:
        if demo_data.seeded(runtime):
            out.print("demo data already present; issuing new demo passwords")
        else:
            stations = demo_data.build_tree(runtime)
            with Progress(console=out) as bar:
                task = bar.add_task(f"generating {size:,} synthetic persons", total=size)
                demo_data.seed_persons(
                    runtime, stations, size, seed, progress=lambda n: bar.update(task, completed=n)
                )
                sheets = bar.add_task("opening history sheets on about 8% of them", total=None)
                demo_data.seed_history_sheets(
                    runtime, seed, lambda n, of: bar.update(sheets, completed=n, total=of)
                )
                cases = bar.add_task("registering cases naming about a quarter", total=None)
                demo_data.seed_cases(
                    runtime, seed, lambda n, of: bar.update(cases, completed=n, total=of)
                )
                licences = size // 4  # 5,000 licences for the default 20,000 persons
                arms = bar.add_task(f"generating {licences:,} arms licences", total=licences)
                arms_demo.seed_licences(
                    runtime, stations, licences, seed, lambda n: bar.update(arms, completed=n)
                )
                # The force is the same size whatever --size says: 10 officers per station.
                force = bar.add_task("generating 300 synthetic officers", total=300)
                force_demo.seed_force(runtime, seed, lambda n: bar.update(force, completed=n))
            # The demo is a copy of its own: its decoys are registered as the demo's.
            plant_demo(runtime, count=max(5, size // 1000))
        accounts = demo_data.create_accounts(runtime)
        linked = force_demo.link_accounts(runtime, demo_data.ACCOUNTS_BY_USERNAME, seed)
    _print_demo_accounts(accounts)
    out.print(
        f"{len(linked)} demo accounts are officers on the force's roll (name, rank and unit "
        "on each account's page); auditor, security officer and administrator are functional."
    )
    if serve:
        os.environ["KOTWAL_DEMO"] = "true"
        os.environ.setdefault("KOTWAL_API_DOCS", "true")
        get_settings.cache_clear()
        run(host=None, port=port)


def _print_demo_accounts(accounts: list[Any]) -> None:
    table = Table(title="Demo accounts")
    for column in ("username", "role", "password (shown once)", "TOTP secret"):
        table.add_column(column, overflow="fold")
    for acc in accounts:
        table.add_row(acc.username, acc.role.value, acc.password, acc.totp_secret)
    out.print(table)
    out.print(
        "Log in with the password and a code from an authenticator app holding the secret, "
        "or print the current code with [bold]kotwal demo-code demo.si[/]."
    )


def demo_code(username: str) -> None:
    """Print the current authenticator code of a demo account (demo accounts only)."""
    from kotwal import demo as demo_data

    with runtime_or_exit() as runtime:
        try:
            out.print(demo_data.current_code(runtime, username))
        except ValueError as exc:
            raise fail(str(exc)) from exc

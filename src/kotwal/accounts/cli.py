"""``kotwal user`` and ``kotwal jurisdiction``: accounts and the jurisdiction tree, administered
from the command line (as the system administrator would from the console)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from kotwal.commands import fail, operator, out, runtime_or_exit, unit
from kotwal.core import identity
from kotwal.core.jurisdictions import by_code, create_jurisdiction, list_jurisdictions
from kotwal.core.models import Account
from kotwal.core.policy import JurisdictionKind, Role
from kotwal.core.uow import UnitOfWork

user_app = typer.Typer(help="Manage officers' accounts (as the system administrator).")
jurisdiction_app = typer.Typer(help="Manage the jurisdiction tree (state > ... > station).")


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

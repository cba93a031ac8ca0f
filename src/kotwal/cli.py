"""The ``kotwal`` command: the instance's own commands, then each enabled domain's groups (from
its manifest); ``--help`` on every one."""

from __future__ import annotations

import os

import typer

from kotwal import domains, instance_cli
from kotwal.core.config import get_settings
from kotwal.manifest import Manifest, resolve


def _enabled() -> tuple[Manifest, ...]:
    """The domains whose commands exist here. With a bad ``KOTWAL_MODULES`` every group is
    listed, and any command that opens the instance reports the setting."""
    try:
        return domains.enabled(get_settings())
    except ValueError:
        return domains.manifests()


def _private_files() -> None:
    """Everything kotwal creates (database, WAL, exports, witness) is its owner's alone."""
    os.umask(0o077)


def build() -> typer.Typer:
    """The command tree for this process's settings."""
    cli = typer.Typer(
        name="kotwal",
        help="kotwal: police operations platform. Start with `kotwal init`, then `kotwal run`.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    cli.callback()(_private_files)
    cli.command("init")(instance_cli.init)
    cli.command("run")(instance_cli.run)
    cli.command("migrate")(instance_cli.migrate_command)
    cli.command("demo")(instance_cli.demo)
    cli.command("demo-code")(instance_cli.demo_code)
    for manifest in _enabled():
        for group in manifest.commands:
            cli.add_typer(resolve(group.app), name=group.name, help=group.help)
    return cli


app = build()

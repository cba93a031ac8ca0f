"""A domain's manifest: everything the app, the command line and the demo need to know about a
domain package, declared in one place (``<package>/manifest.py``).

Adding a domain is a package with its manifest, a migration for its tables and one line in
:data:`kotwal.domains.DOMAINS`; nothing in the kernel, the web shell or another domain changes.
Heavy parts (routers, commands, seeders) are named as ``"module:attribute"`` and imported only
when a process mounts them, so a command that needs none of them does not pay for them, and a
domain switched off by ``KOTWAL_MODULES`` is never imported by the app at all.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kotwal.core.policy import Actor, Grant
from kotwal.core.runtime import Runtime


@dataclass(frozen=True)
class NavLink:
    """A link in the console's navigation bar, shown to those holding ``permission``."""

    label: str
    href: str
    permission: str
    #: Position in the bar (lower is further left); domains interleave by it.
    order: int = 100
    #: The start page's invitation to it ("Find a person"); not listed there without one.
    invitation: str | None = None


@dataclass(frozen=True)
class Commands:
    """A group of sub-commands, ``kotwal <name> ...``, from a Typer app."""

    name: str
    app: str  # "module:attribute" of a typer.Typer
    help: str


#: Reports a long step's progress: (done, total or None).
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class DemoContext:
    """What a domain's demo seeder gets: the runtime, the demo state's stations (ids in code
    order), the size asked for, the seed, the seeding actor (state headquarters' rights over the
    demo state) and a way to show a progress bar for each step."""

    runtime: Runtime
    stations: list[str]
    size: int
    seed: int
    seeder: Actor
    step: Callable[[str, int | None], Progress]


@dataclass(frozen=True)
class Manifest:
    """What a domain package adds to kotwal."""

    #: As ``KOTWAL_MODULES`` names it.
    name: str
    title: str
    #: The Python package, e.g. "kotwal.arms".
    package: str
    #: Enumerations of the domain's permissions (exposed to console templates by class name).
    permissions: tuple[type[enum.StrEnum], ...] = ()
    #: Rows of the role → permission table.
    grants: tuple[Grant, ...] = ()
    #: Modules defining the domain's tables (imported for ``Base.metadata`` and Alembic).
    models: tuple[str, ...] = ()
    #: Modules whose ``router`` serves JSON under /api/v1.
    api: tuple[str, ...] = ()
    #: Modules whose ``router`` serves console pages; mounted only with the console.
    views: tuple[str, ...] = ()
    #: Modules whose ``router`` serves what anyone may read without logging in (each route
    #: declares ``Depends(public("reason"))``), at its own paths, with or without the console.
    public: tuple[str, ...] = ()
    #: Modules whose ``router`` serves the citizens' surface: its own app (``kotwal run
    #: --surface citizen``), mounted under ``/citizen/v1``, where every route is public or
    #: admits a citizen's token (``kotwal.web.deps.citizen_guard``) and no officer's route is.
    citizen: tuple[str, ...] = ()
    #: Modules serving the citizens' web app on their surface only: each ``router`` at its own
    #: paths (public pages that hold no one's data: the app's shell, its service worker and
    #: manifest) and ``STATIC``, a ``(mount path under /static/, directory)`` of its files.
    citizen_pages: tuple[str, ...] = ()
    #: Whether ``<package>/templates`` holds console templates.
    templates: bool = False
    nav: tuple[NavLink, ...] = ()
    commands: tuple[Commands, ...] = ()
    #: ``"module:function"`` taking the runtime: registers the domain's disclosure observers and
    #: hooks on it. Called once per runtime, by the server and the command line alike.
    install: str | None = None
    #: ``"module:function"`` returning ``{path: bytes}``: routes allowed a larger request body.
    uploads: str | None = None
    #: ``"module:function"`` taking a :class:`DemoContext`: seeds the domain's demo data.
    demo: str | None = None
    #: ``"module:function"`` taking a :class:`DemoContext` and the demo's accounts, once they
    #: are issued, and returning a line to print (or None).
    demo_accounts: str | None = None
    #: ``"module:function"`` panel providers (:data:`kotwal.panels.Provider`): the figures the
    #: domain adds to the console's start page for readers holding its permissions.
    dashboard: tuple[str, ...] = ()
    #: ``"module:attribute"`` of a ``{resource_type: namer}`` mapping: how *My activity* names
    #: the domain's records an officer opened. A namer takes ``(uow, actor, ids)`` and returns
    #: ``{id: label}`` for the records it may name, read through the gate as the reader may see
    #: them now (an id left out is shown as "a <kind> record").
    activity_names: str | None = None
    #: Other domains this one needs mounted (it calls their services or routes lead to them).
    requires: tuple[str, ...] = ()
    #: A domain that cannot be switched off (accounts and the audit log).
    always: bool = False

    @property
    def template_dir(self) -> Path | None:
        if not self.templates:
            return None
        return Path(importlib.import_module(self.package).__file__ or "").parent / "templates"


def resolve(reference: str) -> Any:
    """The object named by ``"package.module:attribute"`` (or a module, without the colon)."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module

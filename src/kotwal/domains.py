"""The list of domains, and what reads their manifests: the policy table, the app's routes and
pages, the command line's groups, the demo and ``KOTWAL_MODULES``.

Importing :mod:`kotwal` imports this module, so the role → permission table is complete in
every process (server, command, test) before anyone asks what a role may do.
"""

from __future__ import annotations

import importlib
from functools import cache

from kotwal.core.config import Settings
from kotwal.core.keys import KeyRing
from kotwal.core.policy import POLICY
from kotwal.core.runtime import Runtime
from kotwal.core.runtime import open_runtime as open_kernel
from kotwal.manifest import Manifest, resolve

#: Every domain, in the order its routes, pages, commands and demo data are added.
DOMAINS: tuple[str, ...] = (
    "kotwal.accounts",
    "kotwal.records",
    "kotwal.arms",
    "kotwal.officers",
    "kotwal.patrol",
    "kotwal.photos",
    "kotwal.frs",
    "kotwal.watch",
    "kotwal.alerts",
    "kotwal.citizen",
    "kotwal.decoys",
    "kotwal.leak",
    "kotwal.guard",
)

#: Modules of the kernel's own tables (accounts, jurisdictions, keys, audit).
KERNEL_MODELS: tuple[str, ...] = ("kotwal.core.models", "kotwal.core.policy", "kotwal.core.audit")

#: ``KOTWAL_MODULES`` words that are not domains: the console's pages, and every domain.
CONSOLE = "console"
ALL = "all"


class UnknownModule(ValueError):
    """``KOTWAL_MODULES`` names a module that does not exist, or leaves out one that a named
    module needs."""


@cache
def manifests() -> tuple[Manifest, ...]:
    """Every domain's manifest, in :data:`DOMAINS` order."""
    found: list[Manifest] = []
    for package in DOMAINS:
        manifest = importlib.import_module(f"{package}.manifest").MANIFEST
        if not isinstance(manifest, Manifest) or manifest.package != package:
            raise TypeError(f"{package}.manifest.MANIFEST is not this package's Manifest")
        found.append(manifest)
    return tuple(found)


def load_policy() -> None:
    """Add every domain's grants to the role → permission table (idempotent)."""
    for manifest in manifests():
        POLICY.add(manifest.name, manifest.grants)


def by_name() -> dict[str, Manifest]:
    return {m.name: m for m in manifests()}


def enabled(settings: Settings) -> tuple[Manifest, ...]:
    """The domains this process mounts, checked: unknown names and missing requirements are
    refused with a message naming them.

    Domain names choose domains; a list that names none (``console`` alone, or nothing) means
    every domain, as ``KOTWAL_MODULES`` meant before domains were modules. A domain marked
    ``always`` (accounts, and the breach defences: the disclosure watch and the decoys) is on
    whenever what it needs is on: a deployment cannot serve records without its defences.
    """
    words = settings.enabled_modules
    known = by_name()
    unknown = sorted(words - set(known) - {CONSOLE, ALL})
    if unknown:
        raise UnknownModule(
            f"KOTWAL_MODULES names unknown module(s): {', '.join(unknown)}; "
            f"known: {', '.join([ALL, CONSOLE, *known])}"
        )
    named = words & set(known)
    if ALL in words or not named:
        return manifests()
    chosen = [m for m in manifests() if m.name in named]
    names = {m.name for m in chosen}
    for manifest in chosen:
        missing = [r for r in manifest.requires if r not in names]
        if missing:
            raise UnknownModule(
                f"KOTWAL_MODULES: {manifest.name} needs {', '.join(missing)}; add it to the list"
            )
    defences = [
        m for m in manifests() if m.always and m.name not in names and set(m.requires) <= names
    ]
    names |= {m.name for m in defences}
    return tuple(m for m in manifests() if m.name in names)


def console_enabled(settings: Settings) -> bool:
    """The officers' pages: with ``all``, with ``console`` named, or by default."""
    words = settings.enabled_modules
    return ALL in words or CONSOLE in words


def install(runtime: Runtime) -> None:
    """Register the enabled domains' observers and hooks on ``runtime``, once. The server and
    every command call this through :func:`open_runtime`, so both follow the same rules."""
    for manifest in enabled(runtime.settings):
        if manifest.install is not None and manifest.name not in runtime.installed:
            resolve(manifest.install)(runtime)
            runtime.installed.add(manifest.name)


def open_runtime(settings: Settings, *, keyring: KeyRing | None = None) -> Runtime:
    """The kernel's runtime with the enabled domains installed on it."""
    runtime = open_kernel(settings, keyring=keyring)
    try:
        install(runtime)
    except BaseException:
        runtime.close()
        raise
    return runtime


def model_modules() -> tuple[str, ...]:
    """Every module that defines tables: the kernel's, then each domain's."""
    return KERNEL_MODELS + tuple(m for manifest in manifests() for m in manifest.models)


load_policy()

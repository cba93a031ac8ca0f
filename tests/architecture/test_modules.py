"""Domains as modules: a new domain is a package, its manifest and one line in the list;
``KOTWAL_MODULES`` switches a domain off whole (routes, pages, links, commands); a bad list is
refused with a message that names the problem."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient

from kotwal import cli, domains
from kotwal.core.config import Settings, get_settings
from kotwal.core.keys import KeyRing
from kotwal.core.policy import POLICY, Role
from kotwal.web.app import UnguardedRoute, create_app, route_guards
from tests.factories import World, build_world, issue_token, make_officer

TOY = {
    "__init__.py": '"""A toy domain, written by a test."""\n',
    "permissions.py": """
        import enum


        class ToyPermission(enum.StrEnum):
            THING_READ = "toy:thing:read"
        """,
    "api.py": """
        from typing import Annotated

        from fastapi import APIRouter, Depends

        from kotwal.core.policy import Actor
        from kotwal.web.deps import require
        from toydomain.permissions import ToyPermission

        router = APIRouter(prefix="/toy")


        @router.get("/things")
        def things(
            actor: Annotated[Actor, Depends(require(ToyPermission.THING_READ))],
        ) -> dict[str, str]:
            return {"reader": actor.username}
        """,
    "cli.py": """
        import typer

        app = typer.Typer(help="Toy commands.")


        @app.command("count")
        def count() -> None:
            print(0)
        """,
    "manifest.py": """
        from kotwal.core.policy import OFFICERS, grant
        from kotwal.manifest import Commands, Manifest, NavLink
        from toydomain.permissions import ToyPermission as P

        MANIFEST = Manifest(
            name="toy",
            title="Toys",
            package="toydomain",
            permissions=(P,),
            grants=(grant(OFFICERS, P.THING_READ),),
            api=("toydomain.api",),
            nav=(NavLink("Toys", "/toy", P.THING_READ, order=90),),
            commands=(Commands("toy", "toydomain.cli:app", "Toy commands."),),
        )
        """,
}


@pytest.fixture
def toy_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A toy domain package outside kotwal, added to the list of domains for one test."""
    package = tmp_path / "toydomain"
    package.mkdir()
    for name, source in TOY.items():
        (package / name).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(domains, "DOMAINS", (*domains.DOMAINS, "toydomain"))
    domains.manifests.cache_clear()
    domains.load_policy()
    yield package
    domains.manifests.cache_clear()
    POLICY.add("toy", ())
    for name in [m for m in sys.modules if m == "toydomain" or m.startswith("toydomain.")]:
        del sys.modules[name]


def _group_names(app: typer.Typer) -> set[str]:
    return {group.name for group in app.registered_groups if group.name}


@pytest.mark.sqlite_only
def test_a_new_domain_is_a_package_its_manifest_and_one_line_in_the_list(
    toy_domain: Path, settings: Settings, keyring: KeyRing
) -> None:
    runtime = domains.open_runtime(settings, keyring=keyring)
    try:
        app = create_app(settings, runtime)
        world: World = build_world(runtime)
        assert route_guards(app)["GET /api/v1/toy/things"] == "perm:toy:thing:read"
        assert any(link.label == "Toys" for link in app.state.nav_links)
        officer = issue_token(runtime, make_officer(runtime, Role.CONSTABLE, posting=world.state))
        auditor = issue_token(runtime, make_officer(runtime, Role.AUDITOR))
        with TestClient(app, base_url="https://testserver") as client:
            assert client.get("/api/v1/toy/things", headers=officer.bearer).status_code == 200
            assert client.get("/api/v1/toy/things", headers=auditor.bearer).status_code == 403
            assert client.get("/api/v1/toy/things").status_code == 401
    finally:
        runtime.close()
    assert "toy" in _group_names(cli.build())


@pytest.mark.sqlite_only
def test_a_new_domain_with_an_unguarded_route_stops_the_app(
    toy_domain: Path, settings: Settings, keyring: KeyRing
) -> None:
    api = toy_domain / "api.py"
    unguarded = '\n\n@router.get("/open")\ndef open_() -> int:\n    return 1\n'
    api.write_text(api.read_text() + unguarded)
    runtime = domains.open_runtime(settings, keyring=keyring)
    try:
        with pytest.raises(UnguardedRoute, match="/api/v1/toy/open"):
            create_app(settings, runtime)
    finally:
        runtime.close()


@pytest.mark.sqlite_only
def test_a_module_switched_off_has_no_route_page_link_or_command(
    settings: Settings, keyring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = "records,officers,photos,console"
    off = Settings(**{**settings.model_dump(), "modules": chosen})
    runtime = domains.open_runtime(off, keyring=keyring)
    try:
        app = create_app(off, runtime)
        paths = {route.split(" ", 1)[1] for route in route_guards(app)}
        for gone in ("/api/v1/arms", "/arms", "/api/v1/frs", "/frs", "/public/alerts"):
            assert not any(p.startswith(gone) for p in paths), gone
        assert any(p.startswith("/api/v1/persons") for p in paths)
        # The breach defences stay: records are never served without budgets and decoys.
        assert any(p.startswith("/security/alerts") for p in paths)
        labels = {link.label for link in app.state.nav_links}
        assert "Persons" in labels and "Arms licences" not in labels
        on = {m.name for m in domains.enabled(off)}
        assert on == {"accounts", "records", "officers", "photos", "watch", "decoys"}
        # Hooks and observers of the domains switched on only (records' case register; not
        # arms' case hook, nor alerts').
        assert set(runtime.installed) == {"records", "photos", "watch", "decoys"}
        with TestClient(app, base_url="https://testserver") as client:
            assert client.get("/api/v1/arms/licences").status_code == 404
    finally:
        runtime.close()
    monkeypatch.setenv("KOTWAL_MODULES", chosen)
    get_settings.cache_clear()
    try:
        groups = _group_names(cli.build())
    finally:
        get_settings.cache_clear()
    assert {"records", "officers", "user", "decoys"} <= groups
    assert not groups & {"arms", "frs", "alerts", "leak", "security"}


@pytest.mark.sqlite_only
def test_without_the_console_no_page_answers(settings: Settings, keyring: KeyRing) -> None:
    off = Settings(**{**settings.model_dump(), "modules": "records,officers"})
    runtime = domains.open_runtime(off, keyring=keyring)
    try:
        app = create_app(off, runtime)
        with TestClient(app, base_url="https://testserver") as client:
            for page in ("/login", "/", "/persons"):
                assert client.get(page).status_code == 404, page
            assert client.get("/healthz").status_code == 200
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ("records,nonsense", "unknown module(s): nonsense"),
        ("arms,console", "arms needs records"),
        ("frs", "frs needs records, photos"),
    ],
)
def test_a_bad_module_list_is_refused_with_a_message(
    tmp_path: Path, modules: str, message: str
) -> None:
    with pytest.raises(
        domains.UnknownModule, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        domains.enabled(Settings(data_dir=tmp_path, modules=modules))


def test_every_domain_is_on_by_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert domains.enabled(settings) == domains.manifests()
    assert domains.console_enabled(settings)


def test_the_breach_defences_cannot_be_switched_off(tmp_path: Path) -> None:
    chosen = domains.enabled(Settings(data_dir=tmp_path, modules="records,console"))
    assert {m.name for m in chosen} == {"accounts", "records", "watch", "decoys"}
    # Without records there is nothing for the decoys to guard, and they would fail.
    chosen = domains.enabled(Settings(data_dir=tmp_path, modules="officers"))
    assert {m.name for m in chosen} == {"accounts", "officers", "watch"}


@pytest.mark.parametrize(("modules", "console"), [("console", True), ("", False)])
def test_a_list_naming_no_domain_means_every_domain(
    tmp_path: Path, modules: str, console: bool
) -> None:
    """As KOTWAL_MODULES meant before domains were modules: "console" (the old default) or
    nothing (the API alone)."""
    settings = Settings(data_dir=tmp_path, modules=modules)
    assert domains.enabled(settings) == domains.manifests()
    assert domains.console_enabled(settings) is console

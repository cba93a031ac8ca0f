"""The shape of the code, held by tests: the kernel imports no domain and no screen, no two
domains import each other in a circle, every domain declares its tables and guards its routes.

Imports are read from the source (every ``import`` statement, including those inside
functions), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from kotwal import domains
from kotwal.core.db import Base
from kotwal.manifest import resolve

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "kotwal"
DOMAIN_PACKAGES = {name.removeprefix("kotwal.") for name in domains.DOMAINS}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every kotwal module ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (name for name in names if name == "kotwal" or name.startswith("kotwal."))


def _top(module: str) -> str:
    """The top-level part of kotwal a module belongs to (``core``, ``records``, ``web``...)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kotwal"


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = _top(_module_name(path))
        for target in map(_top, _imports(path)):
            if target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def test_the_kernel_imports_no_domain_no_screen_and_no_assembly() -> None:
    outside = sorted(
        f"{_module_name(path)} imports {name}"
        for path in (PACKAGE / "core").rglob("*.py")
        for name in _imports(path)
        if not name.startswith("kotwal.core")
    )
    assert outside == []


def _cycles(graph: dict[str, set[str]], nodes: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan), restricted to ``nodes``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, set()) & nodes):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_no_two_domains_import_each_other_in_a_circle() -> None:
    assert _cycles(_package_graph(), DOMAIN_PACKAGES) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph, {"a", "b", "c", "d"}) == [["a", "b", "c"]]


def test_every_domain_in_the_list_has_its_manifest() -> None:
    manifests = domains.manifests()
    assert [m.package for m in manifests] == list(domains.DOMAINS)
    assert len({m.name for m in manifests}) == len(manifests)


@pytest.mark.parametrize("manifest", domains.manifests(), ids=lambda m: m.name)
def test_every_reference_in_a_manifest_resolves(manifest: domains.Manifest) -> None:
    for module in (*manifest.api, *manifest.views, *manifest.public, *manifest.citizen):
        assert hasattr(resolve(module), "router"), module
    for group in manifest.commands:
        assert resolve(group.app) is not None
    for reference in (manifest.install, manifest.uploads, manifest.demo, manifest.demo_accounts):
        if reference is not None:
            assert callable(resolve(reference)), reference
    for module in manifest.models:
        resolve(module)
    if manifest.templates:
        assert manifest.template_dir is not None and manifest.template_dir.is_dir()
    known = {m.name for m in domains.manifests()}
    assert set(manifest.requires) <= known


def test_every_table_is_declared_by_the_kernel_or_a_domain_manifest() -> None:
    import kotwal.tables  # noqa: F401  (imports every declared models module)

    declared = set(domains.model_modules())
    undeclared = sorted(
        f"{mapper.class_.__module__}.{mapper.class_.__name__}"
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ not in declared
    )
    assert undeclared == []


def test_a_domain_only_lists_its_own_models_and_routes() -> None:
    for manifest in domains.manifests():
        routers = (*manifest.api, *manifest.views, *manifest.public, *manifest.citizen)
        for module in (*manifest.models, *routers):
            assert module.startswith(manifest.package + "."), (manifest.name, module)


def test_the_oversight_roles_read_no_domain_records() -> None:
    """Separation of duties, held against every manifest's grants: the administrator, the
    auditor and the security officer read the audit log and the security queue, never a
    domain's records (identity.check_role_set relies on their clearance being PUBLIC)."""
    from kotwal.core.policy import ROLE_CLEARANCE, DataClass, Role, role_permissions

    for role in (Role.SYSTEM_ADMIN, Role.AUDITOR, Role.SECURITY_OFFICER):
        reads = {
            p
            for p in role_permissions(role)
            if p.endswith(":read") and not p.startswith(("core:", "security:"))
        }
        assert reads == set(), role
        assert ROLE_CLEARANCE[role] == DataClass.PUBLIC

"""`kotwal security check` passes on a correctly set-up instance and names each problem."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from kotwal.cli import app as cli
from kotwal.core import audit
from kotwal.core.config import Settings
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys.service import plant
from kotwal.guard import selfcheck
from kotwal.web.app import create_app
from tests.factories import FACTORY, build_world, make_officer
from tests.serving import serve

runner = CliRunner()


@pytest.fixture
def production(settings: Settings) -> Settings:
    return settings.model_copy(update={"tls": True, "api_docs": False, "local_http": False})


@pytest.fixture
def well_run(runtime: Runtime) -> Runtime:
    make_officer(runtime, Role.SYSTEM_ADMIN)  # password changed, TOTP enrolled
    build_world(runtime)
    with UnitOfWork(runtime, write=True) as uow:  # kotwal decoys plant
        plant(uow, FACTORY, count=3)
    with runtime.db.transaction() as session:
        audit.checkpoint(session, runtime.keyring)
    return runtime


def _by_check(findings: list[selfcheck.Finding]) -> dict[str, selfcheck.Finding]:
    return {f.check: f for f in findings}


def test_a_correctly_set_up_instance_passes(production: Settings, well_run: Runtime) -> None:
    findings = selfcheck.run_checks(production, well_run, slow=False)
    assert not selfcheck.failed(findings), [f for f in findings if f.status == "fail"]
    assert _by_check(findings)["decoys planted"].status == "pass"


def test_a_world_readable_key_file_fails(production: Settings, well_run: Runtime) -> None:
    os.chmod(production.keys_dir / "kek-v1.key", 0o644)
    found = _by_check(selfcheck.run_checks(production, well_run, slow=False))["key files"]
    assert found.status == "fail" and "chmod 600" in found.detail


def test_an_unchanged_initial_password_fails(production: Settings, well_run: Runtime) -> None:
    make_officer(well_run, Role.AUDITOR, initial=True, enrolled=False, username="new.auditor")
    found = _by_check(selfcheck.run_checks(production, well_run, slow=False))
    assert found["initial passwords"].status == "fail"
    assert "new.auditor" in found["initial passwords"].detail
    assert found["totp enrolled"].status == "fail"


def test_api_docs_on_fails(production: Settings, well_run: Runtime) -> None:
    docs_on = production.model_copy(update={"api_docs": True})
    found = _by_check(selfcheck.run_checks(docs_on, well_run, slow=False))["api docs"]
    assert found.status == "fail" and found.fix


def test_with_url_the_server_is_judged_not_this_machines_settings(
    production: Settings, well_run: Runtime
) -> None:
    # Issue 18, finding 8: --url reported "API docs are off" while the server it was pointed
    # at served /api/openapi.json, because it read its own environment.
    lax = production.model_copy(update={"api_docs": True, "tls": False})
    served_with_docs = create_app(lax, well_run)
    with serve(served_with_docs, lifespan="off") as url:
        found = _by_check(selfcheck.run_checks(production, well_run, base_url=url, slow=False))
    assert found["api docs"].status == "fail" and "/api/openapi.json" in found["api docs"].detail
    # The server does not declare TLS (no HSTS), whatever KOTWAL_TLS says on this machine.
    assert found["tls"].status == "fail" and "Strict-Transport-Security" in found["tls"].detail
    assert found["unauthenticated routes"].status == "pass"
    served_right = create_app(production, well_run)
    with serve(served_right, lifespan="off") as url:
        found = _by_check(selfcheck.run_checks(production, well_run, base_url=url, slow=False))
    assert found["api docs"].status == "pass" and found["tls"].status == "pass"


def test_a_disabled_module_still_reachable_fails(production: Settings, well_run: Runtime) -> None:
    console_off = production.model_copy(update={"modules": ""})
    stale = create_app(production, well_run)  # the running instance still mounts the console
    found = selfcheck.run_checks(console_off, well_run, app=stale, slow=False)
    assert _by_check(found)["disabled modules"].status == "fail"
    fresh = selfcheck.run_checks(console_off, well_run, slow=False)
    assert _by_check(fresh)["disabled modules"].status == "pass"


def test_every_operation_refuses_a_stranger(production: Settings, well_run: Runtime) -> None:
    found = _by_check(selfcheck.run_checks(production, well_run, slow=False))
    assert found["unauthenticated routes"].status == "pass"
    assert "operations refuse" in found["unauthenticated routes"].detail
    # The citizens' surface too: only its four public routes answer a stranger.
    assert found["unauthenticated citizen routes"].status == "pass"
    assert "operations refuse" in found["unauthenticated citizen routes"].detail


def test_the_command_reports_json_and_fails_on_a_problem(
    env: Settings, well_run: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_API_DOCS", "true")
    from kotwal.core.config import get_settings

    get_settings.cache_clear()
    result = runner.invoke(cli, ["security", "check", "--json", "--quick"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    failed = {f["check"] for f in report["findings"] if f["status"] == "fail"}
    assert {"api docs", "tls"} <= failed

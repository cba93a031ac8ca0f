"""``kotwal demo-otp NUMBER`` prints a number's pending login code on a demo instance and
refuses anywhere else."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kotwal.citizen import service
from kotwal.cli import app
from kotwal.core.config import Settings
from kotwal.core.keys import KeyRing
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from tests.citizen.helpers import sent_code

runner = CliRunner()
MOBILE = "9876543210"


def test_demo_otp_refuses_outside_a_demo(env: Settings, templates: dict[str, str]) -> None:
    result = runner.invoke(app, ["demo-otp", MOBILE])
    assert result.exit_code == 2
    assert "demo instance only" in result.output


def test_demo_otp_prints_the_pending_code_on_a_demo(
    env: Settings,
    keyring: KeyRing,
    templates: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOTWAL_DEMO", "true")
    demo = open_runtime(env.model_copy(update={"demo": True}), keyring=keyring)
    try:
        with UnitOfWork(demo, write=True) as uow:
            service.request_code(uow, MOBILE, "demo-device-1", "127.0.0.1")
        code = sent_code(demo, MOBILE)
    finally:
        demo.close()
    result = runner.invoke(app, ["demo-otp", "+91 98765 43210"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == code
    other = runner.invoke(app, ["demo-otp", "9876500002"])
    assert other.exit_code == 2 and "no pending code" in other.output

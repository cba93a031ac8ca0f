"""`kotwal demo`: deterministic synthetic data, working accounts for every role."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kotwal import demo
from kotwal.cli import app
from kotwal.core.config import get_settings
from kotwal.core.db import Database
from kotwal.core.runtime import Runtime
from tests.test_cli import env  # noqa: F401 - the CLI environment fixture

runner = CliRunner()


def test_same_seed_gives_the_same_people() -> None:
    a = [demo.synthetic_person(random.Random(7), "s" * 36, n) for n in range(50)]
    b = [demo.synthetic_person(random.Random(7), "s" * 36, n) for n in range(50)]
    assert a == b
    assert all(p.phone is None or p.phone.startswith("90000") for p in a)
    assert all("Demo Colony" in (p.address or "") for p in a)


def test_demo_seeds_once_and_every_account_logs_in(runtime: Runtime, client: TestClient) -> None:
    stations = demo.build_tree(runtime)
    assert len(stations) == 30
    assert demo.seed_persons(runtime, stations, 300, seed=1) == 300
    assert demo.seeded(runtime)
    accounts = demo.create_accounts(runtime)
    assert {a.role for a in accounts} == {role for _, role, _ in demo.ACCOUNTS}
    si = next(a for a in accounts if a.username == "demo.si")
    r = client.post(
        "/api/v1/auth/token",
        json={"username": si.username, "password": si.password,
              "totp": demo.current_code(runtime, si.username)},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    token = {"authorization": f"Bearer {r.json()['access_token']}"}
    found = client.get("/api/v1/persons/search", params={"name": "Srinivas"}, headers=token)
    assert found.status_code == 200 and found.json()["items"]


def test_codes_are_shown_only_for_demo_accounts(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="demo accounts"):
        demo.current_code(runtime, "admin")


def test_demo_command_without_serving(env: Path, db: Database) -> None:  # noqa: F811
    result = runner.invoke(app, ["demo", "--size", "60", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo.sho" in result.output
    again = runner.invoke(app, ["demo", "--size", "60", "--no-serve"])
    assert again.exit_code == 0 and "already present" in again.output
    get_settings.cache_clear()

"""bench/watch.py runs end to end in a tiny mode and prints its figures (their presence and
sense, never their size), and leaves no PostgreSQL database behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "watch.py"


def _bench_databases() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'kotwal_bench_watch_%'")
            )
            return {name for (name,) in rows}
    finally:
        engine.dispose()


def test_the_budget_bench_prints_the_cost_of_a_charge_on_both_stores() -> None:
    before = _bench_databases()
    env = {**os.environ, "KOTWAL_BENCH_POSTGRES_URL": PG_URL}
    run = subprocess.run(
        [sys.executable, str(BENCH), "--searches", "200", "--hits", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["searches"] == 200 and figures["hits"] == 5
    for store in ("sqlite", "postgresql"):
        assert figures[store]["first_ms"] > 0 and figures[store]["last_ms"] > 0
    assert _bench_databases() <= before


def test_the_budget_bench_refuses_too_few_searches_with_a_message() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--searches", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2 and "at least 200" in run.stderr

"""bench/alerts.py runs end to end in a small mode and prints its figures (their presence and
sense, never their size), and leaves no PostgreSQL database behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "alerts.py"


def _bench_databases() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'kotwal_bench_alerts_%'")
            )
            return {name for (name,) in rows}
    finally:
        engine.dispose()


def test_the_alerts_bench_submits_to_a_local_peer_and_queues_on_both_stores() -> None:
    before = _bench_databases()
    env = {**os.environ, "KOTWAL_BENCH_POSTGRES_URL": PG_URL}
    run = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "300", "--recipients", "500",
         "--chunk", "200"],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["cores"] >= 1 and figures["peak_rss_mb"] > 0
    for store in ("sqlite", "postgresql"):
        sent, queued = figures[store]["submit"], figures[store]["queue"]
        assert sent["received"] == 300 and sent["valid_dlt_share"] == 1.0
        assert sent["submit_sm_per_s"] > 0 and sent["binds"] == 2
        assert queued["recipients"] == 500 and queued["per_s"] > 0
    assert _bench_databases() <= before


def test_the_alerts_bench_refuses_too_small_a_run_with_a_message() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2 and "at least 10" in run.stderr

"""bench/records.py runs end to end in a tiny mode and prints the figures the issue asks for.

The bench is run as a program, as a person would run it: it seeds a few hundred demo persons
on SQLite and on the PostgreSQL of this machine, times a few name searches, serves the SQLite
store (and, in a second run, a copy of the PostgreSQL one) with the real server and loads it,
and prints one JSON object as its last line. Only the
presence and the sense of the figures are checked, never their size: timings belong to the
bench's own output, not to a test.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "records.py"


def _databases_of(cache: Path) -> list[str]:
    """PostgreSQL databases the bench made for ``cache`` (named with a digest of its path, so
    other benches running on this server meanwhile are not counted)."""
    place = hashlib.sha256(str(cache.resolve()).encode()).hexdigest()[:6]
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                {"pattern": f"kotwal_bench_%_{place}"},
            )
            return [name for (name,) in rows]
    finally:
        engine.dispose()


def _run_tiny_bench(cache: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run the bench in its tiny mode with ``options`` added."""
    try:
        # Four officers, not forty: each login hashes a password, which is slow by design.
        run = subprocess.run(
            [
                sys.executable,
                str(BENCH),
                "--sizes",
                "150",
                "--queries",
                "4",
                "--http-seconds",
                "0.5",
                "--http-clients",
                "2",
                "--http-officers",
                "4",
                "--cache-dir",
                str(cache),
                "--discard",
                *options,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={"KOTWAL_BENCH_POSTGRES_URL": PG_URL, "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired as exc:  # say where it stood, not only that it hung
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise AssertionError(f"the bench hung; its last words:\n{err[-3000:]}") from None
    return run


def _tiny_bench(cache: Path, *options: str) -> dict[str, Any]:
    """Run the bench in its tiny mode with ``options`` added; its JSON line."""
    run = _run_tiny_bench(cache, *options)
    assert run.returncode == 0, run.stderr[-3000:]
    figures: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return figures


def _assert_server_cpu(http: dict[str, Any]) -> None:
    assert set(http["server_cpu_ms"]) == {"audited_read", "health", "me"}
    assert all(ms > 0 for ms in http["server_cpu_ms"].values()), http["server_cpu_ms"]


def test_tiny_bench_prints_every_figure_and_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    figures = _tiny_bench(cache)

    for store in ("sqlite", "postgresql"):
        search = figures["name_search"][store]["150"]
        assert 0 < search["p50_ms"] <= search["p95_ms"] <= search["max_ms"]
        assert search["n"] == 4
        for other in ("cold", "repeated"):  # a quarter as many, at least two
            assert search[other]["n"] == 2 and search[other]["p50_ms"] > 0
    http = figures["http"]
    assert http["audited_reads_per_s"] > 0 and http["health_per_s"] > 0
    assert http["authenticated_me_per_s"] > 0 and http["authenticated_ratio"] > 0
    assert http["store"] == "sqlite"  # the default --http-store
    _assert_server_cpu(http)
    assert http["ratio"] == round(http["audited_reads_per_s"] / http["health_per_s"], 3) or (
        abs(http["ratio"] - http["audited_reads_per_s"] / http["health_per_s"]) < 0.01
    )
    names = figures["names"]
    for key in ("tuning_precision", "tuning_recall", "holdout_precision", "holdout_recall"):
        assert 0.0 <= names[key] <= 1.0
    assert figures["cores"] >= 1
    assert not cache.exists()
    assert _databases_of(cache) == []


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_tiny_bench_serves_postgresql_over_http_and_drops_its_copy(tmp_path: Path) -> None:
    """``--http-store postgresql`` serves a copy of the PostgreSQL store, seeded for the purpose
    when ``--stores`` does not list it, and drops the copy (and, with --discard, the store).
    The server runs under a wrapper that exits on Ctrl-C without passing it on (as a profiler
    may): the server must not outlive the bench all the same."""
    cache = tmp_path / "cache"
    pid_file = tmp_path / "server.pid"
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(f"""#!/bin/bash
trap 'exit 0' INT
"$@" &
echo $! > {pid_file}
wait
""")
    wrapper.chmod(0o700)
    figures = _tiny_bench(
        cache, "--stores", "sqlite", "--http-store", "postgresql", "--server-wrapper", str(wrapper)
    )
    assert not _running(int(pid_file.read_text())), "the server outlived the bench"
    http = figures["http"]
    assert http["store"] == "postgresql"
    assert http["audited_reads_per_s"] > 0 and http["authenticated_me_per_s"] > 0
    _assert_server_cpu(http)
    assert list(figures["name_search"]) == ["sqlite"]
    assert not cache.exists()
    assert _databases_of(cache) == []


def test_a_server_that_will_not_start_is_reported_and_the_stores_discarded(tmp_path: Path) -> None:
    """A server that stops before it answers fails the bench with the server's own words, not
    with an error from stopping a process that is already gone, and --discard still cleans up."""
    cache = tmp_path / "cache"
    run = _run_tiny_bench(cache, "--stores", "sqlite", "--server-wrapper", "/bin/false")
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: the server stopped"), run.stderr[-3000:]
    assert "ProcessLookupError" not in run.stderr
    assert not cache.exists()

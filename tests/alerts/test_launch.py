"""`kotwal run` on the embedded default starts a delivery worker beside the server (and stops
it with the server); on PostgreSQL, or with alerts switched off, it starts none."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kotwal.alerts.launch import wanted
from kotwal.core.config import Settings

KOTWAL = str(Path(sys.executable).parent / "kotwal")


def test_a_worker_is_wanted_on_the_embedded_default_only(tmp_path: Path) -> None:
    assert wanted(Settings(data_dir=tmp_path))
    assert not wanted(Settings(data_dir=tmp_path, database_url="postgresql://db.invalid/k"))
    assert not wanted(Settings(data_dir=tmp_path, modules="records,console"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_starts_a_delivery_worker_beside_the_server_and_stops_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTWAL_")}
    env |= {"KOTWAL_DATA_DIR": str(tmp_path / "data"), "KOTWAL_LOCAL_HTTP": "true"}
    subprocess.run([KOTWAL, "init"], env=env, check=True, capture_output=True, timeout=120)
    port, log = _free_port(), tmp_path / "run.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [KOTWAL, "run", "--workers", "1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "waiting for it" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=90)
    text = log.read_text()
    assert "alerts worker: no active SMSC link named 'primary'" in text
    assert until_gone(children_running(tmp_path)), "the worker outlived the server"


def children_running(data: Path) -> list[int]:
    """Worker processes started for this test's data directory, still running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"kotwal.alerts.launch" in cmdline and str(data).encode() in environ:
            found.append(int(entry.name))
    return found


def until_gone(pids: list[int], seconds: float = 30.0) -> bool:
    """Whether every one of ``pids`` has exited within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.2)
    return False

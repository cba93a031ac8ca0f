"""`kotwal run` with several worker processes: it serves, every worker answers with the same
rules, and the socket they share does not hold answers back (Nagle off)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from kotwal.web.serve import listening_socket


def test_connections_accepted_on_the_workers_socket_have_nagle_off() -> None:
    """With Nagle on, each small answer waited for the client's delayed ACK (about 40 ms)."""
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    nodelay: list[int] = []

    async def exchange() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            nodelay.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()

    # In a thread of its own: a test before this one in the same worker may have left an
    # event loop marked running in the main thread, where asyncio.run() would refuse.
    runner = threading.Thread(target=asyncio.run, args=(exchange(),))
    runner.start()
    runner.join(timeout=30)
    assert nodelay and nodelay[0] != 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def test_run_serves_with_two_worker_processes(tmp_path: Path) -> None:
    """On the embedded default (SQLite in its own data directory)."""
    kotwal = str(Path(sys.executable).parent / "kotwal")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTWAL_")}
    env |= {"KOTWAL_DATA_DIR": str(tmp_path / "data"), "KOTWAL_LOCAL_HTTP": "true"}
    subprocess.run([kotwal, "init"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            # The citizens' surface listens beside it: on a free port, not the default 8100.
            [
                kotwal,
                "run",
                "--workers",
                "2",
                "--port",
                str(port),
                "--citizen-port",
                str(_free_port()),
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        with httpx.Client(base_url=base) as client:  # several connections, both workers
            answers = [client.get("/api/v1/persons/nobody") for _ in range(20)]
        assert {a.status_code for a in answers} == {401}
        assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
        # A worker that dies is replaced, and the log says how it stopped (issue 18: workers
        # died with nothing logged but "Child process died").
        workers = re.findall(r"Started server process \[(\d+)\]", log.read_text())
        victim = int(workers[0])
        assert victim in _children(server.pid)
        os.kill(victim, signal.SIGKILL)
        said = f"worker process {victim} stopped: killed by SIGKILL"
        while said not in log.read_text():
            assert time.monotonic() < deadline + 60, log.read_text()
            time.sleep(0.2)
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        while log.read_text().count("Application startup complete") < 3:  # the replacement
            assert time.monotonic() < deadline + 120, log.read_text()
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert "with 2 workers" in text
    assert text.count("Started server process") == 3, text  # two, and the replacement

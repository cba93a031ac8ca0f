"""PostgreSQL clusters of a test's own: a primary and a streaming standby on free local ports in a
temporary directory, started with the server's own tools (initdb, pg_ctl, pg_basebackup) and torn
down afterwards. The machine's shared server is never touched.

The tools refuse to run as root; as root they run as the ``postgres`` system user (runuser), and
the directory is handed to it. Missing tools fail the test loudly: they come with the Debian
package postgresql-15 that scripts/test installs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess  # nosec B404 - the server's own tools, with fixed arguments
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(os.environ.get("KOTWAL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 5
hot_standby = on
wal_keep_size = '64MB'
shared_buffers = '32MB'
fsync = off
full_page_writes = off
synchronous_commit = on
synchronous_standby_names = '*'
"""
_HBA = """
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def run_tool(*args: str) -> None:
    tool = BIN / args[0]
    if not tool.exists():
        raise AssertionError(f"{tool} is missing: install postgresql-15 (scripts/test does)")
    done = subprocess.run(  # nosec B603 - fixed tool paths and arguments
        _as_server_user([str(tool), *args[1:]]), capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise ToolFailed(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


class ToolFailed(AssertionError):
    """A server tool exited non-zero; its error output is the message."""


@dataclass
class Node:
    """One server of the pair."""

    data: Path
    port: int
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data.parent / f"{self.data.name}.log"

    def start(self) -> None:
        run_tool("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def kill9(self) -> None:
        """kill -9 of the postmaster, as a machine failure or the OOM killer would."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

    def promote(self) -> None:
        run_tool("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "promote")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(ToolFailed):  # already gone (killed)
                run_tool("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@dataclass
class Pair:
    primary: Node
    standby: Node

    def fail_over(self) -> None:
        """Promote the standby, and let it commit without a synchronous standby of its own
        (none is left): what pg_auto_failover's monitor does, its ``wait_primary`` state. Until
        then the promoted server would hold every commit waiting for a standby that is gone."""
        self.standby.promote()
        psql(self.standby, "ALTER SYSTEM SET synchronous_standby_names = ''")
        psql(self.standby, "SELECT pg_reload_conf()")

    def url(self, database: str = "kotwal") -> str:
        """A multi-host URL: libpq tries each host and keeps the one that accepts writes."""
        hosts = "&".join(f"host=127.0.0.1:{n.port}" for n in (self.primary, self.standby))
        return (
            f"postgresql+psycopg://postgres@/{database}?{hosts}"
            "&target_session_attrs=read-write&connect_timeout=2"
        )


def _init_primary(node: Node, sockets: Path) -> None:
    run_tool("initdb", "-D", str(node.data), "-U", "postgres", "-A", "trust", "--no-sync")
    with (node.data / "postgresql.conf").open("a") as conf:
        conf.write(_SETTINGS.format(sockets=sockets) + f"port = {node.port}\n")
    (node.data / "pg_hba.conf").write_text(_HBA)


@contextmanager
def primary_and_standby() -> Iterator[Pair]:
    """A primary and a synchronous streaming standby (``pg_basebackup -R``), both running.

    In a directory of its own under the system's temporary directory (pytest's is private to
    the user running the tests, and the servers may run as another)."""
    root = Path(tempfile.mkdtemp(prefix="kotwal-pgpair-"))
    sockets = root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        for path in (root, sockets):
            shutil.chown(path, "postgres", "postgres")
    pair = Pair(Node(root / "primary", free_port()), Node(root / "standby", free_port()))
    try:
        _init_primary(pair.primary, sockets)
        pair.primary.start()
        run_tool(
            "pg_basebackup",
            "-h", "127.0.0.1",
            "-p", str(pair.primary.port),
            "-U", "postgres",
            "-D", str(pair.standby.data),
            "-R",
            "-X", "stream",
            "--no-sync",
        )  # fmt: skip
        with (pair.standby.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {pair.standby.port}\n")
        pair.standby.start()
        _wait_streaming(pair.primary)
        yield pair
    finally:
        pair.standby.stop()
        pair.primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def psql(node: Node, sql: str, database: str = "postgres") -> str:
    tool = BIN / "psql"
    done = subprocess.run(  # nosec B603 - fixed tool path; SQL written by the test
        [str(tool), "-h", "127.0.0.1", "-p", str(node.port), "-U", "postgres", "-d", database,
         "-Atc", sql],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return done.stdout.strip()


def _wait_streaming(primary: Node, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            psql(primary, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")
            == "1"
        ):
            return
        time.sleep(0.1)
    raise AssertionError("the standby did not start streaming synchronously")

"""Serving the app: one process, or several sharing one listening socket (two, when both
surfaces are served: the officers' port and the citizens').

Several worker processes let a server use every core (one Python process uses about one). Each
worker builds its own app, runtime, connection pool and audit writer from the same settings;
the audit chain, the budgets and the sessions live in the database, so the workers need not
talk to each other.

The listening socket is made here rather than by uvicorn: uvicorn's own socket for worker
processes carries protocol number 0, and asyncio then leaves Nagle's algorithm on for every
accepted connection, so each answer waited for the client's delayed ACK (about 40 ms; measured
here: 44 ms per health check instead of 2.3 ms).
"""

from __future__ import annotations

import logging
import signal
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

#: uvicorn configures its own loggers in the supervisor; a logger of ours would print nothing.
log = logging.getLogger("uvicorn.error")

#: Seconds a worker may take to answer the supervisor's health check before it is killed and
#: replaced. uvicorn's default (5 s) killed workers that were only busy: building the app
#: (loading the face models) on a loaded 2-core machine took longer, and the workers were
#: killed over and over with nothing logged but "Child process died" (issue 18, finding 8).
WORKER_HEALTHCHECK_SECONDS = 60


class Supervisor(Multiprocess):
    """uvicorn's supervisor, saying why a worker it restarts had stopped."""

    def keep_subprocess_alive(self) -> None:
        if not self.should_exit.is_set():
            for worker in self.processes:
                code = worker.process.exitcode
                if code is not None:
                    log.error("worker process %s stopped: %s", worker.process.pid, _why(code))
        super().keep_subprocess_alive()


def _why(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code} (its log above says why)"


APP = "kotwal.web.app:create_app"
#: What ``kotwal run --surface`` serves: uvicorn's factory for each choice.
BOTH = "both"
FACTORIES = {
    "officers": APP,
    "citizen": "kotwal.web.app:create_citizen_app",
    BOTH: "kotwal.web.app:create_surfaces",
}


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for the workers to accept on, declared as TCP (see the module)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    trusted_proxies: str,
    surface: str = "officers",
    citizen_port: int | None = None,
) -> None:
    """Serve ``surface`` until interrupted, with ``workers`` processes. Both surfaces listen on
    two sockets, ``port`` and ``citizen_port``, and each worker answers on both (the app picks
    the surface by the socket a connection came in on; the settings must name the same ports)."""
    config = uvicorn.Config(
        FACTORIES[surface],
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    ports = [port] if surface != BOTH or citizen_port is None else [port, citizen_port]
    if workers == 1 and len(ports) == 1:
        uvicorn.Server(config).run()
        return
    sockets = [listening_socket(host, p) for p in ports]
    if workers == 1:
        uvicorn.Server(config).run(sockets=sockets)
        return
    Supervisor(config, sockets=sockets).run()

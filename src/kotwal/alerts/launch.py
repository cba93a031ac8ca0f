"""A delivery worker beside the server: ``kotwal run`` on the embedded default starts one.

On the embedded default (SQLite, one machine) ``kotwal run`` is the whole product, so it
starts ``kotwal alerts worker`` as a child process and stops it when the server stops. On
PostgreSQL, workers are run as processes of their own (``kotwal alerts worker``, as many and
on as many machines as the traffic needs), so ``kotwal run`` starts none. A worker whose SMSC
link is not set yet waits for headquarters to set it.

    python -m kotwal.alerts.launch      # what the child runs: `kotwal alerts worker`
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kotwal.core.config import Settings

#: Seconds a stopping worker gets to hand back its messages before it is killed.
STOP_SECONDS = 60


def wanted(settings: Settings) -> bool:
    """Whether ``kotwal run`` starts a worker: the embedded store, alerts switched on."""
    from kotwal import domains

    names = {manifest.name for manifest in domains.enabled(settings)}
    return settings.is_sqlite and "alerts" in names


@contextmanager
def worker_beside(settings: Settings) -> Iterator[subprocess.Popen[bytes] | None]:
    """Run a delivery worker for as long as the block runs (none when not :func:`wanted`)."""
    if not wanted(settings):
        yield None
        return
    child = subprocess.Popen([sys.executable, "-m", "kotwal.alerts.launch"])
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


#: How often the child checks that the server that started it is still there.
PARENT_CHECK_SECONDS = 1.0


def stop_with_parent() -> None:
    """Stop this worker (as SIGTERM does) once the server that started it is gone: uvicorn
    re-raises the signal that stopped it, so the server may die before it can stop us."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    from kotwal.cli import app

    stop_with_parent()
    app(["alerts", "worker"], prog_name="kotwal")

"""A worker killed with SIGKILL in the middle of sending: nothing is lost, and nothing whose
acceptance was recorded is sent again. Counted at the peer (smpp34's SMPP server), with the
worker a real `kotwal alerts worker` process on the test's database.

What can be sent twice, and is allowed to be: a message the SMSC accepted whose
submit_sm_resp the dead worker had not committed yet. SMPP cannot ask the SMSC whether it has a
message, so such a message is sent again once its lease lapses (docs/domains/alerts.md,
"Delivery"). The test checks that every message received twice is one of those.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from kotwal.alerts import delivery
from kotwal.alerts.delivery import SUBMITTED, SUBMITTING
from kotwal.alerts.models import AlertOutboxMessage
from kotwal.core.config import Settings
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.outbox import (
    all_in,
    configure_link,
    errors,
    mobile,
    queue_alert,
    statuses,
    until,
)
from tests.alerts.peer import Peer
from tests.factories import World

MESSAGES = 3000
BINDS, WINDOW, BATCH = 2, 10, 100
KOTWAL = str(Path(sys.executable).parent / "kotwal")


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    """`kotwal alerts worker` on the test's database (the env fixture's variables), with a
    short lease so that the test need not wait a minute for the dead worker's."""
    env = os.environ | {
        "KOTWAL_ALERT_SMPP_LEASE_SECONDS": "5",
        "KOTWAL_ALERT_SMPP_RESPONSE_TIMEOUT": "2",
        "KOTWAL_ALERT_SMPP_CLAIM_BATCH": str(BATCH),
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [KOTWAL, "alerts", "worker"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )


def unrecorded(runtime: Runtime) -> set[str]:
    """Numbers of the messages a worker holds without a recorded acceptance."""
    with UnitOfWork(runtime, write=False) as uow:
        rows = list(
            uow.session.execute(
                select(AlertOutboxMessage).where(AlertOutboxMessage.status == SUBMITTING)
            ).scalars()
        )
        return {"91" + str(f["number"]) for f in delivery.opened(uow.session, rows)}


def test_a_worker_killed_mid_send_loses_nothing_and_resends_only_what_was_unrecorded(
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    peer: Peer,
    env: Settings,
    tmp_path: Path,
) -> None:
    numbers = [mobile(i) for i in range(MESSAGES)]
    queue_alert(runtime, world, templates, numbers)
    configure_link(runtime, world, peer, binds=BINDS, window=WINDOW)
    log = tmp_path / "worker.log"

    first = start_worker(log)
    try:
        assert peer.wait_for(lambda p: len(p.accepted()) >= MESSAGES // 4), log.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert len(peer.accepted()) < MESSAGES, "the kill came after the last send"
    at_kill = unrecorded(runtime)
    received_at_kill = len(peer.accepted())

    second = start_worker(log)
    try:
        done = until(all_in(runtime, {SUBMITTED}, MESSAGES), 120)
        assert done, f"{statuses(runtime)} {errors(runtime)} {log.read_text()}"
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, log.read_text()

    counts = Counter(r.destination for r in peer.accepted())
    assert set(counts) == {"91" + n for n in numbers}  # nothing lost
    twice = {number for number, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values())
    assert twice <= at_kill  # only what the dead worker held unrecorded
    assert len(twice) <= BINDS * (BATCH + WINDOW)
    assert received_at_kill < len(peer.accepted())
    assert peer.rejected_missing_dlt == 0
    assert "alerts worker stopped" in log.read_text()

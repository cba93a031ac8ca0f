"""Helpers of the delivery tests: the SMSC link set as headquarters would, messages queued the
ways the product queues them (OTPs, and an approved alert's area fanned out to numbers), a
worker run until the peer has what it should, and the outbox read back."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from kotwal.alerts import audiences, service, smsc, worker
from kotwal.alerts.config import DeliverySettings
from kotwal.alerts.models import AlertOutboxMessage, AlertSubmission
from kotwal.alerts.schemas import AlertDraftIn, CapCategory, SubscriberIn
from kotwal.alerts.smsc import SmscIn, SmscLink
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.helpers import RAIN, RAIN_TELUGU, rain, rain_telugu
from tests.alerts.peer import Peer
from tests.factories import World

#: The telemarketer chain ID the tests register (a made-up one).
CHAIN_ID = "1999000000000000777,1999000000000000888"


def path_of(runtime: Runtime, node_id: str) -> str:
    with runtime.db.transaction(write=False) as s:
        node = s.get(Jurisdiction, node_id)
        assert node is not None
        return node.path


def actor(runtime: Runtime, role: Role, node_id: str, name: str) -> Actor:
    """An officer acting without an account (as a command's --as would, by name)."""
    return Actor(
        account_id=None,
        username=f"cli:{name}",
        roles=frozenset({role}),
        jurisdiction_paths=(path_of(runtime, node_id),),
    )


def configure_link(
    runtime: Runtime, world: World, peer: Peer, *, binds: int = 2, window: int = 10
) -> SmscLink:
    """The SMSC link to ``peer``, set by headquarters with a password made now."""
    hq = actor(runtime, Role.STATE_HQ, world.state, "hq")
    data = SmscIn(
        host="127.0.0.1",
        port=peer.port,
        system_id="kotwal",
        chain_id=CHAIN_ID,
        binds=binds,
        window=window,
    )
    with UnitOfWork(runtime, write=True) as uow:
        smsc.configure(uow, hq, data, secrets.token_hex(4))
    return smsc.load(runtime)


def mobile(i: int) -> str:
    """The i-th made-up mobile number."""
    return f"98{i:08d}"


def queue_otps(runtime: Runtime, count: int, start: int = 0) -> list[str]:
    """``count`` OTPs to distinct numbers; their outbox ids."""
    ids = []
    for i in range(start, start + count):
        with UnitOfWork(runtime, write=True) as uow:
            ids.append(service.send_otp(uow, mobile(i), f"{100000 + i}"))
    return ids


def queue_alert(
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    numbers: list[str],
    *,
    telugu: bool = False,
    station: str | None = None,
) -> str:
    """A rain warning drafted by the SHO of station A, approved by the district chief and fanned
    out to ``numbers`` (subscribed to the station now); the alert's id."""
    station = station or world.station_a
    subscribe(runtime, world, numbers, world_area_code(runtime, station))
    sho = actor(runtime, Role.STATION_HOUSE_OFFICER, station, "sho")
    dcp = actor(runtime, Role.DISTRICT_CHIEF, world.district, "dcp")
    template = templates[RAIN_TELUGU] if telugu else templates[RAIN]
    text = rain_telugu() if telugu else rain()
    draft = AlertDraftIn(template_id=template, text=text, areas=[station])
    with UnitOfWork(runtime, write=True) as uow:
        alert_id = str(service.draft_alert(uow, sho, draft)["id"])
    with UnitOfWork(runtime, write=True) as uow:
        service.approve_alert(uow, dcp, alert_id)
    with UnitOfWork(runtime, write=True) as uow:
        audiences.expand_alert(uow, alert_id)
    return alert_id


def world_area_code(runtime: Runtime, node_id: str) -> str:
    """A jurisdiction node's code (how subscribers name their areas)."""
    with runtime.db.transaction(write=False) as s:
        node = s.get(Jurisdiction, node_id)
        assert node is not None
        return node.code


def subscribe(
    runtime: Runtime,
    world: World,
    numbers: list[str],
    area_code: str,
    categories: tuple[CapCategory, ...] = (CapCategory.SAFETY,),
) -> None:
    """Subscribe ``numbers`` to ``area_code`` as headquarters would."""
    hq = actor(runtime, Role.STATE_HQ, world.state, "hq")
    entries = [
        SubscriberIn(number=n, categories=list(categories), areas=[area_code], source="tests")
        for n in numbers
    ]
    if entries:
        with UnitOfWork(runtime, write=True) as uow:
            audiences.subscribe(uow, hq, entries)


def settings(**changes: object) -> DeliverySettings:
    """Delivery settings for tests: short pauses, so that a throttled test does not idle."""
    base = DeliverySettings(throttle_ms=20, throttle_max_ms=200, idle_seconds=0.05)
    return base.model_copy(update=changes)


@contextmanager
def running(
    runtime: Runtime, link: SmscLink, chosen: DeliverySettings | None = None
) -> Iterator[worker.Stats]:
    """A worker with the link's binds, on threads of this process, stopped on leaving."""
    stop = threading.Event()
    stats = worker.Stats()
    result: dict[str, worker.Stats] = {}

    def main() -> None:
        result["stats"] = worker.run(runtime, link, stop, settings=chosen or settings())

    thread = threading.Thread(target=main, name="test-worker")
    thread.start()
    try:
        yield stats
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), "the worker did not stop"
        found = result.get("stats")
        if found is not None:
            for name in ("parts_sent", "parts_accepted", "refusals", "throttled", "receipts"):
                setattr(stats, name, getattr(found, name))


def statuses(runtime: Runtime) -> dict[str, int]:
    """Outbox messages to a number, by status."""
    with runtime.db.transaction(write=False) as s:
        rows = s.execute(
            select(AlertOutboxMessage.status, func.count())
            .where(AlertOutboxMessage.kind != "area")
            .group_by(AlertOutboxMessage.status)
        )
        return {status: int(n) for status, n in rows}


def until(check: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Poll ``check`` until it holds or the bound passes (a bound, not a timing assertion)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def all_in(runtime: Runtime, wanted: set[str], count: int) -> Callable[[], bool]:
    """A check: every one of ``count`` messages has reached one of ``wanted``."""
    return lambda: sum(n for s, n in statuses(runtime).items() if s in wanted) == count


def submissions(runtime: Runtime) -> list[tuple[str, int, str, str | None]]:
    """(message, part, SMSC message_id, receipt) of every part the SMSC accepted."""
    with runtime.db.transaction(write=False) as s:
        rows = s.execute(
            select(
                AlertSubmission.message_id,
                AlertSubmission.part,
                AlertSubmission.smsc_message_id,
                AlertSubmission.receipt,
            )
        )
        return list(rows)


def errors(runtime: Runtime) -> dict[str | None, int]:
    """Outbox messages by their last error (for a failing test's message)."""
    with runtime.db.transaction(write=False) as s:
        rows = s.execute(
            select(AlertOutboxMessage.last_error, func.count()).group_by(
                AlertOutboxMessage.last_error
            )
        )
        return {error: int(n) for error, n in rows}

"""Who an alert reaches: subscribers, the areas they asked for, and the fan-out of an approved
alert to them.

A subscriber is a number that asked for public alerts (the citizens' app will add them; until
then headquarters records or imports them), with the CAP categories it wants and the areas it
wants them for: nodes of the jurisdiction tree (a station, a circle, a district) or GHMC wards.
The number is sealed and found by a 64-bit blind index, one row per number, so a subscriber
is deduplicated exactly in SQL (the 32-bit index the records use would leave about a hundred
false pairs in a million numbers).

**Fan-out.** Approval writes one ``area`` message per area in the approving transaction. A
worker then expands each approved alert once: a single ``INSERT ... SELECT`` writes one
``alert`` message per subscriber who

- asked for an area that holds one of the alert's areas, or lies inside one of them, or for a
  ward the alert's CAP document names (a district's subscriber hears of a station's flood; a
  station's subscriber hears of the district's);
- wants the alert's CAP category (``Safety`` when the draft named none);
- has consented to the template, when its DLT category is service-explicit;

each subscriber once, however many of their areas match. A recipient's message holds no
number or text of its own: it points to the subscriber and to the area's message, and the
worker opens both when it sends. That is what lets a million recipients be queued in seconds
rather than sealing a million copies of one text, and it means a subscriber who leaves takes
their number with them, even from messages already queued.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.orm import Session

from kotwal.alerts import cap, publication
from kotwal.alerts.models import (
    AlertConsent,
    AlertOutboxMessage,
    AlertSubscriber,
    AlertSubscription,
    AlertTemplate,
    PublicAlert,
)
from kotwal.alerts.permissions import AlertsPermission
from kotwal.alerts.registry import needs_consent, number_key
from kotwal.alerts.schemas import CapCategory, SubscriberIn
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import (
    DEK_BYTES,
    active_kek_version,
    normalise_phone,
    seal_with,
    shred,
    wrap_key,
)
from kotwal.core.db import new_id
from kotwal.core.errors import InvalidInput, NotFound
from kotwal.core.keys import KeyRing
from kotwal.core.models import DataKey
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork

#: One bit per CAP category, in CAP's order (a subscriber's ``categories``).
CATEGORY_BITS: dict[CapCategory, int] = {c: 1 << i for i, c in enumerate(CapCategory)}
#: The category of an alert whose draft carried no CAP block (as its document says).
DEFAULT_CATEGORY = CapCategory.SAFETY
#: Subscribers looked up or inserted per statement.
CHUNK = 2000
AREA, ALERT, QUEUED, EXPANDED = "area", "alert", "queued", "expanded"

_SUBSCRIBERS = cast(Table, AlertSubscriber.__table__)
_SUBSCRIPTIONS = cast(Table, AlertSubscription.__table__)
_OUTBOX = cast(Table, AlertOutboxMessage.__table__)


def category_mask(categories: Iterable[CapCategory]) -> int:
    """The bits of ``categories``."""
    mask = 0
    for category in categories:
        mask |= CATEGORY_BITS[category]
    return mask


def categories_of(mask: int) -> list[str]:
    """The categories a mask holds, in CAP's order."""
    return [c.value for c, bit in CATEGORY_BITS.items() if mask & bit]


# --- subscribing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    digits: str
    key: str
    mask: int
    nodes: tuple[str, ...]
    wards: tuple[str, ...]
    source: str


def _mobile(raw: str, where: str) -> str:
    digits = normalise_phone(raw)
    if len(digits) != 10 or digits[0] not in "6789":
        raise InvalidInput(f"{where}: a subscriber is a ten-digit Indian mobile number")
    return digits


def _resolve(uow: UnitOfWork, entries: Sequence[SubscriberIn]) -> list[_Entry]:
    """Entries checked and resolved (area codes to nodes, ward names to codes), the last
    word for a number standing when a file names it twice; the first bad one is refused by
    its place."""
    codes = {code for entry in entries for code in entry.areas}
    nodes: dict[str, str] = {}
    for chunk in _chunks(sorted(codes), CHUNK):
        rows = uow.session.execute(
            select(Jurisdiction.code, Jurisdiction.id).where(Jurisdiction.code.in_(chunk))
        )
        nodes.update({code: node for code, node in rows})
    keyring = uow.runtime.keyring
    resolved: dict[str, _Entry] = {}
    for place, entry in enumerate(entries, start=1):
        where = f"subscriber {place}"
        digits = _mobile(entry.number, where)
        unknown = [code for code in entry.areas if code not in nodes]
        if unknown:
            raise InvalidInput(f"{where}: no station, circle or district with code {unknown[0]!r}")
        wards = []
        for name in entry.wards:
            ward = cap.find_ward(name)
            if ward is None:
                raise InvalidInput(f"{where}: no GHMC ward {name!r}")
            wards.append(ward.code)
        resolved[digits] = _Entry(
            digits=digits,
            key=number_key(keyring, digits),
            mask=category_mask(entry.categories),
            nodes=tuple(sorted({nodes[c] for c in entry.areas})),
            wards=tuple(sorted(set(wards))),
            source=entry.source,
        )
    return list(resolved.values())


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


@dataclass(frozen=True, slots=True)
class Subscribed:
    """What a subscription or an import did."""

    added: int
    updated: int


def subscribe(uow: UnitOfWork, actor: Actor, entries: Sequence[SubscriberIn]) -> Subscribed:
    """Record subscribers (one, or a whole opt-in list): a number not yet known is added; a
    known number's categories and areas are replaced by these (the citizen's latest word), so
    running the same list again changes nothing. All or nothing."""
    require(actor, AlertsPermission.CONSENT_MANAGE)
    resolved = _resolve(uow, entries)
    known = _known(uow.session, [e.key for e in resolved])
    fresh = [e for e in resolved if e.key not in known]
    again = [e for e in resolved if e.key in known]
    _insert_subscribers(uow, fresh)
    _update_subscribers(uow.session, again, known)
    uow.audit(
        actor_event(
            actor,
            "alert_subscribers.recorded",
            Outcome.SUCCESS,
            resource_type="alert_subscriber",
            detail={"added": len(fresh), "updated": len(again)},
        )
    )
    return Subscribed(added=len(fresh), updated=len(again))


def _known(session: Session, keys: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(keys, CHUNK):
        rows = session.execute(
            select(AlertSubscriber.number_key, AlertSubscriber.id).where(
                AlertSubscriber.number_key.in_(chunk)
            )
        )
        found.update({key: row_id for key, row_id in rows})
    return found


def _insert_subscribers(uow: UnitOfWork, entries: Sequence[_Entry]) -> None:
    """Insert through Core, each number sealed under a data key of its own (the format the
    flush hook writes), so that an import of a million numbers makes no ORM object per row."""
    keyring = uow.runtime.keyring
    version = active_kek_version(uow.session, keyring)
    now = utcnow()
    table = _SUBSCRIBERS.name
    for chunk in _chunks(entries, CHUNK):
        rows, keys, areas = [], [], []
        for entry in chunk:
            row_id, key = new_id(), (new_id(), _dek())
            keys.append(_data_key_row(keyring, version, table, row_id, key, now))
            rows.append(
                {
                    "id": row_id,
                    "number": seal_with(key, table, "number", row_id, entry.digits),
                    "number_key": entry.key,
                    "categories": entry.mask,
                    "source": entry.source,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            areas.extend(_area_rows(row_id, entry))
        uow.session.execute(insert(cast(Table, DataKey.__table__)), keys)
        uow.session.execute(insert(_SUBSCRIBERS), rows)
        if areas:
            uow.session.execute(insert(_SUBSCRIPTIONS), areas)


def _dek() -> bytes:
    return secrets.token_bytes(DEK_BYTES)


def _data_key_row(
    keyring: KeyRing, version: int, table: str, row_id: str, key: tuple[str, bytes], now: datetime
) -> dict[str, Any]:
    return {
        "id": key[0],
        "table_name": table,
        "row_id": row_id,
        "kek_version": version,
        "created_at": now,
        "wrapped": wrap_key(keyring, version, table, row_id, key[1]),
    }


def _area_rows(subscriber_id: str, entry: _Entry) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"subscriber_id": subscriber_id, "jurisdiction_id": node, "ward_code": None}
        for node in entry.nodes
    ]
    rows += [
        {"subscriber_id": subscriber_id, "jurisdiction_id": None, "ward_code": ward}
        for ward in entry.wards
    ]
    return rows


def _update_subscribers(session: Session, entries: Sequence[_Entry], known: dict[str, str]) -> None:
    now = utcnow()
    for entry in entries:
        row_id = known[entry.key]
        session.execute(
            update(AlertSubscriber)
            .where(AlertSubscriber.id == row_id)
            .values(categories=entry.mask, source=entry.source, updated_at=now)
        )
        session.execute(delete(AlertSubscription).where(AlertSubscription.subscriber_id == row_id))
        rows = _area_rows(row_id, entry)
        if rows:
            session.execute(insert(_SUBSCRIPTIONS), rows)


def unsubscribe(uow: UnitOfWork, actor: Actor, number: str) -> bool:
    """Forget a subscriber: their areas, their row and its data key go, and their messages not
    yet sent are withdrawn (``failed``, ``unsubscribed``); sent ones keep no trace of the
    number. Returns whether the number was subscribed."""
    require(actor, AlertsPermission.CONSENT_MANAGE)
    digits = _mobile(number, "the number")
    row_id = uow.session.execute(
        select(AlertSubscriber.id).where(
            AlertSubscriber.number_key == number_key(uow.runtime.keyring, digits)
        )
    ).scalar_one_or_none()
    if row_id is None:
        return False
    forget(uow.session, row_id)
    uow.audit(
        actor_event(
            actor,
            "alert_subscriber.removed",
            Outcome.SUCCESS,
            resource_type="alert_subscriber",
            resource_id=row_id,
        )
    )
    return True


def forget(session: Session, subscriber_id: str) -> None:
    """Delete one subscriber and everything that pointed to them."""
    pending = (QUEUED, "submitting")
    session.execute(
        update(AlertOutboxMessage)
        .where(
            AlertOutboxMessage.subscriber_id == subscriber_id,
            AlertOutboxMessage.status.in_(pending),
        )
        .values(status="failed", last_error="unsubscribed", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(AlertOutboxMessage)
        .where(AlertOutboxMessage.subscriber_id == subscriber_id)
        .values(subscriber_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(AlertSubscription).where(AlertSubscription.subscriber_id == subscriber_id)
    )
    session.execute(delete(AlertSubscriber).where(AlertSubscriber.id == subscriber_id))
    shred(session, _SUBSCRIBERS.name, subscriber_id)


def subscriber_count(uow: UnitOfWork) -> int:
    """How many numbers are subscribed."""
    return int(uow.session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one())


# --- fan-out -------------------------------------------------------------------------------


def expand_alert(uow: UnitOfWork, alert_id: str) -> int:
    """Queue the alert's message to every subscriber it reaches, once each, and mark its
    area messages expanded; returns how many were queued (0 if another worker has it)."""
    areas = list(
        uow.session.execute(
            select(AlertOutboxMessage)
            .where(
                AlertOutboxMessage.alert_id == alert_id,
                AlertOutboxMessage.kind == AREA,
                AlertOutboxMessage.status == QUEUED,
            )
            .order_by(AlertOutboxMessage.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not areas:
        return 0
    alert = uow.session.get(PublicAlert, alert_id)
    template = uow.session.get(AlertTemplate, areas[0].template_id)
    if alert is None or template is None:
        raise NotFound("no such alert")
    queued = _fan_out(uow, alert, template, areas)
    uow.session.execute(
        update(AlertOutboxMessage)
        .where(AlertOutboxMessage.id.in_([a.id for a in areas]))
        .values(status=EXPANDED)
        .execution_options(synchronize_session=False)
    )
    uow.audit(
        AuditEvent(
            action="public_alert.expanded",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:alerts-worker",
            resource_type="public_alert",
            resource_id=alert_id,
            detail={"recipients": queued},
        )
    )
    return queued


def _fan_out(
    uow: UnitOfWork, alert: PublicAlert, template: AlertTemplate, areas: list[AlertOutboxMessage]
) -> int:
    content = publication.content_of(uow, alert.id)
    category = CapCategory(content.category) if content else DEFAULT_CATEGORY
    wards = [w.code for w in (cap.find_ward(n) for n in (content.wards if content else ())) if w]
    who = [
        AlertSubscriber.id.in_(_reached(uow.session, [a.area_id for a in areas], wards)),
        AlertSubscriber.categories.op("&")(CATEGORY_BITS[category]) != 0,
    ]
    if needs_consent(template):
        who.append(
            exists().where(
                AlertConsent.template_id == template.id,
                AlertConsent.number_key == AlertSubscriber.number_key,
                AlertConsent.revoked_at.is_(None),
            )
        )
    parent, now = areas[0], utcnow()
    values = {
        "id": _new_ids(uow.session),
        "kind": literal(ALERT),
        "alert_id": literal(alert.id),
        "subscriber_id": AlertSubscriber.id,
        "parent_id": literal(parent.id),
        "pe_id": literal(parent.pe_id),
        "header": literal(parent.header),
        "dlt_template_id": literal(parent.dlt_template_id),
        "encoding": literal(parent.encoding),
        "parts": literal(parent.parts, Integer),
        "status": literal(QUEUED),
        "queued_at": literal(now, DateTime(timezone=True)),
        "due_at": literal(now, DateTime(timezone=True)),
        "attempts": literal(0, Integer),
    }
    # In subscriber order, as the ids count them, so every index of the outbox is appended to.
    source = (
        select(*(value.label(name) for name, value in values.items()))
        .where(*who)
        .order_by(AlertSubscriber.id)
    )
    uow.session.execute(insert(_OUTBOX).from_select(list(values), source))
    # Counted, not taken from rowcount: psycopg reports -1 for an INSERT ... SELECT here.
    return int(
        uow.session.execute(
            select(func.count()).where(
                AlertOutboxMessage.alert_id == alert.id, AlertOutboxMessage.kind == ALERT
            )
        ).scalar_one()
    )


def _reached(session: Session, area_ids: list[str | None], wards: list[str]) -> Any:
    """Subscribers with an area that holds, or lies inside, one of the alert's areas, or with
    one of its wards."""
    paths = list(
        session.execute(
            select(Jurisdiction.path).where(Jurisdiction.id.in_([a for a in area_ids if a]))
        ).scalars()
    )
    # A path is "/root/.../own/": its ids are the node and every node above it.
    above = sorted({node for path in paths for node in path.strip("/").split("/")})
    inside = or_(*(Jurisdiction.path.like(path + "%") for path in paths)) if paths else None
    matches = [AlertSubscription.jurisdiction_id.in_(above)]
    if inside is not None:
        matches.append(AlertSubscription.jurisdiction_id.in_(select(Jurisdiction.id).where(inside)))
    if wards:
        matches.append(AlertSubscription.ward_code.in_(wards))
    return select(AlertSubscription.subscriber_id).where(or_(*matches)).scalar_subquery()


def _new_ids(session: Session) -> Any:
    """An id per inserted row, made by the database: a random prefix for this fan-out and the
    row's place in it ("3f9c0a7e21b4d605-0000000001"). Ordered within a fan-out, so a million
    rows append to the primary key's index instead of splitting pages all over it (random
    UUIDs made the fan-out about twice as slow); these ids never appear in a URL."""
    prefix = secrets.token_hex(8) + "-"
    place = func.row_number().over(order_by=AlertSubscriber.id)
    if session.get_bind().dialect.name == "postgresql":
        return literal(prefix) + func.lpad(sql_cast(place, String), 10, "0")
    return func.printf("%s%010d", literal(prefix), place)


def alerts_to_expand(uow: UnitOfWork, limit: int = 10) -> list[str]:
    """Approved alerts whose areas are not fanned out yet, oldest first."""
    rows = uow.session.execute(
        select(AlertOutboxMessage.alert_id, func.min(AlertOutboxMessage.queued_at))
        .where(AlertOutboxMessage.kind == AREA, AlertOutboxMessage.status == QUEUED)
        .group_by(AlertOutboxMessage.alert_id)
        .order_by(func.min(AlertOutboxMessage.queued_at))
        .limit(limit)
    )
    return [str(alert_id) for alert_id, _ in rows]


def expand_due(runtime: Runtime) -> int:
    """Fan out every approved alert waiting for it, each in a transaction of its own; returns
    how many messages were queued."""
    with UnitOfWork(runtime, write=False) as uow:
        waiting = alerts_to_expand(uow)
    queued = 0
    for alert_id in waiting:
        with UnitOfWork(runtime, write=True) as uow:
            queued += expand_alert(uow, alert_id)
    return queued


#: How often the fan-out looks for approved alerts.
EXPAND_POLL_SECONDS = 1.0

"""SOS: one tap in the citizen's app becomes an incident in the control room's queue.

In 2024 Hawk Eye leaked 1.3 lakh SOS records with the citizens' names and places. Here:

- **Raising.** :func:`raise_sos` files an incident in patrol's queue (source ``sos``, priority
  1, the place and time) at the station whose area holds the place
  (:func:`kotwal.patrol.service.file_incident`), proposes the nearest available units of the
  station's parent jurisdiction (:func:`kotwal.patrol.service.nearest_available`: a unit of the
  next station may be the nearest), and tells the citizen's emergency contacts by SMS on the
  locked SOS template (who, the station's area, the time; no place finer than that, no link).
  A second tap while one is open adds a position to it; it files no second incident.
- **Positions.** Until the SOS is closed, the app sends where the citizen is every 5-10 s
  (:func:`record_fixes`), sealed under the SOS's own data key as a trip's are, carrying only
  the pseudonym. The control room sees them through the gate only while the SOS is open;
  ``KOTWAL_CITIZEN_SOS_KEEP_HOURS`` after it is closed the key is destroyed.
- **Acknowledgement and escalation.** The control room acknowledges (:func:`acknowledge`), or
  sends a unit to the incident; the citizen's app shows either. An SOS not answered within
  ``KOTWAL_CITIZEN_SOS_ACK_SECONDS`` is passed up to the district's (commissionerate's)
  control room, flagged at the top of its queue, with the nearest units of the whole district
  proposed; again after as long to the zone's, then the state's. The check runs at each
  position the app sends (every few seconds while it is open) and in ``kotwal citizen
  sos-sweep``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from kotwal.alerts.service import send_sos_notice
from kotwal.citizen.config import citizen_settings
from kotwal.citizen.models import (
    SOS_CLOSED,
    SOS_OPEN,
    CitizenEmergencyContact,
    CitizenIdentity,
    CitizenSos,
    CitizenSosPosition,
)
from kotwal.citizen.permissions import CitizenPermission
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import FixIn
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import as_utc, station_zone, utcnow
from kotwal.core.crypto import CryptoProblem, data_key, open_fields, open_with, seal_with, shred
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from kotwal.core.gate import ceiling, disclose
from kotwal.core.policy import Actor, DataClass, Jurisdiction, JurisdictionKind
from kotwal.core.scope import in_jurisdiction, refuse_outside, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service as patrol
from kotwal.patrol.models import PatrolIncident
from kotwal.patrol.permissions import PatrolPermission
from kotwal.patrol.schemas import IncidentCategory, IncidentSource, IncidentStatus

TABLE = "citizen_sos"
POSITIONS = "citizen_sos_positions"
FIX = "fix"
#: How the incident's course and the audit log name what filed it.
FILED_BY = "system:citizen-sos"
#: Units proposed when raised and at each escalation.
PROPOSE = 5
QUEUE_MAX = 200
TRACK_MAX = 2_000
#: What the contact is told when the citizen gave no name (or one the template refuses).
NO_NAME = "Your contact"
#: The incident's status once the control room has acted on it (a unit sent, or done).
_ACTED = {
    IncidentStatus.ASSIGNED.value,
    IncidentStatus.ON_SCENE.value,
    IncidentStatus.CLOSED.value,
}
_ENDED = {IncidentStatus.CLOSED.value, IncidentStatus.CANCELLED.value}


def _system(path: str) -> Actor:
    """The SOS intake as the audit log names it, seeing units inside ``path`` only."""
    return Actor(account_id=None, username=FILED_BY, jurisdiction_paths=(path,))


def _ancestors(path: str) -> list[str]:
    """Jurisdiction ids of a materialised path, the top first."""
    return [part for part in path.strip("/").split("/") if part]


def _path_of(uow: UnitOfWork, jurisdiction_id: str) -> str:
    node = uow.session.get(Jurisdiction, jurisdiction_id)
    return node.path if node is not None else ""


#: The levels of the tree that keep a control room, and so are escalated to, nearest first:
#: the district's (or commissionerate's), then the zone's, then the state's.
ESCALATE_TO = (JurisdictionKind.DISTRICT, JurisdictionKind.ZONE, JurisdictionKind.STATE)


def _targets(uow: UnitOfWork, sos: CitizenSos) -> list[str]:
    """The control rooms an SOS is escalated to, in order: the station's district, zone and
    state (circles and divisions keep no control room)."""
    ids = _ancestors(sos.jurisdiction_path)[:-1]
    kinds = dict(
        uow.session.execute(
            select(Jurisdiction.id, Jurisdiction.kind).where(Jurisdiction.id.in_(ids))
        ).all()
    )
    return [i for i in reversed(ids) if kinds.get(i) in set(ESCALATE_TO)]


def _propose(uow: UnitOfWork, sos: CitizenSos, lat: float, lon: float, level: int) -> None:
    """The nearest available units of the station's parent jurisdiction when raised (a unit of
    the next station may be nearest), of the control room's whole area once escalated."""
    if level == 0:
        ids = _ancestors(sos.jurisdiction_path)
        scope = ids[-2] if len(ids) > 1 else ids[-1]
    else:
        scope = _targets(uow, sos)[level - 1]
    near = patrol.nearest_available(uow, _system(_path_of(uow, scope)), lat, lon, PROPOSE)
    sos.proposed_units = ",".join(n.unit_id for n in near) or None


def _own(uow: UnitOfWork, citizen: Citizen, sos_id: str) -> CitizenSos:
    sos = uow.session.get(CitizenSos, sos_id)
    if sos is None or sos.citizen_id != citizen.citizen_id:
        raise NotFound("no such SOS")
    return sos


def _incident(uow: UnitOfWork, sos: CitizenSos) -> PatrolIncident:
    incident = uow.session.get(PatrolIncident, sos.incident_id)
    assert incident is not None  # a foreign key
    return incident


def _answered(sos: CitizenSos, incident: PatrolIncident) -> datetime | None:
    """When the control room answered: acknowledged, or a unit sent to the incident."""
    moments = [m for m in (sos.acknowledged_at, incident.assigned_at) if m is not None]
    if not moments and incident.status in _ACTED:
        moments = [incident.closed_at or incident.created_at]
    return min((as_utc(m) for m in moments), default=None)


def _seal(uow: UnitOfWork, sos: CitizenSos, fixes: list[FixIn]) -> int:
    key = data_key(uow.session, TABLE, sos.id, create=True)
    rows = []
    for fix in fixes:
        row_id = new_id()
        at = as_utc(fix.at) if fix.at.tzinfo else fix.at.replace(tzinfo=None)
        accuracy = "" if fix.accuracy is None else f"{fix.accuracy:.1f}"
        plain = f"{at.isoformat()},{fix.lat:.6f},{fix.lon:.6f},{accuracy}"
        rows.append(
            CitizenSosPosition(
                id=row_id, sos_id=sos.id, fix=seal_with(key, POSITIONS, FIX, row_id, plain)
            )
        )
    uow.session.add_all(rows)
    sos.positions += len(rows)
    return len(rows)


def _open_sos(uow: UnitOfWork, citizen: Citizen) -> CitizenSos | None:
    return uow.session.execute(
        select(CitizenSos)
        .where(CitizenSos.citizen_id == citizen.citizen_id, CitizenSos.status == SOS_OPEN)
        .order_by(CitizenSos.raised_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def raise_sos(
    uow: UnitOfWork, citizen: Citizen, fix: FixIn, raised_by: str = "citizen"
) -> tuple[dict[str, Any], bool]:
    """Raise an SOS at the citizen's place and time (or, one being open already, add the place
    to it); the citizen's view of it, and whether it is new. ``raised_by`` says who pressed
    it: the citizen, or a trip's check (``trip-check:<deviation>``) that went unanswered."""
    now = utcnow()
    already = _open_sos(uow, citizen)
    if already is not None and not _sync_ended(uow, already, now):
        _seal(uow, already, [fix])
        uow.session.flush()
        return citizen_view(uow, already), False
    try:
        incident = patrol.file_incident(
            uow,
            FILED_BY,
            source=IncidentSource.SOS,
            category=IncidentCategory.OTHER,
            priority=1,
            lat=fix.lat,
            lon=fix.lon,
            description=(
                "SOS from the citizens' app"
                if raised_by == "citizen"
                else f"SOS raised by a Travel Made Safe trip ({raised_by})"
            ),
        )
    except InvalidInput as exc:
        raise InvalidInput(
            "no police station's area on the map is near this place: dial 112"
        ) from exc
    sos = CitizenSos(
        id=new_id(),
        citizen_id=citizen.citizen_id,
        incident_id=incident.id,
        station_id=incident.station_id,
        jurisdiction_path=incident.jurisdiction_path,
        status=SOS_OPEN,
        raised_at=now,
        escalation_level=0,
        contacts_told=0,
        positions=0,
    )
    uow.session.add(sos)
    uow.session.flush()
    _seal(uow, sos, [fix])
    _propose(uow, sos, incident.lat, incident.lon, 0)
    station = uow.session.get(Jurisdiction, incident.station_id)
    told, skipped = _tell_contacts(uow, citizen, station.name if station else "", now)
    sos.contacts_told = told
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_sos.raised",
            resource_type="citizen_sos",
            resource_id=sos.id,
            detail={
                "incident": incident.id,
                "station": incident.station_id,
                "proposed": len((sos.proposed_units or "").split(",")) if sos.proposed_units else 0,
                "contacts_told": told,
                "contacts_skipped": skipped,
                "raised_by": raised_by,
            },
        )
    )
    return citizen_view(uow, sos), True


def _tell_contacts(
    uow: UnitOfWork, citizen: Citizen, station_name: str, now: datetime
) -> tuple[int, int]:
    """An SMS to each emergency contact on the locked SOS template: the citizen's name (as
    they gave it), the station's area, the time. A contact past the notices' limit, or no
    template registered, is skipped: the SOS itself never fails for it."""
    contacts = list(
        uow.session.execute(
            select(CitizenEmergencyContact).where(
                CitizenEmergencyContact.citizen_id == citizen.citizen_id
            )
        ).scalars()
    )
    if not contacts:
        return 0, 0
    identity = uow.session.execute(
        select(CitizenIdentity).where(CitizenIdentity.citizen_id == citizen.citizen_id)
    ).scalar_one_or_none()
    name = None
    if identity is not None:
        [opened] = open_fields(uow.session, [identity], ("name",), unreadable=None)
        name = opened["name"]
    zone = station_zone(uow.runtime.settings)
    when = now.astimezone(zone).strftime("%H:%M %Z").strip() or now.strftime("%H:%M UTC")
    where = station_name or "the nearest"
    told = skipped = 0
    for opened in open_fields(uow.session, contacts, ("mobile",), unreadable=None):
        sent = False
        for who in dict.fromkeys([name or NO_NAME, NO_NAME]) if opened["mobile"] else ():
            try:
                send_sos_notice(uow, opened["mobile"], who, where, when)
            except InvalidInput:
                continue  # a name the template's scrub refuses: try without it
            except (TooManyAttempts, Conflict):
                break  # past the number's limit, or no template: the SOS goes on
            sent = True
            break
        told, skipped = told + sent, skipped + (not sent)
    return told, skipped


def record_fixes(
    uow: UnitOfWork, citizen: Citizen, sos_id: str, fixes: list[FixIn]
) -> dict[str, Any]:
    """Where the citizen is now, while their SOS is open (409 once it is closed: the app stops
    sending). An SOS not answered in time is escalated here, at the pace the app sends."""
    sos = _own(uow, citizen, sos_id)
    now = utcnow()
    if sos.status != SOS_OPEN or _sync_ended(uow, sos, now):
        raise Conflict("the SOS is closed")
    recorded = _seal(uow, sos, fixes)
    _escalate_if_due(uow, sos, now)
    uow.session.flush()
    return {"recorded": recorded, **citizen_view(uow, sos)}


def close_by_citizen(uow: UnitOfWork, citizen: Citizen, sos_id: str) -> dict[str, Any]:
    """The citizen is safe: the SOS is closed (its incident stays with the control room)."""
    sos = _own(uow, citizen, sos_id)
    if sos.status != SOS_OPEN:
        raise Conflict("the SOS is closed already")
    _close(uow, sos, "citizen", utcnow())
    uow.audit(
        actor_event(
            citizen.actor, "citizen_sos.closed", resource_type="citizen_sos", resource_id=sos.id
        )
    )
    return citizen_view(uow, sos)


def own_sos(uow: UnitOfWork, citizen: Citizen, sos_id: str) -> dict[str, Any]:
    return citizen_view(uow, _own(uow, citizen, sos_id))


def citizen_view(uow: UnitOfWork, sos: CitizenSos) -> dict[str, Any]:
    """The SOS as its citizen sees it: whether the control room has answered, whether a unit
    is on its way, the station it went to."""
    incident = _incident(uow, sos)
    station = uow.session.get(Jurisdiction, sos.station_id)
    answered = _answered(sos, incident)
    ended = sos.status == SOS_OPEN and incident.status in _ENDED  # closed at the next sweep
    return {
        "id": sos.id,
        "status": SOS_CLOSED if ended else sos.status,
        "raised_at": sos.raised_at,
        "acknowledged": answered is not None,
        "acknowledged_at": answered,
        "unit_sent": incident.status
        in (IncidentStatus.ASSIGNED.value, IncidentStatus.ON_SCENE.value),
        "station": station.name if station else None,
        "contacts_told": sos.contacts_told,
        "positions": sos.positions,
        "closed_at": sos.closed_at,
    }


def _close(uow: UnitOfWork, sos: CitizenSos, by: str, now: datetime) -> None:
    sos.status = SOS_CLOSED
    sos.closed_at = now
    sos.closed_by = by[:64]
    sos.shred_after = now + timedelta(hours=citizen_settings().sos_keep_hours)
    uow.session.flush()


def _sync_ended(uow: UnitOfWork, sos: CitizenSos, now: datetime) -> bool:
    """Close an open SOS whose incident the control room has closed or cancelled."""
    if sos.status == SOS_OPEN and _incident(uow, sos).status in _ENDED:
        _close(uow, sos, "incident-closed", now)
        return True
    return sos.status != SOS_OPEN


# --- escalation ----------------------------------------------------------------------------------


def _escalate_if_due(uow: UnitOfWork, sos: CitizenSos, now: datetime) -> bool:
    """Pass an unanswered SOS up one level of the tree once its time is up; whether it was."""
    incident = _incident(uow, sos)
    if sos.status != SOS_OPEN or _answered(sos, incident) is not None:
        return False
    targets = _targets(uow, sos)
    level = sos.escalation_level
    if level >= len(targets):
        return False  # at the top already
    since = as_utc(sos.escalated_at or sos.raised_at)
    if now < since + timedelta(seconds=citizen_settings().sos_ack_seconds):
        return False
    # Conditional: two requests at once escalate it once.
    moved = uow.session.execute(
        update(CitizenSos)
        .where(
            CitizenSos.id == sos.id,
            CitizenSos.escalation_level == level,
            CitizenSos.acknowledged_at.is_(None),
            CitizenSos.status == SOS_OPEN,
        )
        .values(escalation_level=level + 1, escalated_at=now, escalated_to=targets[level])
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    uow.session.refresh(sos)
    _propose(uow, sos, incident.lat, incident.lon, sos.escalation_level)
    uow.audit(
        AuditEvent(
            action="citizen_sos.escalated",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name=FILED_BY,
            resource_type="citizen_sos",
            resource_id=sos.id,
            detail={
                "level": sos.escalation_level,
                "to": sos.escalated_to,
                "unanswered_s": int((now - as_utc(sos.raised_at)).total_seconds()),
            },
        )
    )
    return True


def sweep(uow: UnitOfWork, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Escalate the open SOS whose time is up, close those whose incident has ended, and
    destroy the positions of those closed longer than ``KOTWAL_CITIZEN_SOS_KEEP_HOURS``."""
    now = now or utcnow()
    escalated = closed = 0
    open_ones = uow.session.execute(
        select(CitizenSos)
        .where(CitizenSos.status == SOS_OPEN)
        .order_by(CitizenSos.raised_at)
        .limit(limit)
    ).scalars()
    for sos in list(open_ones):
        if _sync_ended(uow, sos, now):
            closed += 1
        elif _escalate_if_due(uow, sos, now):
            escalated += 1
    due = list(
        uow.session.execute(
            select(CitizenSos)
            .where(
                CitizenSos.status == SOS_CLOSED,
                CitizenSos.shredded_at.is_(None),
                CitizenSos.shred_after <= now,
            )
            .limit(limit)
        ).scalars()
    )
    for sos in due:
        shred_positions(uow, sos, "kept-long-enough")
    return {"escalated": escalated, "closed": closed, "shredded": len(due)}


def shred_positions(uow: UnitOfWork, sos: CitizenSos, reason: str) -> None:
    """Delete an SOS's positions and destroy its key (on SQLite with ``secure_delete`` on)."""
    from kotwal.citizen.trips import _secure_delete

    with _secure_delete(uow):
        removed = uow.session.execute(
            delete(CitizenSosPosition).where(CitizenSosPosition.sos_id == sos.id)
        )
        shred(uow.session, TABLE, sos.id)
        sos.shredded_at = utcnow()
        uow.session.flush()
    uow.audit(
        AuditEvent(
            action="citizen_sos.shredded",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="system:citizen",
            resource_type="citizen_sos",
            resource_id=sos.id,
            detail={"positions": getattr(removed, "rowcount", 0), "reason": reason},
        )
    )


def forget_citizen(uow: UnitOfWork, citizen_id: str) -> int:
    """A deleted account's SOS: closed, positions destroyed, the pseudonym cut (the incidents
    stay in patrol's queue, which never held who raised them)."""
    rows = list(
        uow.session.execute(select(CitizenSos).where(CitizenSos.citizen_id == citizen_id)).scalars()
    )
    now = utcnow()
    for sos in rows:
        if sos.status == SOS_OPEN:
            _close(uow, sos, "account-deleted", now)
        if sos.shredded_at is None:
            shred_positions(uow, sos, "account-deleted")
        sos.citizen_id = None
    uow.session.flush()
    return len(rows)


# --- the control room ----------------------------------------------------------------------------


def queue(uow: UnitOfWork, actor: Actor, *, open_only: bool = True) -> list[dict[str, Any]]:
    """The SOS raised in the actor's jurisdiction: escalated ones first (highest level), then
    the oldest; each as the gate releases it, with whether it has been answered."""
    require(actor, CitizenPermission.SOS_READ)
    stmt = select(CitizenSos).where(in_jurisdiction(CitizenSos.jurisdiction_path, actor))
    if open_only:
        stmt = stmt.where(CitizenSos.status == SOS_OPEN)
    stmt = stmt.order_by(CitizenSos.escalation_level.desc(), CitizenSos.raised_at)
    rows = list(uow.session.execute(stmt.limit(QUEUE_MAX)).scalars())
    shown = disclose(uow, actor, None, rows, kind="list")
    for sos, view in zip(rows, shown, strict=True):
        view["answered"] = _answered(sos, _incident(uow, sos)) is not None
    return shown


def read(uow: UnitOfWork, actor: Actor, sos_id: str) -> dict[str, Any]:
    """One SOS for the control room, through the gate: while it is open, the citizen's
    positions (newest last) and the nearest available units now; once closed, neither."""
    require(actor, CitizenPermission.SOS_READ)
    sos = uow.session.get(CitizenSos, sos_id)
    if sos is None or not actor.covers(sos.jurisdiction_path):
        raise NotFound("no such SOS in your jurisdiction")
    [shown] = disclose(uow, actor, None, [sos], kind="record")
    incident = _incident(uow, sos)
    shown["answered"] = _answered(sos, incident) is not None
    shown["incident_status"] = incident.status
    shown["proposed_units"] = (sos.proposed_units or "").split(",") if sos.proposed_units else []
    track: list[dict[str, Any]] | None = None
    if sos.status == SOS_OPEN and ceiling(actor, True, None) >= DataClass.CONFIDENTIAL:
        track = _track(uow, sos)
    shown["track"] = track
    shown["candidates"] = (
        patrol.candidates(uow, actor, sos.incident_id, PROPOSE)
        if sos.status == SOS_OPEN
        and actor.can(PatrolPermission.DISPATCH)
        and actor.can(PatrolPermission.POSITION_READ)
        else []
    )
    return shown


def _track(uow: UnitOfWork, sos: CitizenSos) -> list[dict[str, Any]]:
    try:
        key = data_key(uow.session, TABLE, sos.id, create=False)
    except CryptoProblem:
        return []
    rows = uow.session.execute(
        select(CitizenSosPosition)
        .where(CitizenSosPosition.sos_id == sos.id)
        .order_by(CitizenSosPosition.received_at, CitizenSosPosition.id)
        .limit(TRACK_MAX)
    ).scalars()
    out = []
    for row in rows:
        at, lat, lon, accuracy = str(open_with(key, POSITIONS, FIX, row.id, bytes(row.fix))).split(
            ","
        )
        out.append(
            {
                "at": datetime.fromisoformat(at),
                "lat": float(lat),
                "lon": float(lon),
                "accuracy": float(accuracy) if accuracy else None,
            }
        )
    return out


def _handled(uow: UnitOfWork, actor: Actor, sos_id: str, action: str) -> CitizenSos:
    require(actor, CitizenPermission.SOS_HANDLE)
    sos = uow.session.get(CitizenSos, sos_id)
    if sos is None:
        raise NotFound("no such SOS")
    if not actor.covers(sos.jurisdiction_path):
        raise refuse_outside(
            uow, actor, action, "citizen_sos", "you can act only on SOS in your jurisdiction"
        )
    return sos


def acknowledge(uow: UnitOfWork, actor: Actor, sos_id: str) -> dict[str, Any]:
    """The control room has seen the SOS and is acting: the citizen's app shows it, and it
    escalates no further. Acknowledging twice changes nothing."""
    sos = _handled(uow, actor, sos_id, "citizen_sos.acknowledge")
    if sos.status != SOS_OPEN:
        raise Conflict("the SOS is closed")
    if sos.acknowledged_at is None:
        sos.acknowledged_at = utcnow()
        sos.acknowledged_by = actor.username[:64]
        uow.session.flush()
        uow.audit(
            actor_event(
                actor,
                "citizen_sos.acknowledge",
                Outcome.SUCCESS,
                resource_type="citizen_sos",
                resource_id=sos.id,
                detail={"level": sos.escalation_level},
            )
        )
    return read(uow, actor, sos_id)


def close_by_officer(uow: UnitOfWork, actor: Actor, sos_id: str) -> dict[str, Any]:
    """The control room closes the SOS: the app stops sending, the positions stop being shown
    and are destroyed after the keeping period."""
    sos = _handled(uow, actor, sos_id, "citizen_sos.close")
    if sos.status != SOS_OPEN:
        raise Conflict("the SOS is closed already")
    _close(uow, sos, "control-room", utcnow())
    uow.audit(
        actor_event(
            actor,
            "citizen_sos.close",
            Outcome.SUCCESS,
            resource_type="citizen_sos",
            resource_id=sos.id,
        )
    )
    return read(uow, actor, sos_id)

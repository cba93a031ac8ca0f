"""What the control room's live map shows (issue 21 item 6), as the changes a stream of
server-sent events carries: station areas and beats, units and their status, where units are
(only for those allowed to see positions), and the open incidents.

Every view goes through the gate as the API's do: units, positions and incidents are released
by :func:`kotwal.core.gate.disclose` (one ``list`` disclosure per kind and tick that has
something new), so each position the map draws is an audited disclosure, and a constable's map
has units and incidents but no position at all. The first tick sends everything; later ticks
send what changed since: positions received, units whose status changed, the incident queue
when any incident in it changed, and (for those who read coverage) the beats left uncovered
when that list changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kotwal.core.clock import as_utc
from kotwal.core.gate import MASKED, disclose
from kotwal.core.policy import Actor
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service
from kotwal.patrol.models import (
    PatrolArea,
    PatrolBeatAlert,
    PatrolIncident,
    PatrolLatestPosition,
    PatrolUnit,
)
from kotwal.patrol.permissions import PatrolPermission as P
from kotwal.patrol.schemas import IncidentStatus

#: Units (and positions) the map carries at most: a commissionerate's fleet.
MAP_UNITS_MAX = 5000
MAP_AREAS_MAX = 2000
MAP_INCIDENTS_MAX = 200
#: Rows committed this long before the newest one seen are read again (a ping batch received
#: earlier may commit later); what was sent already is not sent twice.
OVERLAP = timedelta(seconds=3)
OPEN = (IncidentStatus.OPEN.value, IncidentStatus.ASSIGNED.value, IncidentStatus.ON_SCENE.value)


@dataclass
class Cursor:
    """Where one stream stands: the newest position and status change it has sent, what it
    sent for each unit, and the incident queue it last sent."""

    started: bool = False
    positions_at: datetime | None = None
    units_at: datetime | None = None
    sent_positions: dict[str, datetime] = field(default_factory=dict)
    sent_units: dict[str, int] = field(default_factory=dict)
    incidents_key: str | None = None
    alerts_key: str | None = None


def _released(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows the gate released whole (a masked one is left off the map)."""
    return [r for r in rows if not any(v is MASKED for v in r.values())]


def _areas(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    if not actor.can(P.AREA_READ):
        return []
    stmt = (
        select(PatrolArea)
        .where(in_jurisdiction(PatrolArea.jurisdiction_path, actor))
        .order_by(PatrolArea.kind.desc(), PatrolArea.code)
        .limit(MAP_AREAS_MAX)
    )
    return [
        {"id": a.id, "kind": a.kind, "code": a.code, "name": a.name, "geometry": a.geometry}
        for a in uow.session.execute(stmt).scalars()
    ]


def _unit_out(u: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": u["id"],
        "call_sign": u["call_sign"],
        "kind": u["kind"],
        "status": u["status"],
        "status_at": u["status_at"],
    }


def _position_out(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "unit_id": p["id"],
        "lat": p["lat"],
        "lon": p["lon"],
        "fixed_at": p["fixed_at"],
        "speed": p["speed"],
        "bearing": p["bearing"],
    }


def _incident_out(i: dict[str, Any]) -> dict[str, Any]:
    return {
        k: i[k]
        for k in ("id", "category", "priority", "status", "lat", "lon", "unit_id", "created_at")
    }


def changes(uow: UnitOfWork, actor: Actor, cursor: Cursor) -> dict[str, Any]:
    """What the map must draw since ``cursor`` (moved forward): ``areas`` (first tick only),
    ``units``, ``positions`` (with the permission) and ``incidents`` (the whole open queue,
    when it changed); keys with nothing new are left out."""
    require(actor, P.UNIT_READ)
    first = not cursor.started
    cursor.started = True
    out: dict[str, Any] = {}
    if first:
        out["areas"] = _areas(uow, actor)
        out["can_see_positions"] = actor.can(P.POSITION_READ)

    stmt = select(PatrolUnit).where(in_jurisdiction(PatrolUnit.jurisdiction_path, actor))
    if cursor.units_at is not None:
        stmt = stmt.where(PatrolUnit.status_at >= cursor.units_at - OVERLAP)
    units = [
        u
        for u in uow.session.execute(
            stmt.order_by(PatrolUnit.call_sign).limit(MAP_UNITS_MAX)
        ).scalars()
        if cursor.sent_units.get(u.id) != u.version
    ]
    if units or first:
        shown = _released(disclose(uow, actor, None, units, kind="list")) if units else []
        out["units"] = [_unit_out(u) for u in shown]
        for u in units:
            cursor.sent_units[u.id] = u.version
            at = as_utc(u.status_at)
            cursor.units_at = at if cursor.units_at is None else max(cursor.units_at, at)

    if actor.can(P.POSITION_READ):
        stmt_p = select(PatrolLatestPosition).where(
            in_jurisdiction(PatrolLatestPosition.jurisdiction_path, actor)
        )
        if cursor.positions_at is not None:
            stmt_p = stmt_p.where(PatrolLatestPosition.received_at >= cursor.positions_at - OVERLAP)
        moved = [
            p
            for p in uow.session.execute(stmt_p.limit(MAP_UNITS_MAX)).scalars()
            if cursor.sent_positions.get(p.id) != as_utc(p.received_at)
        ]
        if moved:
            shown_p = _released(disclose(uow, actor, None, moved, kind="list"))
            out["positions"] = [_position_out(p) for p in shown_p]
            for p in moved:
                at = as_utc(p.received_at)
                cursor.sent_positions[p.id] = at
                cursor.positions_at = (
                    at if cursor.positions_at is None else max(cursor.positions_at, at)
                )

    if actor.can(P.INCIDENT_READ):
        queue = list(
            uow.session.execute(
                select(PatrolIncident)
                .where(
                    in_jurisdiction(PatrolIncident.jurisdiction_path, actor),
                    PatrolIncident.status.in_(OPEN),
                )
                .order_by(PatrolIncident.priority, PatrolIncident.created_at)
                .limit(MAP_INCIDENTS_MAX)
            ).scalars()
        )
        key = json.dumps([(i.id, i.version) for i in queue])
        if key != cursor.incidents_key:
            shown_i = _released(disclose(uow, actor, None, queue, kind="list")) if queue else []
            out["incidents"] = [_incident_out(i) for i in shown_i]
            cursor.incidents_key = key
    if actor.can(P.COVERAGE_READ):
        alerts = uow.session.execute(
            select(PatrolBeatAlert, PatrolArea.code, PatrolArea.name)
            .join(PatrolArea, PatrolArea.id == PatrolBeatAlert.beat_id)
            .where(
                in_jurisdiction(PatrolBeatAlert.jurisdiction_path, actor),
                PatrolBeatAlert.status == "open",
            )
            .order_by(PatrolBeatAlert.raised_at)
            .limit(MAP_AREAS_MAX)
        ).all()
        key = json.dumps([row[0].id for row in alerts])
        if key != cursor.alerts_key:
            out["beat_alerts"] = [
                {
                    "id": alert.id,
                    "beat_id": alert.beat_id,
                    "code": code,
                    "name": name,
                    "hours": alert.hours,
                    "last_covered_at": alert.last_covered_at,
                    "raised_at": alert.raised_at,
                }
                for alert, code, name in alerts
            ]
            cursor.alerts_key = key
    return out


def tile_url(uow: UnitOfWork) -> str:
    """The background tiles' URL template, or "" for none (``KOTWAL_PATROL_TILE_URL``)."""
    return service.settings_for(uow.runtime).tile_url

"""Response-time statistics of incidents (issue 21 item 5): per station and watch, the median
and 90th percentile of the time from the call to a unit on scene, and from the call to a unit
sent.

And the public figures (issue 21 item 7): per station over a period, counts, durations and
coverage shares only, for a force to publish.

Watches are the stations' duty shifts, reckoned in the deployment's time zone
(``KOTWAL_TIMEZONE``) from :data:`WATCH_STARTS` (06-14, 14-22, 22-06): an incident belongs to
the watch in which it was entered. Only counts and durations leave here, never a place, a
category or a unit: these are the aggregates a force may publish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import as_utc, station_zone
from kotwal.core.errors import InvalidInput
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import coverage
from kotwal.patrol.models import PatrolIncident, PatrolShift, PatrolUnit
from kotwal.patrol.permissions import PatrolPermission as P

#: Local hours at which the stations' watches begin, in order.
WATCH_STARTS = (6, 14, 22)
#: The longest period one request reckons over.
PERIOD_MAX = timedelta(days=92)


def watch_of(hour: int) -> str:
    """The watch ("06-14") that a local hour falls in."""
    starts = sorted(WATCH_STARTS)
    current = starts[-1]
    for start in starts:
        if hour >= start:
            current = start
    following = starts[(starts.index(current) + 1) % len(starts)]
    return f"{current:02d}-{following:02d}"


def watches() -> list[str]:
    """Every watch, in the order of the day."""
    return [watch_of(h) for h in sorted(WATCH_STARTS)]


@dataclass(frozen=True)
class ResponseTimes:
    """One station's figures for one watch over the period (seconds; None without data)."""

    station_id: str
    station_code: str
    station_name: str
    watch: str
    incidents: int
    reached: int
    response_median_s: float | None
    response_p90_s: float | None
    dispatch_median_s: float | None
    dispatch_p90_s: float | None


def _percentiles(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    median, p90 = np.percentile(np.array(values), [50, 90])
    return round(float(median), 1), round(float(p90), 1)


def response_times(
    uow: UnitOfWork, actor: Actor, since: datetime, until: datetime
) -> list[ResponseTimes]:
    """Response times of the incidents entered in a period (up to 92 days) at the stations of
    the actor's jurisdiction, per station and watch, by station code then watch. Cancelled
    incidents count among the incidents but have no response time."""
    require(actor, P.INCIDENT_READ)
    since, until = as_utc(since), as_utc(until)
    if not timedelta(0) < until - since <= PERIOD_MAX:
        raise InvalidInput("response times are reckoned over up to 92 days, since before until")
    zone = station_zone(uow.runtime.settings)
    rows = uow.session.execute(
        select(
            PatrolIncident.station_id,
            PatrolIncident.created_at,
            PatrolIncident.assigned_at,
            PatrolIncident.on_scene_at,
        ).where(
            in_jurisdiction(PatrolIncident.jurisdiction_path, actor),
            PatrolIncident.created_at >= since,
            PatrolIncident.created_at < until,
        )
    ).all()
    groups: dict[tuple[str, str], tuple[list[int], list[float], list[float]]] = {}
    for station_id, created, assigned, on_scene in rows:
        created = as_utc(created)
        key = (station_id, watch_of(created.astimezone(zone).hour))
        count, response, dispatch = groups.setdefault(key, ([0], [], []))
        count[0] += 1
        if on_scene is not None:
            response.append((as_utc(on_scene) - created).total_seconds())
        if assigned is not None:
            dispatch.append((as_utc(assigned) - created).total_seconds())
    stations = {
        s.id: s
        for s in uow.session.execute(
            select(Jurisdiction).where(Jurisdiction.id.in_({k[0] for k in groups}))
        ).scalars()
    }
    order = {w: i for i, w in enumerate(watches())}
    out = []
    for (station_id, watch), (count, response, dispatch) in groups.items():
        station = stations[station_id]
        response_median, response_p90 = _percentiles(response)
        dispatch_median, dispatch_p90 = _percentiles(dispatch)
        out.append(
            ResponseTimes(
                station_id,
                station.code,
                station.name,
                watch,
                count[0],
                len(response),
                response_median,
                response_p90,
                dispatch_median,
                dispatch_p90,
            )
        )
    out.sort(key=lambda r: (r.station_code, order.get(r.watch, 99)))
    return out


# --- public figures (issue 21 item 7) --------------------------------------------------------

#: The longest period one export of public figures covers (coverage reads every shift's track).
PUBLIC_PERIOD_MAX = timedelta(days=31)
#: Every field a public figure may carry: station names and codes (PUBLIC in the jurisdiction
#: tree), the period, counts, durations and shares. Nothing else is ever added to a row.
PUBLIC_FIELDS = (
    "station_code",
    "station_name",
    "since",
    "until",
    "incidents",
    "reached",
    "response_median_s",
    "response_p90_s",
    "shifts",
    "shifts_with_beat",
    "area_share_median",
    "points_share_median",
)


@dataclass(frozen=True)
class PublicFigures:
    """What a force may publish about a station's patrolling over a period: how fast units
    reached incidents and how well shifts covered their beats; no place, unit, officer,
    category or time of day (see :data:`PUBLIC_FIELDS`)."""

    station_code: str
    station_name: str
    since: str
    until: str
    incidents: int
    reached: int
    response_median_s: float | None
    response_p90_s: float | None
    shifts: int
    shifts_with_beat: int
    area_share_median: float | None
    points_share_median: float | None


def public_figures(
    uow: UnitOfWork, actor: Actor, since: datetime, until: datetime
) -> list[PublicFigures]:
    """Per station of the actor's jurisdiction, over a period of up to 31 days: incidents
    entered and reached, the median and 90th percentile from call to a unit on scene, shifts
    that started and the median shares of their beats' area passed through and points
    visited. Audited as an export."""
    require(actor, P.FIGURES_EXPORT)
    since, until = as_utc(since), as_utc(until)
    if not timedelta(0) < until - since <= PUBLIC_PERIOD_MAX:
        raise InvalidInput("public figures cover up to 31 days, since before until")
    incidents: dict[str, list[int]] = {}
    response: dict[str, list[float]] = {}
    for station_id, created, on_scene in uow.session.execute(
        select(
            PatrolIncident.station_id, PatrolIncident.created_at, PatrolIncident.on_scene_at
        ).where(
            in_jurisdiction(PatrolIncident.jurisdiction_path, actor),
            PatrolIncident.created_at >= since,
            PatrolIncident.created_at < until,
        )
    ):
        incidents.setdefault(station_id, [0])[0] += 1
        if on_scene is not None:
            seconds = (as_utc(on_scene) - as_utc(created)).total_seconds()
            response.setdefault(station_id, []).append(seconds)
    shifts = list(
        uow.session.execute(
            select(PatrolShift).where(
                in_jurisdiction(PatrolShift.jurisdiction_path, actor),
                PatrolShift.starts_at >= since,
                PatrolShift.starts_at < until,
            )
        ).scalars()
    )
    station_of_unit = dict(
        uow.session.execute(
            select(PatrolUnit.id, PatrolUnit.station_id).where(
                PatrolUnit.id.in_({s.unit_id for s in shifts})
            )
        ).all()
    )
    shift_count: dict[str, int] = {}
    areas: dict[str, list[float]] = {}
    points: dict[str, list[float]] = {}
    for found in coverage.coverage_of(uow, shifts):
        station_id = station_of_unit[found.unit_id]
        shift_count[station_id] = shift_count.get(station_id, 0) + 1
        if found.area_share is not None:
            areas.setdefault(station_id, []).append(found.area_share)
        if found.points_share is not None:
            points.setdefault(station_id, []).append(found.points_share)
    ids = set(incidents) | set(shift_count)
    stations = {
        s.id: s
        for s in uow.session.execute(select(Jurisdiction).where(Jurisdiction.id.in_(ids))).scalars()
    }

    def median(values: list[float] | None) -> float | None:
        return round(float(np.median(values)), 3) if values else None

    out = []
    for station_id in ids:
        median_s, p90_s = _percentiles(response.get(station_id, []))
        out.append(
            PublicFigures(
                stations[station_id].code,
                stations[station_id].name,
                since.isoformat(),
                until.isoformat(),
                incidents.get(station_id, [0])[0],
                len(response.get(station_id, [])),
                median_s,
                p90_s,
                shift_count.get(station_id, 0),
                len(areas.get(station_id, [])),
                median(areas.get(station_id)),
                median(points.get(station_id)),
            )
        )
    out.sort(key=lambda f: f.station_code)
    uow.audit(
        actor_event(
            actor,
            "patrol.figures.export",
            Outcome.SUCCESS,
            resource_type="patrol_figures",
            detail={"stations": len(out), "since": since.isoformat(), "until": until.isoformat()},
        )
    )
    return out

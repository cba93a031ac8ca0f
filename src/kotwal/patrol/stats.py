"""Response-time statistics of incidents (issue 21 item 5): per station and watch, the median
and 90th percentile of the time from the call to a unit on scene, and from the call to a unit
sent.

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

from kotwal.core.clock import as_utc, station_zone
from kotwal.core.errors import InvalidInput
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol.models import PatrolIncident
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

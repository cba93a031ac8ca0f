"""The station directory (issue 22 item 7): which police station's area holds a place, and the
stations nearby. Public information (a station's name and code are on its signboard); only
names, codes, the district and a distance are given, never the areas' boundaries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kotwal.core.policy import Jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service as patrol

#: How far around a place stations are looked for, and how many are listed.
NEAR_M = 10_000.0
NEAR_MAX = 5


def near(uow: UnitOfWork, lat: float, lon: float) -> list[dict[str, Any]]:
    """The station whose area holds the place first (``holds``), then the nearest others
    within 10 km, each with its district's name."""
    found = patrol.stations_near(uow, lat, lon, NEAR_M, NEAR_MAX)
    if not found:
        return []
    ids = [station_id for station_id, _ in found]
    stations = {
        j.id: j
        for j in uow.session.execute(select(Jurisdiction).where(Jurisdiction.id.in_(ids))).scalars()
    }
    parents = {
        j.id: j
        for j in uow.session.execute(
            select(Jurisdiction).where(
                Jurisdiction.id.in_({s.parent_id for s in stations.values() if s.parent_id})
            )
        ).scalars()
    }
    out = []
    for station_id, metres in found:
        station = stations.get(station_id)
        if station is None:
            continue
        parent = parents.get(station.parent_id or "")
        out.append(
            {
                "id": station.id,
                "code": station.code,
                "name": station.name,
                "within": parent.name if parent is not None else None,
                "distance_m": metres,
                "holds": metres == 0,
            }
        )
    return out

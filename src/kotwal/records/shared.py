"""What the records aggregates share: the station a write lands in (inside the writer's
jurisdiction, a refusal audited), whether a person exists, and station names for display.

History sheets and cases are both filed at a station: written only by officers whose
jurisdiction covers it, read through the gate, and changed only by appending (events for a
sheet's reviews and closure, rows for a person's part in a case)."""

from __future__ import annotations

from sqlalchemy import select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.errors import Forbidden, InvalidInput
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person


def station_names(uow: UnitOfWork, station_ids: set[str]) -> dict[str, str]:
    """Names of stations (public information) for showing where a record is filed."""
    if not station_ids:
        return {}
    rows = uow.session.execute(
        select(Jurisdiction.id, Jurisdiction.name).where(Jurisdiction.id.in_(station_ids))
    )
    return {i: n for i, n in rows}


def writable_station(
    uow: UnitOfWork, actor: Actor, station_id: str, action: str, resource_type: str
) -> Jurisdiction:
    """The station a write lands in, which must be inside the actor's jurisdiction; a refusal
    is audited whatever happens to the request."""
    station = uow.session.get(Jurisdiction, station_id)
    if station is None or station.kind != JurisdictionKind.STATION:
        raise InvalidInput("station_id does not name a police station")
    if not actor.covers(station.path):
        uow.record_now(
            [
                actor_event(
                    actor,
                    action,
                    Outcome.DENIED,
                    resource_type=resource_type,
                    detail={"reason": "outside-jurisdiction"},
                )
            ]
        )
        raise Forbidden("you can write records only in your own jurisdiction")
    return station


def person_exists(uow: UnitOfWork, person_id: str) -> bool:
    """Whether ``person_id`` names a person (a sheet or a case names only existing ones)."""
    return uow.session.get(Person, person_id) is not None

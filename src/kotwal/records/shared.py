"""What the records aggregates share: the station a write lands in (inside the writer's
jurisdiction, a refusal audited), whether a person exists, and station names for display.

History sheets and cases are both filed at a station: written only by officers whose
jurisdiction covers it, read through the gate, and changed only by appending (events for a
sheet's reviews and closure, rows for a person's part in a case)."""

from __future__ import annotations

from kotwal.core import scope
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person


def station_names(uow: UnitOfWork, station_ids: set[str]) -> dict[str, str]:
    """Names of stations (public information) for showing where a record is filed."""
    return jurisdiction_names(uow, station_ids)


def writable_station(
    uow: UnitOfWork, actor: Actor, station_id: str, action: str, resource_type: str
) -> Jurisdiction:
    """The station a sheet or case is written at, inside the actor's jurisdiction (a refusal
    audited whatever happens to the request)."""
    message = "you can write records only in your own jurisdiction"
    return scope.writable_station(uow, actor, station_id, action, resource_type, message)


def person_exists(uow: UnitOfWork, person_id: str) -> bool:
    """Whether ``person_id`` names a person (a sheet or a case names only existing ones)."""
    uow.reach_through_gate()  # existence only; a case may name a person filed elsewhere
    return uow.session.get(Person, person_id) is not None

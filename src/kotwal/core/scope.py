"""Scoped access for services: the permission check and the jurisdiction condition every
domain's reads and writes apply, written once (NetBox's ``restrict()``, in SQLAlchemy form), so
that list and detail reads cannot disagree about what an officer may see; and the refusal of a
write outside one's jurisdiction, audited the same way in every domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.errors import Forbidden, InvalidInput
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind
from kotwal.core.uow import UnitOfWork


def require(actor: Actor, permission: str) -> None:
    """Refuse (403) an actor without ``permission``; services check even behind a guarded
    route, since commands and other services call them too."""
    if not actor.can(permission):
        raise Forbidden()


def in_jurisdiction(column: Any, actor: Actor) -> ColumnElement[bool]:
    """The scoped-read condition: a row filed (or placed) anywhere in the actor's subtrees,
    given the row's materialised jurisdiction path column."""
    if not actor.jurisdiction_paths:
        return false()
    return or_(*(column.startswith(path, autoescape=True) for path in actor.jurisdiction_paths))


def refuse_outside(
    uow: UnitOfWork, actor: Actor, action: str, resource_type: str, message: str
) -> Forbidden:
    """Audit a write refused because it lands outside the actor's jurisdiction, at once and
    whatever becomes of the request (it is rolled back), and return the problem to raise."""
    denied = actor_event(
        actor,
        action,
        Outcome.DENIED,
        resource_type=resource_type,
        detail={"reason": "outside-jurisdiction"},
    )
    uow.record_now([denied])
    return Forbidden(message)


def writable_station(
    uow: UnitOfWork,
    actor: Actor,
    station_id: str,
    action: str,
    resource_type: str,
    refusal: str,
) -> Jurisdiction:
    """The police station a write lands in, which must be inside the actor's jurisdiction;
    otherwise the write is refused with ``refusal`` (and audited, see :func:`refuse_outside`)."""
    station = uow.session.get(Jurisdiction, station_id)
    if station is None or station.kind != JurisdictionKind.STATION:
        raise InvalidInput("station_id does not name a police station")
    if not actor.covers(station.path):
        raise refuse_outside(uow, actor, action, resource_type, refusal)
    return station

"""Records operations, one transaction each (the caller's unit of work); reads go through
the gate and writes are scoped to the actor's jurisdiction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.crypto import blind_index, normalise_phone, open_field
from kotwal.core.errors import Forbidden, InvalidInput, NotFound
from kotwal.core.gate import disclose
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Person
from kotwal.records.schemas import PersonCreate

PHONE_DOMAIN = "persons.phone"


def _phone_index(uow: UnitOfWork, phone: str) -> str:
    return blind_index(uow.runtime.keyring, PHONE_DOMAIN, normalise_phone(phone))


def create_person(uow: UnitOfWork, actor: Actor, data: PersonCreate) -> dict[str, Any]:
    """File a new person at a station inside the actor's jurisdiction."""
    if not actor.can(Permission.RECORDS_PERSON_WRITE):
        raise Forbidden()
    station = uow.session.get(Jurisdiction, data.station_id)
    if station is None or station.kind != JurisdictionKind.STATION:
        raise InvalidInput("station_id does not name a police station")
    if not actor.covers(station.path):
        uow.record_now([_denied(actor, "record.create", "outside-jurisdiction")])
        raise Forbidden("you can file records only in your own jurisdiction")
    person = Person(
        name=data.name,
        category=data.category.value,
        sex=data.sex.value,
        birth_year=data.birth_year,
        status=data.status.value,
        station_id=station.id,
        jurisdiction_path=station.path,
        phone=data.phone,
        phone_bidx=_phone_index(uow, data.phone) if data.phone else None,
        address=data.address,
    )
    uow.session.add(person)
    uow.session.flush()
    uow.audit(
        AuditEvent(
            action="record.create",
            outcome=Outcome.SUCCESS,
            actor_id=actor.account_id,
            actor_name=actor.username,
            session_id=actor.session_id,
            client_addr=actor.client_addr,
            resource_type="person",
            resource_id=person.id,
        )
    )
    return disclose(uow, actor, None, [person])[0]


def read_person(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> dict[str, Any]:
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person")
    return disclose(uow, actor, purpose, [person])[0]


def find_by_phone(
    uow: UnitOfWork, actor: Actor, phone: str, purpose: str | None
) -> list[dict[str, Any]]:
    """Exact phone lookup through the blind index; false candidates are removed by opening."""
    if not actor.can(Permission.RECORDS_PERSON_READ):
        raise Forbidden()
    wanted = normalise_phone(phone)
    if len(wanted) < 6:
        raise InvalidInput("give at least six digits of the phone number")
    candidates = uow.session.execute(
        select(Person).where(Person.phone_bidx == _phone_index(uow, phone)).limit(100)
    ).scalars()
    matches = [
        p for p in candidates if normalise_phone(str(open_field(uow.session, p, "phone"))) == wanted
    ]
    return disclose(uow, actor, purpose, matches)


def _denied(actor: Actor, action: str, reason: str) -> AuditEvent:
    return AuditEvent(
        action=action,
        outcome=Outcome.DENIED,
        actor_id=actor.account_id,
        actor_name=actor.username,
        session_id=actor.session_id,
        client_addr=actor.client_addr,
        resource_type="person",
        detail={"reason": reason},
    )

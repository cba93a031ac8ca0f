"""Records operations, one transaction each (the caller's unit of work); reads go through
the gate and writes are scoped to the actor's jurisdiction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.crypto import blind_index, normalise_phone, open_field
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.policy import Actor, DataClass, Jurisdiction, JurisdictionKind, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.records import names
from kotwal.records.models import Person, PersonAlias, PersonNameKey, PersonVersion
from kotwal.records.schemas import PersonCreate, PersonUpdate

PHONE_DOMAIN = "persons.phone"


def _phone_index(uow: UnitOfWork, phone: str) -> str:
    return blind_index(uow.runtime.keyring, PHONE_DOMAIN, normalise_phone(phone))


def create_person(uow: UnitOfWork, actor: Actor, data: PersonCreate) -> dict[str, Any]:
    """File a new person at a station inside the actor's jurisdiction; the answer comes
    through the gate like any read."""
    return disclose(uow, actor, None, [file_person(uow, actor, data)])[0]


def file_person(uow: UnitOfWork, actor: Actor, data: PersonCreate) -> Person:
    """File a new person (audited) without disclosing it back: for imports and seeding."""
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
        name_te=data.name_te,
        father_name=data.father_name,
        marks=data.marks,
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
    for alias in dict.fromkeys(a.strip() for a in data.aliases if a.strip()):
        uow.session.add(PersonAlias(person_id=person.id, name=alias))
    index_names(uow, person.id, [data.name, data.name_te or "", *data.aliases])
    uow.audit(
        actor_event(
            actor,
            "record.create",
            Outcome.SUCCESS,
            resource_type="person",
            resource_id=person.id,
        )
    )
    return person


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
    """Exact phone lookup through the blind index; false candidates are removed by opening.

    Only records whose phone the reader could see are matched (inside their jurisdiction with
    enough clearance, or anywhere with a declared purpose): otherwise the search would confirm
    who owns a number to someone not allowed to read it.
    """
    if not actor.can(Permission.RECORDS_PERSON_READ):
        raise Forbidden()
    if actor.clearance < DataClass.CONFIDENTIAL:
        raise Forbidden("your role cannot see phone numbers, so it cannot search by them")
    wanted = normalise_phone(phone)
    if len(wanted) < 6:
        raise InvalidInput("give at least six digits of the phone number")
    purpose = clean_purpose(purpose)
    candidates = uow.session.execute(
        select(Person).where(Person.phone_bidx == _phone_index(uow, phone)).limit(100)
    ).scalars()
    visible = [p for p in candidates if purpose is not None or actor.covers(p.jurisdiction_path)]
    matches = [
        p for p in visible if normalise_phone(str(open_field(uow.session, p, "phone"))) == wanted
    ]
    _searched(uow, actor, "phone", wanted, purpose, len(matches))
    return disclose(uow, actor, purpose, matches)


def _searched(
    uow: UnitOfWork, actor: Actor, kind: str, query: str, purpose: str | None, found: int
) -> None:
    """Every search is an event, hits or not, so probing shows in the log. The query is kept
    as a keyed hash: investigators can test a suspected term, a log reader cannot read it."""
    digest = blind_index(uow.runtime.keyring, f"audit.search.{kind}", query.lower(), bits=64)
    uow.audit(
        actor_event(
            actor,
            "records.search",
            Outcome.SUCCESS,
            resource_type="person",
            purpose=purpose,
            detail={"kind": kind, "results": found, "query_hash": digest},
        )
    )


def _denied(actor: Actor, action: str, reason: str) -> AuditEvent:
    return actor_event(
        actor,
        action,
        Outcome.DENIED,
        resource_type="person",
        detail={"reason": reason},
    )


SEARCH_MAX_CANDIDATES = 5000
SEARCH_MAX_RESULTS = 50


def index_names(uow: UnitOfWork, person_id: str, all_names: list[str]) -> None:
    """(Re)build a person's phonetic name keys from their names and aliases."""
    uow.session.execute(delete(PersonNameKey).where(PersonNameKey.person_id == person_id))
    keys: set[str] = set()
    for name in all_names:
        if name.strip():
            keys |= names.name_keys(name)
    for key in sorted(keys):
        uow.session.add(PersonNameKey(person_id=person_id, key=key))


def _candidates(uow: UnitOfWork, query: str) -> list[Person]:
    keys = names.name_keys(query)
    if not keys:
        raise InvalidInput("give a name of at least two letters")
    ids = (
        select(PersonNameKey.person_id)
        .where(PersonNameKey.key.in_(sorted(keys)))
        .distinct()
        .limit(SEARCH_MAX_CANDIDATES)
    )
    return list(uow.session.execute(select(Person).where(Person.id.in_(ids))).scalars())


def _aliases(uow: UnitOfWork, person_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if not person_ids:
        return found
    rows = uow.session.execute(
        select(PersonAlias.person_id, PersonAlias.name).where(PersonAlias.person_id.in_(person_ids))
    )
    for person_id, alias in rows:
        found.setdefault(person_id, []).append(alias)
    return found


def _best(query: str, person: Person, aliases: list[str]) -> names.Match:
    spellings = [person.name, person.name_te or "", *aliases]
    return max((names.score(query, s) for s in spellings if s), key=lambda m: m.score)


def search_by_name(
    uow: UnitOfWork, actor: Actor, query: str, purpose: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """Persons whose name, Telugu name or alias matches ``query``, best first, through the
    gate. Reasons quote the record's words only where the reader may see its name."""
    if not actor.can(Permission.RECORDS_PERSON_READ):
        raise Forbidden()
    query = " ".join(query.split())
    if not 2 <= len(query) <= 100:
        raise InvalidInput("a name to search is 2-100 characters")
    candidates = _candidates(uow, query)
    aliases = _aliases(uow, [p.id for p in candidates])
    scored = [(p, _best(query, p, aliases.get(p.id, []))) for p in candidates]
    hits = sorted(
        ((p, m) for p, m in scored if m.score >= names.DEFAULT_THRESHOLD),
        # Equal scores: the reader's own jurisdiction first, where they can act on the record.
        key=lambda pm: (-pm[1].score, not actor.covers(pm[0].jurisdiction_path), pm[0].id),
    )[: min(limit, SEARCH_MAX_RESULTS)]
    purpose = clean_purpose(purpose)
    _searched(uow, actor, "name", query, purpose, len(hits))
    shown = disclose(uow, actor, purpose, [p for p, _ in hits])
    return [
        {
            "person": record,
            "score": round(match.score, 3),
            "reasons": list(match.reasons) if isinstance(record["name"], str) else
            ["a name or alias of this record matches; declare a purpose to see it"],
        }
        for record, (_, match) in zip(shown, hits, strict=True)
    ]  # fmt: skip


#: Fields an update may change, and how each is read for the version snapshot.
_PLAIN_FIELDS = ("name", "name_te", "father_name", "marks", "category", "sex", "birth_year",
                 "status", "station_id")  # fmt: skip
_SEALED_FIELDS = ("phone", "address")


def _station_in_jurisdiction(uow: UnitOfWork, actor: Actor, station_id: str) -> Jurisdiction:
    station = uow.session.get(Jurisdiction, station_id)
    if station is None or station.kind != JurisdictionKind.STATION:
        raise InvalidInput("station_id does not name a police station")
    if not actor.covers(station.path):
        uow.record_now([_denied(actor, "record.update", "outside-jurisdiction")])
        raise Forbidden("you can change records only in your own jurisdiction")
    return station


def _snapshot(uow: UnitOfWork, person: Person, aliases: list[str]) -> str:
    state: dict[str, Any] = {f: getattr(person, f) for f in _PLAIN_FIELDS}
    for field in _SEALED_FIELDS:
        state[field] = open_field(uow.session, person, field)
    state["aliases"] = aliases
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def update_person(
    uow: UnitOfWork, actor: Actor, person_id: str, data: PersonUpdate
) -> dict[str, Any]:
    """Change a person filed in the actor's jurisdiction; the previous state is kept as a
    version (sealed), so every earlier version of the record can be recovered."""
    if not actor.can(Permission.RECORDS_PERSON_WRITE):
        raise Forbidden()
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person")
    _station_in_jurisdiction(uow, actor, person.station_id)
    if person.version != data.expected_version:
        raise Conflict(
            f"the record changed since you read it (now version {person.version}); "
            "reload it and apply your change again"
        )
    changes = data.model_dump(exclude_unset=True, exclude={"expected_version"})
    if not changes:
        raise InvalidInput("nothing to change")
    aliases = list(
        uow.session.execute(
            select(PersonAlias.name).where(PersonAlias.person_id == person.id)
        ).scalars()
    )
    uow.session.add(
        PersonVersion(
            person_id=person.id,
            version=person.version,
            snapshot=_snapshot(uow, person, aliases),
            changed_fields=",".join(sorted(changes)),
            changed_by=actor.account_id,
            changed_by_name=actor.username,
        )
    )
    _apply(uow, actor, person, data, changes)
    if "aliases" in changes:
        uow.session.execute(delete(PersonAlias).where(PersonAlias.person_id == person.id))
        aliases = list(dict.fromkeys(a.strip() for a in data.aliases or [] if a.strip()))
        for alias in aliases:
            uow.session.add(PersonAlias(person_id=person.id, name=alias))
    if changes.keys() & {"name", "name_te", "aliases"}:
        index_names(uow, person.id, [person.name, person.name_te or "", *aliases])
    person.version += 1
    person.updated_at = datetime.now(UTC)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "record.update",
            Outcome.SUCCESS,
            resource_type="person",
            resource_id=person.id,
            detail={"fields": ",".join(sorted(changes)), "version": person.version},
        )
    )
    return disclose(uow, actor, None, [person])[0]


def _apply(
    uow: UnitOfWork, actor: Actor, person: Person, data: PersonUpdate, changes: dict[str, Any]
) -> None:
    for field in changes.keys() & set(_PLAIN_FIELDS):
        value = getattr(data, field)
        if field in ("name", "category", "status", "station_id") and value is None:
            raise InvalidInput(f"{field} cannot be emptied")
        if field == "station_id":
            # Moving a record is a write in both places: the new station must be ours too.
            person.jurisdiction_path = _station_in_jurisdiction(uow, actor, value).path
        setattr(person, field, value.value if hasattr(value, "value") else value)
    if "phone" in changes:
        person.phone = data.phone
        person.phone_bidx = _phone_index(uow, data.phone) if data.phone else None
    if "address" in changes:
        person.address = data.address


def person_history(uow: UnitOfWork, actor: Actor, person_id: str) -> list[PersonVersion]:
    """The versions of a record (who, when, which fields), for readers who may read it."""
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person")
    disclose(uow, actor, None, [person])  # the same door, and the same audit, as a read
    if not actor.covers(person.jurisdiction_path):
        raise Forbidden("the history of a record is visible inside its jurisdiction")
    stmt = (
        select(PersonVersion)
        .where(PersonVersion.person_id == person_id)
        .order_by(PersonVersion.version.desc())
        .limit(200)
    )
    return list(uow.session.execute(stmt).scalars())


def station_names(uow: UnitOfWork, station_ids: set[str]) -> dict[str, str]:
    """Names of stations (public information) for showing where a record is filed."""
    if not station_ids:
        return {}
    rows = uow.session.execute(
        select(Jurisdiction.id, Jurisdiction.name).where(Jurisdiction.id.in_(station_ids))
    )
    return {i: n for i, n in rows}

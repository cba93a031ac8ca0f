"""Persons: filing one or many (sealed, indexed, audited), reading one through the gate,
changing one with every earlier version kept, and the versions of a record."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import make_transient_to_detached

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import (
    DEK_BYTES,
    active_kek_version,
    blind_index,
    normalise_phone,
    open_field,
    seal_with,
    wrap_key,
)
from kotwal.core.db import Base, new_id
from kotwal.core.edits import changes_of, check_version
from kotwal.core.errors import Forbidden, InvalidInput, NotFound
from kotwal.core.gate import disclose
from kotwal.core.models import DataKey
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind
from kotwal.core.scope import refuse_outside, writable_station
from kotwal.core.uow import UnitOfWork
from kotwal.records import names
from kotwal.records.models import Person, PersonAlias, PersonNameKey, PersonVersion
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import PersonCreate, PersonUpdate

PHONE_DOMAIN = "persons.phone"


def phone_index(uow: UnitOfWork, phone: str) -> str:
    """The blind index a person's phone number is found by (its digits, keyed)."""
    return blind_index(uow.runtime.keyring, PHONE_DOMAIN, normalise_phone(phone))


def create_person(uow: UnitOfWork, actor: Actor, data: PersonCreate) -> dict[str, Any]:
    """File a new person at a station inside the actor's jurisdiction; the answer comes
    through the gate like any read."""
    return disclose(uow, actor, None, [file_person(uow, actor, data)], kind="echo")[0]


def file_person(uow: UnitOfWork, actor: Actor, data: PersonCreate) -> Person:
    """File a new person (audited) without disclosing it back: for imports and seeding."""
    return file_persons(uow, actor, [data])[0]


#: Rows per INSERT statement's parameter list: bounds memory, not correctness.
_INSERT_CHUNK = 2000


def file_persons(uow: UnitOfWork, actor: Actor, items: Sequence[PersonCreate]) -> list[Person]:
    """File many new persons at once, each exactly as a person filed alone: phone and address
    sealed under the record's own data key, the phone's blind index, aliases, name keys, version
    1 and one ``record.create`` audit event per person.

    Every station is checked before anything is written, and the rows go in with a few
    multi-row INSERTs instead of one ORM flush per object. A batch with any bad item raises
    and writes nothing of its own; the caller's unit of work then rolls back whatever the
    batch's statements did. The persons returned are attached to the session as if loaded.
    """
    return [_attached(uow, Person(**row)) for row in _file_rows(uow, actor, items)]


def file_persons_unloaded(
    uow: UnitOfWork,
    actor: Actor,
    items: Sequence[PersonCreate],
    keys_memo: dict[str, frozenset[str]] | None = None,
) -> list[str]:
    """:func:`file_persons` for imports and seeding, which need only the new ids: building an
    ORM object per row costs a quarter of the filing time.

    ``keys_memo``, kept by the caller across batches, remembers the name keys of every name
    filed: deriving them costs about half a millisecond a name, and a large import or the
    demo's million persons meets the same names again and again (far more distinct names than
    :func:`names.name_keys` caches). It holds names, so it lives only as long as the caller's
    run."""
    return [row["id"] for row in _file_rows(uow, actor, items, keys_memo)]


def _file_rows(
    uow: UnitOfWork,
    actor: Actor,
    items: Sequence[PersonCreate],
    keys_memo: dict[str, frozenset[str]] | None = None,
) -> list[dict[str, Any]]:
    if not actor.can(RecordsPermission.PERSON_WRITE):
        raise Forbidden()
    if not items:
        return []
    stations = _filing_stations(uow, actor, [data.station_id for data in items])
    now = utcnow()
    persons: list[dict[str, Any]] = []
    aliases: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    for data, station in zip(items, stations, strict=True):
        person_id = new_id()
        persons.append(
            {
                "id": person_id,
                "name": data.name,
                "name_te": data.name_te,
                "father_name": data.father_name,
                "marks": data.marks,
                "category": data.category.value,
                "sex": data.sex.value,
                "birth_year": data.birth_year,
                "status": data.status.value,
                "station_id": station.id,
                "jurisdiction_path": station.path,
                "phone": data.phone,
                "phone_bidx": phone_index(uow, data.phone) if data.phone else None,
                "address": data.address,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for alias in dict.fromkeys(a.strip() for a in data.aliases if a.strip()):
            aliases.append({"id": new_id(), "person_id": person_id, "name": alias})
        all_names = [data.name, data.name_te or "", *data.aliases]
        for key in sorted(_keys_of_names(all_names, keys_memo)):
            keys.append({"person_id": person_id, "key": key})
    _seal_new_rows(uow, Person, persons, _SEALED_FIELDS, now)
    _insert(uow, Person, persons)
    _insert(uow, PersonAlias, aliases)
    _insert(uow, PersonNameKey, keys)
    uow.audit_many(
        [
            actor_event(
                actor,
                "record.create",
                Outcome.SUCCESS,
                resource_type="person",
                resource_id=row["id"],
            )
            for row in persons
        ]
    )
    return persons


def _filing_stations(uow: UnitOfWork, actor: Actor, station_ids: list[str]) -> list[Jurisdiction]:
    """The station each item is filed at, all checked before anything is written: a police
    station, inside the actor's jurisdiction (a refusal is audited even though it rolls back)."""
    wanted = sorted(set(station_ids))
    found: dict[str, Jurisdiction] = {}
    for start in range(0, len(wanted), 500):
        stmt = select(Jurisdiction).where(Jurisdiction.id.in_(wanted[start : start + 500]))
        found.update((j.id, j) for j in uow.session.execute(stmt).scalars())
    stations: list[Jurisdiction] = []
    for station_id in station_ids:
        station = found.get(station_id)
        if station is None or station.kind != JurisdictionKind.STATION:
            raise InvalidInput("station_id does not name a police station")
        if not actor.covers(station.path):
            message = "you can file records only in your own jurisdiction"
            raise refuse_outside(uow, actor, "record.create", "person", message)
        stations.append(station)
    return stations


def _keys_of_names(all_names: list[str], memo: dict[str, frozenset[str]] | None = None) -> set[str]:
    """The phonetic keys of a person's names and aliases together."""
    keys: set[str] = set()
    for name in all_names:
        if not name.strip():
            continue
        if memo is None:
            keys |= names.name_keys(name)
            continue
        found = memo.get(name)
        if found is None:
            found = memo[name] = names.name_keys(name)
        keys |= found
    return keys


def _seal_new_rows(
    uow: UnitOfWork,
    model: type[Base],
    rows: list[dict[str, Any]],
    columns: tuple[str, ...],
    now: datetime,
) -> None:
    """Seal the plaintext ``columns`` of new rows in place, as the session's flush hook seals
    an object's (``core.crypto``): a fresh data key per row that has any, wrapped by the active
    key-encryption key, the same associated data. The data keys go in with one INSERT."""
    table = _table(model).name
    keyring = uow.runtime.keyring
    version = active_kek_version(uow.session, keyring)
    data_keys: list[dict[str, Any]] = []
    for row in rows:
        plain = [c for c in columns if row[c] is not None]
        if not plain:
            continue  # no data key for a record with nothing to seal, as for a single one
        row_id = row["id"]
        key = (new_id(), secrets.token_bytes(DEK_BYTES))
        data_keys.append(
            {
                "id": key[0],
                "table_name": table,
                "row_id": row_id,
                "kek_version": version,
                "wrapped": wrap_key(keyring, version, table, row_id, key[1]),
                "created_at": now,
            }
        )
        for column in plain:
            row[column] = seal_with(key, table, column, row_id, row[column])
    _insert(uow, DataKey, data_keys)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _insert(uow: UnitOfWork, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERT through Core (executemany): no ORM object per row."""
    table = _table(model)
    for start in range(0, len(rows), _INSERT_CHUNK):
        uow.session.execute(insert(table), rows[start : start + _INSERT_CHUNK])


def _attached(uow: UnitOfWork, obj: Person) -> Person:
    """Put a row just inserted into the session as though it had been loaded, without a
    SELECT: every column is set, so nothing is expired and nothing is pending."""
    make_transient_to_detached(obj)
    uow.session.add(obj)
    return obj


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What other domains may check of a person without a disclosure: where the record is
    filed, as what, and the plain particulars a system match compares (an arms licence holder's
    name, father's name and year of birth). Never shown to anyone as it is."""

    id: str
    jurisdiction_path: str
    category: str
    name: str
    name_te: str | None
    father_name: str | None
    birth_year: int | None


def person_facts(uow: UnitOfWork, person_id: str) -> PersonFacts | None:
    """The facts of ``person_id`` (None if there is no such person), for a domain's own checks
    (face enrolment, suspension reviews); nothing is disclosed or audited."""
    uow.reach_through_gate()  # the caller's own check decides; nothing leaves from here
    person = uow.session.get(Person, person_id)
    if person is None:
        return None
    return PersonFacts(
        id=person.id,
        jurisdiction_path=person.jurisdiction_path,
        category=person.category,
        name=person.name,
        name_te=person.name_te,
        father_name=person.father_name,
        birth_year=person.birth_year,
    )


def person_path(uow: UnitOfWork, person_id: str) -> str | None:
    """Where a person is filed (the jurisdiction path the gate places them by), None if there
    is no such person: one column, nothing else of the record."""
    uow.reach_through_gate()  # where, not what: the caller places the record by it
    return uow.session.execute(
        select(Person.jurisdiction_path).where(Person.id == person_id)
    ).scalar_one_or_none()


def read_persons(
    uow: UnitOfWork, actor: Actor, person_ids: list[str], purpose: str | None
) -> list[dict[str, Any]]:
    """The persons of ``person_ids`` that exist (each once, in no set order), as the gate
    releases them to this reader and purpose."""
    unique = list(dict.fromkeys(person_ids))
    if not unique:
        return []
    uow.reach_through_gate()  # outside the jurisdiction the gate masks what leaves
    persons = list(uow.session.execute(select(Person).where(Person.id.in_(unique))).scalars())
    return disclose(uow, actor, purpose, persons)


def read_person(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> dict[str, Any]:
    """One person, as the gate releases them to this reader (and this purpose)."""
    uow.reach_through_gate()  # outside the jurisdiction the gate masks what leaves
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person")
    return disclose(uow, actor, purpose, [person])[0]


def index_names(uow: UnitOfWork, person_id: str, all_names: list[str]) -> None:
    """(Re)build a person's phonetic name keys from their names and aliases."""
    uow.session.execute(delete(PersonNameKey).where(PersonNameKey.person_id == person_id))
    for key in sorted(_keys_of_names(all_names)):
        uow.session.add(PersonNameKey(person_id=person_id, key=key))


#: Fields an update may change, and how each is read for the version snapshot.
# A table of data, aligned by hand: it reads better in rows than one item a line.
_PLAIN_FIELDS = ("name", "name_te", "father_name", "marks", "category", "sex", "birth_year",
                 "status", "station_id")  # fmt: skip
_SEALED_FIELDS = ("phone", "address")


def _station_in_jurisdiction(uow: UnitOfWork, actor: Actor, station_id: str) -> Jurisdiction:
    """The station a changed record is filed at (or moved to), inside the actor's reach."""
    message = "you can change records only in your own jurisdiction"
    return writable_station(uow, actor, station_id, "record.update", "person", message)


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
    if not actor.can(RecordsPermission.PERSON_WRITE):
        raise Forbidden()
    uow.reach_through_gate()  # read to refuse (audited) outside; the write itself stays inside
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person")
    _station_in_jurisdiction(uow, actor, person.station_id)
    check_version(person.version, data.expected_version)
    changes = changes_of(data)
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
    person.updated_at = utcnow()
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
        person.phone_bidx = phone_index(uow, data.phone) if data.phone else None
    if "address" in changes:
        person.address = data.address


def person_history(uow: UnitOfWork, actor: Actor, person_id: str) -> list[PersonVersion]:
    """The versions of a record (who, when, which fields), for readers who may read it."""
    uow.reach_through_gate()  # read through the gate, refused below outside the jurisdiction
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

"""Records operations, one transaction each (the caller's unit of work); reads go through
the gate and writes are scoped to the actor's jurisdiction."""

from __future__ import annotations

import calendar
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Subquery,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql import Executable

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import station_today, utcnow
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
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.models import DataKey
from kotwal.core.observers import DisclosureKind, HookPoint
from kotwal.core.policy import Actor, DataClass, Jurisdiction, JurisdictionKind
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.records import names
from kotwal.records.models import (
    Case,
    CaseParty,
    HistorySheet,
    HistorySheetCategory,
    HistorySheetEvent,
    LawSection,
    Person,
    PersonAlias,
    PersonNameKey,
    PersonVersion,
)
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import (
    FIR_PATTERN,
    CaseCreate,
    CasePartyAdd,
    HistorySheetClose,
    HistorySheetOpen,
    HistorySheetReview,
    PersonCreate,
    PersonUpdate,
    canonical_fir,
)

PHONE_DOMAIN = "persons.phone"


def _phone_index(uow: UnitOfWork, phone: str) -> str:
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
                "phone_bidx": _phone_index(uow, data.phone) if data.phone else None,
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
            actor_event(actor, "record.create", Outcome.SUCCESS, resource_type="person",
                        resource_id=row["id"])
            for row in persons
        ]
    )  # fmt: skip
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
            uow.record_now([_denied(actor, "record.create", "outside-jurisdiction")])
            raise Forbidden("you can file records only in your own jurisdiction")
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
    if not actor.can(RecordsPermission.PERSON_READ):
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
    return disclose(uow, actor, purpose, matches, kind="list")


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


SEARCH_MAX_CANDIDATES = 200
SEARCH_MAX_RESULTS = 50
SEARCH_MAX_KEY_RUN = 2000


def index_names(uow: UnitOfWork, person_id: str, all_names: list[str]) -> None:
    """(Re)build a person's phonetic name keys from their names and aliases."""
    uow.session.execute(delete(PersonNameKey).where(PersonNameKey.person_id == person_id))
    for key in sorted(_keys_of_names(all_names)):
        uow.session.add(PersonNameKey(person_id=person_id, key=key))


@dataclass(frozen=True, slots=True)
class _Candidate:
    """What ranking needs of a person: their spellings and where the record is filed."""

    id: str
    spellings: tuple[str, ...]
    jurisdiction_path: str


def _candidates(uow: UnitOfWork, query: str) -> list[_Candidate]:
    """About SEARCH_MAX_CANDIDATES persons to score for ``query``, the likeliest first.

    First the persons sharing the query's narrow keys (its pairs of names in either order, its
    joined names), ranked by how many they share; then, while there is room, persons sharing
    one of its broad keys (a single name). So a search for a common given name reads a page of
    the index, not every person who bears the name, and a full name is found among thousands
    who share only its first half. Only the columns that scoring needs are read: the records
    themselves are loaded for the page that is shown.
    """
    narrow, broad = names.name_key_tiers(query)
    if not narrow and not broad:
        raise InvalidInput("give a name of at least two letters")
    found: dict[str, _Candidate] = {}
    if narrow:
        statement = _read_candidates(_sharing_most(len(narrow)))
        found |= _candidates_of(uow, statement, _keys(narrow) | {"room": SEARCH_MAX_CANDIDATES})
    room = SEARCH_MAX_CANDIDATES - len(found)
    if room > 0 and broad:
        statement = _read_candidates(_sharing_any(len(broad)))
        more = _candidates_of(uow, statement, _keys(broad) | {"each": -(-room // len(broad))})
        found |= {i: c for i, c in more.items() if i not in found}
    return list(found.values())


def _keys(keys: frozenset[str]) -> dict[str, str]:
    """Bound parameters key0, key1, ... for the statements below, in a stable order."""
    return {f"key{n}": key for n, key in enumerate(sorted(keys))}


def _key_runs(count: int, limit: BindParameter[int] | int) -> list[Subquery]:
    """For bound keys key0..key{count-1}, the first ``limit`` holders of each in id order."""
    return [
        select(PersonNameKey.person_id)
        .where(PersonNameKey.key == bindparam(f"key{n}"))
        .order_by(PersonNameKey.person_id)
        .limit(limit)
        .subquery()
        for n in range(count)
    ]


# The statements are built once per number of keys, not on each search: building and caching a
# statement of a dozen subqueries took a few milliseconds of every search.
@lru_cache(maxsize=64)
def _sharing_most(count: int) -> Subquery:
    """Persons sharing any of ``count`` bound keys, those sharing the most first (at most the
    bound ``room`` of them).

    A narrow key can still be common (the pair of a compound given name, Sai Kiran, is shared
    by a hundredth of all records), so each key gives at most SEARCH_MAX_KEY_RUN rows, the
    first in id order: ids are random, so that is a fair sample of its holders, and the count
    stays bounded however many hold it. A rare key gives all of its holders."""
    runs = _key_runs(count, SEARCH_MAX_KEY_RUN)
    held = union_all(*(select(run.c.person_id) for run in runs)).subquery()
    shared = func.count().label("shared")
    return (
        select(held.c.person_id, shared)
        .group_by(held.c.person_id)
        # Ids are random, so the tie-break favours no station and no age of record.
        .order_by(shared.desc(), held.c.person_id)
        .limit(bindparam("room"))
        .subquery()
    )


@lru_cache(maxsize=64)
def _sharing_any(count: int) -> Subquery:
    """Persons sharing one of ``count`` bound keys, the bound ``each`` from each key's run of
    the index, so that no run is read further than the room needs (nothing is counted)."""
    runs = _key_runs(count, bindparam("each"))
    return union_all(*(select(run.c.person_id) for run in runs)).subquery()


@lru_cache(maxsize=128)
def _read_candidates(ids: Subquery) -> Executable:
    """Names, aliases and jurisdiction of the persons that ``ids`` selects, in one statement.

    The ids stay inside the database (joined, never sent back as hundreds of parameters)."""
    return (
        select(Person.id, Person.name, Person.name_te, Person.jurisdiction_path, PersonAlias.name)
        .join(ids, ids.c.person_id == Person.id)
        .outerjoin(PersonAlias, PersonAlias.person_id == Person.id)
    )


def _candidates_of(
    uow: UnitOfWork,
    statement: Executable,
    params: dict[str, Any],
) -> dict[str, _Candidate]:
    spellings: dict[str, dict[str, None]] = {}
    paths: dict[str, str] = {}
    for person_id, name, name_te, path, alias in uow.session.execute(statement, params):
        known = spellings.setdefault(person_id, dict.fromkeys(s for s in (name, name_te) if s))
        if alias:
            known[alias] = None
        paths[person_id] = path
    return {i: _Candidate(i, tuple(known), paths[i]) for i, known in spellings.items()}


def _spellings(query: str, candidate: _Candidate) -> list[str]:
    if len(query.split()) > 1:
        return list(candidate.spellings)
    # A one-word query ("Srinivas") asks for anyone with that name among theirs: compare it
    # with each word of the record's names too, not only with the whole name.
    words = [w for s in candidate.spellings for w in s.split() if len(w) > 1]
    return [*candidate.spellings, *words]


def _ranked(
    actor: Actor, query: str, candidates: list[_Candidate], limit: int
) -> list[tuple[_Candidate, names.Match]]:
    """The candidates that match, best first, cut to ``limit``. Many persons share a spelling
    (there are only so many ways to write Srinivas), so each spelling is scored once, and the
    reasons are written only for the results kept."""
    scores: dict[str, float] = {}
    scored: list[tuple[_Candidate, float, str]] = []
    for candidate in candidates:
        best: tuple[float, str] | None = None
        for spelling in _spellings(query, candidate):
            value = scores.get(spelling)
            if value is None:
                value = scores[spelling] = names.similarity(query, spelling)
            if best is None or value > best[0]:
                best = (value, spelling)
        if best is not None and best[0] >= names.DEFAULT_THRESHOLD:
            scored.append((candidate, *best))
    # Equal scores: the reader's own jurisdiction first, where they can act on the record.
    scored.sort(key=lambda cs: (-cs[1], not actor.covers(cs[0].jurisdiction_path), cs[0].id))
    return [(candidate, names.score(query, spelling)) for candidate, _, spelling in scored[:limit]]


def _persons(uow: UnitOfWork, ids: list[str]) -> list[Person]:
    """The records of ``ids``, in that order."""
    rows = uow.session.execute(select(Person).where(Person.id.in_(ids))).scalars()
    found = {person.id: person for person in rows}
    return [found[i] for i in ids]


def search_by_name(
    uow: UnitOfWork, actor: Actor, query: str, purpose: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """Persons whose name, Telugu name or alias matches ``query``, best first, through the
    gate. Reasons quote the record's words only where the reader may see its name."""
    if not actor.can(RecordsPermission.PERSON_READ):
        raise Forbidden()
    query = " ".join(query.split())
    if not 2 <= len(query) <= 100:
        raise InvalidInput("a name to search is 2-100 characters")
    hits = _ranked(actor, query, _candidates(uow, query), min(limit, SEARCH_MAX_RESULTS))
    purpose = clean_purpose(purpose)
    _searched(uow, actor, "name", query, purpose, len(hits))
    shown = disclose(uow, actor, purpose, _persons(uow, [c.id for c, _ in hits]), kind="list")
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
    if not actor.can(RecordsPermission.PERSON_WRITE):
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


# History sheets and cases. Both are filed at a station: written only by officers whose
# jurisdiction covers it, read through the gate, and changed only by appending (events for a
# sheet's reviews and closure, rows for a person's part in a case).

HISTORY_SHEET_PAGE_MAX = 200
CASE_PAGE_MAX = 100
PARTIES_MAX = 500


def _writable_station(
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


def _person_exists(uow: UnitOfWork, person_id: str) -> bool:
    return uow.session.get(Person, person_id) is not None


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _sheet_event(
    sheet: HistorySheet,
    actor: Actor,
    action: str,
    previous: date | None = None,
    note: str | None = None,
) -> HistorySheetEvent:
    return HistorySheetEvent(
        sheet_id=sheet.id,
        action=action,
        version=sheet.version,
        previous_review_on=previous,
        next_review_on=sheet.next_review_on,
        note=note,
        by=actor.account_id,
        by_name=actor.username,
    )


def _sheet_audit(actor: Actor, action: str, sheet: HistorySheet) -> AuditEvent:
    return actor_event(
        actor,
        action,
        Outcome.SUCCESS,
        resource_type="history_sheet",
        resource_id=sheet.id,
        detail={"version": sheet.version},
    )


def open_history_sheet(uow: UnitOfWork, actor: Actor, data: HistorySheetOpen) -> dict[str, Any]:
    """Open a history sheet on a person at a station in the actor's jurisdiction."""
    require(actor, RecordsPermission.HISTORY_SHEET_WRITE)
    station = _writable_station(uow, actor, data.station_id, "history_sheet.open", "history_sheet")
    if not _person_exists(uow, data.person_id):
        raise InvalidInput("person_id does not name a person")
    category = uow.session.get(HistorySheetCategory, data.category)
    if category is None:
        raise InvalidInput("category is not a history sheet category")
    opened_on = data.opened_on or station_today(uow.runtime)
    if opened_on > station_today(uow.runtime):
        raise InvalidInput("a history sheet cannot be opened in the future")
    next_review = data.next_review_on or _add_months(opened_on, category.review_months)
    if next_review <= opened_on:
        raise InvalidInput("the next review falls after the opening date")
    already = uow.session.execute(
        select(HistorySheet.id).where(
            HistorySheet.person_id == data.person_id,
            HistorySheet.category == category.code,
            HistorySheet.closed_on.is_(None),
        )
    ).first()
    if already is not None:
        raise Conflict("this person already has an open history sheet of this category")
    sheet = HistorySheet(
        person_id=data.person_id,
        category=category.code,
        station_id=station.id,
        jurisdiction_path=station.path,
        legal_basis=data.legal_basis,
        modus_operandi=data.modus_operandi,
        opened_on=opened_on,
        next_review_on=next_review,
        version=1,
    )
    uow.session.add(sheet)
    uow.session.flush()
    uow.session.add(_sheet_event(sheet, actor, "opened"))
    uow.audit(_sheet_audit(actor, "history_sheet.open", sheet))
    return disclose(uow, actor, None, [sheet], kind="echo")[0]


def _sheet(uow: UnitOfWork, sheet_id: str) -> HistorySheet:
    sheet = uow.session.get(HistorySheet, sheet_id)
    if sheet is None:
        raise NotFound("no such history sheet")
    return sheet


def read_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, purpose: str | None
) -> dict[str, Any]:
    return disclose(uow, actor, purpose, [_sheet(uow, sheet_id)])[0]


def person_history_sheets(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> list[dict[str, Any]]:
    """A person's history sheets, open and closed, newest first, through the gate."""
    require(actor, RecordsPermission.HISTORY_SHEET_READ)
    if not _person_exists(uow, person_id):
        raise NotFound("no such person")
    stmt = (
        select(HistorySheet)
        .where(HistorySheet.person_id == person_id)
        .order_by(HistorySheet.opened_on.desc(), HistorySheet.id)
        .limit(HISTORY_SHEET_PAGE_MAX)
    )
    return disclose(uow, actor, purpose, list(uow.session.execute(stmt).scalars()))


def _writable_sheet(uow: UnitOfWork, actor: Actor, sheet_id: str, action: str) -> HistorySheet:
    require(actor, RecordsPermission.HISTORY_SHEET_WRITE)
    sheet = _sheet(uow, sheet_id)
    _writable_station(uow, actor, sheet.station_id, action, "history_sheet")
    if sheet.closed_on is not None:
        raise Conflict("this history sheet is closed")
    return sheet


def review_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, data: HistorySheetReview
) -> dict[str, Any]:
    """Record a review of an open sheet and set when the next one is due."""
    sheet = _writable_sheet(uow, actor, sheet_id, "history_sheet.review")
    if data.next_review_on <= station_today(uow.runtime):
        raise InvalidInput("the next review falls after today")
    previous = sheet.next_review_on
    sheet.next_review_on = data.next_review_on
    sheet.version += 1
    sheet.updated_at = utcnow()
    uow.session.add(_sheet_event(sheet, actor, "reviewed", previous, data.note))
    uow.session.flush()
    uow.audit(_sheet_audit(actor, "history_sheet.review", sheet))
    return disclose(uow, actor, None, [sheet])[0]


def close_history_sheet(
    uow: UnitOfWork, actor: Actor, sheet_id: str, data: HistorySheetClose
) -> dict[str, Any]:
    """Close an open sheet with the reason (death, reform, order of the superintendent)."""
    sheet = _writable_sheet(uow, actor, sheet_id, "history_sheet.close")
    closed_on = data.closed_on or station_today(uow.runtime)
    if not sheet.opened_on <= closed_on <= station_today(uow.runtime):
        raise InvalidInput("a sheet closes between its opening date and today")
    sheet.closed_on = closed_on
    sheet.close_reason = data.reason
    sheet.version += 1
    sheet.updated_at = utcnow()
    uow.session.add(_sheet_event(sheet, actor, "closed", sheet.next_review_on, data.reason))
    uow.session.flush()
    uow.audit(_sheet_audit(actor, "history_sheet.close", sheet))
    return disclose(uow, actor, None, [sheet])[0]


def overdue_history_sheets(
    uow: UnitOfWork, actor: Actor, limit: int = HISTORY_SHEET_PAGE_MAX
) -> list[dict[str, Any]]:
    """Open sheets in the actor's jurisdiction whose review date has passed, most overdue
    first: the station house officer's list of reviews to hold."""
    require(actor, RecordsPermission.HISTORY_SHEET_SUPERVISE)
    stmt = (
        select(HistorySheet)
        .where(
            in_jurisdiction(HistorySheet.jurisdiction_path, actor),
            HistorySheet.closed_on.is_(None),
            HistorySheet.next_review_on < station_today(uow.runtime),
        )
        .order_by(HistorySheet.next_review_on, HistorySheet.id)
        .limit(min(limit, HISTORY_SHEET_PAGE_MAX))
    )
    return disclose(uow, actor, None, list(uow.session.execute(stmt).scalars()))


def _sections(uow: UnitOfWork, codes: list[str]) -> dict[str, LawSection]:
    if not codes:
        return {}
    rows = uow.session.execute(select(LawSection).where(LawSection.code.in_(codes))).scalars()
    return {s.code: s for s in rows}


def _section_out(section: LawSection | None, code: str) -> dict[str, Any]:
    if section is None:  # a code since removed from the reference table: still shown
        return {"code": code, "act": code.split(" ")[0], "title": "", "equivalent": None}
    return {
        "code": section.code,
        "act": section.act,
        "title": section.title,
        "equivalent": section.equivalent,
    }


def _cases_out(
    uow: UnitOfWork,
    actor: Actor,
    cases: list[Case],
    purpose: str | None,
    kind: DisclosureKind | None = None,
) -> list[dict[str, Any]]:
    """Cases through the gate, each with its parties (also through the gate) and the titles
    of the sections it cites when the sections are released."""
    shown = disclose(uow, actor, purpose, cases, kind=kind)
    parties: list[CaseParty] = []
    if cases:
        stmt = (
            select(CaseParty)
            .where(CaseParty.case_id.in_([c.id for c in cases]))
            .order_by(CaseParty.role_on, CaseParty.added_at, CaseParty.id)
            .limit(PARTIES_MAX)
        )
        parties = list(uow.session.execute(stmt).scalars())
    by_case: dict[str, list[dict[str, Any]]] = {c.id: [] for c in cases}
    for party, released in zip(
        parties, disclose(uow, actor, purpose, parties, kind="part"), strict=True
    ):
        by_case[party.case_id].append(released)
    codes = {code for record in shown if isinstance(record["sections"], str)
             for code in record["sections"].split(",")}  # fmt: skip
    reference = _sections(uow, sorted(codes))
    for record in shown:
        if isinstance(record["sections"], str):
            record["sections"] = [
                _section_out(reference.get(code), code) for code in record["sections"].split(",")
            ]
        record["parties"] = by_case[record["id"]]
    return shown


def create_case(uow: UnitOfWork, actor: Actor, data: CaseCreate) -> dict[str, Any]:
    """Register a case at a station in the actor's jurisdiction. The FIR number must carry
    that station's code and the year of registration, and be new."""
    require(actor, RecordsPermission.CASE_WRITE)
    station = _writable_station(uow, actor, data.station_id, "case.create", "case")
    code, year, _ = data.fir_number.split("/")
    if code != station.code:
        raise InvalidInput(f"the FIR number must begin with the station's code {station.code}")
    if int(year) != data.registered_on.year:
        raise InvalidInput("the FIR number's year must be the year of registration")
    if data.registered_on > station_today(uow.runtime):
        raise InvalidInput("a case cannot be registered in the future")
    codes = list(dict.fromkeys(data.sections))
    unknown = sorted(set(codes) - set(_sections(uow, codes)))
    if unknown:
        raise InvalidInput("unknown sections of law: " + ", ".join(unknown))
    if uow.session.execute(select(Case.id).where(Case.fir_number == data.fir_number)).first():
        raise Conflict("a case with this FIR number is already registered")
    case = Case(
        fir_number=data.fir_number,
        sections=",".join(codes),
        registered_on=data.registered_on,
        station_id=station.id,
        jurisdiction_path=station.path,
    )
    uow.session.add(case)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # registered by someone else a moment ago
        raise Conflict("a case with this FIR number is already registered") from exc
    uow.audit(
        actor_event(actor, "case.create", Outcome.SUCCESS, resource_type="case",
                    resource_id=case.id)
    )  # fmt: skip
    return _cases_out(uow, actor, [case], None, kind="echo")[0]


def _case(uow: UnitOfWork, case_id: str) -> Case:
    case = uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def read_case(uow: UnitOfWork, actor: Actor, case_id: str, purpose: str | None) -> dict[str, Any]:
    return _cases_out(uow, actor, [_case(uow, case_id)], purpose)[0]


def find_case_by_fir(
    uow: UnitOfWork, actor: Actor, fir_number: str, purpose: str | None
) -> list[dict[str, Any]]:
    """Exact FIR lookup; audited like every search (the number kept as a keyed hash)."""
    require(actor, RecordsPermission.CASE_READ)
    fir_number = fir_number.strip().upper()
    if not re.fullmatch(FIR_PATTERN, fir_number):
        raise InvalidInput("an FIR number is station code / year / number, e.g. PS-A/2026/0007")
    wanted = canonical_fir(fir_number)
    purpose = clean_purpose(purpose)
    found = list(
        uow.session.execute(select(Case).where(Case.fir_number == wanted).limit(1)).scalars()
    )
    digest = blind_index(uow.runtime.keyring, "audit.search.fir", wanted.lower(), bits=64)
    uow.audit(
        actor_event(
            actor,
            "records.search",
            Outcome.SUCCESS,
            resource_type="case",
            purpose=purpose,
            detail={"kind": "fir", "results": len(found), "query_hash": digest},
        )
    )
    return _cases_out(uow, actor, found, purpose)


#: Called with each new case party inside the same unit of work, so that other domains (arms
#: licences raise suspension reviews) hear of it without records importing them.
CasePartyHook = Callable[[UnitOfWork, Actor, CaseParty], None]
CASE_PARTY_ADDED: HookPoint[CasePartyHook] = HookPoint("records.case_party_added")


def add_case_party(
    uow: UnitOfWork, actor: Actor, case_id: str, data: CasePartyAdd
) -> dict[str, Any]:
    """Name a person in a case with their role from a date (accused, arrested, ...). Each
    step is a new row: the person's course through the case is never overwritten."""
    require(actor, RecordsPermission.CASE_WRITE)
    case = _case(uow, case_id)
    _writable_station(uow, actor, case.station_id, "case.party_add", "case")
    if not _person_exists(uow, data.person_id):
        raise InvalidInput("person_id does not name a person")
    if not case.registered_on <= data.role_on <= station_today(uow.runtime):
        raise InvalidInput("a role is dated between the case's registration and today")
    party = CaseParty(
        case_id=case.id,
        person_id=data.person_id,
        role=data.role.value,
        role_on=data.role_on,
        jurisdiction_path=case.jurisdiction_path,
        added_by=actor.account_id,
    )
    uow.session.add(party)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "case.party_add",
            Outcome.SUCCESS,
            resource_type="case",
            resource_id=case.id,
            detail={"party": party.id, "role": party.role},
        )
    )
    for hook in uow.runtime.hooks.at(CASE_PARTY_ADDED):
        hook(uow, actor, party)
    return _cases_out(uow, actor, [case], None)[0]


def person_cases(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> list[dict[str, Any]]:
    """The cases a person is named in, newest first, through the gate."""
    require(actor, RecordsPermission.CASE_READ)
    if not _person_exists(uow, person_id):
        raise NotFound("no such person")
    ids = select(CaseParty.case_id).where(CaseParty.person_id == person_id)
    stmt = (
        select(Case)
        .where(Case.id.in_(ids))
        .order_by(Case.registered_on.desc(), Case.id)
        .limit(CASE_PAGE_MAX)
    )
    return _cases_out(uow, actor, list(uow.session.execute(stmt).scalars()), purpose)


def history_sheet_events(uow: UnitOfWork, actor: Actor, sheet_id: str) -> list[HistorySheetEvent]:
    """A sheet's course (opened, each review, closed), for readers inside its jurisdiction."""
    sheet = _sheet(uow, sheet_id)
    disclose(uow, actor, None, [sheet])  # the same door, and the same audit, as a read
    if not actor.covers(sheet.jurisdiction_path):
        raise Forbidden("the course of a history sheet is visible inside its jurisdiction")
    stmt = (
        select(HistorySheetEvent)
        .where(HistorySheetEvent.sheet_id == sheet.id)
        .order_by(HistorySheetEvent.version, HistorySheetEvent.at)
        .limit(HISTORY_SHEET_PAGE_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


def law_sections(uow: UnitOfWork, actor: Actor, act: str | None) -> list[LawSection]:
    """The reference table of sections (public law), for choosing a case's sections."""
    require(actor, RecordsPermission.CASE_READ)
    stmt = select(LawSection).order_by(LawSection.act, LawSection.code).limit(500)
    if act is not None:
        stmt = stmt.where(LawSection.act == act)
    return list(uow.session.execute(stmt).scalars())

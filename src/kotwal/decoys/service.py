"""Decoy operations: planting decoys in the copies held here, giving each export its own set,
checking every opened record against the register, and reading the register.

Copies held in this database (the primary, the demo, a test copy or replica set up from it)
carry their decoys as ordinary person rows, filed through the records service like any record.
An export carries decoy rows that exist only in the exported file; a backup carries decoy rows
that exist only in the backup (see :mod:`kotwal.decoys.backup`). Every decoy, wherever it
lives, is in this database's register with the copy it belongs to, so that a leak can be
traced back (``kotwal leak trace``).

A decoy that merely appears in a search listing or an export is not an attack: an honest
search may return one. Opening a decoy record is: nobody has a reason to, so it raises an alert
and suspends the session at once.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from kotwal.arms.models import ArmsLicence
from kotwal.core import audit
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.crypto import bind_keyring, blind_index, normalise_phone, open_field
from kotwal.core.errors import Forbidden, InvalidInput
from kotwal.core.keys import KeyRing
from kotwal.core.observers import Disclosure
from kotwal.core.policy import Actor, DataClass, Jurisdiction, JurisdictionKind, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import mimic
from kotwal.decoys.generator import FakePerson, fake_person
from kotwal.decoys.models import Decoy, DecoyCopy
from kotwal.decoys.permissions import DecoysPermission
from kotwal.manifest import DemoContext
from kotwal.officers.models import Officer
from kotwal.records.exporter import EXPORT_COPY
from kotwal.records.importer import ALIAS_SEPARATOR, IMPORT_CHECKS, MASKED_TEXT
from kotwal.records.models import Person
from kotwal.records.schemas import PersonCreate
from kotwal.records.service import PHONE_DOMAIN, file_person
from kotwal.watch.service import raise_alert

PRIMARY = "primary"
DEMO = "demo"
COPY_KINDS = ("primary", "export", "backup", "demo", "test", "replica")
#: Copies whose decoys are rows of this very database.
HELD_KINDS = frozenset({"primary", "demo", "test", "replica"})
RECORD_DOMAIN = "decoys.record"
PLANT_MAX = 1000
PAGE_MAX = 200
#: One decoy row per this many exported rows (at least two per export, one of them among the
#: first ten rows, where a leaker's "sample" usually comes from).
EXPORT_DENSITY = 20
EXPORT_DECOYS_MIN = 2
EXPORT_DECOYS_MAX = 500
#: Disclosure kinds that mean a record was opened (a listing or an export is not punished).
OPENED_KINDS = frozenset({"record", "photo"})


def record_index(keyring: KeyRing, resource_type: str, record_id: str) -> str:
    """The keyed index under which a decoy's record id is looked up."""
    return blind_index(keyring, RECORD_DOMAIN, f"{resource_type}:{record_id}", bits=64)


def _ensure_copy(
    session: Session, copy_id: str, kind: str, actor: Actor, destination: str | None
) -> DecoyCopy:
    if kind not in COPY_KINDS:
        raise InvalidInput(f"a copy is one of: {', '.join(COPY_KINDS)}")
    existing = session.get(DecoyCopy, copy_id)
    if existing is not None:
        if existing.kind != kind:
            raise InvalidInput(f"the copy {copy_id!r} is a {existing.kind} copy, not {kind}")
        return existing
    copy = DecoyCopy(
        id=copy_id,
        kind=kind,
        created_by=actor.account_id,
        created_by_name=actor.username,
        destination=destination[:500] if destination else None,
    )
    session.add(copy)
    session.flush()
    return copy


def _register(
    session: Session,
    keyring: KeyRing,
    actor: Actor,
    copy_id: str,
    resource_type: str,
    record_id: str,
    content: dict[str, Any],
) -> Decoy:
    decoy = Decoy(
        copy_id=copy_id,
        resource_type=resource_type,
        record_bidx=record_index(keyring, resource_type, record_id),
        content=json.dumps({"record_id": record_id, **content}, ensure_ascii=False),
        planted_by=actor.account_id,
        planted_by_name=actor.username,
    )
    session.add(decoy)
    return decoy


def register_person(
    session: Session,
    keyring: KeyRing,
    actor: Actor,
    copy_id: str,
    person_id: str,
    fake: FakePerson,
    station_code: str,
) -> None:
    """Register a decoy person and its phone number as decoys of ``copy_id``."""
    content = {**fake.as_dict(), "station_code": station_code}
    _register(session, keyring, actor, copy_id, "person", person_id, content)
    phone = normalise_phone(fake.phone)
    _register(
        session, keyring, actor, copy_id, "phone", phone, {"phone": phone, "person_id": person_id}
    )


def _stations(session: Session, paths: Sequence[str] | None = None) -> list[Jurisdiction]:
    stmt = select(Jurisdiction).where(Jurisdiction.kind == JurisdictionKind.STATION.value)
    if paths is not None:
        stmt = stmt.where(or_(*(Jurisdiction.path.startswith(p, autoescape=True) for p in paths)))
    return list(session.execute(stmt.order_by(Jurisdiction.code)).scalars())


def _roots(session: Session) -> tuple[str, ...]:
    stmt = select(Jurisdiction.path).where(Jurisdiction.parent_id.is_(None))
    return tuple(session.execute(stmt).scalars())


def register_contents(session: Session, copy_id: str | None = None) -> list[dict[str, Any]]:
    """Every decoy's sealed content (with ``copy_id``, ``copy_kind``, ``resource_type`` and
    ``decoy_id`` added), for matching a leak. The session must carry the keyring."""
    stmt = select(Decoy, DecoyCopy.kind).join(DecoyCopy, DecoyCopy.id == Decoy.copy_id)
    if copy_id is not None:
        stmt = stmt.where(Decoy.copy_id == copy_id)
    found: list[dict[str, Any]] = []
    for decoy, kind in session.execute(stmt.order_by(Decoy.planted_at, Decoy.id)):
        content = json.loads(str(open_field(session, decoy, "content")))
        content.update(
            decoy_id=decoy.id,
            copy_id=decoy.copy_id,
            copy_kind=kind,
            resource_type=decoy.resource_type,
        )
        found.append(content)
    return found


def _phone_taken(session: Session, keyring: KeyRing, phone: str, taken: set[str]) -> bool:
    if phone in taken:
        return True
    # A decoy must not share a number with a real record: the leak trace would confuse them.
    bidx = blind_index(keyring, PHONE_DOMAIN, phone)
    return (
        session.execute(select(Person.id).where(Person.phone_bidx == bidx).limit(1)).first()
        is not None
    )


def _unique_fake(
    session: Session,
    keyring: KeyRing,
    rng: random.Random,
    taken: set[str],
    phone_prefix: str | None,
) -> FakePerson:
    for _ in range(50):
        fake = fake_person(rng, phone_prefix=phone_prefix)
        phone = normalise_phone(fake.phone)
        if not _phone_taken(session, keyring, phone, taken):
            taken.add(phone)
            return fake
    raise InvalidInput("no free phone number left for a decoy in this range")


def _taken_phones(session: Session) -> set[str]:
    return {str(c["phone"]) for c in register_contents(session) if c["resource_type"] == "phone"}


@dataclass(frozen=True)
class Planted:
    """What ``plant`` did: the copy and the ids of the decoys filed, by kind."""

    copy_id: str
    person_ids: tuple[str, ...]
    licence_ids: tuple[str, ...] = ()
    officer_ids: tuple[str, ...] = ()


def plant(
    uow: UnitOfWork,
    actor: Actor,
    *,
    count: int,
    copy_id: str = PRIMARY,
    kind: str | None = None,
    seed: int | None = None,
    phone_prefix: str | None = None,
    licences: int | None = None,
    officers: int | None = None,
) -> Planted:
    """File ``count`` decoy persons across the stations of this database, ``licences`` decoy
    arms licences and ``officers`` decoy officers (by default one for every four persons and
    one for every ten, when there are real ones to model them on: see
    :mod:`kotwal.decoys.mimic`), and register them with their phone numbers as decoys of
    ``copy_id``: the primary, the demo, a test copy or a replica made from this database.
    Exports and backups get theirs when they are made."""
    kind = kind or (PRIMARY if copy_id == PRIMARY else DEMO if copy_id == DEMO else "test")
    if kind not in HELD_KINDS:
        raise InvalidInput("exports and backups receive their own decoys when they are made")
    if copy_id == PRIMARY and kind != PRIMARY:
        raise InvalidInput("the copy named 'primary' is the primary")
    if not 1 <= count <= PLANT_MAX:
        raise InvalidInput(f"plant 1-{PLANT_MAX} decoys at a time")
    session, keyring = uow.session, uow.runtime.keyring
    stations = _stations(session)
    if not stations:
        raise InvalidInput("there is no police station yet: set up the jurisdiction tree first")
    _ensure_copy(session, copy_id, kind, actor, None)
    # Filing a record needs a writer whose jurisdiction covers every station: the planter acts
    # with the operator's name, so the record.create events name who planted.
    planter = Actor(
        account_id=actor.account_id,
        username=actor.username,
        roles=frozenset({Role.STATE_HQ, Role.ARMS_LICENSING_OFFICER}),
        jurisdiction_paths=_roots(session),
        extra=dict(actor.extra),
    )
    rng: random.Random = random.Random(seed) if seed is not None else random.SystemRandom()  # noqa: S311  # nosec B311
    taken = _taken_phones(session)
    ids: list[str] = []
    for _ in range(count):
        fake = _unique_fake(session, keyring, rng, taken, phone_prefix)
        station = rng.choice(stations)
        person = file_person(uow, planter, _person_create(fake, station.id))
        register_person(session, keyring, actor, copy_id, person.id, fake, station.code)
        ids.append(person.id)
    licence_ids = _plant_modelled(
        uow,
        actor,
        planter,
        copy_id,
        rng,
        taken,
        phone_prefix,
        "arms_licence",
        mimic.plant_licence,
        _default_share(session, ArmsLicence, count, 4) if licences is None else licences,
    )
    officer_ids = _plant_modelled(
        uow,
        actor,
        planter,
        copy_id,
        rng,
        taken,
        phone_prefix,
        "officer",
        mimic.plant_officer,
        _default_share(session, Officer, count, 10) if officers is None else officers,
    )
    session.flush()
    uow.audit(
        actor_event(
            actor,
            "decoys.plant",
            Outcome.SUCCESS,
            resource_type="decoy",
            detail={
                "copy": copy_id,
                "count": count,
                "licences": len(licence_ids),
                "officers": len(officer_ids),
            },
        )
    )
    return Planted(copy_id, tuple(ids), licence_ids, officer_ids)


def _default_share(session: Session, model: type[Any], persons: int, per: int) -> int:
    """One decoy of ``model`` for every ``per`` decoy persons, if there is a real one to model
    it on (a force that keeps no licences here gets no decoy licences)."""
    if session.scalar(select(model.id).limit(1)) is None:
        return 0
    return max(1, persons // per)


def _plant_modelled(
    uow: UnitOfWork,
    actor: Actor,
    planter: Actor,
    copy_id: str,
    rng: random.Random,
    taken: set[str],
    phone_prefix: str | None,
    resource_type: str,
    make: Callable[[UnitOfWork, Actor, random.Random, FakePerson], mimic.PlantedRecord],
    count: int,
) -> tuple[str, ...]:
    """File ``count`` decoys with ``make`` and register each, with its phone number."""
    if not 0 <= count <= PLANT_MAX:
        raise InvalidInput(f"plant 0-{PLANT_MAX} decoys of each kind at a time")
    session, keyring = uow.session, uow.runtime.keyring
    ids: list[str] = []
    for _ in range(count):
        fake = _unique_fake(session, keyring, rng, taken, phone_prefix)
        planted = make(uow, planter, rng, fake)
        _register(
            session, keyring, actor, copy_id, resource_type, planted.record_id, planted.content
        )
        phone = normalise_phone(fake.phone)
        _register(
            session,
            keyring,
            actor,
            copy_id,
            "phone",
            phone,
            {"phone": phone, resource_type + "_id": planted.record_id},
        )
        ids.append(planted.record_id)
    return tuple(ids)


def _person_create(fake: FakePerson, station_id: str) -> PersonCreate:
    return PersonCreate.model_validate(
        {
            "name": fake.name,
            "father_name": fake.father_name,
            "aliases": list(fake.aliases),
            "sex": fake.sex,
            "birth_year": fake.birth_year,
            "marks": fake.marks,
            "category": fake.category,
            "status": fake.status,
            "station_id": station_id,
            "phone": fake.phone,
            "address": fake.address,
        }
    )


# --- exports -----------------------------------------------------------------------------


class RowWriter(Protocol):
    def writerow(self, row: Iterable[str], /) -> Any: ...


@dataclass
class ExportCopy:
    """An export's own decoys: rows to slip among the real ones at chosen positions."""

    copy_id: str
    planted: list[tuple[int, list[str]]] = field(default_factory=list)

    def interleave(self, writer: RowWriter) -> Interleaving:
        """A CSV writer that writes the header, then puts each decoy row before the real row
        at its position; :meth:`Interleaving.finish` writes any left for the end."""
        return Interleaving(writer, sorted(self.planted, key=lambda p: p[0]))


class Interleaving:
    """Wraps a CSV writer; see :meth:`ExportCopy.interleave`."""

    def __init__(self, writer: RowWriter, planted: list[tuple[int, list[str]]]) -> None:
        self._writer = writer
        self._pending = planted
        self._rows = -1  # the header comes first and is not a data row

    def writerow(self, row: Iterable[str], /) -> Any:
        if self._rows >= 0:
            while self._pending and self._pending[0][0] <= self._rows:
                self._writer.writerow(self._pending.pop(0)[1])
        self._rows += 1
        return self._writer.writerow(row)

    def finish(self) -> None:
        while self._pending:
            self._writer.writerow(self._pending.pop(0)[1])


def export_decoy_count(rows: int) -> int:
    return max(EXPORT_DECOYS_MIN, min(EXPORT_DECOYS_MAX, math.ceil(rows / EXPORT_DENSITY)))


@contextmanager
def _register_unit(uow: UnitOfWork) -> Iterator[Session]:
    """Where a copy's register entries are written. An export runs in a read unit of work,
    so they go in a transaction of their own, committed before the file is written: a copy
    may be registered and never made, but none is made unregistered."""
    if uow.write:
        yield uow.session
        return
    session = bind_keyring(uow.runtime.db.session(write=True), uow.runtime.keyring)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def export_copy(
    uow: UnitOfWork,
    actor: Actor,
    *,
    scope_paths: Sequence[str],
    rows: int,
    columns: Sequence[str],
    destination: str | None = None,
) -> ExportCopy:
    """Register a new export copy and make its decoy rows (in the importer's ``columns``),
    filed at stations of the export's scope and masked as the exporter's real rows are."""
    from kotwal.core.db import new_id

    copy = ExportCopy(copy_id=new_id())
    count = export_decoy_count(rows)
    rng = random.SystemRandom()
    hide_confidential = actor.clearance < DataClass.CONFIDENTIAL
    with _register_unit(uow) as session:
        stations = _stations(session, scope_paths) or _stations(session)
        if not stations:
            return copy
        _ensure_copy(session, copy.copy_id, "export", actor, destination)
        taken = _taken_phones(session)
        for n in range(count):
            fake = _unique_fake(session, uow.runtime.keyring, rng, taken, None)
            station = rng.choice(stations)
            register_person(
                session, uow.runtime.keyring, actor, copy.copy_id, new_id(), fake, station.code
            )
            values = {**fake.as_dict(), "station_code": station.code, "name_te": ""}
            values["aliases"] = ALIAS_SEPARATOR.join(fake.aliases)
            if hide_confidential:
                values["phone"] = values["address"] = MASKED_TEXT
            cells = ["" if values.get(c) is None else str(values[c]) for c in columns]
            # The first within the first ten rows (samples are often taken from the top).
            position = rng.randrange(min(rows, 10) + 1) if n == 0 else rng.randrange(rows + 1)
            copy.planted.append((position, cells))
        session.flush()
        event = actor_event(
            actor,
            "decoys.copy",
            Outcome.SUCCESS,
            resource_type="decoy",
            detail={"copy": copy.copy_id, "kind": "export", "count": count},
        )
        if uow.write:
            uow.audit(event)
        else:
            audit.append(session, [event])
    return copy


# --- the alarm ---------------------------------------------------------------------------


_ANY_DECOY = (
    select(Decoy.id)
    .where(
        Decoy.resource_type == bindparam("resource_type"),
        Decoy.record_bidx.in_(bindparam("bidx", expanding=True)),
    )
    .limit(1)
)


def decoy_hits(
    session: Session, keyring: KeyRing, resource_type: str, record_ids: Sequence[str]
) -> list[tuple[Decoy, str]]:
    """The register's decoys among ``record_ids`` of ``resource_type``, with their record id."""
    if not record_ids:
        return []
    wanted = {record_index(keyring, resource_type, rid): rid for rid in record_ids}
    # Every disclosure asks; almost always the answer is none, found with a statement built
    # once and no ORM loading.
    found = (
        session.connection()
        .execute(_ANY_DECOY, {"resource_type": resource_type, "bidx": sorted(wanted)})
        .first()
    )
    if found is None:
        return []
    stmt = select(Decoy).where(
        Decoy.resource_type == resource_type, Decoy.record_bidx.in_(sorted(wanted))
    )
    hits: list[tuple[Decoy, str]] = []
    for decoy in session.execute(stmt).scalars():
        content = json.loads(str(open_field(session, decoy, "content")))
        if content.get("record_id") == wanted[decoy.record_bidx]:  # the index is truncated
            hits.append((decoy, wanted[decoy.record_bidx]))
    return hits


def on_disclosure(uow: UnitOfWork, disclosure: Disclosure) -> None:
    """Disclosure observer: an opened decoy raises an alert and suspends the session."""
    if disclosure.kind not in OPENED_KINDS:
        return
    hits = decoy_hits(
        uow.session, uow.runtime.keyring, disclosure.resource_type, disclosure.record_ids
    )
    if hits:
        _tripped(uow, disclosure, hits)


def install(runtime: Runtime) -> None:
    """The decoys hear of every disclosure, and imports refuse registered decoys (the server
    and the command line alike)."""
    runtime.observers.register(on_disclosure)
    runtime.hooks.register(IMPORT_CHECKS, "decoys", refuse_decoy_rows)
    runtime.hooks.register(EXPORT_COPY, "decoys", export_copy)


def refuse_decoy_rows(
    uow: UnitOfWork, rows: Sequence[tuple[int, PersonCreate]]
) -> list[tuple[int, str, str]]:
    """The rows of an import that are registered decoys: an export carries decoy rows of its
    own, and a file made from an export would otherwise make them records. A row is a decoy
    if its phone number is a decoy's, or (its phone masked) if its name, father's name and
    birth year are a decoy person's."""
    if not rows:
        return []
    session, keyring = uow.session, uow.runtime.keyring
    phones = {normalise_phone(p.phone): line for line, p in rows if p.phone}
    refused: dict[int, str] = {}
    for decoy, phone in decoy_hits(session, keyring, "phone", sorted(phones)):
        refused[phones[phone]] = decoy.copy_id
    people = {
        (str(e.get("name")), str(e.get("father_name")), e.get("birth_year")): str(e["copy_id"])
        for e in register_contents(session)
        if e["resource_type"] == "person"
    }
    for line, person in rows:
        copy_id = people.get((person.name, str(person.father_name), person.birth_year))
        if copy_id is not None:
            refused.setdefault(line, copy_id)
    return [
        (line, "row", f"this row is a registered decoy (of copy {copy_id!r}); remove it")
        for line, copy_id in sorted(refused.items())
    ]


def _tripped(uow: UnitOfWork, disclosure: Disclosure, hits: list[tuple[Decoy, str]]) -> None:
    # The answer still leaves: a decoy holds nothing real, and a refusal would tell the reader
    # which record was the trap. Their sessions end and the account is suspended at once.
    actor = disclosure.actor
    copies = sorted({d.copy_id for d, _ in hits})
    raise_alert(
        uow,
        account_id=actor.account_id,
        session_id=actor.session_id,
        kind="decoy",
        record_ids=tuple(rid for _, rid in hits),
        detail={
            "resource_type": disclosure.resource_type,
            "decoys": len(hits),
            "copy": ",".join(copies)[:200],
            "username": actor.username,
        },
        action="suspend",
    )


# --- the register ------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the register, as a security officer reads it (no made-up content)."""

    id: str
    copy_id: str
    copy_kind: str
    resource_type: str
    record_id: str
    planted_at: datetime
    planted_by_name: str


def read_register(
    uow: UnitOfWork,
    actor: Actor,
    *,
    copy_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RegisterEntry]:
    """A page of the register, newest first; only for security officers, and audited.

    The register is not a record of anyone, so it does not pass the records' gate (whose
    clearances would mask it from the security officer, the one person meant to read it);
    it is guarded by its own permission and every read is an audit event.
    """
    if not actor.can(DecoysPermission.DECOY_READ):
        uow.record_now(
            [
                actor_event(
                    actor,
                    "decoys.read",
                    Outcome.DENIED,
                    resource_type="decoy",
                    detail={"reason": "no-permission"},
                )
            ]
        )
        raise Forbidden()
    stmt = select(Decoy, DecoyCopy.kind).join(DecoyCopy, DecoyCopy.id == Decoy.copy_id)
    if copy_id is not None:
        stmt = stmt.where(Decoy.copy_id == copy_id)
    stmt = stmt.order_by(Decoy.planted_at.desc(), Decoy.id).offset(max(0, offset))
    stmt = stmt.limit(max(1, min(limit, PAGE_MAX)))
    entries = [
        RegisterEntry(
            id=decoy.id,
            copy_id=decoy.copy_id,
            copy_kind=kind,
            resource_type=decoy.resource_type,
            record_id=str(json.loads(str(open_field(uow.session, decoy, "content")))["record_id"]),
            planted_at=decoy.planted_at,
            planted_by_name=decoy.planted_by_name,
        )
        for decoy, kind in uow.session.execute(stmt)
    ]
    uow.audit(
        actor_event(
            actor,
            "decoys.read",
            Outcome.SUCCESS,
            resource_type="decoy",
            detail={"copy": copy_id, "count": len(entries)},
        )
    )
    return entries


@dataclass(frozen=True)
class CopyEntry:
    """A copy of the data and how many decoys it carries."""

    id: str
    kind: str
    created_at: datetime
    created_by: str | None
    created_by_name: str
    destination: str | None
    decoys: int


def copies(uow: UnitOfWork, actor: Actor) -> list[CopyEntry]:
    """Every copy with the number of decoys it carries; security officers only, audited."""
    if not actor.can(DecoysPermission.DECOY_READ):
        raise Forbidden()
    counts = dict(
        uow.session.execute(select(Decoy.copy_id, func.count()).group_by(Decoy.copy_id)).all()
    )
    rows = uow.session.execute(select(DecoyCopy).order_by(DecoyCopy.created_at).limit(1000))
    found = [
        CopyEntry(
            c.id,
            c.kind,
            c.created_at,
            c.created_by,
            c.created_by_name,
            c.destination,
            int(counts.get(c.id, 0)),
        )
        for c in rows.scalars()
    ]
    uow.audit(
        actor_event(
            actor,
            "decoys.read",
            Outcome.SUCCESS,
            resource_type="decoy_copy",
            detail={"count": len(found)},
        )
    )
    return found


@dataclass(frozen=True, slots=True)
class CopyOrigin:
    """Who made a copy of the data and where it went: what a leak trace names."""

    created_by: str | None
    created_by_name: str
    destination: str | None


def copy_origin(session: Session, copy_id: str) -> CopyOrigin | None:
    """The origin of copy ``copy_id``, None if no such copy is registered (not audited: the
    leak trace that asks is audited itself)."""
    found = session.get(DecoyCopy, copy_id)
    if found is None:
        return None
    return CopyOrigin(found.created_by, found.created_by_name, found.destination)


def primary_decoy_count(session: Session) -> int:
    """How many decoy persons this database itself carries (the primary's, or the demo's or a
    test copy's when this database is one of those), for the security self-check."""
    stmt = (
        select(func.count())
        .select_from(Decoy)
        .join(DecoyCopy, DecoyCopy.id == Decoy.copy_id)
        .where(DecoyCopy.kind.in_(sorted(HELD_KINDS)), Decoy.resource_type == "person")
    )
    return int(session.execute(stmt).scalar_one())


def plant_demo(runtime: Runtime, count: int) -> Planted:
    """The demo's own decoys (copy ``demo``), with phones in the demo's synthetic range."""
    seeder = Actor(account_id=None, username="cli:demo-seed")
    with UnitOfWork(runtime, write=True) as uow:
        return plant(uow, seeder, count=count, copy_id=DEMO, kind=DEMO, phone_prefix="90000")


def seed_demo(ctx: DemoContext) -> None:
    """The demo is a copy of its own: its decoys are registered as the demo's."""
    plant_demo(ctx.runtime, count=max(5, ctx.size // 1000))

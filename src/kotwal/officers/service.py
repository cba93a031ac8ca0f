"""Force operations, one transaction each (the caller's unit of work).

An officer record belongs to the unit of the officer's current posting: it is written only by
those whose jurisdiction covers that unit (a transfer must be covered at both ends), and read
through the gate, which masks it outside the reader's jurisdiction until a purpose is declared
and masks the personal contact beyond the reader's clearance. A station profile belongs to its
station in the same way. Every change keeps the earlier version.
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import station_today, utcnow
from kotwal.core.crypto import blind_index, open_field
from kotwal.core.edits import changes_of, check_version
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.gate import MASKED, ceiling, clean_purpose, disclose
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.models import Account
from kotwal.core.observers import DisclosureKind
from kotwal.core.policy import Actor, DataClass, Jurisdiction, JurisdictionKind
from kotwal.core.scope import in_jurisdiction, refuse_outside, require
from kotwal.core.uow import UnitOfWork
from kotwal.officers.models import (
    Officer,
    OfficerNameKey,
    OfficerPosting,
    OfficerVersion,
    StationProfile,
    StationProfileVersion,
)
from kotwal.officers.permissions import OfficersPermission
from kotwal.officers.schemas import (
    PAGE_MAX,
    OfficerCreate,
    OfficerUpdate,
    StationProfileCreate,
    StationProfileUpdate,
    Transfer,
    normalise_belt,
)
from kotwal.records import names

SEARCH_MAX_CANDIDATES = 5000
SEARCH_MAX_RESULTS = 50
POSTINGS_MAX = 200
VERSIONS_MAX = 200
STATION_OFFICERS_MAX = 200


# --- helpers ------------------------------------------------------------------------------


def _refused(uow: UnitOfWork, actor: Actor, action: str, resource_type: str) -> Forbidden:
    """Audit a write refused for jurisdiction (whatever becomes of the request) and return the
    problem to raise."""
    message = "you can change force records only in your own jurisdiction"
    return refuse_outside(uow, actor, action, resource_type, message)


def _unit(uow: UnitOfWork, unit_id: str, field: str = "unit_id") -> Jurisdiction:
    unit = uow.session.get(Jurisdiction, unit_id)
    if unit is None:
        raise InvalidInput(f"{field} does not name a station or unit")
    return unit


def _writable_unit(
    uow: UnitOfWork, actor: Actor, unit_id: str, action: str, resource_type: str = "officer"
) -> Jurisdiction:
    unit = _unit(uow, unit_id)
    if not actor.covers(unit.path):
        raise _refused(uow, actor, action, resource_type)
    return unit


def _officer(uow: UnitOfWork, officer_id: str) -> Officer:
    officer = uow.session.get(Officer, officer_id)
    if officer is None:
        raise NotFound("no such officer")
    return officer


def unit_names(uow: UnitOfWork, unit_ids: set[str]) -> dict[str, str]:
    """Names of stations and units (public information), for showing postings."""
    return jurisdiction_names(uow, unit_ids)


def _searched(
    uow: UnitOfWork, actor: Actor, kind: str, query: str, purpose: str | None, found: int
) -> None:
    """Every search is an event, hits or not; the query is kept as a keyed hash."""
    digest = blind_index(uow.runtime.keyring, f"audit.search.{kind}", query.lower(), bits=64)
    uow.audit(
        actor_event(
            actor,
            "force.search",
            Outcome.SUCCESS,
            resource_type="officer",
            purpose=purpose,
            detail={"kind": kind, "results": found, "query_hash": digest},
        )
    )


def index_name(uow: UnitOfWork, officer_id: str, name: str) -> None:
    """(Re)build an officer's phonetic name keys."""
    uow.session.execute(delete(OfficerNameKey).where(OfficerNameKey.officer_id == officer_id))
    for key in sorted(names.name_keys(name)):
        uow.session.add(OfficerNameKey(officer_id=officer_id, key=key))


# --- disclosure -----------------------------------------------------------------------------


def officers_out(
    uow: UnitOfWork,
    actor: Actor,
    officers: list[Officer],
    purpose: str | None,
    kind: DisclosureKind | None = None,
) -> list[dict[str, Any]]:
    """Officers through the gate, each with its posting history when the gate releases the
    record's RESTRICTED fields to this reader (the postings are RESTRICTED); masked otherwise.
    The gate's audit event for the record covers its postings."""
    shown = disclose(uow, actor, purpose, officers, kind=kind)
    purpose = clean_purpose(purpose)
    released = [
        o.id
        for o in officers
        if ceiling(actor, actor.covers(o.jurisdiction_path), purpose) >= DataClass.RESTRICTED
    ]
    postings: dict[str, list[OfficerPosting]] = {i: [] for i in released}
    if released:
        stmt = (
            select(OfficerPosting)
            .where(OfficerPosting.officer_id.in_(released))
            .order_by(OfficerPosting.from_date.desc(), OfficerPosting.id)
        )
        for posting in uow.session.execute(stmt).scalars():
            if len(postings[posting.officer_id]) < POSTINGS_MAX:
                postings[posting.officer_id].append(posting)
    units = unit_names(uow, {p.unit_id for rows in postings.values() for p in rows})
    for record in shown:
        rows = postings.get(record["id"])
        record["postings"] = (
            MASKED
            if rows is None
            else [
                {
                    "unit_id": p.unit_id,
                    "unit_name": units.get(p.unit_id, ""),
                    "post": p.post,
                    "from_date": p.from_date,
                    "to_date": p.to_date,
                }
                for p in rows
            ]
        )
    return shown


# --- officers: create -----------------------------------------------------------------------


def _check_account(uow: UnitOfWork, account_id: str, officer_id: str | None) -> None:
    if uow.session.get(Account, account_id) is None:
        raise InvalidInput("account_id does not name an account")
    taken = uow.session.execute(
        select(Officer.id).where(Officer.account_id == account_id)
    ).scalar_one_or_none()
    if taken is not None and taken != officer_id:
        raise Conflict("this account is already linked to another officer record")


def _check_belt_free(uow: UnitOfWork, belt: str, officer_id: str | None) -> None:
    taken = uow.session.execute(
        select(Officer.id).where(Officer.belt_number == belt)
    ).scalar_one_or_none()
    if taken is not None and taken != officer_id:
        raise Conflict("this belt number is already on another officer's record")


def _check_career(uow: UnitOfWork, data: OfficerCreate) -> None:
    """Earlier postings are dated, in the past, and do not overlap each other or the
    current posting."""
    if data.posted_on > station_today(uow.runtime):
        raise InvalidInput("a posting cannot begin in the future")
    earlier = sorted(data.earlier_postings, key=lambda p: p.from_date)
    for posting in earlier:
        _unit(uow, posting.unit_id, "earlier_postings.unit_id")
        if posting.to_date < posting.from_date:
            raise InvalidInput("an earlier posting cannot end before it begins")
    for before, after in pairwise(earlier):
        if after.from_date <= before.to_date:
            raise InvalidInput("earlier postings overlap")
    if earlier and earlier[-1].to_date >= data.posted_on:
        raise InvalidInput("earlier postings end before the current posting begins")


def file_officer(uow: UnitOfWork, actor: Actor, data: OfficerCreate) -> Officer:
    """Enter an officer posted to a unit inside the actor's jurisdiction, with their earlier
    postings; audited, not disclosed back (for seeding and imports)."""
    require(actor, OfficersPermission.OFFICER_MANAGE)
    unit = _writable_unit(uow, actor, data.unit_id, "officer.create")
    _check_career(uow, data)
    belt = normalise_belt(data.belt_number)
    _check_belt_free(uow, belt, None)
    if data.account_id is not None:
        _check_account(uow, data.account_id, None)
    officer = Officer(
        name=data.name,
        rank=data.rank.value,
        belt_number=belt,
        status=data.status.value,
        unit_id=unit.id,
        jurisdiction_path=unit.path,
        official_phone=data.official_phone,
        official_email=data.official_email,
        personal_phone=data.personal_phone,
        personal_address=data.personal_address,
        account_id=data.account_id,
        version=1,
    )
    uow.session.add(officer)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # the same belt or account entered a moment ago
        raise Conflict("this belt number or account is already on another record") from exc
    for earlier in data.earlier_postings:
        uow.session.add(
            OfficerPosting(
                officer_id=officer.id,
                unit_id=earlier.unit_id,
                post=earlier.post,
                from_date=earlier.from_date,
                to_date=earlier.to_date,
                added_by=actor.account_id,
            )
        )
    uow.session.add(
        OfficerPosting(
            officer_id=officer.id,
            unit_id=unit.id,
            post=data.post,
            from_date=data.posted_on,
            added_by=actor.account_id,
        )
    )
    index_name(uow, officer.id, data.name)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "officer.create",
            Outcome.SUCCESS,
            resource_type="officer",
            resource_id=officer.id,
        )
    )
    return officer


def create_officer(uow: UnitOfWork, actor: Actor, data: OfficerCreate) -> dict[str, Any]:
    """Enter an officer; the answer comes through the gate like any read."""
    return officers_out(uow, actor, [file_officer(uow, actor, data)], None, kind="echo")[0]


# --- officers: read, list, search -----------------------------------------------------------


def read_officer(
    uow: UnitOfWork, actor: Actor, officer_id: str, purpose: str | None
) -> dict[str, Any]:
    """One officer with the posting history, through the gate."""
    return officers_out(uow, actor, [_officer(uow, officer_id)], purpose)[0]


def list_officers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    unit_id: str | None = None,
    purpose: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Officers now posted in the actor's jurisdiction (or at one unit, which may be outside
    it: the gate masks those), by name, one capped page at a time."""
    require(actor, OfficersPermission.OFFICER_READ)
    stmt = select(Officer)
    if unit_id is not None:
        stmt = stmt.where(Officer.unit_id == unit_id)
    else:
        stmt = stmt.where(in_jurisdiction(Officer.jurisdiction_path, actor))
    stmt = stmt.order_by(Officer.name, Officer.id).offset(offset).limit(min(limit, PAGE_MAX))
    return officers_out(uow, actor, list(uow.session.execute(stmt).scalars()), purpose, kind="list")


def find_by_belt(
    uow: UnitOfWork, actor: Actor, belt_number: str, purpose: str | None
) -> list[dict[str, Any]]:
    """Exact lookup by belt number, anywhere in the force; audited like every search."""
    require(actor, OfficersPermission.OFFICER_READ)
    belt = normalise_belt(belt_number)
    if not 2 <= len(belt) <= 32:
        raise InvalidInput("a belt number is 2-32 characters")
    purpose = clean_purpose(purpose)
    found = list(
        uow.session.execute(select(Officer).where(Officer.belt_number == belt).limit(1)).scalars()
    )
    _searched(uow, actor, "belt", belt, purpose, len(found))
    return officers_out(uow, actor, found, purpose, kind="list")


def search_by_name(
    uow: UnitOfWork, actor: Actor, query: str, purpose: str | None, limit: int = 20
) -> list[dict[str, Any]]:
    """Officers whose name matches ``query`` (fuzzy, phonetic, Latin or Telugu script), best
    first, through the gate. Reasons quote the name only where the reader may see it."""
    require(actor, OfficersPermission.OFFICER_READ)
    query = " ".join(query.split())
    if not 2 <= len(query) <= 100:
        raise InvalidInput("a name to search is 2-100 characters")
    keys = names.name_keys(query)
    if not keys:
        raise InvalidInput("give a name of at least two letters")
    ids = (
        select(OfficerNameKey.officer_id)
        .where(OfficerNameKey.key.in_(sorted(keys)))
        .distinct()
        .limit(SEARCH_MAX_CANDIDATES)
    )
    candidates = list(uow.session.execute(select(Officer).where(Officer.id.in_(ids))).scalars())
    scored = [(o, *_best(query, o.name)) for o in candidates]
    kept = sorted(
        ((o, v, s) for o, v, s in scored if v >= names.DEFAULT_THRESHOLD),
        key=lambda ovs: (-ovs[1], not actor.covers(ovs[0].jurisdiction_path), ovs[0].id),
    )[: min(limit, SEARCH_MAX_RESULTS)]
    # Reasons are written for the officers shown only.
    hits = [(o, names.score(query, spelling)) for o, _, spelling in kept]
    purpose = clean_purpose(purpose)
    _searched(uow, actor, "officer_name", query, purpose, len(hits))
    shown = officers_out(uow, actor, [o for o, _ in hits], purpose, kind="list")
    return [
        {
            "officer": record,
            "score": round(match.score, 3),
            "reasons": list(match.reasons)
            if isinstance(record["name"], str)
            else ["this officer's name matches; declare a purpose to see it"],
        }
        for record, (_, match) in zip(shown, hits, strict=True)
    ]


def _best(query: str, name: str) -> tuple[float, str]:
    """The best similarity of ``query`` to the officer's name, and the spelling that gave it."""
    spellings = [name]
    if len(query.split()) == 1:
        # A one-word query asks for anyone with that word among their names.
        spellings += [word for word in name.split() if len(word) > 1]
    return max(((names.similarity(query, s), s) for s in spellings), key=lambda vs: vs[0])


# --- officers: change ------------------------------------------------------------------------

#: Fields an update may change; the personal ones are sealed and read by opening.
# A table of data, aligned by hand: it reads better in rows than one item a line.
_PLAIN_FIELDS = ("name", "rank", "belt_number", "status", "unit_id", "official_phone",
                 "official_email", "account_id")  # fmt: skip
_SEALED_FIELDS = ("personal_phone", "personal_address")


def _snapshot(uow: UnitOfWork, officer: Officer) -> str:
    state: dict[str, Any] = {f: getattr(officer, f) for f in _PLAIN_FIELDS}
    for field in _SEALED_FIELDS:
        state[field] = open_field(uow.session, officer, field)
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def _writable_officer(
    uow: UnitOfWork, actor: Actor, officer_id: str, expected_version: int, action: str
) -> Officer:
    require(actor, OfficersPermission.OFFICER_MANAGE)
    officer = _officer(uow, officer_id)
    if not actor.covers(officer.jurisdiction_path):
        raise _refused(uow, actor, action, "officer")
    check_version(officer.version, expected_version)
    return officer


def _keep_version(uow: UnitOfWork, actor: Actor, officer: Officer, fields: list[str]) -> None:
    uow.session.add(
        OfficerVersion(
            officer_id=officer.id,
            version=officer.version,
            snapshot=_snapshot(uow, officer),
            changed_fields=",".join(sorted(fields)),
            changed_by=actor.account_id,
            changed_by_name=actor.username,
        )
    )
    officer.version += 1
    officer.updated_at = utcnow()


def update_officer(
    uow: UnitOfWork, actor: Actor, officer_id: str, data: OfficerUpdate
) -> dict[str, Any]:
    """Change an officer record of the actor's jurisdiction; the earlier state is kept."""
    officer = _writable_officer(uow, actor, officer_id, data.expected_version, "officer.update")
    changes = changes_of(data)
    for field in ("name", "rank", "belt_number", "status"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be emptied")
    if changes.get("belt_number") is not None:
        changes["belt_number"] = normalise_belt(changes["belt_number"])
        _check_belt_free(uow, changes["belt_number"], officer.id)
    if changes.get("account_id") is not None:
        _check_account(uow, changes["account_id"], officer.id)
    _keep_version(uow, actor, officer, list(changes))
    for field, value in changes.items():
        setattr(officer, field, value.value if hasattr(value, "value") else value)
    if "name" in changes:
        index_name(uow, officer.id, officer.name)
    try:
        uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("this belt number or account is already on another record") from exc
    uow.audit(
        actor_event(
            actor,
            "officer.update",
            Outcome.SUCCESS,
            resource_type="officer",
            resource_id=officer.id,
            detail={"fields": ",".join(sorted(changes)), "version": officer.version},
        )
    )
    return officers_out(uow, actor, [officer], None)[0]


def transfer_officer(
    uow: UnitOfWork, actor: Actor, officer_id: str, data: Transfer
) -> dict[str, Any]:
    """Post an officer to another station or unit from a date. Both the unit they leave and
    the one they join must be inside the actor's jurisdiction. The open posting ends the day
    before; if the officer was that station's SHO, the station no longer names them."""
    officer = _writable_officer(uow, actor, officer_id, data.expected_version, "officer.transfer")
    unit = _writable_unit(uow, actor, data.unit_id, "officer.transfer")
    current = uow.session.execute(
        select(OfficerPosting)
        .where(OfficerPosting.officer_id == officer.id, OfficerPosting.to_date.is_(None))
        .order_by(OfficerPosting.from_date.desc())
        .limit(1)
    ).scalar_one_or_none()
    if data.from_date > station_today(uow.runtime):
        raise InvalidInput("a posting cannot begin in the future")
    if current is not None:
        if data.from_date <= current.from_date:
            raise InvalidInput("the new posting begins after the current one began")
        if current.unit_id == unit.id and current.post == data.post:
            raise InvalidInput("the officer already holds this post there")
        current.to_date = data.from_date - timedelta(days=1)
    left = officer.unit_id
    _keep_version(uow, actor, officer, ["unit_id"])
    officer.unit_id, officer.jurisdiction_path = unit.id, unit.path
    uow.session.add(
        OfficerPosting(
            officer_id=officer.id,
            unit_id=unit.id,
            post=data.post,
            from_date=data.from_date,
            added_by=actor.account_id,
        )
    )
    if left != unit.id:
        _release_command(uow, actor, left, officer.id)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "officer.transfer",
            Outcome.SUCCESS,
            resource_type="officer",
            resource_id=officer.id,
            detail={"version": officer.version},
        )
    )
    return officers_out(uow, actor, [officer], None)[0]


def _release_command(uow: UnitOfWork, actor: Actor, station_id: str, officer_id: str) -> None:
    """An SHO who leaves the station stops being its SHO (a new station version records it)."""
    profile = uow.session.get(StationProfile, station_id)
    if profile is None or profile.sho_officer_id != officer_id:
        return
    _keep_station_version(uow, actor, profile, ["sho_officer_id"])
    profile.sho_officer_id = None


def officer_history(uow: UnitOfWork, actor: Actor, officer_id: str) -> list[OfficerVersion]:
    """The versions of an officer record (who, when, which fields), inside its jurisdiction."""
    officer = _officer(uow, officer_id)
    disclose(uow, actor, None, [officer])  # the same door, and the same audit, as a read
    if not actor.covers(officer.jurisdiction_path):
        raise Forbidden("the history of a record is visible inside its jurisdiction")
    stmt = (
        select(OfficerVersion)
        .where(OfficerVersion.officer_id == officer.id)
        .order_by(OfficerVersion.version.desc())
        .limit(VERSIONS_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


# --- stations --------------------------------------------------------------------------------

_STATION_FIELDS = ("address", "phone", "latitude", "longitude", "sho_officer_id")


def _station(uow: UnitOfWork, station_id: str) -> Jurisdiction:
    node = uow.session.get(Jurisdiction, station_id)
    if node is None or node.kind != JurisdictionKind.STATION:
        raise NotFound("no such police station")
    return node


def _check_sho(uow: UnitOfWork, station_id: str, officer_id: str) -> None:
    """The station house officer is an officer posted at that station now."""
    officer = uow.session.get(Officer, officer_id)
    if officer is None or officer.unit_id != station_id:
        raise InvalidInput("sho_officer_id must name an officer posted at this station")


def _keep_station_version(
    uow: UnitOfWork, actor: Actor, profile: StationProfile, fields: list[str]
) -> None:
    state = {f: getattr(profile, f) for f in _STATION_FIELDS}
    uow.session.add(
        StationProfileVersion(
            station_id=profile.id,
            version=profile.version,
            snapshot=json.dumps(state, sort_keys=True),
            changed_fields=",".join(sorted(fields)),
            changed_by=actor.account_id,
            changed_by_name=actor.username,
        )
    )
    profile.version += 1
    profile.updated_at = utcnow()


def stations_out(
    uow: UnitOfWork,
    actor: Actor,
    nodes: list[Jurisdiction],
    purpose: str | None,
    kind: DisclosureKind | None = None,
) -> list[dict[str, Any]]:
    """Stations with their place in the tree (public) and their profiles through the gate;
    a station without a profile yet shows empty fields."""
    ids = [n.id for n in nodes]
    profiles: dict[str, StationProfile] = {}
    if ids:
        rows = uow.session.execute(select(StationProfile).where(StationProfile.id.in_(ids)))
        profiles = {p.id: p for p in rows.scalars()}
    found = [profiles[i] for i in ids if i in profiles]
    shown = {d["id"]: d for d in disclose(uow, actor, purpose, found, kind=kind)} if found else {}
    out: list[dict[str, Any]] = []
    for node in nodes:
        record: dict[str, Any] = dict.fromkeys((*_STATION_FIELDS, "version"))
        record.update(shown.get(node.id, {}))
        record.update(id=node.id, code=node.code, name=node.name, parent_id=node.parent_id)
        out.append(record)
    return out


def create_station_profile(
    uow: UnitOfWork, actor: Actor, data: StationProfileCreate
) -> dict[str, Any]:
    """Give a station of the actor's jurisdiction its profile (once; later, update it)."""
    profile = file_station_profile(uow, actor, data)
    return stations_out(uow, actor, [_station(uow, profile.id)], None, kind="echo")[0]


def file_station_profile(
    uow: UnitOfWork, actor: Actor, data: StationProfileCreate
) -> StationProfile:
    """Give a station its profile, audited, without disclosing it back (for seeding)."""
    require(actor, OfficersPermission.STATION_MANAGE)
    node = _station(uow, data.station_id)
    if not actor.covers(node.path):
        raise _refused(uow, actor, "station.create", "station")
    if uow.session.get(StationProfile, node.id) is not None:
        raise Conflict("this station has a profile; change it instead")
    if data.sho_officer_id is not None:
        _check_sho(uow, node.id, data.sho_officer_id)
    profile = StationProfile(
        id=node.id,
        jurisdiction_path=node.path,
        address=data.address,
        phone=data.phone,
        latitude=data.latitude,
        longitude=data.longitude,
        sho_officer_id=data.sho_officer_id,
        version=1,
    )
    uow.session.add(profile)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # created by someone else a moment ago
        raise Conflict("this station has a profile; change it instead") from exc
    uow.audit(
        actor_event(
            actor, "station.create", Outcome.SUCCESS, resource_type="station", resource_id=node.id
        )
    )
    return profile


def update_station_profile(
    uow: UnitOfWork, actor: Actor, station_id: str, data: StationProfileUpdate
) -> dict[str, Any]:
    """Change a station profile of the actor's jurisdiction; the earlier version is kept."""
    require(actor, OfficersPermission.STATION_MANAGE)
    node = _station(uow, station_id)
    if not actor.covers(node.path):
        raise _refused(uow, actor, "station.update", "station")
    profile = uow.session.get(StationProfile, node.id)
    if profile is None:
        raise NotFound("this station has no profile yet")
    check_version(profile.version, data.expected_version, "station")
    changes = changes_of(data)
    if "address" in changes and changes["address"] is None:
        raise InvalidInput("address cannot be emptied")
    if changes.get("sho_officer_id") is not None:
        _check_sho(uow, node.id, changes["sho_officer_id"])
    _keep_station_version(uow, actor, profile, list(changes))
    for field, value in changes.items():
        setattr(profile, field, value)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "station.update",
            Outcome.SUCCESS,
            resource_type="station",
            resource_id=node.id,
            detail={"fields": ",".join(sorted(changes)), "version": profile.version},
        )
    )
    return stations_out(uow, actor, [node], None)[0]


def read_station(
    uow: UnitOfWork, actor: Actor, station_id: str, purpose: str | None
) -> dict[str, Any]:
    """A station's profile, its station house officer and the officers posted there now."""
    require(actor, OfficersPermission.STATION_READ)
    node = _station(uow, station_id)
    record = stations_out(uow, actor, [node], purpose)[0]
    record["sho"] = None
    record["officers"] = []
    if actor.can(OfficersPermission.OFFICER_READ):
        sho = record["sho_officer_id"]
        if isinstance(sho, str):
            record["sho"] = read_officer(uow, actor, sho, purpose)
        record["officers"] = list_officers(
            uow, actor, unit_id=node.id, purpose=purpose, limit=STATION_OFFICERS_MAX
        )
    return record


def list_stations(
    uow: UnitOfWork, actor: Actor, *, offset: int = 0, limit: int = 50, purpose: str | None = None
) -> list[dict[str, Any]]:
    """Police stations by code, one capped page at a time, profiles through the gate."""
    require(actor, OfficersPermission.STATION_READ)
    stmt = (
        select(Jurisdiction)
        .where(Jurisdiction.kind == JurisdictionKind.STATION.value)
        .order_by(Jurisdiction.code)
        .offset(offset)
        .limit(min(limit, PAGE_MAX))
    )
    return stations_out(uow, actor, list(uow.session.execute(stmt).scalars()), purpose, kind="list")


def station_history(uow: UnitOfWork, actor: Actor, station_id: str) -> list[StationProfileVersion]:
    """The versions of a station profile (who, when, which fields)."""
    require(actor, OfficersPermission.STATION_READ)
    node = _station(uow, station_id)
    profile = uow.session.get(StationProfile, node.id)
    if profile is None:
        return []
    disclose(uow, actor, None, [profile])
    if not actor.covers(profile.jurisdiction_path):
        raise Forbidden("the history of a station is visible inside its jurisdiction")
    stmt = (
        select(StationProfileVersion)
        .where(StationProfileVersion.station_id == node.id)
        .order_by(StationProfileVersion.version.desc())
        .limit(VERSIONS_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


def officer_path(uow: UnitOfWork, officer_id: str) -> str | None:
    """Where an officer is filed (the unit of the current posting, as a jurisdiction path), None
    if there is no such officer: one column, nothing else of the record."""
    return uow.session.execute(
        select(Officer.jurisdiction_path).where(Officer.id == officer_id)
    ).scalar_one_or_none()


def count_officers(uow: UnitOfWork) -> int:
    """How many officer records exist (for the demo's idempotence; no content)."""
    return int(uow.session.execute(select(func.count()).select_from(Officer)).scalar_one())


def count_posted(uow: UnitOfWork, actor: Actor, station_id: str) -> int | None:
    """How many officers are posted at a station now (the station page lists them, masked
    outside the jurisdiction); None for a reader who may not read officers."""
    if not actor.can(OfficersPermission.OFFICER_READ):
        return None
    stmt = select(func.count()).select_from(Officer).where(Officer.unit_id == station_id)
    return int(uow.session.execute(stmt).scalar_one())

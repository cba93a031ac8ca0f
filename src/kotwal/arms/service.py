"""Arms licence operations, one transaction each (the caller's unit of work).

Reads go through the gate; writes land only at stations inside the actor's jurisdiction; every
change to a licence is an appended event with its reason and actor, and nothing is deleted.

**When is a licence holder "named in a new case"?** The records service calls
:func:`suspension_reviews_for_party` each time a person is named in a case (see
:func:`install`). A licence gets a suspension review for that case when it is not cancelled and

1. it is linked to that very person (``person_id``): a certain match; or
2. it is linked to nobody, and the holder's name, father's name and birth year all agree with
   the person's: the name scores at least :data:`NAME_MATCH` and the father's name at least
   :data:`FATHER_MATCH` on :func:`kotwal.records.names.score` (which knows Telugu spellings,
   initials and word order), and the birth years differ by at most one (records often hold an
   estimated age). A person without a father's name or a birth year is never matched by name:
   a name alone names too many people, and a false review would expose a licensee's name to
   suspicion. Name matches say so (``match = "name_match"``) so the officer confirms identity
   before acting.

Candidates for (2) come from the holder name keys (the same phonetic keys as person search),
so the check costs a few indexed reads, not a scan. One review is raised per licence and case,
however many times the person's role in that case changes.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kotwal.arms import dashboard
from kotwal.arms.models import (
    ArmsHolderNameKey,
    ArmsLicence,
    ArmsLicenceEvent,
    ArmsLicenceReview,
    ArmsWeapon,
)
from kotwal.arms.permissions import ArmsPermission
from kotwal.arms.schemas import (
    LICENCE_NUMBER_PATTERN,
    UIN_PATTERN,
    LicenceAction,
    LicenceIssue,
    LicenceRenew,
    LicenceStatus,
    LicenceUpdate,
    ReviewDecision,
    ReviewOutcome,
    WeaponAdd,
)
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import add_months, station_today, utcnow
from kotwal.core.crypto import blind_index, normalise_phone, open_field
from kotwal.core.edits import changes_of, check_version
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.gate import MASKED, clean_purpose, disclose
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.observers import DisclosureKind
from kotwal.core.policy import Actor, DataClass, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import in_jurisdiction, require, writable_station
from kotwal.core.uow import UnitOfWork
from kotwal.panels import STATION_PANELS
from kotwal.records import names
from kotwal.records import service as records_service
from kotwal.records.hooks import PERSON_SECTIONS, PersonSection
from kotwal.records.models import CaseParty

PHONE_DOMAIN = "arms_licences.holder_phone"
SERIAL_DOMAIN = "arms_weapons.serial"
LICENCE_PAGE_MAX = 100
REVIEW_PAGE_MAX = 200
EVENTS_MAX = 500
WEAPONS_MAX = 10
#: Arms Act 1959 s.13(3) as amended in 2019: a licence runs for five years at a time.
VALIDITY_YEARS = 5
NAME_MATCH = 0.9
FATHER_MATCH = 0.85
MATCH_CANDIDATES = 500

# A table of data, aligned by hand: it reads better in rows than one item a line.
_HOLDER_PLAIN = ("holder_name", "holder_father_name", "holder_birth_year", "person_id",
                 "area_of_validity")  # fmt: skip
_HOLDER_SEALED = ("holder_address", "holder_phone")


# --- small helpers -------------------------------------------------------------------------


def normalise_serial(raw: str) -> str:
    """One spelling per serial number: capitals, without spaces, dashes, dots or slashes
    (stamped marks are copied down with and without them)."""
    return re.sub(r"[\s./-]+", "", raw).upper()


def serial_index(uow: UnitOfWork, serial: str) -> str:
    """The blind index a weapon serial is found by."""
    return blind_index(uow.runtime.keyring, SERIAL_DOMAIN, normalise_serial(serial))


def _phone_index(uow: UnitOfWork, phone: str) -> str:
    return blind_index(uow.runtime.keyring, PHONE_DOMAIN, normalise_phone(phone))


def _writable_station(uow: UnitOfWork, actor: Actor, station_id: str, action: str) -> Jurisdiction:
    """The station a licence is written at, inside the actor's jurisdiction (a refusal audited
    whatever happens to the request)."""
    message = "you can write licences only in your own jurisdiction"
    return writable_station(uow, actor, station_id, action, "arms_licence", message)


def _licence(uow: UnitOfWork, licence_id: str) -> ArmsLicence:
    licence = uow.session.get(ArmsLicence, licence_id)
    if licence is None:
        raise NotFound("no such arms licence")
    return licence


def _writable_licence(uow: UnitOfWork, actor: Actor, licence_id: str, action: str) -> ArmsLicence:
    require(actor, ArmsPermission.LICENCE_MANAGE)
    licence = _licence(uow, licence_id)
    _writable_station(uow, actor, licence.station_id, action)
    return licence


def index_holder_name(
    uow: UnitOfWork, licence_id: str, holder_name: str, *, new: bool = False
) -> None:
    """(Re)build a licence's holder name keys (``new``: it has none yet, nothing to remove)."""
    if not new:
        uow.session.execute(
            delete(ArmsHolderNameKey).where(ArmsHolderNameKey.licence_id == licence_id)
        )
    for key in sorted(names.name_keys(holder_name)):
        uow.session.add(ArmsHolderNameKey(licence_id=licence_id, key=key))


def _event(
    uow: UnitOfWork,
    actor: Actor,
    licence: ArmsLicence,
    action: str,
    *,
    reason: str | None = None,
    order_reference: str | None = None,
    changed_fields: str | None = None,
    snapshot: str | None = None,
) -> None:
    """Append one step of the licence's course and its audit event (same transaction)."""
    uow.session.add(
        ArmsLicenceEvent(
            licence_id=licence.id,
            action=action,
            version=licence.version,
            status=licence.status,
            valid_until=licence.valid_until,
            reason=reason,
            order_reference=order_reference,
            changed_fields=changed_fields,
            snapshot=snapshot,
            by=actor.account_id,
            by_name=actor.username,
        )
    )
    uow.audit(
        actor_event(
            actor,
            f"arms_licence.{action}",
            Outcome.SUCCESS,
            resource_type="arms_licence",
            resource_id=licence.id,
            detail={"version": licence.version},
        )
    )


def _bump(licence: ArmsLicence) -> None:
    licence.version += 1
    licence.updated_at = utcnow()


# --- reads ---------------------------------------------------------------------------------


def _licences_out(
    uow: UnitOfWork,
    actor: Actor,
    licences: list[ArmsLicence],
    purpose: str | None,
    kind: DisclosureKind = "record",
) -> list[dict[str, Any]]:
    """Licences through the gate, each with its weapons (also through the gate, as parts of
    their licences: a licence and its weapons are one record to the disclosure budget)."""
    shown = disclose(uow, actor, purpose, licences, kind=kind)
    weapons: list[ArmsWeapon] = []
    if licences:
        stmt = (
            select(ArmsWeapon)
            .where(ArmsWeapon.licence_id.in_([lic.id for lic in licences]))
            .order_by(ArmsWeapon.endorsed_on, ArmsWeapon.created_at, ArmsWeapon.id)
            .limit(WEAPONS_MAX * len(licences))
        )
        weapons = list(uow.session.execute(stmt).scalars())
    by_licence: dict[str, list[dict[str, Any]]] = {lic.id: [] for lic in licences}
    released_weapons = disclose(uow, actor, purpose, weapons, kind="part")
    for weapon, released in zip(weapons, released_weapons, strict=True):
        by_licence[weapon.licence_id].append(released)
    for record in shown:
        record["weapons"] = by_licence[record["id"]]
    return shown


def read_licence(
    uow: UnitOfWork, actor: Actor, licence_id: str, purpose: str | None
) -> dict[str, Any]:
    """One licence with its weapons, through the gate (masked outside the jurisdiction unless
    a purpose is declared)."""
    return _licences_out(uow, actor, [_licence(uow, licence_id)], purpose)[0]


def list_licences(
    uow: UnitOfWork,
    actor: Actor,
    *,
    station_id: str | None = None,
    status: LicenceStatus | None = None,
    expiring_before: date | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Licences filed inside the actor's jurisdiction, by licence number, a page at a time
    (``after`` is the last number of the previous page). Returns the page and the next cursor."""
    require(actor, ArmsPermission.LICENCE_READ)
    limit = max(1, min(limit, LICENCE_PAGE_MAX))
    stmt = select(ArmsLicence).where(in_jurisdiction(ArmsLicence.jurisdiction_path, actor))
    if station_id is not None:
        stmt = stmt.where(ArmsLicence.station_id == station_id)
    if status is not None:
        stmt = stmt.where(ArmsLicence.status == status.value)
    if expiring_before is not None:
        stmt = stmt.where(ArmsLicence.valid_until < expiring_before)
    if after is not None:
        stmt = stmt.where(ArmsLicence.licence_number > after)
    stmt = stmt.order_by(ArmsLicence.licence_number).limit(limit + 1)
    found = list(uow.session.execute(stmt).scalars())
    more = len(found) > limit
    page = found[:limit]
    shown = _licences_out(uow, actor, page, None, kind="list")
    return shown, (page[-1].licence_number if more else None)


def _searched(
    uow: UnitOfWork, actor: Actor, kind: str, query: str, purpose: str | None, found: int
) -> None:
    """Every search is an event, hits or not; the query is kept as a keyed hash only."""
    digest = blind_index(uow.runtime.keyring, f"audit.search.arms.{kind}", query, bits=64)
    uow.audit(
        actor_event(
            actor,
            "arms.search",
            Outcome.SUCCESS,
            resource_type="arms_licence",
            purpose=purpose,
            detail={"kind": kind, "results": found, "query_hash": digest},
        )
    )


def find_licences(
    uow: UnitOfWork,
    actor: Actor,
    *,
    licence_number: str | None = None,
    uin: str | None = None,
    serial: str | None = None,
    phone: str | None = None,
    purpose: str | None = None,
) -> list[dict[str, Any]]:
    """Exact lookup by one of: licence number, UIN, weapon serial or holder's phone.

    Number and UIN are RESTRICTED and found anywhere (outside one's jurisdiction the answer is
    masked until a purpose is declared, as for an FIR). Serial and phone are CONFIDENTIAL and
    searched through their blind index; only records whose value the reader could see match,
    so the search never confirms whose weapon or number it is to someone not allowed to know.
    """
    require(actor, ArmsPermission.LICENCE_READ)
    given = {
        k: v
        for k, v in (
            ("licence_number", licence_number),
            ("uin", uin),
            ("serial", serial),
            ("phone", phone),
        )
        if v
    }
    if len(given) != 1:
        raise InvalidInput("give exactly one of licence_number, uin, serial or phone")
    purpose = clean_purpose(purpose)
    [(kind, value)] = given.items()
    value = value.strip()
    if kind in ("licence_number", "uin"):
        value = value.upper()
        pattern = LICENCE_NUMBER_PATTERN if kind == "licence_number" else UIN_PATTERN
        if not re.fullmatch(pattern, value):
            raise InvalidInput(f"that is not a well-formed {kind.replace('_', ' ')}")
        column = ArmsLicence.licence_number if kind == "licence_number" else ArmsLicence.uin
        found = list(uow.session.execute(select(ArmsLicence).where(column == value)).scalars())
    else:
        found = _find_sealed(uow, actor, kind, value, purpose)
        value = normalise_serial(value) if kind == "serial" else normalise_phone(value)
    _searched(uow, actor, kind, value, purpose, len(found))
    return _licences_out(uow, actor, found, purpose, kind="list")


def _find_sealed(
    uow: UnitOfWork, actor: Actor, kind: str, value: str, purpose: str | None
) -> list[ArmsLicence]:
    if actor.clearance < DataClass.CONFIDENTIAL:
        raise Forbidden(f"your role cannot see a weapon's {kind}, so it cannot search by it")
    if kind == "serial":
        wanted = normalise_serial(value)
        if not 1 <= len(wanted) <= 64:
            raise InvalidInput("give the serial number or identification mark")
        weapons = uow.session.execute(
            select(ArmsWeapon).where(ArmsWeapon.serial_bidx == serial_index(uow, value)).limit(100)
        ).scalars()
        ids = [
            w.licence_id
            for w in weapons
            if (purpose is not None or actor.covers(w.jurisdiction_path))
            and normalise_serial(str(open_field(uow.session, w, "serial"))) == wanted
        ]
        if not ids:
            return []
        stmt = select(ArmsLicence).where(ArmsLicence.id.in_(ids)).order_by(ArmsLicence.id)
        return list(uow.session.execute(stmt).scalars())
    wanted = normalise_phone(value)
    if len(wanted) < 6:
        raise InvalidInput("give at least six digits of the phone number")
    candidates = uow.session.execute(
        select(ArmsLicence)
        .where(ArmsLicence.holder_phone_bidx == _phone_index(uow, value))
        .order_by(ArmsLicence.id)
        .limit(100)
    ).scalars()
    return [
        lic
        for lic in candidates
        if (purpose is not None or actor.covers(lic.jurisdiction_path))
        and normalise_phone(str(open_field(uow.session, lic, "holder_phone"))) == wanted
    ]


def licence_events(uow: UnitOfWork, actor: Actor, licence_id: str) -> list[ArmsLicenceEvent]:
    """A licence's course (issued, renewals, suspensions, ...), for readers inside its
    jurisdiction; earlier holder details stay sealed."""
    licence = _licence(uow, licence_id)
    disclose(uow, actor, None, [licence])  # the same door, and the same audit, as a read
    if not actor.covers(licence.jurisdiction_path):
        raise Forbidden("the course of a licence is visible inside its jurisdiction")
    stmt = (
        select(ArmsLicenceEvent)
        .where(ArmsLicenceEvent.licence_id == licence.id)
        .order_by(ArmsLicenceEvent.version)
        .limit(EVENTS_MAX)
    )
    return list(uow.session.execute(stmt).scalars())


# --- writes --------------------------------------------------------------------------------


def issue_licence(uow: UnitOfWork, actor: Actor, data: LicenceIssue) -> dict[str, Any]:
    """Record a licence issued for a holder living in the actor's jurisdiction; the answer
    comes through the gate like any read."""
    return _licences_out(uow, actor, [file_licence(uow, actor, data)], None, kind="echo")[0]


def file_licence(uow: UnitOfWork, actor: Actor, data: LicenceIssue) -> ArmsLicence:
    """Record a licence (audited) without disclosing it back: for seeding and imports."""
    require(actor, ArmsPermission.LICENCE_MANAGE)
    station = _writable_station(uow, actor, data.station_id, "arms_licence.issued")
    now = station_today(uow.runtime)
    if data.issued_on > now:
        raise InvalidInput("a licence cannot be issued in the future")
    if not data.issued_on < data.valid_until <= add_months(data.issued_on, 12 * VALIDITY_YEARS):
        raise InvalidInput(
            f"a licence is valid after its issue date and for at most {VALIDITY_YEARS} years"
        )
    if data.person_id is not None and not records_service.person_exists(uow, data.person_id):
        raise InvalidInput("person_id does not name a person")
    serials = [normalise_serial(w.serial) for w in data.weapons]
    if len(set(serials)) != len(serials):
        raise InvalidInput("the same serial number is given twice")
    for column, value, what in (
        (ArmsLicence.licence_number, data.licence_number, "number"),
        (ArmsLicence.uin, data.uin, "UIN"),
    ):
        if uow.session.execute(select(ArmsLicence.id).where(column == value)).first():
            raise Conflict(f"a licence with this {what} is already recorded")
    licence = ArmsLicence(
        licence_number=data.licence_number,
        uin=data.uin,
        holder_name=data.holder_name,
        holder_father_name=data.holder_father_name,
        holder_birth_year=data.holder_birth_year,
        holder_address=data.holder_address,
        holder_phone=data.holder_phone,
        holder_phone_bidx=_phone_index(uow, data.holder_phone) if data.holder_phone else None,
        person_id=data.person_id,
        grounds=data.grounds.value,
        area_of_validity=data.area_of_validity,
        issuing_authority=data.issuing_authority,
        issued_on=data.issued_on,
        valid_until=data.valid_until,
        status=LicenceStatus.VALID.value,
        station_id=station.id,
        jurisdiction_path=station.path,
        version=1,
    )
    uow.session.add(licence)
    try:
        uow.session.flush()
    except IntegrityError as exc:  # recorded by someone else a moment ago
        raise Conflict("a licence with this number or UIN is already recorded") from exc
    for weapon in data.weapons:
        _add_weapon_row(uow, licence, weapon, data.issued_on)
    index_holder_name(uow, licence.id, data.holder_name, new=True)
    _event(uow, actor, licence, "issued")
    uow.session.flush()
    return licence


def _add_weapon_row(uow: UnitOfWork, licence: ArmsLicence, data: WeaponAdd, default: date) -> None:
    endorsed_on = data.endorsed_on or default
    if not licence.issued_on <= endorsed_on <= station_today(uow.runtime):
        raise InvalidInput("a weapon is endorsed between the licence's issue and today")
    uow.session.add(
        ArmsWeapon(
            licence_id=licence.id,
            category=data.category.value,
            make=data.make,
            bore=data.bore,
            serial=data.serial,
            serial_bidx=serial_index(uow, data.serial),
            endorsed_on=endorsed_on,
            jurisdiction_path=licence.jurisdiction_path,
        )
    )


def add_weapon(uow: UnitOfWork, actor: Actor, licence_id: str, data: WeaponAdd) -> dict[str, Any]:
    """Endorse one more weapon on a licence that is not cancelled."""
    licence = _writable_licence(uow, actor, licence_id, "arms_licence.weapon_added")
    if licence.status == LicenceStatus.CANCELLED:
        raise Conflict("this licence is cancelled")
    present = list(
        uow.session.execute(select(ArmsWeapon).where(ArmsWeapon.licence_id == licence.id)).scalars()
    )
    if len(present) >= WEAPONS_MAX:
        raise Conflict(f"a licence carries at most {WEAPONS_MAX} weapons here")
    wanted = normalise_serial(data.serial)
    if any(
        w.serial_bidx == serial_index(uow, data.serial)
        and normalise_serial(str(open_field(uow.session, w, "serial"))) == wanted
        for w in present
    ):
        raise Conflict("this weapon is already endorsed on the licence")
    _add_weapon_row(uow, licence, data, station_today(uow.runtime))
    _bump(licence)
    _event(uow, actor, licence, "weapon_added", changed_fields="weapons")
    uow.session.flush()
    return _licences_out(uow, actor, [licence], None)[0]


def _snapshot(uow: UnitOfWork, licence: ArmsLicence) -> str:
    state: dict[str, Any] = {f: getattr(licence, f) for f in _HOLDER_PLAIN}
    for field in _HOLDER_SEALED:
        state[field] = open_field(uow.session, licence, field)
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def update_licence(
    uow: UnitOfWork, actor: Actor, licence_id: str, data: LicenceUpdate
) -> dict[str, Any]:
    """Change the holder's details (a new address, phone, a link to a records person) with a
    reason; the earlier values are kept, sealed, in the licence's events."""
    licence = _writable_licence(uow, actor, licence_id, "arms_licence.updated")
    check_version(licence.version, data.expected_version, "licence")
    changes = changes_of(data, besides=("reason",))
    for field in ("holder_name", "area_of_validity"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be emptied")
    if changes.get("person_id") is not None and not records_service.person_exists(
        uow, changes["person_id"]
    ):
        raise InvalidInput("person_id does not name a person")
    snapshot = _snapshot(uow, licence)
    for field, value in changes.items():
        setattr(licence, field, value)
    if "holder_phone" in changes:
        phone = data.holder_phone
        licence.holder_phone_bidx = _phone_index(uow, phone) if phone else None
    if "holder_name" in changes:
        index_holder_name(uow, licence.id, licence.holder_name)
    _bump(licence)
    _event(
        uow,
        actor,
        licence,
        "updated",
        reason=data.reason,
        changed_fields=",".join(sorted(changes)),
        snapshot=snapshot,
    )
    uow.session.flush()
    return _licences_out(uow, actor, [licence], None)[0]


def renew_licence(
    uow: UnitOfWork, actor: Actor, licence_id: str, data: LicenceRenew
) -> dict[str, Any]:
    """Extend a licence that is in force (or has lapsed) for up to five years from today."""
    licence = _writable_licence(uow, actor, licence_id, "arms_licence.renewed")
    apply_renewal(uow, actor, licence, data)
    return _licences_out(uow, actor, [licence], None)[0]


def apply_renewal(uow: UnitOfWork, actor: Actor, licence: ArmsLicence, data: LicenceRenew) -> None:
    """Renew a licence the caller has already checked the actor may write to (and append the
    step), without disclosing it back: for :func:`renew_licence` and the demo's seeding."""
    if licence.status != LicenceStatus.VALID:
        raise Conflict(f"a {licence.status} licence cannot be renewed")
    if data.valid_until <= licence.valid_until:
        raise InvalidInput("a renewal runs beyond the present expiry date")
    if data.valid_until > add_months(station_today(uow.runtime), 12 * VALIDITY_YEARS):
        raise InvalidInput(f"a renewal runs for at most {VALIDITY_YEARS} years from today")
    licence.valid_until = data.valid_until
    _bump(licence)
    _event(uow, actor, licence, "renewed", reason=data.reason, order_reference=data.order_reference)
    uow.session.flush()


# A table of data, aligned by hand: it reads better in rows than one item a line.
_TRANSITIONS: dict[str, tuple[frozenset[str], LicenceStatus]] = {
    "suspended": (frozenset({LicenceStatus.VALID}), LicenceStatus.SUSPENDED),
    "reinstated": (frozenset({LicenceStatus.SUSPENDED}), LicenceStatus.VALID),
    "cancelled": (frozenset({LicenceStatus.VALID, LicenceStatus.SUSPENDED}),
                  LicenceStatus.CANCELLED),
}  # fmt: skip


def apply_status_change(
    uow: UnitOfWork, actor: Actor, licence: ArmsLicence, action: str, data: LicenceAction
) -> None:
    """Move a licence the caller has already checked the actor may write to its next status,
    and append the step; an impossible move (reinstating a valid licence) is a conflict."""
    allowed, to = _TRANSITIONS[action]
    if licence.status not in allowed:
        raise Conflict(f"a {licence.status} licence cannot be {action}")
    licence.status = to.value
    licence.status_reason = None if to == LicenceStatus.VALID else data.reason
    _bump(licence)
    _event(uow, actor, licence, action, reason=data.reason, order_reference=data.order_reference)
    uow.session.flush()


def change_status(
    uow: UnitOfWork, actor: Actor, licence_id: str, action: str, data: LicenceAction
) -> dict[str, Any]:
    """Suspend, reinstate or cancel a licence (``action`` is "suspended", "reinstated" or
    "cancelled"), with the reason and the order it rests on. Cancellation is final."""
    if action not in _TRANSITIONS:
        raise InvalidInput("unknown action")
    licence = _writable_licence(uow, actor, licence_id, f"arms_licence.{action}")
    apply_status_change(uow, actor, licence, action, data)
    return _licences_out(uow, actor, [licence], None)[0]


# --- suspension reviews --------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    """Ask records to tell us whenever a person is named in a case (idempotent)."""
    runtime.hooks.register(
        records_service.CASE_PARTY_ADDED, "arms.suspension_review", suspension_reviews_for_party
    )
    runtime.hooks.register(PERSON_SECTIONS, "arms.licences", person_licences)
    runtime.hooks.register(STATION_PANELS, "arms.station", dashboard.station_panels)


def _licences_matching(
    uow: UnitOfWork, person: records_service.PersonFacts
) -> list[tuple[ArmsLicence, str]]:
    """Licences held by ``person``: linked to them, or unlinked with a strong name match."""
    not_cancelled = ArmsLicence.status != LicenceStatus.CANCELLED.value
    linked = uow.session.execute(
        select(ArmsLicence).where(ArmsLicence.person_id == person.id, not_cancelled).limit(50)
    ).scalars()
    found = [(lic, "linked_person") for lic in linked]
    if not person.father_name or person.birth_year is None:
        return found
    spellings = [s for s in (person.name, person.name_te) if s]
    keys: set[str] = set()
    for spelling in spellings:
        # The query side takes every key (a stored name keeps only some of its pairs).
        narrow, broad = names.name_key_tiers(spelling)
        keys |= narrow | broad
    if not keys:
        return found
    ids = select(ArmsHolderNameKey.licence_id).where(ArmsHolderNameKey.key.in_(sorted(keys)))
    candidates = uow.session.execute(
        select(ArmsLicence)
        .where(
            ArmsLicence.id.in_(ids),
            ArmsLicence.person_id.is_(None),
            not_cancelled,
            ArmsLicence.holder_birth_year.between(person.birth_year - 1, person.birth_year + 1),
            ArmsLicence.holder_father_name.is_not(None),
        )
        .limit(MATCH_CANDIDATES)
    ).scalars()
    for lic in candidates:
        name = max(names.score(s, lic.holder_name).score for s in spellings)
        father = names.score(person.father_name, lic.holder_father_name or "").score
        if name >= NAME_MATCH and father >= FATHER_MATCH:
            found.append((lic, "name_match"))
    return found


def suspension_reviews_for_party(uow: UnitOfWork, actor: Actor, party: CaseParty) -> None:
    """Raise a suspension review for each licence the newly named party holds (one per
    licence and case). Runs inside the unit of work that names the party, so both commit or
    neither does. Nothing is disclosed to the officer naming the party: the review goes to
    whoever licenses where the licence is filed, and its audit event is the system's."""
    person = records_service.person_facts(uow, party.person_id)
    if person is None:
        return
    for licence, match in _licences_matching(uow, person):
        exists = uow.session.execute(
            select(ArmsLicenceReview.id).where(
                ArmsLicenceReview.licence_id == licence.id,
                ArmsLicenceReview.case_id == party.case_id,
            )
        ).first()
        if exists is not None:
            continue
        review = ArmsLicenceReview(
            licence_id=licence.id,
            case_id=party.case_id,
            person_id=person.id,
            party_role=party.role,
            match=match,
            status="open",
            station_id=licence.station_id,
            jurisdiction_path=licence.jurisdiction_path,
        )
        try:
            # A savepoint: if a concurrent request raised the same review a moment ago, the
            # unique constraint says so and this one is skipped, not the case party with it.
            with uow.session.begin_nested():
                uow.session.add(review)
        except IntegrityError:
            continue
        uow.audit(
            AuditEvent(
                action="arms_review.open",
                outcome=Outcome.SUCCESS,
                actor_id=None,
                actor_name="system",
                resource_type="arms_licence_review",
                resource_id=review.id,
                detail={
                    "licence": licence.id,
                    "case": party.case_id,
                    "match": match,
                    "named_by": actor.account_id,
                },
            )
        )


def review_queue(
    uow: UnitOfWork, actor: Actor, *, status: str = "open", limit: int = 100
) -> list[dict[str, Any]]:
    """Suspension reviews for licences in the actor's jurisdiction, oldest first: the
    licensing officer's queue."""
    require(actor, ArmsPermission.LICENCE_REVIEW)
    if status not in ("open", "decided"):
        raise InvalidInput("status is open or decided")
    stmt = (
        select(ArmsLicenceReview)
        .where(
            in_jurisdiction(ArmsLicenceReview.jurisdiction_path, actor),
            ArmsLicenceReview.status == status,
        )
        .order_by(ArmsLicenceReview.opened_at, ArmsLicenceReview.id)
        .limit(max(1, min(limit, REVIEW_PAGE_MAX)))
    )
    return disclose(uow, actor, None, list(uow.session.execute(stmt).scalars()), kind="list")


def decide_review(
    uow: UnitOfWork, actor: Actor, review_id: str, data: ReviewDecision
) -> dict[str, Any]:
    """Decide an open review: suspend the licence (with the reason and order) or take no
    action (with the reason). A review is decided once."""
    require(actor, ArmsPermission.LICENCE_REVIEW)
    review = uow.session.get(ArmsLicenceReview, review_id)
    if review is None:
        raise NotFound("no such review")
    _writable_station(uow, actor, review.station_id, "arms_review.decide")
    if review.status != "open":
        raise Conflict("this review is already decided")
    if data.outcome == ReviewOutcome.SUSPEND:
        licence = _writable_licence(uow, actor, review.licence_id, "arms_licence.suspended")
        action = LicenceAction(reason=data.reason, order_reference=data.order_reference)
        apply_status_change(uow, actor, licence, "suspended", action)
    review.status = "decided"
    review.outcome = data.outcome.value
    review.decision_reason = data.reason
    review.decided_by = actor.account_id
    review.decided_by_name = actor.username
    review.decided_at = utcnow()
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "arms_review.decide",
            Outcome.SUCCESS,
            resource_type="arms_licence_review",
            resource_id=review.id,
            detail={"outcome": review.outcome},
        )
    )
    return disclose(uow, actor, None, [review])[0]


def station_names(uow: UnitOfWork, station_ids: set[str]) -> dict[str, str]:
    """Names of stations (public information), for showing where a licence is filed."""
    return jurisdiction_names(uow, station_ids)


# --- a person's page ---------------------------------------------------------------------

PERSON_LICENCES_MAX = 20


def person_licences(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> PersonSection | None:
    """The licences held by a person (linked to their record), through the gate as a list,
    for the person's page; None for a reader who may not read licences."""
    if not actor.can(ArmsPermission.LICENCE_READ):
        return None
    stmt = (
        select(ArmsLicence)
        .where(ArmsLicence.person_id == person_id)
        .order_by(ArmsLicence.valid_until.desc(), ArmsLicence.id)
        .limit(PERSON_LICENCES_MAX)
    )
    found = list(uow.session.execute(stmt).scalars())
    shown = _licences_out(uow, actor, found, purpose, kind="list") if found else []
    names = station_names(uow, {s["station_id"] for s in shown if isinstance(s["station_id"], str)})
    return PersonSection(
        title="Arms licences held",
        columns=("Licence number", "Status", "Valid until", "Weapons", "Station"),
        rows=[
            (
                s["licence_number"],
                s["status"],
                s["valid_until"],
                len(s["weapons"]),
                names.get(s["station_id"], "") if isinstance(s["station_id"], str) else MASKED,
            )
            for s in shown
        ],
        links=[f"/arms/licences/{s['id']}" for s in shown],
        empty="No arms licence is linked to this person.",
    )

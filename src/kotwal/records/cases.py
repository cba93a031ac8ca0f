"""Cases: registered at a station under a new FIR number, found by it, and the persons named
in them with their role from a date (each step a new row); other domains hear of a new party
through the ``CASE_PARTY_ADDED`` hook point."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import station_today
from kotwal.core.crypto import blind_index
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.observers import DisclosureKind, HookPoint
from kotwal.core.policy import Actor
from kotwal.core.purpose import CASE_REGISTER
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.records import dashboard
from kotwal.records.models import Case, CaseParty, LawSection
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import FIR_PATTERN, CaseCreate, CasePartyAdd, canonical_fir
from kotwal.records.shared import person_exists, writable_station

CASE_PAGE_MAX = 100

PARTIES_MAX = 500


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
    codes = {
        code
        for record in shown
        if isinstance(record["sections"], str)
        for code in record["sections"].split(",")
    }
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
    station = writable_station(uow, actor, data.station_id, "case.create", "case")
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
        actor_event(
            actor, "case.create", Outcome.SUCCESS, resource_type="case", resource_id=case.id
        )
    )
    return _cases_out(uow, actor, [case], None, kind="echo")[0]


def _case(uow: UnitOfWork, case_id: str) -> Case:
    case = uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def read_case(uow: UnitOfWork, actor: Actor, case_id: str, purpose: str | None) -> dict[str, Any]:
    """One case with its parties and sections, as the gate releases them to this reader."""
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
    writable_station(uow, actor, case.station_id, "case.party_add", "case")
    if not person_exists(uow, data.person_id):
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
    if not person_exists(uow, person_id):
        raise NotFound("no such person")
    ids = select(CaseParty.case_id).where(CaseParty.person_id == person_id)
    stmt = (
        select(Case)
        .where(Case.id.in_(ids))
        .order_by(Case.registered_on.desc(), Case.id)
        .limit(CASE_PAGE_MAX)
    )
    return _cases_out(uow, actor, list(uow.session.execute(stmt).scalars()), purpose)


def law_sections(uow: UnitOfWork, actor: Actor, act: str | None) -> list[LawSection]:
    """The reference table of sections (public law), for choosing a case's sections."""
    require(actor, RecordsPermission.CASE_READ)
    stmt = select(LawSection).order_by(LawSection.act, LawSection.code).limit(500)
    if act is not None:
        stmt = stmt.where(LawSection.act == act)
    return list(uow.session.execute(stmt).scalars())


def case_registered(uow: UnitOfWork, fir_number: str) -> bool:
    """Whether ``fir_number`` (``STATION/YEAR/NUMBER``) is a case in the register, whichever
    station holds it: the kernel's check of a declared purpose (``core.purpose``)."""
    wanted = fir_number.strip().upper()
    if not re.fullmatch(FIR_PATTERN, wanted):
        return False
    spellings = {wanted, canonical_fir(wanted)}
    found = uow.session.execute(select(Case.id).where(Case.fir_number.in_(spellings)).limit(1))
    return found.first() is not None


def install(runtime: Runtime) -> None:
    """Register the case register with the kernel, so purposes naming a case are checked, and
    the station page's figures of persons filed (:mod:`kotwal.records.dashboard`)."""
    runtime.hooks.register(CASE_REGISTER, "records", case_registered)
    dashboard.install(runtime)

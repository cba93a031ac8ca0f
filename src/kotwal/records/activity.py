"""How *My activity* names the records domain's records: a person by name and station, a case
by its FIR number, each read through the gate as the reader may see it now (a listing: a name
masked to them now is not named, whatever they saw when they opened it with a purpose)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kotwal.core.gate import disclose
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.records.models import Case, Person
from kotwal.records.permissions import RecordsPermission


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def person_names(uow: UnitOfWork, actor: Actor, ids: list[str]) -> dict[str, str]:
    """ "Srinivas Gundla (Charminar PS)" for each person whose name the gate releases."""
    if not ids or not actor.can(RecordsPermission.PERSON_READ):
        return {}
    rows = list(uow.session.execute(select(Person).where(Person.id.in_(ids))).scalars())
    shown = disclose(uow, actor, None, rows, kind="list")
    stations = jurisdiction_names(uow, {s for p in shown if (s := _text(p.get("station_id")))})
    names: dict[str, str] = {}
    for person in shown:
        if (name := _text(person.get("name"))) is None:
            continue
        station = stations.get(_text(person.get("station_id")) or "")
        names[person["id"]] = f"{name} ({station})" if station else name
    return names


def case_names(uow: UnitOfWork, actor: Actor, ids: list[str]) -> dict[str, str]:
    """ "FIR 12/2026 (Charminar PS)" for each case whose number the gate releases."""
    if not ids or not actor.can(RecordsPermission.CASE_READ):
        return {}
    rows = list(uow.session.execute(select(Case).where(Case.id.in_(ids))).scalars())
    shown = disclose(uow, actor, None, rows, kind="list")
    stations = jurisdiction_names(uow, {s for c in shown if (s := _text(c.get("station_id")))})
    names: dict[str, str] = {}
    for case in shown:
        if (number := _text(case.get("fir_number"))) is None:
            continue
        station = stations.get(_text(case.get("station_id")) or "")
        names[case["id"]] = f"FIR {number} ({station})" if station else f"FIR {number}"
    return names


NAMERS = {"person": person_names, "case": case_names}

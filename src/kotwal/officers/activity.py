"""How *My activity* names officers (by name and rank, through the gate as the reader may see
them now); stations are named by their jurisdiction, which is public."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kotwal.core.gate import disclose
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.officers.models import Officer
from kotwal.officers.permissions import OfficersPermission
from kotwal.officers.schemas import RANK_TITLES


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def officer_names(uow: UnitOfWork, actor: Actor, ids: list[str]) -> dict[str, str]:
    """ "Inspector K. Ramesh" for each officer whose name the gate releases."""
    if not ids or not actor.can(OfficersPermission.OFFICER_READ):
        return {}
    rows = list(uow.session.execute(select(Officer).where(Officer.id.in_(ids))).scalars())
    names: dict[str, str] = {}
    for officer in disclose(uow, actor, None, rows, kind="list"):
        if (name := _text(officer.get("name"))) is None:
            continue
        rank = RANK_TITLES.get(_text(officer.get("rank")) or "")
        names[officer["id"]] = f"{rank} {name}" if rank else name
    return names


def station_names(uow: UnitOfWork, actor: Actor, ids: list[str]) -> dict[str, str]:
    """A station's name (a jurisdiction's name is public)."""
    return jurisdiction_names(uow, set(ids))


NAMERS = {"officer": officer_names, "station": station_names}

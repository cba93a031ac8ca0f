"""The jurisdiction tree: state > zone/commissionerate > district > division > circle > station."""

from __future__ import annotations

from sqlalchemy import select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.policy import JURISDICTION_ORDER, Actor, Jurisdiction, JurisdictionKind
from kotwal.core.uow import UnitOfWork


def create_jurisdiction(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: JurisdictionKind,
    parent_id: str | None,
) -> Jurisdiction:
    """Add a node below ``parent_id``; a child sits at a lower level than its parent."""
    if uow.session.execute(select(Jurisdiction.id).where(Jurisdiction.code == code)).first():
        raise Conflict(f"the code {code!r} is taken")
    parent = None
    if parent_id is not None:
        parent = uow.session.get(Jurisdiction, parent_id)
        if parent is None:
            raise NotFound("no such parent jurisdiction")
        if JURISDICTION_ORDER.index(kind) <= JURISDICTION_ORDER.index(
            JurisdictionKind(parent.kind)
        ):
            raise InvalidInput(f"a {kind.value} cannot sit under a {parent.kind}")
    elif kind != JurisdictionKind.STATE:
        raise InvalidInput("only a state can be a root of the tree")
    node_id = new_id()
    path = (parent.path if parent else "/") + f"{node_id}/"
    node = Jurisdiction(
        id=node_id, code=code, name=name, kind=kind.value, parent_id=parent_id, path=path
    )
    uow.session.add(node)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "jurisdiction.create",
            Outcome.SUCCESS,
            resource_type="jurisdiction",
            resource_id=node.id,
        )
    )
    return node


def list_jurisdictions(uow: UnitOfWork, limit: int = 500) -> list[Jurisdiction]:
    stmt = select(Jurisdiction).order_by(Jurisdiction.path).limit(limit)
    return list(uow.session.execute(stmt).scalars())


def by_code(uow: UnitOfWork, code: str) -> Jurisdiction | None:
    stmt = select(Jurisdiction).where(Jurisdiction.code == code)
    return uow.session.execute(stmt).scalar_one_or_none()


def jurisdiction_names(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    """Names of stations and units (public information), for showing where a record is filed
    or an officer posted; unknown ids are left out."""
    if not ids:
        return {}
    rows = uow.session.execute(
        select(Jurisdiction.id, Jurisdiction.name).where(Jurisdiction.id.in_(ids))
    )
    return {i: n for i, n in rows}

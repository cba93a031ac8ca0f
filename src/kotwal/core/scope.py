"""Scoped access for services: the permission check and the jurisdiction condition every
domain's reads and writes apply, written once (NetBox's ``restrict()``, in SQLAlchemy form), so
that list and detail reads cannot disagree about what an officer may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_

from kotwal.core.errors import Forbidden
from kotwal.core.policy import Actor


def require(actor: Actor, permission: str) -> None:
    """Refuse (403) an actor without ``permission``; services check even behind a guarded
    route, since commands and other services call them too."""
    if not actor.can(permission):
        raise Forbidden()


def in_jurisdiction(column: Any, actor: Actor) -> ColumnElement[bool]:
    """The scoped-read condition: a row filed (or placed) anywhere in the actor's subtrees,
    given the row's materialised jurisdiction path column."""
    if not actor.jurisdiction_paths:
        return false()
    return or_(*(column.startswith(path, autoescape=True) for path in actor.jurisdiction_paths))

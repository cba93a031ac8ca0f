"""JSON routes of the decoy register: security officers only, every read audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.decoys import service
from kotwal.decoys.permissions import DecoysPermission
from kotwal.decoys.schemas import CopyRead, DecoyPage, DecoyRead
from kotwal.web.deps import ReadUnit, require

router = APIRouter(tags=["security"])
SecurityOfficer = Annotated[Actor, Depends(require(DecoysPermission.DECOY_READ))]


@router.get("/security/decoys")
def list_decoys(
    actor: SecurityOfficer,
    copy: str | None = Query(default=None, max_length=36, description="Only this copy's"),
    limit: int = Query(default=50, ge=1, le=service.PAGE_MAX),
    offset: int = Query(default=0, ge=0, le=1_000_000),
    uow: UnitOfWork = ReadUnit,
) -> DecoyPage:
    """The decoy register, newest first: which copy carries which decoy record."""
    entries = service.read_register(uow, actor, copy_id=copy, limit=limit, offset=offset)
    return DecoyPage(
        items=[DecoyRead.model_validate(asdict(e)) for e in entries],
        next_offset=offset + len(entries) if len(entries) == limit else None,
    )


@router.get("/security/decoys/copies")
def list_copies(actor: SecurityOfficer, uow: UnitOfWork = ReadUnit) -> list[CopyRead]:
    """Every copy of the data (primary, exports, backups, demo, test) and its decoy count."""
    return [CopyRead.model_validate(asdict(c)) for c in service.copies(uow, actor)]

"""The officers' side of citizen services (``/api/v1/citizen``): a citizen's identity from the
vault, through the gate, only with a declared purpose."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kotwal.citizen import service
from kotwal.citizen.permissions import CitizenPermission as P
from kotwal.citizen.schemas import IdentityOut
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, require

router = APIRouter(prefix="/citizen", tags=["citizen services"])


@router.get("/citizens/{citizen_id}/identity")
def citizen_identity(
    citizen_id: str,
    purpose: Annotated[str | None, Query(max_length=300)] = None,
    actor: Actor = Depends(require(P.IDENTITY_READ)),
    uow: UnitOfWork = ReadUnit,
) -> IdentityOut:
    """Who a citizen is (name, mobile, e-mail, address, emergency contacts), for a case that
    needs it: ``purpose`` (a case number or a reason) is required, and the read is audited."""
    return IdentityOut(**service.disclose_identity(uow, actor, citizen_id, purpose))

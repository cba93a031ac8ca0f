"""Liveness: answers without touching any data, for the proxy and the monitoring."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kotwal.web.deps import public

router = APIRouter(dependencies=[Depends(public("liveness probe for load balancers"))])


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}

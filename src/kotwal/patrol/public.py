"""The trackers' route: positions in the OsmAnd/Traccar client protocol (``ingest.py``).

No officer's session stands behind a ping: the route is open at the HTTP level, like the login
form, and every ping is authenticated by its tracker's own token, looked up (hashed) in the
batch that writes it. What it answers tells a stranger nothing: 200 for a written position,
401 for an unknown or revoked token, 400 for a ping that cannot be read.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kotwal.core.errors import InvalidInput, NotAuthenticated, Problem
from kotwal.patrol import ingest
from kotwal.patrol.service import settings_for
from kotwal.web.deps import get_runtime, public

PATH = "/api/v1/patrol/osmand"

router = APIRouter(tags=["patrol trackers"])
_OPEN = Depends(
    public("trackers report positions with their own revocable token, checked on every ping")
)


class PingsUnavailable(Problem):
    status, slug = 503, "pings-unavailable"
    title = "Positions cannot be written just now; send again"


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def _read(request: Request) -> ingest.Ping:
    settings = settings_for(get_runtime(request))
    params: dict[str, Any] = dict(request.query_params)
    bearer = _bearer(request)
    if request.method == "POST":
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise ingest.BadPing("the body is not JSON") from None
            return ingest.ping_from_json(body, bearer, settings)
        if kind.startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return ingest.ping_from_params(params, bearer, settings)


async def _handle(request: Request) -> Response:
    try:
        ping = await _read(request)
    except ingest.BadPing as bad:
        raise InvalidInput(str(bad)) from None
    try:
        accepted = await ingest.submit(get_runtime(request), ping)
    except Exception as exc:  # the database refused the batch: the tracker sends it again
        raise PingsUnavailable() from exc
    if not accepted:
        raise NotAuthenticated("this tracker's token is unknown or revoked")
    return Response(status_code=200)


@router.get(PATH, dependencies=[_OPEN])
async def osmand_get(request: Request) -> Response:
    """One position from a tracker (the OsmAnd app, or a vehicle tracker speaking the OsmAnd
    protocol), as query parameters. The device identifier configured in the app is the
    tracker's token. The answer (an empty 200) is sent once the position is stored."""
    return await _handle(request)


@router.post(PATH, dependencies=[_OPEN])
async def osmand_post(request: Request) -> Response:
    """One position from a tracker (Traccar Client), as query or form parameters or Traccar
    Client's JSON body; answered as the GET is."""
    return await _handle(request)

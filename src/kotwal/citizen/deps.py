"""The citizens' realm's guard: a bearer token of a live citizen device session.

It is the only way into a citizen's routes, and it knows nothing of officers: an officer's
token is not in ``citizen_sessions`` (and lacks the ``kc_`` prefix), and a citizen's token is
not in ``auth_sessions``, so each surface refuses the other's tokens by construction. The app
factory refuses to mount a route guarded by this on the officers' surface.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from kotwal.citizen import service
from kotwal.citizen.principal import Citizen
from kotwal.core.errors import NotAuthenticated
from kotwal.core.runtime import Runtime
from kotwal.web.deps import citizen_guard, client_addr, runtime_dependency


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


@cache
def signed_in(what: str) -> Callable[..., object]:
    """A citizen's route: the citizen whose device session the bearer token is; ``what`` says
    what the route does for them (it shows in the route table)."""

    async def dependency(
        request: Request, runtime: Runtime = Depends(runtime_dependency)
    ) -> Citizen:
        token = _bearer(request)
        if token is None:
            raise NotAuthenticated()
        found = await run_in_threadpool(service.resolve, runtime, token, client_addr(request))
        if found is None:
            raise NotAuthenticated("the session has ended or the token is not valid")
        return found

    return citizen_guard(dependency, what)  # type: ignore[no-any-return]

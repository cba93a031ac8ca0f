"""The citizens' realm's guard: the token of a live citizen device session.

It is the only way into a citizen's routes, and it knows nothing of officers: an officer's
token is not in ``citizen_sessions`` (and lacks the ``kc_`` prefix), and a citizen's token is
not in ``auth_sessions``, so each surface refuses the other's tokens by construction. The app
factory refuses to mount a route guarded by this on the officers' surface.

The token comes as a bearer header (an app on the phone, a script) or, for the web app, in an
HttpOnly cookie that no script can read (docs/domains/citizen.md, "The web app"). A request
that relies on the cookie must carry the header ``X-Kotwal-Citizen: app``, which another
origin's page cannot send without a CORS preflight this surface never grants, and must not be
marked by the browser as coming from another origin (``Sec-Fetch-Site``): so a page elsewhere,
the officers' surface on the same host included (cookies ignore ports), cannot act with it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from kotwal.citizen import service
from kotwal.citizen.principal import Citizen
from kotwal.core.errors import CsrfRejected, NotAuthenticated
from kotwal.core.runtime import Runtime
from kotwal.web.deps import citizen_guard, client_addr, runtime_dependency

#: The header the web app sends with every request that relies on its cookie.
APP_HEADER = "x-kotwal-citizen"
APP_HEADER_VALUE = "app"
#: What ``Sec-Fetch-Site`` may say of a request carrying the cookie (absent: an older browser,
#: which still cannot send the header cross-origin without a preflight).
_OWN_SITE = frozenset({"same-origin", "none"})


def cookie_name(runtime: Runtime) -> str:
    """The web app's session cookie: ``__Host-`` (Secure, this host only, path /) unless the
    deployment is plain HTTP on a laptop; never the officers' cookie's name."""
    return "kotwal-citizen" if runtime.settings.local_http else "__Host-kotwal-citizen"


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _from_cookie(request: Request, runtime: Runtime) -> str | None:
    """The web app's token from its cookie, when the request is the app's own."""
    token = request.cookies.get(cookie_name(runtime))
    if not token:
        return None
    if request.headers.get(APP_HEADER) != APP_HEADER_VALUE:
        raise CsrfRejected("a request on the citizen's cookie without the app's header")
    if request.headers.get("sec-fetch-site", "none") not in _OWN_SITE:
        raise CsrfRejected("a request on the citizen's cookie from another origin")
    return token


@cache
def signed_in(what: str) -> Callable[..., object]:
    """A citizen's route: the citizen whose device session the bearer token is; ``what`` says
    what the route does for them (it shows in the route table)."""

    async def dependency(
        request: Request, runtime: Runtime = Depends(runtime_dependency)
    ) -> Citizen:
        token = _bearer(request) or _from_cookie(request, runtime)
        if token is None:
            raise NotAuthenticated()
        found = await run_in_threadpool(service.resolve, runtime, token, client_addr(request))
        if found is None:
            raise NotAuthenticated("the session has ended or the token is not valid")
        return found

    return citizen_guard(dependency, what)  # type: ignore[no-any-return]

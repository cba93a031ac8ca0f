"""FastAPI dependencies: the runtime, the unit of work, and the permission check.

Every route carries ``Depends(require(Permission.X))`` (JSON API, bearer token),
``Depends(console(Permission.X))`` (console page, session cookie and CSRF) or
``Depends(public("reason"))``; a route of the citizens' surface carries the citizen domain's
guard instead (:func:`citizen_guard`). The app factory refuses to start if a route carries none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import cache
from typing import Any

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from kotwal.core import identity
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.errors import (
    CsrfRejected,
    Forbidden,
    NotAuthenticated,
    PasswordChangeRequired,
    Problem,
    StepUpRequired,
)
from kotwal.core.policy import Actor, Permission
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

PERMISSION_MARK = "__kotwal_permission__"
PUBLIC_MARK = "__kotwal_public__"
#: Marks a dependency that admits a citizen's token (the citizens' surface, its own realm):
#: the value names what the route does for the citizen. A citizen's token is never an
#: officer's session, and the app factory refuses a citizen route on the officers' surface
#: and an officer's route on the citizens'.
CITIZEN_MARK = "__kotwal_citizen__"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


async def runtime_dependency(request: Request) -> Runtime:
    """:func:`get_runtime` as a dependency. Async because it does no I/O: FastAPI would run a
    plain function in the thread pool, a thread hop per request for nothing."""
    return get_runtime(request)


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def session_cookie_name(runtime: Runtime) -> str:
    return "kotwal-session" if runtime.settings.local_http else "__Host-kotwal-session"


def csrf_cookie_name(runtime: Runtime) -> str:
    return "kotwal-csrf" if runtime.settings.local_http else "__Host-kotwal-csrf"


def _finish(uow: UnitOfWork, succeeded: bool) -> None:
    try:
        if succeeded:
            uow.commit()
    finally:
        uow.close()


def _actor_of(request: Request) -> Callable[[], Actor | None]:
    """The request's actor once authenticated (the unit opens before, its first query after):
    the jurisdiction its transactions act in on PostgreSQL (kotwal.core.uow)."""

    def actor() -> Actor | None:
        found = getattr(request.state, "actor", None)
        return found if isinstance(found, Actor) else None

    return actor


def _unit(write: bool) -> Callable[..., AsyncIterator[UnitOfWork]]:
    # Async, so that opening the unit (no I/O: the session connects on first use) costs no
    # thread hop; committing, which waits for the database, takes one (the route's own
    # thread has returned by then).
    async def dependency(
        request: Request, runtime: Runtime = Depends(runtime_dependency)
    ) -> AsyncIterator[UnitOfWork]:
        uow = UnitOfWork(runtime, write=write, acting_for=_actor_of(request))
        succeeded = False
        try:
            yield uow
            succeeded = True
        finally:
            # Runs before the response is sent (scope="function"); a problem raised by the
            # commit (a refused budget) becomes the answer. Shielded: a client that hangs up
            # must not leave the unit's connection checked out.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_finish, uow, succeeded)

    return dependency


async def _loop_read_unit(
    request: Request, runtime: Runtime = Depends(runtime_dependency)
) -> AsyncIterator[UnitOfWork]:
    uow = UnitOfWork(runtime, write=False, acting_for=_actor_of(request))
    try:
        yield uow
        await uow.commit_async()
    finally:
        with anyio.CancelScope(shield=True):
            if uow.has_work_after_end:
                await run_in_threadpool(uow.close)  # a denial or an alert to write
            else:
                uow.close()


#: A read unit for an ``async def`` route that runs on the event loop itself: for the reads
#: every officer makes all day (one record by id: a handful of lookups by key), where the hops
#: to a worker thread and back cost more than the work, and threads contending for the GIL at
#: every database call cost more still. Its commit waits for the audit writer without holding
#: a thread. Anything that may take long (a search, a list, a write) stays a plain ``def``
#: route with :data:`ReadUnit` or :data:`WriteUnit`, run in the thread pool.
LoopReadUnit = Depends(_loop_read_unit, scope="function")

#: A unit of work that commits (with its audit events) before the answer leaves.
ReadUnit = Depends(_unit(False), scope="function")
WriteUnit = Depends(_unit(True), scope="function")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _resolve(request: Request, runtime: Runtime, via: str) -> tuple[Actor, str | None]:
    """The actor behind this request and, if its session should be marked as used now, the
    session's id; or :class:`NotAuthenticated`."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached, None
    if via == "api":
        token, kind = _bearer(request), "api"
    else:
        token, kind = request.cookies.get(session_cookie_name(runtime)), "console"
    if not token or len(token) > 200:
        raise NotAuthenticated()
    with runtime.db.transaction(write=False) as session:
        found = identity.resolve_actor(session, token, kind=kind, client_addr=client_addr(request))
    if found is None:
        raise NotAuthenticated("the session has ended or the token is not valid")
    auth_session, actor = found
    request.state.actor = actor
    request.state.auth_session = auth_session
    return actor, auth_session.id if identity.needs_touch(auth_session) else None


def _touch(runtime: Runtime, session_id: str) -> None:
    with runtime.db.transaction(write=True) as session:
        identity.touch(session, session_id)


def authenticate(request: Request, runtime: Runtime, *, via: str) -> Actor:
    """The actor behind this request, or :class:`NotAuthenticated`."""
    actor, stale = _resolve(request, runtime, via)
    if stale is not None:
        _touch(runtime, stale)
    return actor


def _denial(actor: Actor, request: Request, reason: str) -> list[AuditEvent]:
    return [
        actor_event(
            actor,
            "permission.denied",
            Outcome.DENIED,
            resource_type="route",
            resource_id=f"{request.method} {request.url.path}"[:64],
            detail={"reason": reason},
        )
    ]


def _refusal(request: Request, actor: Actor, permission: str) -> tuple[str, Problem] | None:
    """Why ``actor`` may not use this route (the reason to audit and the problem to answer
    with), or None."""
    if actor.restricted and permission != Permission.CORE_SELF:
        return "setup-required", PasswordChangeRequired()
    auth_session = getattr(request.state, "auth_session", None)
    if getattr(auth_session, "step_up_required", False) and permission != Permission.CORE_SELF:
        # Over a soft disclosure limit (kotwal.watch): only the step-up itself, one's own
        # account pages and logout until a fresh TOTP code is entered.
        return "step-up-required", StepUpRequired()
    if not actor.can(permission):
        return f"needs {permission}", Forbidden()
    return None


def _check(request: Request, runtime: Runtime, permission: str, via: str) -> Actor:
    actor = authenticate(request, runtime, via=via)
    if via == "console" and request.method not in SAFE_METHODS:
        check_csrf(request, runtime)
    refused = _refusal(request, actor, permission)
    if refused is not None:
        reason, problem = refused
        runtime.committer.write(_denial(actor, request, reason))
        raise problem
    return actor


async def _check_on_loop(request: Request, runtime: Runtime, permission: str) -> Actor:
    """:func:`_check` for the JSON API on the event loop: the session is read in place (a few
    lookups by key); marking it used and recording a denial wait for the database, so they do
    not hold the loop."""
    actor, stale = _resolve(request, runtime, "api")
    if stale is not None:
        await run_in_threadpool(_touch, runtime, stale)
    refused = _refusal(request, actor, permission)
    if refused is not None:
        reason, problem = refused
        await runtime.committer.write_async(_denial(actor, request, reason))
        raise problem
    return actor


def check_csrf(request: Request, runtime: Runtime) -> None:
    """The form (or header) must carry the session's CSRF token."""
    presented = request.headers.get(CSRF_HEADER) or getattr(request.state, "form_csrf", None)
    auth_session = getattr(request.state, "auth_session", None)
    if auth_session is None or not identity.csrf_ok(auth_session, presented):
        raise CsrfRejected()


@cache
def require(permission: str) -> Callable[..., Actor]:
    """JSON API: a bearer token of a session allowed ``permission``."""

    def dependency(request: Request, runtime: Runtime = Depends(runtime_dependency)) -> Actor:
        return _check(request, runtime, permission, "api")

    setattr(dependency, PERMISSION_MARK, permission)
    return dependency


@cache
def require_on_loop(permission: str) -> Callable[..., Awaitable[Actor]]:
    """:func:`require` for a route served on the event loop (see :data:`LoopReadUnit`)."""

    async def dependency(request: Request, runtime: Runtime = Depends(runtime_dependency)) -> Actor:
        return await _check_on_loop(request, runtime, permission)

    setattr(dependency, PERMISSION_MARK, permission)
    return dependency


@cache
def console(permission: str) -> Callable[..., Awaitable[Actor]]:
    """Console page: a session cookie allowed ``permission``, and CSRF on unsafe methods."""

    async def dependency(request: Request, runtime: Runtime = Depends(runtime_dependency)) -> Actor:
        if request.method not in SAFE_METHODS and "form" in request.headers.get("content-type", ""):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            request.state.form_csrf = value if isinstance(value, str) else None
        return await run_in_threadpool(_check, request, runtime, permission, "console")

    setattr(dependency, PERMISSION_MARK, permission)
    return dependency


def public(reason: str) -> Callable[[], Awaitable[None]]:
    """Mark a route as deliberately open to anyone, saying why."""

    # Async because it does nothing: FastAPI would run a plain function in the thread pool,
    # a thread hop per request (trackers' pings arrive thousands a second).
    async def dependency() -> None:
        return None

    setattr(dependency, PUBLIC_MARK, reason)
    return dependency


def citizen_guard(dependency: Any, what: str) -> Any:
    """Mark ``dependency`` as the citizens' realm's guard (see :data:`CITIZEN_MARK`)."""
    setattr(dependency, CITIZEN_MARK, what)
    return dependency


def _guard_of(call: Any) -> str | None:
    if hasattr(call, PERMISSION_MARK):
        return f"perm:{getattr(call, PERMISSION_MARK)}"
    if hasattr(call, PUBLIC_MARK):
        return f"public:{getattr(call, PUBLIC_MARK)}"
    if hasattr(call, CITIZEN_MARK):
        return f"citizen:{getattr(call, CITIZEN_MARK)}"
    return None


def included_guard(dependencies: Iterable[Any]) -> str | None:
    """The guard among an ``include_router(dependencies=...)`` list, if any."""
    for depends in dependencies:
        guard = _guard_of(getattr(depends, "dependency", None))
        if guard is not None:
            return guard
    return None


def declared_guard(dependant: Any) -> str | None:
    """What guards a route: ``perm:<permission>``, ``public:<reason>``, ``citizen:<what>``,
    or None."""
    stack = [dependant]
    while stack:
        node = stack.pop()
        call = getattr(node, "call", None)
        if call is not None:
            guard = _guard_of(call)
            if guard is not None:
                return guard
        stack.extend(getattr(node, "dependencies", []))
    return None

"""The app factory: loads keys, mounts the enabled modules, checks every route is guarded.

``create_app`` refuses to build an app whose keys are missing or readable by others, whose
database is not migrated, or which has a route that declares neither a permission nor a reason
to be public.

There are two surfaces, each its own app: the officers' (the API under ``/api/v1``, the
console, the public pages) and the citizens' (the routers the manifests name as ``citizen``,
under ``/citizen/v1``), with their own token realms. A surface refuses to start with a route of
the other's realm on it: no officer's permission on the citizens' surface, no citizen's guard on
the officers'. ``kotwal run`` serves both from one command, each on its own port
(:func:`create_surfaces`), or one of them (``--surface``), so that the citizens' side can run on
another host than the officers'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from kotwal import __version__, domains
from kotwal.core.config import Settings, get_settings
from kotwal.core.crypto import active_kek_version
from kotwal.core.migrate import is_current
from kotwal.core.runtime import Runtime, settle_startup_objects
from kotwal.manifest import Manifest, NavLink, resolve
from kotwal.web import errors
from kotwal.web.deps import declared_guard, included_guard, public
from kotwal.web.security import RequestLimits, SecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"

#: The two surfaces, each its own app and token realm.
OFFICERS = "officers"
CITIZEN = "citizen"
SURFACES = (OFFICERS, CITIZEN)
#: Where the citizens' routes are mounted on their surface: no path of theirs looks like an
#: officer's, so a proxy rule or a log line tells the surfaces apart by the path alone.
CITIZEN_PREFIX = "/citizen/v1"


class UnguardedRoute(RuntimeError):
    """A route declares neither a permission nor a reason to be public, or is mounted on the
    surface of the other realm (an officer's permission on the citizens' surface, a citizen's
    guard on the officers')."""


class NotMigrated(RuntimeError):
    """The database schema is not at the current migration."""


@dataclass(frozen=True)
class DeclaredRoute:
    """A route as the app serves it (prefixes applied), with the guard it declares."""

    path: str
    methods: tuple[str, ...]
    original: Any
    guard: str | None


def declared_routes(
    routes: Iterable[Any], prefix: str = "", included: tuple[Any, ...] = ()
) -> Iterator[DeclaredRoute]:
    """Every route, included routers flattened, read from the routers as they were declared.

    FastAPI includes routers lazily and builds each route's effective form (its dependencies
    re-analysed with the include's) on first use; walking those forms cost ~0.4 s per app, so
    the walk reads the declared routes and the include's own dependencies instead. A route's
    guard is on its own dependant (a router's ``dependencies=`` are copied into its routes) or
    on the include."""
    for route in routes:
        router = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if router is not None and context is not None:
            yield from declared_routes(
                router.routes, prefix + context.prefix, (*included, *context.dependencies)
            )
            continue
        guard = None
        if isinstance(route, APIRoute):
            guard = included_guard(included) or declared_guard(route.dependant)
        methods = tuple(sorted(getattr(route, "methods", None) or ()))
        yield DeclaredRoute(prefix + str(getattr(route, "path", "?")), methods, route, guard)


def unguarded_routes(app: FastAPI) -> list[str]:
    """Routes that would answer without any declared permission (must be empty)."""
    bad: list[str] = []
    for route in declared_routes(app.routes):
        if isinstance(route.original, APIRoute):
            if route.guard is None:
                bad.append(f"{','.join(route.methods)} {route.path}")
        elif isinstance(route.original, Mount) and route.path.startswith("/static"):
            continue  # static files: public by design, no data behind them
        else:
            bad.append(f"{type(route.original).__name__} {route.path}")
    return bad


def misplaced_routes(app: FastAPI, surface: str) -> list[str]:
    """Routes whose guard belongs to the other surface's realm (must be empty): on the
    citizens' surface only public routes and citizens' guards; on the officers', no citizens'
    guard."""
    foreign = ("perm:",) if surface == CITIZEN else ("citizen:",)
    return [
        f"{','.join(route.methods)} {route.path} ({route.guard})"
        for route in declared_routes(app.routes)
        if route.guard is not None and route.guard.startswith(foreign)
    ]


def route_guards(app: FastAPI) -> dict[str, str]:
    """``"METHODS path" -> guard`` for every API route, for tests and the security check."""
    guards: dict[str, str] = {}
    for route in declared_routes(app.routes):
        if isinstance(route.original, APIRoute):
            for method in route.methods:
                guards[f"{method} {route.path}"] = route.guard or "NONE"
    return guards


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description as the API really answers: every error is problem+json (not
    FastAPI's default 422 shape), so clients and fuzzers can hold us to it."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components["Problem"] = PROBLEM_SCHEMA
    problem = {
        "description": "A problem (RFC 9457): 4xx for the caller, 5xx for the server",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["default"] = problem
    app.openapi_schema = schema
    return schema


def _mount_docs(app: FastAPI, settings: Settings) -> None:
    if not settings.api_docs:
        return
    docs_public = Depends(public("API description, enabled by KOTWAL_API_DOCS"))
    bundle = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[docs_public])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=[docs_public])
    def docs() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><title>kotwal API</title>"
            '<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head><body>'
            '<div id="swagger-ui"></div>'
            '<script src="/static/swagger/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs-init.js"></script></body></html>'
        )

    app.mount("/static/swagger", StaticFiles(directory=bundle), name="swagger")


class ExposedDatabase(RuntimeError):
    """The SQLite database file can be read by others than its owner."""


def check_database_file(settings: Settings) -> None:
    """Refuse an embedded database that group or others can read: it holds password hashes,
    session hashes and the audit log."""
    database = settings.sqlite_path
    if database is None:
        return
    for suffix in ("", "-wal", "-shm"):
        path = database.with_name(database.name + suffix)
        if path.exists() and path.stat().st_mode & 0o077:
            raise ExposedDatabase(f"{path} is readable by others. Fix: chmod 600 {path}")


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, *, surface: str = OFFICERS
) -> FastAPI:
    """Build the ASGI app of ``surface`` (the officers' or the citizens') for ``settings`` (or
    the environment's)."""
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}")
    settings = settings or get_settings()
    runtime = runtime or domains.open_runtime(settings)
    check_database_file(settings)
    if not is_current(runtime.db.engine):
        raise NotMigrated("the database is not migrated; run `kotwal init` (or `kotwal migrate`)")
    with runtime.db.transaction(write=False) as session:
        # Fails fast on this host's key files not matching the keys the database was sealed with.
        active_kek_version(session, runtime.keyring)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settle_startup_objects()
        yield
        runtime.close()

    app = FastAPI(
        title="kotwal" if surface == OFFICERS else "kotwal for citizens",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        debug=False,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.surface = surface
    app.openapi = lambda: problem_openapi(app)  # type: ignore[method-assign]
    errors.install(app)
    enabled = domains.enabled(settings)
    domains.install(runtime)
    if surface == OFFICERS:
        _include_modules(app, settings, enabled)
    else:
        _include_citizen(app, enabled)
    _mount_docs(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    bad = unguarded_routes(app)
    if bad:
        raise UnguardedRoute("routes without a declared permission: " + "; ".join(bad))
    misplaced = misplaced_routes(app, surface)
    if misplaced:
        raise UnguardedRoute(
            f"routes of the other realm on the {surface} surface: " + "; ".join(misplaced)
        )
    app.add_middleware(SecurityHeaders, hsts=settings.tls, geolocation=surface == CITIZEN)
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes, larger=_uploads(enabled))
    return app


def _uploads(enabled: tuple[Manifest, ...]) -> dict[str, int]:
    """Routes allowed a body larger than the default, from the enabled domains' manifests."""
    larger: dict[str, int] = {}
    for manifest in enabled:
        if manifest.uploads is not None:
            larger.update(resolve(manifest.uploads)())
    return larger


def _include_modules(app: FastAPI, settings: Settings, enabled: tuple[Manifest, ...]) -> None:
    """Mount the health probe, then each enabled domain's API routes and public pages and, with
    the console, its pages and navigation links. A domain switched off is never imported here."""
    from kotwal.web import health

    app.include_router(health.router)
    for manifest in enabled:
        for module in manifest.api:
            app.include_router(resolve(module).router, prefix="/api/v1")
        for module in manifest.public:
            app.include_router(resolve(module).router)
    nav: list[NavLink] = []
    if domains.console_enabled(settings):
        for manifest in enabled:
            for module in manifest.views:
                app.include_router(resolve(module).router)
            nav.extend(manifest.nav)
    app.state.nav_links = tuple(sorted(nav, key=lambda link: link.order))


def _include_citizen(app: FastAPI, enabled: tuple[Manifest, ...]) -> None:
    """The citizens' surface: the health probe, each enabled domain's citizen routers and its
    web app's pages and files; no console, no officer's API, no navigation."""
    from kotwal.web import health

    app.include_router(health.router)
    for manifest in enabled:
        for module in manifest.citizen:
            app.include_router(resolve(module).router, prefix=CITIZEN_PREFIX)
        for module in manifest.citizen_pages:
            pages = resolve(module)
            app.include_router(pages.router)
            # Before the shared /static mount, so that it answers its own paths first; the
            # officers' surface never mounts it.
            mount, directory = pages.STATIC
            # Compressed: the app's scripts and words are a quarter of the bytes gzipped, what
            # a phone on a slow connection waits for. Files only, never an API answer.
            files = GZipMiddleware(StaticFiles(directory=directory), minimum_size=1024)
            app.mount(mount, files, name=mount.strip("/"))
    app.state.nav_links = ()


def create_citizen_app() -> FastAPI:
    """The citizens' surface alone, for the environment's settings (uvicorn's factory)."""
    return create_app(surface=CITIZEN)


class Surfaces:
    """Both surfaces in one server: a connection is answered by the app of the port it came
    in on (the listening socket's, not anything the client sends), so the two apps and their
    realms stay apart while one command and one set of workers serve them."""

    def __init__(self, by_port: dict[int, FastAPI]) -> None:
        self.by_port = by_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        server = scope.get("server")
        app: ASGIApp | None = self.by_port.get(server[1]) if server else None
        if app is None:  # a socket that is neither surface's: nothing is served there
            await _not_found(send)
            return
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        async with AsyncExitStack() as stack:
            try:
                for app in self.by_port.values():
                    await stack.enter_async_context(app.router.lifespan_context(app))
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


async def _not_found(send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": b"not found"})


def create_surfaces() -> Surfaces:
    """Both surfaces for the environment's settings (uvicorn's factory for ``kotwal run``): the
    officers' on ``KOTWAL_PORT``, the citizens' on ``KOTWAL_CITIZEN_PORT``, sharing one runtime
    (one pool of connections, one audit writer) per worker process."""
    settings = get_settings()
    runtime = domains.open_runtime(settings)
    try:
        officers = create_app(settings, runtime, surface=OFFICERS)
        citizens = create_app(settings, runtime, surface=CITIZEN)
    except BaseException:
        runtime.close()
        raise
    return Surfaces({settings.port: officers, settings.citizen_port: citizens})

"""Every error as RFC 9457 problem+json (API) or a plain page (console); never a stack trace,
SQL or key material. Unexpected exceptions are logged server-side with an id the user sees."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kotwal.core.errors import PROBLEM_BASE, NotAuthenticated, Problem, StepUpRequired

log = logging.getLogger("kotwal.web")
PROBLEM_JSON = "application/problem+json"

_HTTP_SLUGS = {
    400: ("bad-request", "The request is not valid"),
    401: ("not-authenticated", "Log in first"),
    403: ("forbidden", "You do not have permission to do this"),
    404: ("not-found", "No such resource"),
    405: ("method-not-allowed", "This method is not allowed here"),
    413: ("too-large", "The request body is too large"),
    415: ("unsupported-media-type", "This content type is not accepted"),
    429: ("too-many-requests", "Too many requests; slow down"),
}


def problem_response(
    status: int, slug: str, title: str, *, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="kotwal"'
    if status in (429, 503) and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def is_api(request: Request) -> bool:
    """Whether the caller is a program (problem+json) rather than the console (pages,
    redirects to the login form): the officers' API, and the whole citizens' surface, which
    has no pages and no login form to send anyone to."""
    surface = getattr(request.app.state, "surface", None)
    return request.url.path.startswith("/api/") or surface == "citizen"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and why: echoing the input back could reflect personal data or scripts.
    return [
        {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()[:20]
    ]


def _disk_refused(exc: Exception) -> bool:
    """The database could not write to its disk: SQLite's SQLITE_FULL (no space) or an
    SQLITE_IOERR (a write refused: a file-size limit, a failing disk), PostgreSQL's disk_full
    or io_error."""
    orig = getattr(exc, "orig", None)
    name = str(getattr(orig, "sqlite_errorname", ""))
    return (
        name == "SQLITE_FULL"
        or name.startswith("SQLITE_IOERR")
        or getattr(orig, "sqlstate", None) in ("53100", "58030")
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Response:
        if not is_api(request) and isinstance(exc, NotAuthenticated):
            return RedirectResponse("/login", status_code=303)
        if not is_api(request) and isinstance(exc, StepUpRequired):
            return RedirectResponse("/step-up", status_code=303)
        if not is_api(request):
            from kotwal.web.pages import error_page

            return error_page(request, exc.status, exc.title, exc.detail)
        body = exc.body()
        return problem_response(
            exc.status,
            exc.slug,
            exc.title,
            **{k: v for k, v in body.items() if k not in ("type", "title", "status")},
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(
            422, "invalid-input", "The input is not valid", errors=_validation_errors(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "The request failed"))
        if not is_api(request) and exc.status_code in (404, 405):
            from kotwal.web.pages import error_page

            return error_page(request, exc.status_code, title, None)
        return problem_response(exc.status_code, slug, title)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def on_database_gone(request: Request, exc: Exception) -> Response:
        # The database went away under the request (a failover, a restart, a network cut): the
        # pool reconnects on the next checkout (pre-ping; a multi-host URL finds the new
        # primary). Nothing is retried here: a write may have committed before the connection
        # died, so only the client, who can look, decides; a read is safe to repeat.
        if _disk_refused(exc):
            log.error("the database could not write to its disk; the request was rolled back")
            return problem_response(
                507,
                "storage-write-failed",
                "The database could not write to its disk (full or failing)",
                detail="Nothing of this request was saved. Tell your technical services wing.",
            )
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return problem_response(
            503,
            "database-unavailable",
            "The database is not reachable just now",
            detail="Try again in a few seconds; if you were saving, check whether it was saved.",
            retry_after=2,
        )

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        incident = secrets.token_hex(6)
        log.exception("unhandled error, incident %s", incident)
        return problem_response(
            500,
            "internal-error",
            "Something went wrong on the server",
            detail=f"Quote incident {incident} to your technical services wing.",
        )

"""Console page rendering: one Jinja2 environment, the layout's context, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from kotwal.core import identity
from kotwal.core.policy import ROLE_TITLES, Actor, Permission
from kotwal.web.deps import get_runtime, session_cookie_name

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["Permission"] = Permission
TEMPLATES.env.globals["ROLE_TITLES"] = ROLE_TITLES


def csrf_token(request: Request) -> str:
    token = request.cookies.get(session_cookie_name(get_runtime(request)))
    return identity.csrf_for(token) if token else ""


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    context.setdefault("actor", actor if isinstance(actor, Actor) else None)
    context.setdefault("csrf_token", csrf_token(request))
    context.setdefault("demo", get_runtime(request).settings.demo)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def error_page(request: Request, status: int, title: str, detail: str | None) -> Response:
    return render(request, "error.html", status_code=status, title=title, detail=detail)

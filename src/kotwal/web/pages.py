"""Console page rendering: one Jinja2 environment, the layout's context, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from kotwal import domains
from kotwal.core import identity
from kotwal.core.clock import station_zone
from kotwal.core.policy import ROLE_TITLES, Actor
from kotwal.web import i18n, timefmt
from kotwal.web.deps import get_runtime, session_cookie_name


def _templates() -> Jinja2Templates:
    """The shell's templates, then each domain's (``<package>/templates``), with every domain's
    permission enumeration available to templates by its class name."""
    folders = [Path(__file__).parent / "templates"]
    folders += [d for m in domains.manifests() if (d := m.template_dir) is not None]
    templates = Jinja2Templates(directory=[str(f) for f in folders])
    for manifest in domains.manifests():
        for enumeration in manifest.permissions:
            templates.env.globals[enumeration.__name__] = enumeration
    templates.env.globals["ROLE_TITLES"] = ROLE_TITLES
    timefmt.install(templates.env)
    i18n.install(templates.env)
    return templates


TEMPLATES = _templates()


def csrf_token(request: Request) -> str:
    token = request.cookies.get(session_cookie_name(get_runtime(request)))
    return identity.csrf_for(token) if token else ""


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    context.setdefault("actor", actor if isinstance(actor, Actor) else None)
    context.setdefault("csrf_token", csrf_token(request))
    settings = get_runtime(request).settings
    context.setdefault("demo", settings.demo)
    context.setdefault("nav_links", getattr(request.app.state, "nav_links", ()))
    # The response renders here and now: its moments are shown in KOTWAL_TIMEZONE, its labels
    # in the reader's language.
    with timefmt.page_zone(station_zone(settings)), i18n.page_language(page_language(request)):
        return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def page_language(request: Request) -> str:
    """The officer's chosen language once logged in; before that, the browser's preference."""
    actor = getattr(request.state, "actor", None)
    if isinstance(actor, Actor):
        return actor.language
    return i18n.from_accept_language(request.headers.get("accept-language"))


def error_page(request: Request, status: int, title: str, detail: str | None) -> Response:
    return render(request, "error.html", status_code=status, title=title, detail=detail)

"""The citizens' web app (issue 22 item 9), served by the citizens' surface only: its shell page,
its service worker and its web app manifest. None of them holds anyone's data: the shell is
the same page for everyone, and the app fetches what is a citizen's from ``/citizen/v1`` with
the cookie no script can read (:mod:`kotwal.citizen.deps`).

The app's files (plain JavaScript modules, the stylesheet, the icons) are in ``static/``,
mounted at ``/static/citizen/`` on the citizens' surface alone; the fonts are the package's
shared ones (``/static/vendor/fonts/``). The service worker caches the shell and those files,
under a name that changes whenever one of them does, and never an answer of the API.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kotwal import __version__
from kotwal.web.deps import public

STATIC_DIR = Path(__file__).parent / "static"
#: Where the app's files are served (the app factory mounts them on the citizens' surface).
STATIC = ("/static/citizen", STATIC_DIR)
#: The app's address; the service worker's scope.
APP = "/citizen/"
#: What the service worker keeps for the app to open without a connection: the shell and its
#: files. The fonts are cached as the page first uses them (a language's file only if it is
#: shown). Never a path under /citizen/v1.
SHELL = (
    APP,
    "/citizen/manifest.webmanifest",
    "/static/citizen/app.css",
    "/static/citizen/app.js",
    "/static/citizen/strings.js",
    "/static/citizen/outbox.js",
    "/static/citizen/icon.svg",
    "/static/citizen/icon-192.png",
    "/static/citizen/icon-512.png",
)

router = APIRouter(include_in_schema=False)
_SHELL = Depends(public("the citizens' web app's shell, code and labels: no one's data"))


@cache
def version() -> str:
    """A short hash of kotwal's version and every file of the app: the service worker's cache
    name, so that any change of a file makes phones fetch the shell again."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _page() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


@cache
def _worker() -> str:
    source = (STATIC_DIR / "sw.js.txt").read_text(encoding="utf-8")
    return source.replace("__VERSION__", version()).replace("__SHELL__", json.dumps(SHELL))


#: The web app manifest: what a phone needs to install the app on its home screen.
MANIFEST = {
    "name": "kotwal: police help",
    "short_name": "Police help",
    "description": "SOS, safe trips and reports to the police",
    "start_url": APP,
    "scope": APP,
    "display": "standalone",
    "orientation": "portrait",
    "background_color": "#ffffff",
    "theme_color": "#102a43",
    "lang": "en",
    "icons": [
        {"src": "/static/citizen/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "/static/citizen/icon-512.png", "sizes": "512x512", "type": "image/png"},
        {
            "src": "/static/citizen/icon-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
        {"src": "/static/citizen/icon.svg", "sizes": "any", "type": "image/svg+xml"},
    ],
}


@router.get("/", dependencies=[_SHELL])
def root() -> RedirectResponse:
    """The surface's address leads to the app."""
    return RedirectResponse(APP, status_code=302)


@router.get(APP, dependencies=[_SHELL])
def shell() -> HTMLResponse:
    """The app's one page; the screens are drawn by ``app.js``."""
    return HTMLResponse(_page())


@router.get("/citizen/sw.js", dependencies=[_SHELL])
def service_worker() -> Response:
    """The service worker (at the app's path, so that its scope is the app)."""
    return Response(_worker(), media_type="text/javascript")


@router.get("/citizen/manifest.webmanifest", dependencies=[_SHELL])
def web_manifest() -> Response:
    return Response(json.dumps(MANIFEST), media_type="application/manifest+json")

"""The public alerts' open surface: read-only, without login, and nothing but published alerts.

- ``GET /public/alerts/feed.atom``: the current alerts as an Atom feed, each entry linking to
  its CAP document;
- ``GET /public/alerts/cap/{identifier}.xml``: one signed CAP 1.2 document, as stored;
- ``GET /public/alerts/verify`` (``?q=`` an identifier) and ``POST`` (a form with the pasted
  text): a page where anyone pastes an identifier or an SMS's text and is told whether kotwal
  sent it (the stored signature is verified every time);
- ``GET /public/alerts/signing-key.pem``: the public half of the key the documents are signed
  with, for those who check them with their own tools.

These routes are the alerts manifest's ``public`` routers: when the alerts module is off they
do not exist (404). They serve only what a CAP document already says to everyone (no officer's
name, no draft, no count), and write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from lxml import etree  # type: ignore[import-untyped]

from kotwal.alerts import cap, channels, publication
from kotwal.alerts.config import alert_settings
from kotwal.core.clock import utcnow
from kotwal.core.errors import NotFound
from kotwal.core.keys import fingerprint
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, get_runtime, public

ATOM_NS = "http://www.w3.org/2005/Atom"
#: The feed's id when no public address is configured (an id must be an absolute IRI).
FEED_ID = "urn:kotwal:public-alerts:feed"
#: Longer than any SMS of ten parts (1,530 characters), so a whole message fits.
QUERY_MAX = 2000
_TEMPLATES = Environment(
    loader=FileSystemLoader(str(cap.DATA_DIR.parent / "templates")),
    autoescape=select_autoescape(default=True),
)


def channel_open(request: Request) -> None:
    """The public feed is a channel (``alerts/channels.py``): disabled, or past its expiry,
    or unused too long, its routes answer 404 as if they did not exist; in use, each serves
    as its heartbeat."""
    runtime = get_runtime(request)
    if not channels.is_live(runtime, channels.PUBLIC_FEED).live:
        raise NotFound("Not Found")
    channels.heartbeat(runtime, channels.PUBLIC_FEED)


router = APIRouter(
    prefix="/public/alerts",
    dependencies=[
        Depends(public("public alerts: anyone may read and verify what the police published")),
        Depends(channel_open),
    ],
)


def _atom(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def feed_document(base: str, found: list[publication.Published], now: datetime) -> bytes:
    """The Atom feed of ``found`` (current alerts, newest first); links are absolute."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _atom(feed, "id", f"{base}/public/alerts/feed.atom" if base else FEED_ID)
    _atom(feed, "title", "Public alerts")
    _atom(feed, "updated", _stamp(found[0].sent_at if found else now))
    author = _atom(feed, "author")
    _atom(author, "name", "kotwal public alerts")
    _atom(feed, "link", rel="self", href=f"{base}/public/alerts/feed.atom")
    for item in found:
        entry = _atom(feed, "entry")
        _atom(entry, "id", f"urn:uuid:{item.identifier}")
        headlines = item.verified.headlines
        _atom(entry, "title", headlines.get("en-IN") or next(iter(headlines.values()), ""))
        _atom(entry, "updated", _stamp(item.sent_at))
        _atom(entry, "summary", item.verified.sms or " / ".join(headlines.values()))
        href = f"{base}/public/alerts/cap/{item.identifier}.xml"
        _atom(entry, "link", rel="alternate", type="application/cap+xml", href=href)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8"))


def _base() -> str:
    """The configured public address, or "" for links relative to the feed's host."""
    return (alert_settings().public_url or "").rstrip("/")


@router.get("/feed.atom", include_in_schema=False)
def feed(uow: UnitOfWork = ReadUnit) -> Response:
    """The current alerts, each verified before it is listed."""
    now = utcnow()
    body = feed_document(_base(), publication.current(uow, now), now)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/cap/{identifier}.xml", include_in_schema=False)
def cap_document(identifier: str, uow: UnitOfWork = ReadUnit) -> Response:
    """One CAP document, byte for byte as signed."""
    body = publication.document(uow, identifier)
    if body is None:
        return Response("no such alert\n", status_code=404, media_type="text/plain")
    return Response(body, media_type="application/cap+xml; charset=utf-8")


@router.get("/signing-key.pem", include_in_schema=False)
def signing_key(request: Request) -> Response:
    """The public key CAP documents are signed with."""
    pem = publication.public_pem(get_runtime(request))
    return Response(pem, media_type="application/x-pem-file")


@router.get("/verify", include_in_schema=False)
def verify_page(
    request: Request,
    q: str = Query(default="", max_length=QUERY_MAX),
    uow: UnitOfWork = ReadUnit,
) -> HTMLResponse:
    """The form, or the verdict on an identifier (or a one-line text) given in the address."""
    return _verdict(request, uow, q)


@router.post("/verify", include_in_schema=False)
def verify_form(
    request: Request,
    q: str = Form(default="", max_length=QUERY_MAX),
    uow: UnitOfWork = ReadUnit,
) -> HTMLResponse:
    """The verdict on a pasted text. A form post, because an SMS has line breaks and an
    address may carry none (the app refuses control characters there); it writes nothing."""
    return _verdict(request, uow, q)


def _verdict(request: Request, uow: UnitOfWork, q: str) -> HTMLResponse:
    """Whether kotwal sent the alert whose identifier or text is pasted."""
    runtime = get_runtime(request)
    asked = bool(q.strip())
    claims = publication.check(uow, q) if asked else []
    page = _TEMPLATES.get_template("alerts/public_verify.html").render(
        query=q,
        query_max=QUERY_MAX,
        asked=asked,
        claims=claims,
        by_identifier=bool(publication.IDENTIFIER.match(q.strip().lower())),
        key_fingerprint=fingerprint(publication.public_pem(runtime)),
        demo=runtime.settings.demo,
    )
    return HTMLResponse(page)

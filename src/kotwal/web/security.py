"""Response headers and request limits that hold for every route (pure ASGI middleware)."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: What a page may ask the browser for: nothing on the officers' surface; the citizens' web app
#: asks for the phone's position (an SOS, a trip, a report's place), from its own origin only.
PERMISSIONS = b"camera=(), microphone=(), geolocation=(), payment=()"
CITIZEN_PERMISSIONS = b"camera=(), microphone=(), geolocation=(self), payment=()"
ALLOWED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class SecurityHeaders:
    """Adds CSP, no-referrer, nosniff, frame denial, no caching of pages, HSTS under TLS."""

    def __init__(self, app: ASGIApp, *, hsts: bool, geolocation: bool = False) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CSP.encode()),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", CITIZEN_PERMISSIONS if geolocation else PERMISSIONS),
        ]
        if hsts:
            self.headers.append(
                (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers.extend(self.headers)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _problem(send: Send, status: int, slug: str, title: str) -> None:
    body = json.dumps(
        {"type": f"urn:kotwal:problem:{slug}", "title": title, "status": status}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Refuses unknown methods (TRACE, CONNECT ...) and bodies above ``max_body`` bytes."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, larger: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body = max_body
        #: Paths allowed a larger body (file uploads), each with its own cap. A ``{name}``
        #: segment stands for any one path segment (an id), so the photo upload of every
        #: person gets its cap while the person's other routes keep the small one.
        self.larger = {p: n for p, n in (larger or {}).items() if "{" not in p}
        self.larger_patterns = [
            (re.compile("^" + re.sub(r"\\{[^/]*?\\}", "[^/]+", re.escape(p)) + "$"), n)
            for p, n in (larger or {}).items()
            if "{" in p
        ]

    def _limit(self, path: str) -> int:
        if path in self.larger:
            return self.larger[path]
        for pattern, cap in self.larger_patterns:
            if pattern.match(path):
                return cap
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ALLOWED_METHODS:
            await _problem(send, 405, "method-not-allowed", "This method is not allowed here")
            return
        if _has_control_characters(scope):
            # A NUL or line break in a path or query is never a name, an id or a number;
            # refused here so no database (PostgreSQL rejects NUL in text) ever sees one.
            await _problem(send, 422, "invalid-input", "Control characters in the address")
            return
        limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _problem(send, 413, "too-large", "The request body is too large")
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _problem(send, 413, "too-large", "The request body is too large")


class BodyTooLarge(Exception):
    """A streamed body went past the limit."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _has_control_characters(scope: Scope) -> bool:
    """True when the decoded path or the percent-decoded query holds a control character."""
    query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
    return bool(_CONTROL.search(scope["path"]) or _CONTROL.search(query))


def _content_length(scope: Scope) -> int | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

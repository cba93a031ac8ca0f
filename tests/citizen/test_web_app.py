"""The citizens' web app as the server sees it (issue 22 item 9): its shell, service worker
and manifest on the citizens' surface only, no script inline, and the web app's login in an
HttpOnly cookie that only the app's own requests may use. The app itself is driven in Chromium
by tests/browser/test_citizen_app.py."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from kotwal.citizen.webapp import SHELL
from kotwal.core.runtime import Runtime
from kotwal.web.security import CSP
from tests.citizen.helpers import API, ask, sent_code

APP = {"X-Kotwal-Citizen": "app"}
COOKIE = "__Host-kotwal-citizen"


def test_the_shell_service_worker_and_manifest_are_on_the_citizens_surface_only(
    citizens: TestClient, client: TestClient
) -> None:
    page = citizens.get("/citizen/")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    # Every script is a file of the app's own: none inline, none from elsewhere.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/static/citizen/' in a and not body for a, body in scripts)
    assert "style=" not in page.text and "http" not in page.text.replace("http-equiv", "")
    # The app may ask for the phone's position; the officers' pages may not.
    assert "geolocation=(self)" in page.headers["permissions-policy"]
    assert "geolocation=()" in client.get("/login").headers["permissions-policy"]
    assert citizens.get("/", follow_redirects=False).headers["location"] == "/citizen/"

    manifest = citizens.get("/citizen/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == body["scope"] == "/citizen/"
    assert body["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}

    worker = citizens.get("/citizen/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-store"
    listed = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker.text).group(1))  # type: ignore[union-attr]
    assert listed == list(SHELL) and not any(p.startswith(API) for p in listed)
    for path in listed:  # the shell it keeps is all there
        assert citizens.get(path).status_code == 200, path
    assert citizens.get("/static/vendor/fonts/noto-naskh-arabic-arabic-400-normal.woff2").is_success

    # The app's files go compressed to a phone that takes gzip.
    script = citizens.get("/static/citizen/strings.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip" and "STRINGS" in script.text

    for path in ("/citizen/", "/citizen/sw.js", "/static/citizen/app.js"):
        assert client.get(path).status_code == 404, path


def _log_in_by_cookie(citizens: TestClient, runtime: Runtime, mobile: str) -> str:
    challenge = ask(citizens, mobile)
    body = {"mobile": mobile, "challenge": challenge, "code": sent_code(runtime, mobile)}
    # Another page cannot log this browser in: the app's header is required for a cookie.
    refused = citizens.post(f"{API}/session", json={**body, "cookie": True})
    assert refused.status_code == 403
    r = citizens.post(f"{API}/session", json={**body, "cookie": True}, headers=APP)
    assert r.status_code == 201, r.text
    assert r.json()["token"] is None  # not in the answer: in a cookie no script can read
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=kc_")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower(), flag
    return str(r.json()["session_id"])


def test_the_web_apps_cookie_admits_only_the_apps_own_requests(
    citizens: TestClient, client: TestClient, runtime: Runtime
) -> None:
    session_id = _log_in_by_cookie(citizens, runtime, "9876500051")
    assert citizens.cookies.get(COOKIE)
    mine = citizens.get(f"{API}/devices", headers=APP)
    assert mine.status_code == 200 and mine.json()[0]["current"] is True
    # Without the app's header (a form or an image on another page): refused, nothing done.
    r = citizens.get(f"{API}/devices")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert (
        citizens.post(
            f"{API}/sos", json={"at": "2026-12-07T10:00:00Z", "lat": 17.4, "lon": 78.4}
        ).status_code
        == 403
    )
    # A page of another origin (the officers' surface on the same host, too) is refused even
    # if it could send the header.
    for site in ("cross-site", "same-site"):
        r = citizens.get(f"{API}/devices", headers={**APP, "Sec-Fetch-Site": site})
        assert r.status_code == 403, site
    assert citizens.get(
        f"{API}/devices", headers={**APP, "Sec-Fetch-Site": "same-origin"}
    ).is_success
    # The officers' surface does not know the cookie.
    client.cookies.set(COOKIE, citizens.cookies[COOKIE])
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"

    # Logging this device out ends the session and clears the cookie.
    r = citizens.post(f"{API}/devices/{session_id}/revoke", headers=APP)
    assert r.status_code == 204 and f"{COOKIE}=" in r.headers["set-cookie"]
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert not citizens.cookies.get(COOKIE)


def test_deleting_the_account_from_the_web_app_clears_its_cookie(
    citizens: TestClient, runtime: Runtime
) -> None:
    _log_in_by_cookie(citizens, runtime, "9876500052")
    r = citizens.delete(f"{API}/account", headers=APP)
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert citizens.get(f"{API}/devices", headers=APP).status_code == 401

"""Browser tests: Playwright drives Debian's Chromium against a real kotwal server.

Per test worker: one uvicorn server in a thread, bound to 127.0.0.1 on a free port and reached
as http://localhost:<port> (Chromium treats localhost as a secure context, so the ``__Host-``
``Secure`` cookies work exactly as in production), serving ``create_app`` over a fresh data
directory with keys generated now and a migrated SQLite database; and one Chromium. Each test
gets its own browser context (cookies, history) and makes its own officers, so tests do not see
each other's sessions. Playwright never downloads a browser here: ``scripts/test`` installs the
Debian package ``chromium`` and this file launches ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from kotwal.core.config import Settings
from kotwal.core.db import Database
from kotwal.core.keys import generate_keys, load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.domains import open_runtime
from kotwal.web.app import create_app
from tests.factories import Officer, World, build_world, issue_token, make_officer
from tests.serving import serve

CHROMIUM = Path("/usr/bin/chromium")
#: Where the browser tests leave screenshots for a person to look at (docs/development.md);
#: KOTWAL_TEST_ARTIFACTS moves it (CI keeps the folder as the run's artifacts).
ARTIFACTS = (
    Path(
        os.environ.get("KOTWAL_TEST_ARTIFACTS")
        or Path(__file__).resolve().parents[2] / "test-artifacts"
    )
    / "browser"
)
#: The widths the console is looked at: a desktop browser and a phone (CSS pixels).
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Milliseconds Playwright waits for any one thing; a journey step here takes a few ms.
STEP_TIMEOUT_MS = 10_000


@dataclass
class LiveServer:
    url: str
    runtime: Runtime
    world: World

    def officer(self, *roles: Role, posting: str | None = None, **kwargs: Any) -> Officer:
        return make_officer(self.runtime, *roles, posting=posting, **kwargs)

    def file_person(self, writer: Officer, station_id: str, name: str, **extra: Any) -> str:
        """File a person through the JSON API with the writer's bearer token; its id."""
        body = {
            "name": name,
            "category": "offender",
            "sex": "male",
            "birth_year": 1985,
            "station_id": station_id,
            "phone": "90000" + "".join(secrets.choice("0123456789") for _ in range(5)),
            "address": "H.No. 4-5-6, Synthetic Colony",
            **extra,
        }
        r = httpx.post(f"{self.url}/api/v1/persons", json=body, headers=writer.bearer)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def writer(self, station_id: str) -> Officer:
        return issue_token(self.runtime, self.officer(Role.SUB_INSPECTOR, posting=station_id))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A kotwal server for this worker, on SQLite, with the synthetic jurisdiction tree."""
    data_dir = tmp_path_factory.mktemp("browser") / "kotwal-data"
    data_dir.mkdir(mode=0o700)
    generate_keys(data_dir / "keys")
    settings = Settings(data_dir=data_dir, local_http=False, tls=False, api_docs=False)
    database = Database(settings.sqlalchemy_url)
    upgrade(database.engine)
    database.dispose()
    for path in data_dir.glob("kotwal.db*"):
        path.chmod(0o600)  # as `kotwal init` leaves it; the app refuses a readable database
    runtime = open_runtime(settings, keyring=load_keys(settings))
    # The app's lifespan closes the runtime when the server stops.
    with serve(create_app(settings, runtime)) as url:
        assert httpx.get(f"{url}/login").status_code == 200
        yield LiveServer(url=url, runtime=runtime, world=build_world(runtime))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does it)",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@dataclass
class PageWatch:
    """What the page complained about: console errors and warnings, uncaught exceptions, and
    Content-Security-Policy violations (each ``securitypolicyviolation`` event), by page URL."""

    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def take(self) -> list[str]:
        taken, self.problems = self.problems, []
        return taken


# Runs before any page script (CDP injects it, so the page's CSP does not apply to it); reports
# each violation through a Playwright binding, which survives navigations.
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__kotwalCsp({directive: e.violatedDirective, blocked: e.blockedURI,
                      sample: e.sample, source: e.sourceFile, line: e.lineNumber});
});
"""


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_server.url, java_script_enabled=True)
    ctx.set_default_timeout(STEP_TIMEOUT_MS)
    yield ctx
    ctx.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``<ARTIFACTS>/<name>.png`` once its fonts have loaded; the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(
    context: BrowserContext, watch: PageWatch, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page whose console and CSP reports are collected; none may remain at the end.

    Its last state is saved as ``<ARTIFACTS>/<test name>.final.png``, for a person to look at."""
    page = context.new_page()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            watch.problems.append(f"console {msg.type} on {page.url}: {msg.text}")

    def on_csp(source: Any, report: dict[str, Any]) -> None:
        watch.problems.append(f"CSP violation on {page.url}: {report}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watch.problems.append(f"uncaught on {page.url}: {exc}"))
    page.on("framenavigated", lambda frame: watch.visited.append(frame.url))
    page.expose_binding("__kotwalCsp", on_csp)
    page.add_init_script(_CSP_LISTENER)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.final.png", full_page=True)
    page.close()
    left = watch.take()
    assert not left, "the console or CSP complained:\n" + "\n".join(left)

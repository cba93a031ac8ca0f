"""`kotwal security check`: the VAPT as a repeatable command.

Checks a deployment's configuration and its instance, and says for each finding how to fix
it. A check that cannot be made here (no advisory source, a feature not built yet) is
reported as *skipped*, never as passed. The report is text or JSON; any failure makes the
command exit non-zero.
"""

from __future__ import annotations

import json
import re
import subprocess  # nosec B404
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from kotwal import domains
from kotwal.core import audit
from kotwal.core.checks import FAIL, PASS, SECURITY_CHECKS, SKIP, Finding
from kotwal.core.config import Settings
from kotwal.core.keys import KeyProblem, load_keys
from kotwal.core.models import Account
from kotwal.core.runtime import Runtime

#: Routes anyone may call without logging in; anything else answering 2xx to a stranger fails.
PUBLIC_ALLOWED = {
    "GET /healthz",
    "POST /api/v1/auth/token",
    "GET /login",
    "POST /login",
    "GET /api/openapi.json",
    "GET /api/docs",
    # The alerts module's public surface (issue 20 item 3): published alerts, read-only, for
    # anyone to read and verify; nothing else of the alerts is public.
    "GET /public/alerts/feed.atom",
    "GET /public/alerts/cap/{identifier}.xml",
    "GET /public/alerts/verify",
    "POST /public/alerts/verify",
    "GET /public/alerts/signing-key.pem",
    # The patrol module's trackers (issue 21 item 3): OsmAnd/Traccar clients send positions
    # with no officer's session; each ping is authenticated by its tracker's own token.
    "GET /api/v1/patrol/osmand",
    "POST /api/v1/patrol/osmand",
    # The citizens' surface (issue 22): asking for and spending a login code, an anonymous
    # tip and its course by receipt, the station directory; every other citizens' route takes
    # a citizen's token.
    "POST /citizen/v1/otp",
    "POST /citizen/v1/session",
    "POST /citizen/v1/tips",
    "POST /citizen/v1/tips/status",
    "GET /citizen/v1/stations/near",
}
#: Paths that belong to each switchable module; a module switched off must answer 404 there.
CONSOLE_PROBES = ["/login", "/", "/account", "/persons"]


def module_probes() -> dict[str, list[str]]:
    """Paths that answer only while a module is on: the console's pages, and each domain's
    console pages (from its manifest's navigation links)."""
    probes = {domains.CONSOLE: CONSOLE_PROBES}
    for manifest in domains.manifests():
        if not manifest.always and manifest.nav:
            probes[manifest.name] = [link.href for link in manifest.nav]
    return probes


CHECKPOINT_MAX_AGE_SECONDS = 24 * 3600


def _ok(check: str, detail: str) -> Finding:
    return Finding(check, PASS, detail)


def _bad(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, FAIL, detail, fix)


def configuration(settings: Settings, *, live: bool = False) -> Iterator[Finding]:
    """Settings a production deployment must have. With ``live`` (``--url``), what a stranger
    can see of cookies, TLS and the API docs is judged from the server's answers instead
    (:func:`served`): this machine's settings need not be the server's."""
    yield (
        _bad("debug", "debug mode is on", "unset KOTWAL_DEBUG")
        if settings.debug
        else _ok("debug", "debug mode is off")
    )
    if live:
        return
    yield (
        _bad(
            "secure cookies",
            "KOTWAL_LOCAL_HTTP drops Secure and __Host- from cookies",
            "unset KOTWAL_LOCAL_HTTP and serve over TLS",
        )
        if settings.local_http
        else _ok("secure cookies", "cookies are __Host-, Secure, HttpOnly, SameSite=Strict")
    )
    yield (
        _ok("tls", "TLS is declared: HSTS is sent")
        if settings.tls
        else _bad("tls", "TLS is not declared", "serve behind a TLS proxy and set KOTWAL_TLS=true")
    )
    yield (
        _bad(
            "api docs",
            "the API description and docs are served",
            "unset KOTWAL_API_DOCS in production",
        )
        if settings.api_docs
        else _ok("api docs", "API docs are off")
    )


def _inside_repository(path: Path) -> Path | None:
    for parent in [path, *path.parents]:
        if (parent / ".git").exists():
            return parent
    return None


def keys(settings: Settings) -> Iterator[Finding]:
    """Key files private to their owner, outside any repository and outside the database."""
    try:
        ring = load_keys(settings)
    except KeyProblem as exc:
        yield _bad("key files", str(exc), "fix the files as the message says, or run kotwal init")
        return
    if ring.source == "environment":
        yield _ok("key files", "keys come from the environment, not from files")
        return
    yield _ok("key files", f"keys in {settings.keys_dir} are private to their owner")
    repo = _inside_repository(settings.keys_dir.resolve())
    yield (
        _bad(
            "keys outside repository",
            f"the key directory is inside the repository {repo}",
            "move KOTWAL_DATA_DIR outside any source checkout",
        )
        if repo is not None
        else _ok("keys outside repository", "the key directory is in no git repository")
    )
    database = settings.sqlite_path
    same_dir = database is not None and database.resolve().parent == settings.keys_dir.resolve()
    yield (
        _bad(
            "keys outside database",
            "the key files sit beside the database file",
            "keep keys/ apart from the database",
        )
        if same_dir
        else _ok("keys outside database", "keys are stored apart from the database")
    )


def accounts(runtime: Runtime) -> Iterator[Finding]:
    """Initial passwords changed and TOTP enrolled on every enabled account."""
    with runtime.db.transaction(write=False) as session:
        rows = list(session.execute(select(Account).where(Account.disabled.is_(False))).scalars())
    initial = sorted(a.username for a in rows if a.must_change_password)
    no_totp = sorted(a.username for a in rows if a.totp_secret is None)
    yield (
        _bad(
            "initial passwords",
            f"still on their initial password: {', '.join(initial)}",
            "log in as each and change it, or disable the account",
        )
        if initial
        else _ok("initial passwords", f"all {len(rows)} enabled accounts changed theirs")
    )
    yield (
        _bad(
            "totp enrolled",
            f"no authenticator enrolled: {', '.join(no_totp)}",
            "each must log in and enrol TOTP (kotwal requires it for every role)",
        )
        if no_totp
        else _ok("totp enrolled", f"all {len(rows)} enabled accounts use TOTP")
    )


def audit_log(runtime: Runtime) -> Iterator[Finding]:
    """The chain verifies, and the newest checkpoint is recent."""
    result = audit.verify(
        runtime.db.engine,
        runtime.keyring.audit_public,
        witness=runtime.settings.audit_witness,
        mac_key=runtime.keyring.audit_mac_key,
    )
    yield (
        _ok(
            "audit chain",
            f"{result.events_checked:,} events and "
            f"{result.checkpoints_checked:,} checkpoints verify",
        )
        if result.ok
        else _bad(
            "audit chain",
            result.describe(),
            "treat as an incident: preserve the database and the witness, investigate",
        )
    )
    with runtime.db.transaction(write=False) as session:
        lag = audit.signature_lag(session)
    if lag.unsigned_events == 0 and lag.checkpoints:
        yield _ok("audit checkpoint", "the newest event is covered by a signed checkpoint")
    elif lag.unsigned_seconds > CHECKPOINT_MAX_AGE_SECONDS or lag.checkpoints == 0:
        yield _bad(
            "audit checkpoint",
            f"{lag.unsigned_events:,} events over {lag.unsigned_seconds:,.0f} s unsigned",
            "run `kotwal audit checkpoint`; check that the service signs at intervals",
        )
    else:
        yield _ok("audit checkpoint", f"{lag.unsigned_events:,} recent events not yet signed")


def decoys(runtime: Runtime) -> Iterator[Finding]:
    """The primary carries decoys, so that opening one raises the alarm and a leak names it."""
    from kotwal.decoys.service import primary_decoy_count

    with runtime.db.transaction(write=False) as session:
        planted = primary_decoy_count(session)
    yield (
        _ok("decoys planted", f"{planted} decoy persons are planted in the primary")
        if planted
        else _bad(
            "decoys planted",
            "the primary carries no decoys: nothing would tell of a bulk read or a leak",
            "run `kotwal decoys plant`",
        )
    )


def _probe(app: FastAPI | None, base_url: str | None) -> httpx.Client:
    if base_url:
        return httpx.Client(base_url=base_url, follow_redirects=False, timeout=10)
    assert app is not None
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://selfcheck", follow_redirects=False)


def served(client: httpx.Client) -> Iterator[Finding]:
    """What the server at ``--url`` shows a stranger: its API description, HSTS, cookies."""
    docs = [p for p in ("/api/openapi.json", "/api/docs") if client.get(p).status_code == 200]
    yield (
        _bad(
            "api docs",
            f"the server serves {' and '.join(docs)}",
            "unset KOTWAL_API_DOCS where the server runs, and restart it",
        )
        if docs
        else _ok("api docs", "the server serves no API description")
    )
    hsts = client.get("/healthz").headers.get("strict-transport-security")
    yield (
        _ok("tls", f"the server sends Strict-Transport-Security ({hsts})")
        if hsts
        else _bad(
            "tls",
            "the server sends no Strict-Transport-Security",
            "serve behind a TLS proxy and set KOTWAL_TLS=true where the server runs",
        )
    )
    cookies = client.get("/login").headers.get_list("set-cookie")
    weak = [c.split("=", 1)[0] for c in cookies if "secure" not in c.lower()]
    yield (
        _bad(
            "secure cookies",
            "the server sets cookies without Secure: " + ", ".join(weak),
            "unset KOTWAL_LOCAL_HTTP where the server runs and serve over TLS",
        )
        if weak
        else _ok("secure cookies", f"{len(cookies)} cookie(s) from the login page, all Secure")
    )


def _spec(app: FastAPI, client: httpx.Client, live: bool) -> dict[str, Any]:
    """The routes to probe: the server's own description when it serves one, else this
    installation's (the same code, if the server runs this version)."""
    if live:
        answer = client.get("/api/openapi.json")
        if answer.status_code == 200:
            found: dict[str, Any] = answer.json()
            return found
    return app.openapi()


def unauthenticated_routes(
    app: FastAPI, client: httpx.Client, *, live: bool = False, name: str = "unauthenticated routes"
) -> Iterator[Finding]:
    """Every operation in the OpenAPI, called without credentials, must refuse."""
    spec = _spec(app, client, live)
    opened: list[str] = []
    probed = 0
    for path, ops in spec.get("paths", {}).items():
        for method in ops:
            route = f"{method.upper()} {path}"
            if route in PUBLIC_ALLOWED:
                continue
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            status = client.request(method.upper(), url).status_code
            probed += 1
            if 200 <= status < 300:
                opened.append(f"{route} -> {status}")
    yield (
        _bad(
            name,
            "answer a stranger: " + "; ".join(opened),
            "give each route Depends(require(...)); the app refuses unguarded routes",
        )
        if opened
        else _ok(name, f"{probed} operations refuse anonymous callers")
    )


def disabled_modules(settings: Settings, client: httpx.Client) -> Iterator[Finding]:
    on = {m.name for m in domains.enabled(settings)}
    off = sorted({m.name for m in domains.manifests()} - on)
    if not domains.console_enabled(settings):
        off.append(domains.CONSOLE)
    probes = module_probes()
    if not off:
        yield _ok("disabled modules", "every module is switched on")
        return
    reachable = [
        f"{module}: {path} -> {status}"
        for module in off
        for path in probes.get(module, [])
        if (status := client.get(path).status_code) != 404
    ]
    yield (
        _bad(
            "disabled modules",
            "switched off but answering: " + "; ".join(reachable),
            "restart the service with the current KOTWAL_MODULES; check the proxy",
        )
        if reachable
        else _ok("disabled modules", f"{', '.join(off)} switched off and unreachable")
    )


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # nosec B603
        argv, capture_output=True, text=True, check=False, timeout=600
    )


def secret_scan() -> Iterator[Finding]:
    """detect-secrets over the installed kotwal package."""
    package = Path(__file__).resolve().parent.parent
    files = [
        str(p)
        for p in package.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".html", ".js", ".css", ".toml", ".json", ".txt", ".md"}
    ]
    proc = _run([sys.executable, "-m", "detect_secrets", "scan", *files])
    if proc.returncode != 0:
        yield Finding("secret scan", SKIP, "detect-secrets is not available here")
        return
    found = json.loads(proc.stdout).get("results", {})
    hits = [f"{Path(k).name}:{h['line_number']}" for k, v in found.items() for h in v]
    yield (
        _bad(
            "secret scan",
            "possible secrets in the installation: " + ", ".join(hits[:10]),
            "remove them and rotate whatever they were",
        )
        if hits
        else _ok("secret scan", f"{len(files)} installed files, no secrets found")
    )


def dependencies() -> Iterator[Finding]:
    """Known vulnerabilities in installed packages, when an advisory source answers."""
    proc = _run([sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner=off"])
    if proc.returncode not in (0, 1) or not proc.stdout.strip().startswith("{"):
        yield Finding(
            "dependencies", SKIP, "pip-audit is not installed or no advisory source is reachable"
        )
        return
    report = json.loads(proc.stdout)
    vulnerable = [d["name"] for d in report.get("dependencies", []) if d.get("vulns")]
    yield (
        _bad(
            "dependencies",
            "vulnerable: " + ", ".join(vulnerable),
            "upgrade those packages and redeploy",
        )
        if vulnerable
        else _ok("dependencies", "no known vulnerabilities in installed packages")
    )


def run_checks(
    settings: Settings,
    runtime: Runtime,
    *,
    app: FastAPI | None = None,
    base_url: str | None = None,
    slow: bool = True,
) -> list[Finding]:
    """Every check, in order. ``app`` (or ``base_url``) is the instance probed over HTTP."""
    if app is None:
        from kotwal.web.app import create_app

        app = create_app(settings, runtime)
    findings: list[Finding] = []
    steps: list[Callable[[], Iterator[Finding]]] = [
        lambda: configuration(settings, live=base_url is not None),
        lambda: keys(settings),
        lambda: accounts(runtime),
        lambda: audit_log(runtime),
        lambda: decoys(runtime),
    ]
    for step in steps:
        findings.extend(step())
    # The domains' own checks (the alerts' channels), registered from their manifests.
    for check in runtime.hooks.at(SECURITY_CHECKS):
        findings.extend(check(runtime))
    with _probe(app, base_url) as client:
        if base_url is not None:
            findings.extend(served(client))
        findings.extend(unauthenticated_routes(app, client, live=base_url is not None))
        findings.extend(disabled_modules(settings, client))
    if base_url is None and any(m.citizen for m in domains.enabled(settings)):
        # The citizens' surface is an app of its own (its own port, perhaps its own host):
        # probed in process here; with --url only the officers' surface is reached.
        from kotwal.web.app import CITIZEN, create_app

        citizens = create_app(settings, runtime, surface=CITIZEN)
        with _probe(citizens, None) as client:
            findings.extend(
                unauthenticated_routes(citizens, client, name="unauthenticated citizen routes")
            )
    if slow:
        findings.extend(secret_scan())
        findings.extend(dependencies())
    return findings


def as_json(findings: list[Finding]) -> str:
    return json.dumps(
        {
            "at": int(time.time()),
            "failed": sum(f.status == FAIL for f in findings),
            "findings": [asdict(f) for f in findings],
        },
        indent=2,
    )


def failed(findings: list[Finding]) -> bool:
    return any(f.status == FAIL for f in findings)

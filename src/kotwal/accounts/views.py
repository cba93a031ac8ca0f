"""The kernel's console pages: login, one's own account (password, TOTP with a QR code),
account administration, and the audit log viewer."""

from __future__ import annotations

import csv
import hmac
import io
import secrets
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from kotwal import panels
from kotwal.accounts import activity
from kotwal.accounts.api import account_read, event_read, power_read
from kotwal.core import audit, identity, power
from kotwal.core.clock import station_zone
from kotwal.core.csvfile import escape_cell
from kotwal.core.errors import (
    Forbidden,
    InvalidInput,
    LoginFailed,
    NotFound,
    Problem,
    TooManyAttempts,
)
from kotwal.core.jurisdictions import list_jurisdictions
from kotwal.core.login import attempt_login
from kotwal.core.models import Account, AuthSession, PowerRequest
from kotwal.core.policy import ROLE_TITLES, Actor, Permission, Role
from kotwal.core.uow import UnitOfWork
from kotwal.web import charts, i18n
from kotwal.web.deps import (
    ReadUnit,
    WriteUnit,
    client_addr,
    console,
    csrf_cookie_name,
    public,
    session_cookie_name,
)
from kotwal.web.i18n import N_
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Self = Annotated[Actor, Depends(console(Permission.CORE_SELF))]
Admin = Annotated[Actor, Depends(console(Permission.CORE_ACCOUNT_MANAGE))]
Unlocker = Annotated[Actor, Depends(console(Permission.CORE_ACCOUNT_UNLOCK))]
Approver = Annotated[Actor, Depends(console(Permission.CORE_POWER_APPROVE))]
AuditReader = Annotated[Actor, Depends(console(Permission.AUDIT_LOG_READ))]
AuditExporter = Annotated[Actor, Depends(console(Permission.AUDIT_LOG_EXPORT))]
LOGIN_PAGE = Depends(public("the login form must be reachable before login"))
ROLE_CHOICES = [(r.value, ROLE_TITLES[r]) for r in Role]


def _secure(uow: UnitOfWork) -> bool:
    return not uow.runtime.settings.local_http


def _set_session_cookie(
    response: Response, uow: UnitOfWork, issued: identity.IssuedSession
) -> None:
    seconds = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    response.set_cookie(
        session_cookie_name(uow.runtime),
        issued.token,
        max_age=seconds,
        path="/",
        secure=_secure(uow),
        httponly=True,
        samesite="strict",
    )


def _reissue(uow: UnitOfWork, request: Request, account: Account, to: str) -> Response:
    """A fresh session after a privilege change (password set, TOTP enrolled)."""
    uow.session.flush()
    issued = identity.issue_session(
        uow.session, uow.runtime.settings, account, kind="console", client_addr=client_addr(request)
    )
    response = RedirectResponse(to, status_code=303)
    _set_session_cookie(response, uow, issued)
    return response


@router.get("/login", dependencies=[LOGIN_PAGE])
def login_page(request: Request, uow: UnitOfWork = ReadUnit) -> Response:
    return _login_form(request, uow, None, 200)


def _login_form(request: Request, uow: UnitOfWork, error: str | None, status: int) -> Response:
    # Login CSRF: a double-submit token, since there is no session yet to bind one to.
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status_code=status, login_csrf=token, error=error)
    response.set_cookie(
        csrf_cookie_name(uow.runtime),
        token,
        max_age=3600,
        path="/",
        secure=_secure(uow),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/login", dependencies=[LOGIN_PAGE])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)],
    totp: Annotated[str, Form(max_length=8)] = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    expected = request.cookies.get(csrf_cookie_name(uow.runtime), "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_form(request, uow, "The form expired; please try again.", 403)
    try:
        issued = attempt_login(
            uow,
            uow.runtime.settings,
            username=username,
            password=password,
            totp_code=totp or None,
            client_addr=client_addr(request),
            kind="console",
        )
    except (LoginFailed, TooManyAttempts) as exc:
        return _login_form(request, uow, exc.detail or exc.title, exc.status)
    response = RedirectResponse("/account" if issued.session.restricted else "/", status_code=303)
    _set_session_cookie(response, uow, issued)
    response.delete_cookie(csrf_cookie_name(uow.runtime), path="/", secure=_secure(uow))
    return response


@router.post("/logout")
def logout(actor: Self, uow: UnitOfWork = WriteUnit) -> Response:
    row = uow.session.get(AuthSession, actor.session_id)
    if row is not None:
        identity.end_session(uow.session, row, "logout")
    uow.audit(identity.event_for(actor, "auth.logout"))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_cookie_name(uow.runtime), path="/", secure=_secure(uow))
    return response


@router.get("/")
def home(request: Request, actor: Self, uow: UnitOfWork = ReadUnit) -> Response:
    """The start page: the reader's dashboard, the panels their roles answer for."""
    if actor.restricted:
        return RedirectResponse("/account", status_code=303)
    found = panels.panels_for(uow, actor)
    return render(request, "home.html", panels=found, chart=charts.chart)


@router.get("/dashboard/{key}.csv")
def dashboard_csv(
    key: Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9_.-]+$")],
    actor: Self,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """One panel's numbers as CSV (the table under its chart), audited as an export."""
    if actor.restricted:
        raise Forbidden()
    wanted = [p for p in panels.panels_for(uow, actor) if p.key == key]
    if not wanted:
        raise NotFound("no such panel on your dashboard")
    panel = wanted[0]
    panels.audit_aggregate(uow, actor, panel, export=True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([panel.row_header, *panel.columns])
    for label, values in panel.rows:
        writer.writerow([escape_cell(label), *values])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{panel.key}.csv"'},
    )


def _account_page(
    request: Request, uow: UnitOfWork, actor: Actor, error: str | None = None, status: int = 200
) -> Response:
    account = identity.get_account(uow.session, actor.account_id or "")
    pending = identity.pending_totp_secret(uow, account)
    qr = None
    if pending:
        uri = identity.provisioning_uri(pending, account.username)
        qr = segno.make(uri, error="m").svg_data_uri(scale=5)
    return render(
        request,
        "account.html",
        status_code=status,
        error=error,
        display_name=account.display_name,
        must_change=account.must_change_password,
        totp_enrolled=account.totp_secret is not None,
        pending_secret=pending,
        pending_qr=qr,
        language=account.language,
        flash=_flash(request),
    )


#: The notices a redirect back to My account may ask for (by key, so that a link cannot put
#: words of its choosing on the page); the layout translates them when it shows them.
_FLASHES = {"password": N_("Password changed"), "language": N_("Language saved")}


def _flash(request: Request) -> str | None:
    done = request.query_params.get("done")
    return _FLASHES.get(done or "")


@router.get("/account")
def account_page(request: Request, actor: Self, uow: UnitOfWork = ReadUnit) -> Response:
    return _account_page(request, uow, actor)


@router.get("/account/activity")
def my_activity(
    request: Request,
    actor: Self,
    before_seq: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    day: Annotated[str, Query(max_length=10)] = "",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    raw: Annotated[bool, Query()] = False,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """What the audit log holds about my own use of kotwal: one named line per thing done, or
    (``raw``) the events themselves."""
    if raw:
        rows = audit.search(uow.session, actor=actor.account_id, before_seq=before_seq, limit=50)
        return render(request, "activity_raw.html", events=[event_read(r) for r in rows])
    kind = kind if kind in activity.KINDS else None
    try:
        chosen = date.fromisoformat(day) if day else None
    except ValueError:
        raise InvalidInput("give the day as YYYY-MM-DD") from None
    page = activity.my_activity(
        uow,
        actor,
        day=chosen,
        zone=station_zone(uow.runtime.settings),
        kind=kind,
        before_seq=before_seq,
    )
    return render(
        request,
        "activity.html",
        lines=page.lines,
        older=page.older,
        day=chosen.isoformat() if chosen else "",
        kind=kind or "",
        kinds=activity.KINDS,
    )


@router.post("/account/password")
def change_password(
    request: Request,
    actor: Self,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    account = identity.get_account(uow.session, actor.account_id or "")
    try:
        identity.change_password(uow, actor, account, current_password, new_password)
    except Problem as exc:
        return _account_page(request, uow, actor, exc.detail or exc.title, exc.status)
    return _reissue(uow, request, account, "/account?done=password")


@router.post("/account/language")
def choose_language(
    request: Request,
    actor: Self,
    language: Annotated[str, Form(max_length=8)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """The officer's choice of the console's language, kept on their account."""
    account = identity.get_account(uow.session, actor.account_id or "")
    try:
        identity.set_language(uow, actor, account, language, i18n.LANGUAGES)
    except Problem as exc:
        return _account_page(request, uow, actor, exc.detail or exc.title, exc.status)
    return RedirectResponse("/account?done=language", status_code=303)


@router.post("/account/totp/begin")
def begin_totp(
    request: Request,
    actor: Self,
    current_password: Annotated[str, Form(max_length=256)] = "",
    code: Annotated[str, Form(max_length=8)] = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    account = identity.get_account(uow.session, actor.account_id or "")
    if account.must_change_password:
        return RedirectResponse("/account", status_code=303)
    try:
        identity.begin_totp_enrolment(
            uow, actor, account, current_password=current_password, current_code=code
        )
    except Problem as exc:
        return _account_page(request, uow, actor, exc.detail or exc.title, exc.status)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/totp/confirm")
def confirm_totp(
    request: Request,
    actor: Self,
    code: Annotated[str, Form(max_length=8)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    account = identity.get_account(uow.session, actor.account_id or "")
    try:
        identity.confirm_totp_enrolment(uow, actor, account, code)
    except Problem as exc:
        return _account_page(request, uow, actor, exc.detail or exc.title, exc.status)
    return _reissue(uow, request, account, "/")


# --- account administration ----------------------------------------------------------------


@router.get("/admin/accounts")
def accounts(request: Request, actor: Admin, uow: UnitOfWork = ReadUnit) -> Response:
    rows = uow.session.execute(select(Account).order_by(Account.username).limit(500)).scalars()
    return render(request, "accounts.html", accounts=[account_read(uow, a) for a in rows])


def _new_account_form(
    request: Request, uow: UnitOfWork, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "account_new.html",
        status_code=status,
        error=error,
        roles=ROLE_CHOICES,
        jurisdictions=list_jurisdictions(uow),
    )


@router.get("/admin/accounts/new")
def new_account_form(request: Request, actor: Admin, uow: UnitOfWork = ReadUnit) -> Response:
    return _new_account_form(request, uow)


def _roles(values: list[str]) -> frozenset[Role]:
    return frozenset(Role(v) for v in values if v in Role._value2member_map_)


@router.post("/admin/accounts/new")
def create_account(
    request: Request,
    actor: Admin,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=200)],
    roles: Annotated[list[str], Form(max_length=12)] = [],  # noqa: B006 - FastAPI form default
    jurisdiction_id: Annotated[str, Form(max_length=36)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    try:
        asked = power.ask_create(
            uow,
            actor,
            username=username,
            display_name=display_name,
            roles=_roles(roles),
            jurisdiction_id=jurisdiction_id or None,
            reason=reason,
        )
    except Problem as exc:
        uow.rollback()
        return _new_account_form(request, uow, exc.detail or exc.title, exc.status)
    return render(request, "power_asked.html", asked=[power_read(asked)], titles=ROLE_TITLES)


def _admin_page(
    request: Request, uow: UnitOfWork, account_id: str, error: str | None = None
) -> Response:
    account = identity.get_account(uow.session, account_id)
    return render(
        request,
        "account_admin.html",
        account=account_read(uow, account),
        roles=ROLE_CHOICES,
        error=error,
    )


@router.get("/admin/accounts/{account_id}")
def account_admin(
    request: Request, account_id: str, actor: Admin, uow: UnitOfWork = ReadUnit
) -> Response:
    return _admin_page(request, uow, account_id)


def _back(account_id: str) -> Response:
    return RedirectResponse(f"/admin/accounts/{account_id}", status_code=303)


@router.post("/admin/accounts/{account_id}/roles")
def account_roles(
    request: Request,
    account_id: str,
    actor: Admin,
    roles: Annotated[list[str], Form(max_length=12)] = [],  # noqa: B006 - FastAPI form default
    uow: UnitOfWork = WriteUnit,
) -> Response:
    account = identity.get_account(uow.session, account_id)
    try:
        asked = power.update(
            uow, actor, account, roles=_roles(roles), disabled=None, jurisdiction_id=None
        )
    except Problem as exc:
        uow.rollback()
        return _admin_page(request, uow, account_id, exc.detail or exc.title)
    return _asked_or_back(request, account_id, asked)


def _asked_or_back(request: Request, account_id: str, asked: list[PowerRequest]) -> Response:
    if asked:
        asked_read = [power_read(r) for r in asked]
        return render(request, "power_asked.html", asked=asked_read, titles=ROLE_TITLES)
    return _back(account_id)


@router.post("/admin/accounts/{account_id}/disable")
def account_disable(account_id: str, actor: Admin, uow: UnitOfWork = WriteUnit) -> Response:
    identity.set_disabled(uow, actor, identity.get_account(uow.session, account_id), True)
    return _back(account_id)


@router.post("/admin/accounts/{account_id}/enable")
def account_enable(
    request: Request, account_id: str, actor: Admin, uow: UnitOfWork = WriteUnit
) -> Response:
    account = identity.get_account(uow.session, account_id)
    asked = power.update(uow, actor, account, roles=None, disabled=False, jurisdiction_id=None)
    return _asked_or_back(request, account_id, asked)


# --- a second officer's approval ------------------------------------------------------------


def _power_page(request: Request, uow: UnitOfWork, error: str | None = None) -> Response:
    names = dict(uow.session.execute(select(Account.id, Account.username)).tuples().all())
    return render(
        request,
        "power_requests.html",
        titles=ROLE_TITLES,
        status_code=200 if error is None else 409,
        requests=[power_read(r) for r in power.waiting(uow)],
        names=names,
        error=error,
        flash=request.query_params.get("done"),
    )


@router.get("/admin/power-requests")
def power_requests(request: Request, actor: Approver, uow: UnitOfWork = ReadUnit) -> Response:
    return _power_page(request, uow)


@router.post("/admin/power-requests/{request_id}/approve")
def power_approve(
    request: Request,
    request_id: str,
    actor: Approver,
    note: Annotated[str, Form(max_length=300)] = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    try:
        decision = power.approve(uow, actor, request_id, note)
    except Problem as exc:
        uow.rollback()
        return _power_page(request, uow, exc.detail or exc.title)
    if decision.one_time_password is not None:
        return render(
            request,
            "account_secret.html",
            username=decision.request.username,
            one_time_password=decision.one_time_password,
        )
    return RedirectResponse("/admin/power-requests?done=Approved", status_code=303)


@router.post("/admin/power-requests/{request_id}/refuse")
def power_refuse(
    request: Request,
    request_id: str,
    actor: Approver,
    reason: Annotated[str, Form(max_length=300)] = "",
    uow: UnitOfWork = WriteUnit,
) -> Response:
    try:
        power.refuse(uow, actor, request_id, reason)
    except Problem as exc:
        uow.rollback()
        return _power_page(request, uow, exc.detail or exc.title)
    return RedirectResponse("/admin/power-requests?done=Refused", status_code=303)


@router.post("/admin/accounts/{account_id}/password-reset")
def account_reset(
    request: Request, account_id: str, actor: Admin, uow: UnitOfWork = WriteUnit
) -> Response:
    account = identity.get_account(uow.session, account_id)
    initial = identity.reset_password(uow, actor, account)
    return render(
        request, "account_secret.html", username=account.username, one_time_password=initial
    )


@router.post("/admin/accounts/{account_id}/unlock")
def account_unlock(
    account_id: str,
    actor: Unlocker,
    reason: Annotated[str, Form(max_length=300)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    identity.unlock(uow, actor, identity.get_account(uow.session, account_id), reason)
    return _back(account_id)


# --- audit log -----------------------------------------------------------------------------


AuditQuery = Annotated[str | None, Query(max_length=64)]


def _audit_query(
    actor_name: AuditQuery = None,
    action: AuditQuery = None,
    resource_id: AuditQuery = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    """The audit viewer's filters, from the query string (empty fields mean no filter)."""
    return {
        "actor_name": actor_name or None,
        "action": action or None,
        "resource_id": resource_id or None,
        "outcome": outcome or None,
        "before_seq": before_seq,
    }


def _audit_events(uow: UnitOfWork, actor: Actor, q: dict[str, Any]) -> list[Any]:
    rows = audit.search(
        uow.session,
        actor=q["actor_name"],
        action=q["action"],
        resource_id=q["resource_id"],
        outcome=q["outcome"],
        before_seq=q["before_seq"],
        limit=100,
    )
    uow.audit(identity.event_for(actor, "audit.search", detail={"results": len(rows)}))
    return [event_read(r) for r in rows]


AuditFilters = Annotated[dict[str, Any], Depends(_audit_query)]


@router.get("/audit")
def audit_page(
    request: Request, actor: AuditReader, q: AuditFilters, uow: UnitOfWork = ReadUnit
) -> Response:
    return render(
        request,
        "audit.html",
        q=q,
        events=_audit_events(uow, actor, q),
        can_export=actor.can(Permission.AUDIT_LOG_EXPORT),
    )


@router.get("/audit/rows")
def audit_rows(
    request: Request, actor: AuditReader, q: AuditFilters, uow: UnitOfWork = ReadUnit
) -> Response:
    """The result rows alone, for htmx to swap in without reloading the page."""
    return render(request, "audit_rows.html", q=q, events=_audit_events(uow, actor, q))


@router.get("/audit/export")
def audit_export(
    actor: AuditExporter, since: date, until: date, uow: UnitOfWork = ReadUnit
) -> Response:
    import io

    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until, time.max, tzinfo=UTC)
    buffer = io.StringIO()
    count = audit.export_period(
        uow.session,
        uow.runtime.keyring,
        int(start.timestamp() * 1_000_000),
        int(end.timestamp() * 1_000_000),
        buffer,
    )
    uow.audit(identity.event_for(actor, "audit.export", detail={"events": count}))
    name = f"kotwal-audit-{since.isoformat()}-{until.isoformat()}.jsonl"
    return Response(
        buffer.getvalue(),
        media_type="application/jsonl",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )

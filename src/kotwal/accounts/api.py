"""The kernel's JSON API: tokens, one's own account, account administration, the
jurisdiction tree and the audit log. Routes are thin: parse, call the service, shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from kotwal.core import audit, identity, power
from kotwal.core.clock import as_utc
from kotwal.core.errors import InvalidInput
from kotwal.core.jurisdictions import create_jurisdiction, list_jurisdictions
from kotwal.core.login import attempt_login
from kotwal.core.models import Account, AuditEventRow, AuthSession, PowerRequest
from kotwal.core.policy import Actor, Permission
from kotwal.core.schemas import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    AccountUpdated,
    AuditEventRead,
    JurisdictionCreate,
    JurisdictionRead,
    Me,
    Note,
    OneTimePassword,
    PasswordChange,
    PowerDecision,
    PowerRequestRead,
    Reason,
    TokenRequest,
    TokenResponse,
    TotpBegin,
    TotpConfirm,
    TotpReplace,
)
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, client_addr, public, require

router = APIRouter()
Self = Annotated[Actor, Depends(require(Permission.CORE_SELF))]
Admin = Annotated[Actor, Depends(require(Permission.CORE_ACCOUNT_MANAGE))]
Unlocker = Annotated[Actor, Depends(require(Permission.CORE_ACCOUNT_UNLOCK))]
PowerApprover = Annotated[Actor, Depends(require(Permission.CORE_POWER_APPROVE))]
JurisdictionAdmin = Annotated[Actor, Depends(require(Permission.CORE_JURISDICTION_MANAGE))]
AuditReader = Annotated[Actor, Depends(require(Permission.AUDIT_LOG_READ))]
AuditExporter = Annotated[Actor, Depends(require(Permission.AUDIT_LOG_EXPORT))]


@router.post(
    "/auth/token",
    dependencies=[Depends(public("login: exchanges password and TOTP for a short-lived token"))],
    tags=["auth"],
)
def issue_token(body: TokenRequest, request: Request, uow: UnitOfWork = WriteUnit) -> TokenResponse:
    """Log in with password and TOTP; get a bearer token that expires in minutes."""
    settings = uow.runtime.settings
    issued = attempt_login(
        uow,
        settings,
        username=body.username,
        password=body.password,
        totp_code=body.totp,
        client_addr=client_addr(request),
        kind="api",
    )
    return TokenResponse(
        access_token=issued.token,
        expires_in=settings.api_token_seconds,
        restricted=issued.session.restricted,
    )


@router.delete("/auth/token", status_code=204, tags=["auth"])
def revoke_token(actor: Self, uow: UnitOfWork = WriteUnit) -> Response:
    """End the session behind this token at once."""
    row = uow.session.get(AuthSession, actor.session_id)
    if row is not None:
        identity.end_session(uow.session, row, "logout")
    uow.audit(identity.event_for(actor, "auth.logout"))
    return Response(status_code=204)


def account_read(uow: UnitOfWork, account: Account) -> AccountRead:
    return AccountRead(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        roles=sorted(identity.roles_of(uow.session, account.id)),
        disabled=account.disabled,
        locked=identity.is_locked(account),
        must_change_password=account.must_change_password,
        totp_enrolled=account.totp_secret is not None,
        created_at=account.created_at,
    )


@router.get("/me", tags=["self"])
def me(actor: Self) -> Me:
    return Me(
        id=actor.account_id or "",
        username=actor.username,
        roles=sorted(actor.roles),
        jurisdictions=list(actor.jurisdiction_paths),
        restricted=actor.restricted,
    )


@router.get("/me/activity", tags=["self"])
def my_activity(
    actor: Self,
    uow: UnitOfWork = ReadUnit,
    before_seq: int | None = Query(default=None, ge=1, le=2**63 - 1),
    limit: int = Query(default=50, ge=1, le=100),
) -> list[AuditEventRead]:
    """One's own trail in the audit log: every record one opened, every search, every login."""
    rows = audit.search(uow.session, actor=actor.account_id, before_seq=before_seq, limit=limit)
    return [event_read(r) for r in rows]


@router.post("/me/password", status_code=204, tags=["self"])
def change_my_password(body: PasswordChange, actor: Self, uow: UnitOfWork = WriteUnit) -> Response:
    """Change one's password; every session of the account ends (log in again)."""
    account = identity.get_account(uow.session, actor.account_id or "")
    identity.change_password(uow, actor, account, body.current_password, body.new_password)
    return Response(status_code=204)


@router.post("/me/totp", tags=["self"])
def begin_my_totp(
    actor: Self, body: TotpReplace | None = None, uow: UnitOfWork = WriteUnit
) -> TotpBegin:
    """Start enrolling an authenticator. Replacing one needs the password and an old code."""
    account = identity.get_account(uow.session, actor.account_id or "")
    secret = identity.begin_totp_enrolment(
        uow,
        actor,
        account,
        current_password=body.current_password if body else None,
        current_code=body.code if body else None,
    )
    return TotpBegin(
        secret=secret, provisioning_uri=identity.provisioning_uri(secret, actor.username)
    )


@router.post("/me/totp/confirm", status_code=204, tags=["self"])
def confirm_my_totp(body: TotpConfirm, actor: Self, uow: UnitOfWork = WriteUnit) -> Response:
    """Confirm enrolment with a first code; every session ends (log in again with TOTP)."""
    account = identity.get_account(uow.session, actor.account_id or "")
    identity.confirm_totp_enrolment(uow, actor, account, body.code)
    return Response(status_code=204)


@router.get("/accounts", tags=["accounts"])
def list_accounts(
    actor: Admin,
    uow: UnitOfWork = ReadUnit,
    limit: int = Query(default=50, ge=1, le=100),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> list[AccountRead]:
    rows = uow.session.execute(
        select(Account).order_by(Account.username).limit(limit).offset(offset)
    ).scalars()
    return [account_read(uow, a) for a in rows]


def power_read(request: PowerRequest) -> PowerRequestRead:
    return PowerRequestRead(
        id=request.id,
        kind=request.kind,
        account_id=request.account_id,
        username=request.username,
        roles=sorted(power.roles_of(request.roles)),
        jurisdiction_id=request.jurisdiction_id,
        reason=request.reason,
        requested_by=request.requested_by,
        requested_at=as_utc(request.requested_at),
        expires_at=as_utc(request.expires_at),
        state=request.state,
        expired=request.state == power.PENDING and power.expired(request),
        decided_by=request.decided_by,
        decided_at=None if request.decided_at is None else as_utc(request.decided_at),
        decision_note=request.decision_note,
    )


@router.post("/accounts", status_code=202, tags=["accounts"])
def create_account(
    body: AccountCreate, actor: Admin, uow: UnitOfWork = WriteUnit
) -> PowerRequestRead:
    """Ask for an account: it is made when a security officer approves the request, and its
    one-time password is shown to that officer (see ``/power-requests``)."""
    request = power.ask_create(
        uow,
        actor,
        username=body.username,
        display_name=body.display_name,
        roles=frozenset(body.roles),
        jurisdiction_id=body.jurisdiction_id,
        reason=body.reason,
    )
    return power_read(request)


@router.get("/power-requests", tags=["accounts"])
def power_requests(actor: PowerApprover, uow: UnitOfWork = ReadUnit) -> list[PowerRequestRead]:
    """Changes of power waiting for a second officer, oldest first."""
    return [power_read(r) for r in power.waiting(uow)]


@router.post("/power-requests/{request_id}/approve", tags=["accounts"])
def approve_power(
    request_id: str, body: Note, actor: PowerApprover, uow: UnitOfWork = WriteUnit
) -> PowerDecision:
    decision = power.approve(uow, actor, request_id, body.note)
    read = power_read(decision.request).model_dump()
    return PowerDecision(**read, one_time_password=decision.one_time_password)


@router.post("/power-requests/{request_id}/refuse", tags=["accounts"])
def refuse_power(
    request_id: str, body: Reason, actor: PowerApprover, uow: UnitOfWork = WriteUnit
) -> PowerRequestRead:
    return power_read(power.refuse(uow, actor, request_id, body.reason))


@router.get("/accounts/{account_id}", tags=["accounts"])
def get_account(account_id: str, actor: Admin, uow: UnitOfWork = ReadUnit) -> AccountRead:
    return account_read(uow, identity.get_account(uow.session, account_id))


@router.patch("/accounts/{account_id}", tags=["accounts"])
def update_account(
    account_id: str,
    body: AccountUpdate,
    actor: Admin,
    response: Response,
    uow: UnitOfWork = WriteUnit,
) -> AccountUpdated:
    """Change an account. What takes power away is made at once; what gives it (a role
    granted, a posting above a station, the account enabled) waits for a security officer,
    listed in ``pending`` (202)."""
    account = identity.get_account(uow.session, account_id)
    pending = power.update(
        uow,
        actor,
        account,
        roles=None if body.roles is None else frozenset(body.roles),
        disabled=body.disabled,
        jurisdiction_id=body.jurisdiction_id,
        reason=body.reason,
    )
    uow.session.flush()
    if pending:
        response.status_code = 202
    read = account_read(uow, account).model_dump()
    return AccountUpdated(**read, pending=[power_read(r) for r in pending])


@router.post("/accounts/{account_id}/password-reset", tags=["accounts"])
def reset_password(account_id: str, actor: Admin, uow: UnitOfWork = WriteUnit) -> OneTimePassword:
    account = identity.get_account(uow.session, account_id)
    return OneTimePassword(one_time_password=identity.reset_password(uow, actor, account))


@router.post("/accounts/{account_id}/unlock", status_code=204, tags=["accounts"])
def unlock_account(
    account_id: str, body: Reason, actor: Unlocker, uow: UnitOfWork = WriteUnit
) -> Response:
    identity.unlock(uow, actor, identity.get_account(uow.session, account_id), body.reason)
    return Response(status_code=204)


@router.get("/jurisdictions", tags=["jurisdictions"])
def jurisdictions(actor: Self, uow: UnitOfWork = ReadUnit) -> list[JurisdictionRead]:
    return [
        JurisdictionRead.model_validate(j, from_attributes=True) for j in list_jurisdictions(uow)
    ]


@router.post("/jurisdictions", status_code=201, tags=["jurisdictions"])
def add_jurisdiction(
    body: JurisdictionCreate, actor: JurisdictionAdmin, uow: UnitOfWork = WriteUnit
) -> JurisdictionRead:
    node = create_jurisdiction(
        uow, actor, code=body.code, name=body.name, kind=body.kind, parent_id=body.parent_id
    )
    return JurisdictionRead.model_validate(node, from_attributes=True)


def event_read(row: AuditEventRow) -> AuditEventRead:
    return AuditEventRead(
        seq=row.seq,
        at=datetime.fromtimestamp(row.at_us / 1_000_000, tz=UTC),
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        session_id=row.session_id,
        action=row.action,
        outcome=row.outcome,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        purpose=row.purpose,
        client_addr=row.client_addr,
        detail=row.detail,
    )


@router.get("/audit/events", tags=["audit"])
def audit_events(
    actor: AuditReader,
    uow: UnitOfWork = ReadUnit,
    actor_name: str | None = Query(default=None, max_length=64),
    action: str | None = Query(default=None, max_length=64),
    resource_type: str | None = Query(default=None, max_length=64),
    resource_id: str | None = Query(default=None, max_length=64),
    outcome: str | None = Query(default=None, max_length=16),
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = Query(default=None, ge=1, le=2**63 - 1),
    limit: int = Query(default=50, ge=1, le=100),
) -> list[AuditEventRead]:
    """Search the audit log (newest first). Reading the log is itself audited."""
    rows = audit.search(
        uow.session,
        actor=actor_name,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        outcome=outcome,
        since_us=_us(since),
        until_us=_us(until),
        before_seq=before_seq,
        limit=limit,
    )
    uow.audit(identity.event_for(actor, "audit.search", detail={"results": len(rows)}))
    return [event_read(r) for r in rows]


def _us(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return int(as_utc(moment).timestamp() * 1_000_000)


@router.get(
    "/audit/export",
    tags=["audit"],
    response_class=Response,
    responses={
        200: {
            "description": "JSON lines: one event per line, then a signed trailer",
            "content": {"application/jsonl": {"schema": {"type": "string"}}},
        }
    },
)
def audit_export(
    actor: AuditExporter,
    since: datetime,
    until: datetime,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """A period of the log as JSON lines with a signed trailer (verifiable offline)."""
    import io

    start, end = _us(since), _us(until)
    if start is None or end is None or end <= start:
        raise InvalidInput("until must be after since")
    buffer = io.StringIO()
    count = audit.export_period(uow.session, uow.runtime.keyring, start, end, buffer)
    uow.audit(identity.event_for(actor, "audit.export", detail={"events": count}))
    return Response(
        buffer.getvalue(),
        media_type="application/jsonl",
        headers={"content-disposition": 'attachment; filename="kotwal-audit.jsonl"'},
    )

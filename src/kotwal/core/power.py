"""Power over accounts needs two officers (issue 18, finding 4).

Separation of duties already stops an administrator reading records; it did not stop one
administrator making a puppet who can (an account with a reading role, widened to the whole
state). Now four changes are only *asked* by an administrator and take effect when a security
officer who is not the asker approves them, within ``KOTWAL_POWER_APPROVAL_HOURS``:

- an account created (any role: a security officer or administrator made alone would be a
  puppet of another kind);
- a role granted (a change that only takes roles away is made at once);
- a posting above a station (a district, a zone, the state); a posting to a station is made
  at once;
- a disabled account enabled again (disabling is made at once).

Every step is audited (``power.request``, ``power.approve``, ``power.refuse``) and the change
itself is audited as before, by the approver, naming the request. A one-time password for an
account created this way is shown once, to the approver, who hands it to the officer: the
administrator who asked never sees it. ``kotwal user create`` on the server's own shell stays
direct: it is how the first administrator and security officer come to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from kotwal.core import identity
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.models import Account, AccountRole, PowerRequest
from kotwal.core.policy import FIELD_ROLES, Actor, Jurisdiction, JurisdictionKind, Role
from kotwal.core.uow import UnitOfWork

CREATE, ROLES, POST, ENABLE = "create", "roles", "post", "enable"
PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
NO_REASON = "(no reason given)"


@dataclass(frozen=True)
class Decision:
    """An approved request, and the one-time password of an account it created."""

    request: PowerRequest
    one_time_password: str | None = None


def _hours(uow: UnitOfWork) -> timedelta:
    return timedelta(hours=uow.runtime.settings.power_approval_hours)


def _new(
    uow: UnitOfWork, actor: Actor, kind: str, reason: str, **fields: str | None
) -> PowerRequest:
    assert actor.account_id is not None, "a power request is asked by a logged-in officer"
    now = utcnow()
    request = PowerRequest(
        kind=kind,
        reason=reason.strip() or NO_REASON,
        requested_by=actor.account_id,
        requested_at=now,
        expires_at=now + _hours(uow),
        state=PENDING,
        **fields,
    )
    uow.session.add(request)
    uow.session.flush()
    uow.audit(
        identity.event_for(
            actor,
            "power.request",
            resource_type="account",
            resource_id=request.account_id,
            detail={"request": request.id, "kind": kind, "roles": request.roles},
        )
    )
    return request


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


def roles_of(text: str | None) -> frozenset[Role]:
    """The roles of a request's ``roles`` column."""
    return frozenset(Role(r) for r in (text or "").split(",") if r)


def current_roles(uow: UnitOfWork, account: Account) -> frozenset[Role]:
    """The roles an account holds now."""
    rows = uow.session.scalars(select(AccountRole.role).where(AccountRole.account_id == account.id))
    return frozenset(Role(r) for r in rows)


def above_station(uow: UnitOfWork, jurisdiction_id: str) -> bool:
    """Whether a posting there reaches beyond one station; an unknown place is refused."""
    place = uow.session.get(Jurisdiction, jurisdiction_id)
    if place is None:
        raise InvalidInput("no such jurisdiction")
    return place.kind != JurisdictionKind.STATION.value


def ask_create(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    roles: frozenset[Role],
    jurisdiction_id: str | None,
    reason: str = "",
) -> PowerRequest:
    """Ask for an account; checked now as :func:`identity.create_account` will check it, so
    that the approver never sees a request that cannot be carried out."""
    name = identity.validate_username(username)
    identity.check_role_set(roles)
    if identity.find_account(uow.session, name) is not None:
        raise Conflict(f"the username {name!r} is taken")
    if roles & FIELD_ROLES and jurisdiction_id is None:
        raise InvalidInput("an officer's account needs a posting (jurisdiction)")
    if jurisdiction_id is not None:
        above_station(uow, jurisdiction_id)  # exists
    waiting = select(PowerRequest.id).where(
        PowerRequest.username == name, PowerRequest.state == PENDING
    )
    if uow.session.execute(waiting).first() is not None:
        raise Conflict(f"an account {name!r} is already waiting for approval")
    return _new(
        uow,
        actor,
        CREATE,
        reason,
        username=name,
        display_name=display_name.strip(),
        roles=_roles_text(roles),
        jurisdiction_id=jurisdiction_id,
    )


def ask_roles(
    uow: UnitOfWork, actor: Actor, account: Account, roles: frozenset[Role], reason: str = ""
) -> PowerRequest:
    """Ask for an account's roles to become ``roles`` (some of which it does not hold)."""
    identity.check_role_set(roles)
    if account.id == actor.account_id:
        raise Conflict("nobody changes their own roles; ask another administrator")
    return _new(uow, actor, ROLES, reason, account_id=account.id, roles=_roles_text(roles))


def ask_post(
    uow: UnitOfWork, actor: Actor, account: Account, jurisdiction_id: str, reason: str = ""
) -> PowerRequest:
    """Ask for a posting above a station."""
    above_station(uow, jurisdiction_id)
    return _new(uow, actor, POST, reason, account_id=account.id, jurisdiction_id=jurisdiction_id)


def ask_enable(uow: UnitOfWork, actor: Actor, account: Account, reason: str = "") -> PowerRequest:
    """Ask for a disabled account to be enabled again."""
    if not account.disabled:
        raise Conflict("the account is not disabled")
    return _new(uow, actor, ENABLE, reason, account_id=account.id)


def get(uow: UnitOfWork, request_id: str) -> PowerRequest:
    """One request, or 404."""
    request = uow.session.get(PowerRequest, request_id)
    if request is None:
        raise NotFound("no such request")
    return request


def waiting(uow: UnitOfWork, limit: int = 200) -> list[PowerRequest]:
    """Requests not yet decided, oldest first (expired ones included, marked by the caller)."""
    stmt = (
        select(PowerRequest)
        .where(PowerRequest.state == PENDING)
        .order_by(PowerRequest.requested_at)
        .limit(limit)
    )
    return list(uow.session.scalars(stmt))


def expired(request: PowerRequest) -> bool:
    """Whether the request's time to be approved has passed."""
    return as_utc(request.expires_at) <= utcnow()


def _decidable(request: PowerRequest, actor: Actor) -> None:
    if request.state != PENDING:
        raise Conflict(f"the request was {request.state} already")
    if expired(request):
        raise Conflict("the request has expired; the administrator must ask again")
    if actor.account_id == request.requested_by:
        raise Conflict("the officer who asked cannot decide: another officer must")
    if request.account_id is not None and actor.account_id == request.account_id:
        raise Conflict("nobody decides a change to their own account")


def approve(uow: UnitOfWork, actor: Actor, request_id: str, note: str = "") -> Decision:
    """Carry out a request, as ``actor``, who is not its asker; audited with the request."""
    request = get(uow, request_id)
    _decidable(request, actor)
    initial = _apply(uow, actor, request)
    request.state, request.decided_by, request.decided_at = APPROVED, actor.account_id, utcnow()
    request.decision_note = note.strip() or None
    uow.audit(
        identity.event_for(
            actor,
            "power.approve",
            resource_type="account",
            resource_id=request.account_id,
            detail={"request": request.id, "kind": request.kind, "asked_by": request.requested_by},
        )
    )
    return Decision(request, initial)


def _apply(uow: UnitOfWork, actor: Actor, request: PowerRequest) -> str | None:
    if request.kind == CREATE:
        account, initial = identity.create_account(
            uow,
            actor,
            username=request.username or "",
            display_name=request.display_name or "",
            roles=roles_of(request.roles),
            jurisdiction_id=request.jurisdiction_id,
        )
        request.account_id = account.id
        return initial
    account = identity.get_account(uow.session, request.account_id or "")
    if request.kind == ROLES:
        identity.set_roles(uow, actor, account, roles_of(request.roles))
    elif request.kind == POST:
        identity.post(uow, actor, account, request.jurisdiction_id or "")
    elif request.kind == ENABLE:
        identity.set_disabled(uow, actor, account, False)
    return None


def refuse(uow: UnitOfWork, actor: Actor, request_id: str, note: str) -> PowerRequest:
    """Refuse a request with a reason; nothing changes but the request."""
    if len(note.strip()) < 5:
        raise InvalidInput("say why the request is refused (5 characters or more)")
    request = get(uow, request_id)
    _decidable(request, actor)
    request.state, request.decided_by, request.decided_at = REFUSED, actor.account_id, utcnow()
    request.decision_note = note.strip()
    uow.audit(
        identity.event_for(
            actor,
            "power.refuse",
            resource_type="account",
            resource_id=request.account_id,
            detail={"request": request.id, "kind": request.kind, "asked_by": request.requested_by},
        )
    )
    return request


def update(
    uow: UnitOfWork,
    actor: Actor,
    account: Account,
    *,
    roles: frozenset[Role] | None,
    disabled: bool | None,
    jurisdiction_id: str | None,
    reason: str = "",
) -> list[PowerRequest]:
    """Change an account as an administrator asked: what takes power away at once, what gives
    it as a request for a security officer. Returns the requests made."""
    asked: list[PowerRequest] = []
    if roles is not None:
        if roles - current_roles(uow, account):
            asked.append(ask_roles(uow, actor, account, roles, reason))
        else:
            identity.set_roles(uow, actor, account, roles)
    if disabled is True or (disabled is False and not account.disabled):
        identity.set_disabled(uow, actor, account, disabled)
    elif disabled is False:
        asked.append(ask_enable(uow, actor, account, reason))
    if jurisdiction_id is not None:
        if above_station(uow, jurisdiction_id):
            asked.append(ask_post(uow, actor, account, jurisdiction_id, reason))
        else:
            identity.post(uow, actor, account, jurisdiction_id)
    return asked

"""Citizens' accounts: a login code by SMS, device sessions, the identity vault, deletion.

No password exists to leak. A citizen asks for a code for their mobile number; it is sent by
the alerts module's locked OTP template (``kotwal.alerts.service.send_otp``, which also limits
codes per number) and kept here only as a keyed hash. Written against the attacks a code login
faces:

- asking is limited per device and per client address (and per number by alerts), and a new
  code supersedes the number's earlier ones;
- every guess is counted, and committed, before it is compared (an atomic ``UPDATE ... SET
  attempts = attempts + 1 WHERE attempts < cap``), so a burst of parallel guesses cannot take
  more than the cap; a code takes ``KOTWAL_CITIZEN_OTP_ATTEMPTS`` guesses, and a number's codes
  together ``KOTWAL_CITIZEN_OTP_FAILURES_PER_NUMBER`` wrong ones in the window, after which even
  the right code is refused: asking for new codes buys no new guesses;
- a code is spent by a conditional update, so one code opens one session even when sent twice
  at the same instant; an expired, spent or superseded code is refused.

A session's bearer token is shown once and kept as its SHA-256. Tokens carry the prefix
``kc_``: the officers' surface never resolves one (it looks in another table altogether), and a
leaked token is recognisable as a citizen's in a log or a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, or_, select, update

from kotwal.alerts.service import send_otp
from kotwal.citizen import lost_phones, reports, sos, trips
from kotwal.citizen.config import citizen_settings
from kotwal.citizen.models import (
    CitizenAccount,
    CitizenEmergencyContact,
    CitizenIdentity,
    CitizenLostPhone,
    CitizenOtp,
    CitizenReport,
    CitizenReportPhoto,
    CitizenSession,
    CitizenSos,
    CitizenTrip,
)
from kotwal.citizen.permissions import CitizenPermission
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import ContactIn, ProfileIn
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.crypto import blind_index, normalise_phone, open_fields
from kotwal.core.db import new_id
from kotwal.core.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PurposeRequired,
    TooManyAttempts,
)
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.identity import roles_of
from kotwal.core.migrate import is_current
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import ROLE_TITLES, Actor
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork

#: Blind-index domains: the account's number (64 bits, one account per number, so the index
#: must not collide in practice) and the codes' keyed hash (the full 256 bits).
NUMBER_DOMAIN = "citizen_accounts.number"
CODE_DOMAIN = "citizen_otps.code"
TOKEN_PREFIX = "kc_"  # noqa: S105 - marks a token as a citizen's, not a secret
#: A session is marked used at most this often (a write per request otherwise).
TOUCH_AFTER = timedelta(seconds=60)
CODE_DIGITS = 6
_MOBILE_FIRST = "6789"
SPENT, SUPERSEDED = "spent", "superseded"
#: How the audit log names a citizen who has not logged in yet.
ANONYMOUS = "citizen:anonymous"
REFUSED = "the code is wrong, spent or expired; ask for a new one"


def install(runtime: Runtime) -> None:
    """Check the ``KOTWAL_CITIZEN_*`` settings at start-up (a bad value stops the process),
    and make a database restored from a backup forget again the trips shredded since: every
    process re-applies the tombstones kept outside the database before it serves or acts."""
    citizen_settings()
    if not trips.tombstone_file(runtime).exists() or not is_current(runtime.db.engine):
        return
    with UnitOfWork(runtime, write=True) as uow:
        if trips.reapply_tombstones(uow):
            trips.checkpoint_on_commit(uow)


@dataclass(frozen=True)
class CodeSent:
    challenge: str
    expires_at: datetime


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session_id: str
    citizen_id: str
    expires_at: datetime
    new_account: bool


def mobile_number(raw: str) -> str:
    """Ten digits of an Indian mobile number (+91 and 0 prefixes dropped), or a refusal."""
    digits = normalise_phone(raw)
    if len(digits) != 10 or digits[0] not in _MOBILE_FIRST or len(raw) > 20:
        raise InvalidInput("give a ten-digit Indian mobile number")
    return digits


def number_key(runtime: Runtime, digits: str) -> str:
    return blind_index(runtime.keyring, NUMBER_DOMAIN, digits, bits=64)


def device_key(device: str) -> str:
    return hashlib.sha256(device.encode("utf-8")).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _code_hash(runtime: Runtime, challenge: str, code: str) -> str:
    return blind_index(runtime.keyring, CODE_DOMAIN, f"{challenge}:{code}", bits=256)


def _event(action: str, outcome: str, actor_name: str = ANONYMOUS, **kw: Any) -> AuditEvent:
    return AuditEvent(action=action, outcome=outcome, actor_id=None, actor_name=actor_name, **kw)


# --- asking for a code -------------------------------------------------------------------------


def _asked(uow: UnitOfWork, since: datetime, column: Any, value: str) -> int:
    stmt = select(func.count()).where(column == value, CitizenOtp.created_at >= since)
    return int(uow.session.execute(stmt).scalar_one())


def _refuse_asking(uow: UnitOfWork, reason: str, client_addr: str | None) -> TooManyAttempts:
    uow.record_now(
        [
            _event(
                "citizen_otp.requested",
                Outcome.DENIED,
                client_addr=client_addr,
                detail={"reason": reason},
            )
        ]
    )
    return TooManyAttempts("too many codes asked for; wait and try again")


def request_code(uow: UnitOfWork, mobile: str, device: str, client_addr: str | None) -> CodeSent:
    """Send a new login code to ``mobile`` (superseding its earlier ones), within the limits
    per device and per address; alerts' ``send_otp`` adds its limits per number."""
    settings = citizen_settings()
    digits = mobile_number(mobile)
    now = utcnow()
    since = now - timedelta(minutes=settings.otp_window_minutes)
    device_hash = device_key(device)
    if _asked(uow, since, CitizenOtp.device_key, device_hash) >= settings.otp_per_device:
        raise _refuse_asking(uow, "per-device", client_addr)
    if client_addr is not None and (
        _asked(uow, since, CitizenOtp.client_addr, client_addr) >= settings.otp_per_address
    ):
        raise _refuse_asking(uow, "per-address", client_addr)
    key = number_key(uow.runtime, digits)
    uow.session.execute(
        update(CitizenOtp)
        .where(CitizenOtp.number_key == key, CitizenOtp.used_at.is_(None))
        .values(used_at=now, outcome=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = new_id()
    otp = CitizenOtp(
        id=challenge,
        number_key=key,
        device_key=device_hash,
        client_addr=client_addr,
        code_hash=_code_hash(uow.runtime, challenge, code),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.otp_minutes),
        attempts=0,
        # Only a demo instance keeps the code (sealed), for `kotwal demo-otp`.
        demo_code=code if uow.runtime.settings.demo else None,
    )
    uow.session.add(otp)
    uow.session.flush()
    send_otp(uow, digits, code)
    uow.audit(
        _event(
            "citizen_otp.requested",
            Outcome.SUCCESS,
            resource_type="citizen_otp",
            resource_id=challenge,
            client_addr=client_addr,
        )
    )
    return CodeSent(challenge=challenge, expires_at=otp.expires_at)


# --- spending a code ---------------------------------------------------------------------------


def _failures(session: Any, key: str, since: datetime) -> int:
    """Wrong guesses at a number's codes since ``since``: every counted guess, less the one
    guess of each code that was spent."""
    guesses = session.execute(
        select(func.coalesce(func.sum(CitizenOtp.attempts), 0)).where(
            CitizenOtp.number_key == key, CitizenOtp.created_at >= since
        )
    ).scalar_one()
    spent = session.execute(
        select(func.count()).where(
            CitizenOtp.number_key == key,
            CitizenOtp.created_at >= since,
            CitizenOtp.outcome == SPENT,
        )
    ).scalar_one()
    return int(guesses) - int(spent)


def _count_guess(runtime: Runtime, challenge: str, key: str) -> str | None:
    """Count one guess at ``challenge`` in a transaction of its own, committed before the guess
    is compared; or the reason the guess is not even compared."""
    settings = citizen_settings()
    now = utcnow()
    with runtime.db.transaction(write=True) as session:
        otp = session.get(CitizenOtp, challenge)
        if otp is None or otp.number_key != key:
            return "unknown"
        since = now - timedelta(minutes=settings.otp_window_minutes)
        if _failures(session, key, since) >= settings.otp_failures_per_number:
            return "per-number"
        counted = session.execute(
            update(CitizenOtp)
            .where(
                CitizenOtp.id == challenge,
                CitizenOtp.attempts < settings.otp_attempts,
                CitizenOtp.used_at.is_(None),
                CitizenOtp.expires_at > now,
            )
            .values(attempts=CitizenOtp.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], counted).rowcount == 1:
            return None
        if otp.used_at is not None:
            return "spent" if otp.outcome == SPENT else "superseded"
        return "expired" if as_utc(otp.expires_at) <= now else "attempts"


def _refuse_guess(uow: UnitOfWork, challenge: str, reason: str, client_addr: str | None) -> None:
    uow.record_now(
        [
            _event(
                "citizen.login",
                Outcome.DENIED,
                resource_type="citizen_otp",
                resource_id=challenge[:64],
                client_addr=client_addr,
                detail={"reason": reason},
            )
        ]
    )
    if reason == "per-number":
        raise TooManyAttempts("too many wrong codes for this number; wait and try again")
    raise NotAuthenticated(REFUSED)


def verify_code(
    uow: UnitOfWork,
    mobile: str,
    challenge: str,
    code: str,
    device_label: str,
    client_addr: str | None,
) -> IssuedSession:
    """Spend a login code: the number's account (made at its first login, with the number
    sealed in the vault) and a new device session with its token, shown once."""
    digits = mobile_number(mobile)
    key = number_key(uow.runtime, digits)
    # Counted before anything else touches this unit's session: on SQLite the unit's write
    # transaction would otherwise hold the lock the count needs.
    reason = _count_guess(uow.runtime, challenge, key)
    if reason is not None:
        _refuse_guess(uow, challenge, reason, client_addr)
    otp = uow.session.get(CitizenOtp, challenge)
    expected = _code_hash(uow.runtime, challenge, code)
    if otp is None or not hmac.compare_digest(otp.code_hash, expected):
        _refuse_guess(uow, challenge, "wrong-code", client_addr)
    now = utcnow()
    spent = uow.session.execute(
        update(CitizenOtp)
        .where(CitizenOtp.id == challenge, CitizenOtp.used_at.is_(None))
        .values(used_at=now, outcome=SPENT)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], spent).rowcount != 1:  # spent at the same instant elsewhere
        _refuse_guess(uow, challenge, "spent", client_addr)
    account, new = _account_for(uow, key, digits)
    account.last_login_at = now
    return _issue_session(uow, account, device_label, client_addr, new)


def _account_for(uow: UnitOfWork, key: str, digits: str) -> tuple[CitizenAccount, bool]:
    account = uow.session.execute(
        select(CitizenAccount).where(CitizenAccount.number_key == key)
    ).scalar_one_or_none()
    if account is not None:
        return account, False
    account = CitizenAccount(id=new_id(), number_key=key)
    uow.session.add(account)
    uow.session.flush()
    uow.session.add(CitizenIdentity(id=new_id(), citizen_id=account.id, mobile=digits))
    return account, True


def _issue_session(
    uow: UnitOfWork,
    account: CitizenAccount,
    device_label: str,
    client_addr: str | None,
    new: bool,
) -> IssuedSession:
    settings = citizen_settings()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = CitizenSession(
        id=new_id(),
        citizen_id=account.id,
        token_hash=token_digest(token),
        device_label=device_label,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_days),
        client_addr=client_addr,
    )
    uow.session.add(row)
    uow.session.flush()
    citizen = Citizen(account.id, row.id, client_addr)
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.login",
            resource_type="citizen_session",
            resource_id=row.id,
            detail={"new_account": new},
        )
    )
    return IssuedSession(token, row.id, account.id, row.expires_at, new)


# --- sessions ------------------------------------------------------------------------------------


def resolve(runtime: Runtime, token: str, client_addr: str | None) -> Citizen | None:
    """The citizen a bearer token belongs to, if its session is live; marks it used (at most
    once a minute) and ends it when it has expired or gone unused too long."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    settings = citizen_settings()
    now = utcnow()
    with runtime.db.transaction(write=False) as session:
        row = session.execute(
            select(CitizenSession).where(CitizenSession.token_hash == token_digest(token))
        ).scalar_one_or_none()
        if row is None or row.ended_at is not None:
            return None
        expired = as_utc(row.expires_at) <= now
        idle = as_utc(row.last_seen_at) + timedelta(days=settings.session_idle_days) <= now
        stale = as_utc(row.last_seen_at) + TOUCH_AFTER <= now
        found = Citizen(row.citizen_id, row.id, client_addr)
    if expired or idle:
        _end(runtime, found.session_id, "expired" if expired else "idle")
        return None
    if stale:
        with runtime.db.transaction(write=True) as session:
            session.execute(
                update(CitizenSession)
                .where(CitizenSession.id == found.session_id)
                .values(last_seen_at=now)
            )
    return found


def _end(runtime: Runtime, session_id: str, reason: str) -> None:
    with runtime.db.transaction(write=True) as session:
        session.execute(
            update(CitizenSession)
            .where(CitizenSession.id == session_id, CitizenSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )


def devices(uow: UnitOfWork, citizen: Citizen) -> list[dict[str, Any]]:
    """The citizen's live device sessions, newest first; the one asking is marked."""
    rows = uow.session.execute(
        select(CitizenSession)
        .where(CitizenSession.citizen_id == citizen.citizen_id, CitizenSession.ended_at.is_(None))
        .order_by(CitizenSession.created_at.desc())
    ).scalars()
    return [
        {
            "id": row.id,
            "device_label": row.device_label,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "expires_at": row.expires_at,
            "current": row.id == citizen.session_id,
        }
        for row in rows
    ]


def revoke_device(uow: UnitOfWork, citizen: Citizen, session_id: str) -> None:
    """End one of the citizen's own device sessions (another's is "not found")."""
    row = uow.session.get(CitizenSession, session_id)
    if row is None or row.citizen_id != citizen.citizen_id or row.ended_at is not None:
        raise NotFound("no such device session")
    row.ended_at = utcnow()
    row.ended_reason = "revoked"
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.session_revoked",
            resource_type="citizen_session",
            resource_id=session_id,
        )
    )


# --- the vault -----------------------------------------------------------------------------------


def _identity(uow: UnitOfWork, citizen_id: str) -> CitizenIdentity | None:
    return uow.session.execute(
        select(CitizenIdentity).where(CitizenIdentity.citizen_id == citizen_id)
    ).scalar_one_or_none()


def _contacts(uow: UnitOfWork, citizen_id: str) -> list[CitizenEmergencyContact]:
    return list(
        uow.session.execute(
            select(CitizenEmergencyContact)
            .where(CitizenEmergencyContact.citizen_id == citizen_id)
            .order_by(CitizenEmergencyContact.created_at, CitizenEmergencyContact.id)
        ).scalars()
    )


def profile(uow: UnitOfWork, citizen: Citizen) -> dict[str, Any]:
    """The citizen's own identity and emergency contacts, opened for them."""
    identity = _identity(uow, citizen.citizen_id)
    if identity is None:
        raise NotFound("no such account")
    [fields] = open_fields(uow.session, [identity], ("mobile", "name", "email", "address"))
    contacts = _contacts(uow, citizen.citizen_id)
    opened = open_fields(uow.session, contacts, ("name", "mobile"))
    return {
        "citizen_id": citizen.citizen_id,
        **fields,
        "emergency_contacts": [{"id": c.id, **o} for c, o in zip(contacts, opened, strict=True)],
    }


def update_profile(uow: UnitOfWork, citizen: Citizen, data: ProfileIn) -> dict[str, Any]:
    """Replace the citizen's name, e-mail and address (sealed in the vault) and, when given,
    their emergency contacts (at most five; the old ones' keys are shredded)."""
    identity = _identity(uow, citizen.citizen_id)
    if identity is None:
        raise NotFound("no such account")
    identity.name = data.name
    identity.email = data.email
    identity.address = data.address
    identity.updated_at = utcnow()
    if data.emergency_contacts is not None:
        _replace_contacts(uow, citizen, data.emergency_contacts)
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.profile_updated",
            resource_type="citizen_identity",
            resource_id=identity.id,
            detail={"contacts": len(data.emergency_contacts or ())},
        )
    )
    return profile(uow, citizen)


def _replace_contacts(uow: UnitOfWork, citizen: Citizen, contacts: list[ContactIn]) -> None:
    for old in _contacts(uow, citizen.citizen_id):
        uow.session.delete(old)  # the flush shreds its data key
    for contact in contacts:
        uow.session.add(
            CitizenEmergencyContact(
                id=new_id(),
                citizen_id=citizen.citizen_id,
                name=contact.name,
                mobile=mobile_number(contact.mobile),
            )
        )


def disclose_identity(
    uow: UnitOfWork, actor: Actor, citizen_id: str, purpose: str | None
) -> dict[str, Any]:
    """A citizen's identity and emergency contacts for an officer, through the gate: only with
    a declared purpose (a case number or a reason), every read audited and flagged."""
    require(actor, CitizenPermission.IDENTITY_READ)
    if clean_purpose(purpose) is None:
        uow.record_now(
            [
                actor_event(
                    actor,
                    "record.disclose",
                    Outcome.DENIED,
                    resource_type="citizen_identity",
                    detail={"reason": "no-purpose"},
                )
            ]
        )
        raise PurposeRequired("a citizen's identity is read only with a declared purpose")
    identity = _identity(uow, citizen_id)
    if identity is None:
        raise NotFound("no such citizen")
    [shown] = disclose(uow, actor, purpose, [identity], kind="record")
    contacts = _contacts(uow, citizen_id)
    shown["emergency_contacts"] = (
        disclose(uow, actor, purpose, contacts, kind="part") if contacts else []
    )
    return shown


# --- housekeeping -------------------------------------------------------------------------------

#: Login codes, and ended device sessions, are kept this long (for the limits and for a
#: citizen's list of devices), then deleted: they hold client addresses.
KEEP_CODES = timedelta(days=1)
KEEP_ENDED_SESSIONS = timedelta(days=30)


def purge(uow: UnitOfWork) -> dict[str, int]:
    """Delete login codes older than a day (past every limit's window) and device sessions
    ended more than 30 days ago; blank anonymous tips' limit keys older than a day."""
    now = utcnow()
    window = timedelta(minutes=citizen_settings().otp_window_minutes)
    codes = uow.session.execute(
        delete(CitizenOtp).where(CitizenOtp.created_at < now - max(KEEP_CODES, window))
    )
    sessions = uow.session.execute(
        delete(CitizenSession).where(
            CitizenSession.ended_at.is_not(None),
            CitizenSession.ended_at < now - KEEP_ENDED_SESSIONS,
        )
    )
    counts = {
        "codes": cast(CursorResult[Any], codes).rowcount,
        "sessions": cast(CursorResult[Any], sessions).rowcount,
        "tip_limit_keys": reports.forget_limits(uow),
    }
    if any(counts.values()):
        uow.audit(_event("citizen.purged", Outcome.SUCCESS, "system:citizen", detail=dict(counts)))
    return counts


# --- who accessed my data ------------------------------------------------------------------------

#: How many officer reads a citizen is shown, newest first.
ACCESS_LOG_MAX = 500


#: What each kind of the citizen's records is called in their list of reads.
ACCESS_WHAT = {
    "citizen_identity": "identity",
    "citizen_emergency_contact": "emergency contact",
    "citizen_sos": "SOS",
    "citizen_trip": "trip",
    "citizen_report": "report",
    "citizen_report_photo": "report photograph",
    "citizen_lost_phone": "lost phone",
}


def _own_records(uow: UnitOfWork, citizen_id: str, identity_id: str) -> dict[str, list[str]]:
    """The ids of the citizen's records an officer can read, by resource type."""

    def ids(stmt: Any) -> list[str]:
        return [str(i) for i in uow.session.execute(stmt.limit(ACCESS_RECORDS_MAX)).scalars()]

    reports = ids(select(CitizenReport.id).where(CitizenReport.citizen_id == citizen_id))
    return {
        "citizen_identity": [identity_id],
        "citizen_emergency_contact": ids(
            select(CitizenEmergencyContact.id).where(
                CitizenEmergencyContact.citizen_id == citizen_id
            )
        ),
        "citizen_sos": ids(select(CitizenSos.id).where(CitizenSos.citizen_id == citizen_id)),
        "citizen_trip": ids(select(CitizenTrip.id).where(CitizenTrip.citizen_id == citizen_id)),
        "citizen_report": reports,
        "citizen_report_photo": ids(
            select(CitizenReportPhoto.id).where(CitizenReportPhoto.report_id.in_(reports))
        )
        if reports
        else [],
        "citizen_lost_phone": ids(
            select(CitizenLostPhone.id).where(CitizenLostPhone.citizen_id == citizen_id)
        ),
    }


#: Records of one kind looked up for the list, at most (the newest reads come first anyway).
ACCESS_RECORDS_MAX = 1_000


def access_log(uow: UnitOfWork, citizen: Citizen) -> list[dict[str, Any]]:
    """Every officer's read of the citizen's records, from the audit log, newest first: their
    identity and emergency contacts, SOS, trips, reports and their photographs, lost phones;
    when, the reader's rank, the purpose they declared, what was read, and the log's sequence
    number (what a complaint can cite). The officer's name is not shown: the log keeps it for
    those who investigate a complaint. Reading this is itself recorded."""
    identity = _identity(uow, citizen.citizen_id)
    if identity is None:
        raise NotFound("no such account")
    owned = _own_records(uow, citizen.citizen_id, identity.id)
    mine = [
        and_(AuditEventRow.resource_type == kind, AuditEventRow.resource_id.in_(ids))
        for kind, ids in owned.items()
        if ids
    ]
    rows = uow.session.execute(
        select(AuditEventRow)
        .where(
            AuditEventRow.action == "record.disclose",
            AuditEventRow.outcome == Outcome.SUCCESS,
            or_(*mine),
        )
        .order_by(AuditEventRow.seq.desc())
        .limit(ACCESS_LOG_MAX)
    ).scalars()
    shown = []
    for row in rows:
        roles = roles_of(uow.session, row.actor_id) if row.actor_id else frozenset()
        shown.append(
            {
                "at": datetime.fromtimestamp(row.at_us / 1_000_000, tz=UTC),
                "officer_rank": ", ".join(sorted(ROLE_TITLES[r] for r in roles)) or "officer",
                "purpose": row.purpose,
                "what": ACCESS_WHAT.get(row.resource_type or "", "record"),
                "reference": row.seq,
            }
        )
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.access_log_read",
            resource_type="citizen_identity",
            resource_id=identity.id,
            detail={"entries": len(shown)},
        )
    )
    return shown


# --- deletion ------------------------------------------------------------------------------------


def delete_account(uow: UnitOfWork, citizen: Citizen) -> dict[str, int]:
    """Delete the citizen's account on their request: every trip shredded at once (no grace
    period), every SOS's positions destroyed (its incident stays, without the pseudonym), the
    vault's rows deleted with their data keys, sessions and codes deleted. What remains is the
    audit log's record that it happened, under the pseudonym."""
    account = uow.session.get(CitizenAccount, citizen.citizen_id)
    if account is None:
        raise NotFound("no such account")
    own_trips = list(
        uow.session.execute(
            select(CitizenTrip).where(CitizenTrip.citizen_id == citizen.citizen_id)
        ).scalars()
    )
    for trip in own_trips:
        if trip.status != trips.SHREDDED:
            trips.shred_trip(uow, trip, reason="account-deleted")
        trip.citizen_id = None  # the tombstone stays; the pseudonym goes with the account
    raised = sos.forget_citizen(uow, citizen.citizen_id)
    reports.forget_citizen(uow, citizen.citizen_id)
    lost_phones.forget_citizen(uow, citizen.citizen_id)
    for row in [*_contacts(uow, citizen.citizen_id), _identity(uow, citizen.citizen_id)]:
        if row is not None:
            uow.session.delete(row)  # the flush shreds its data key
    uow.session.flush()
    sessions = uow.session.execute(
        delete(CitizenSession).where(CitizenSession.citizen_id == citizen.citizen_id)
    )
    codes = uow.session.execute(
        delete(CitizenOtp).where(CitizenOtp.number_key == account.number_key)
    )
    uow.session.delete(account)
    uow.session.flush()
    trips.checkpoint_on_commit(uow)  # no earlier image of the deleted keys left in the WAL
    counts = {
        "trips": len(own_trips),
        "sessions": cast(CursorResult[Any], sessions).rowcount,
        "codes": cast(CursorResult[Any], codes).rowcount,
        "sos": raised,
    }
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.account_deleted",
            resource_type="citizen_account",
            resource_id=citizen.citizen_id,
            detail=dict(counts),
        )
    )
    return counts


# --- a download of one's data --------------------------------------------------------------------


def my_data(uow: UnitOfWork, citizen: Citizen) -> dict[str, Any]:
    """Everything kept of the citizen, opened for them (DPDP Act 2023, the right to a summary
    of one's data): profile and contacts, devices, trips (their fields while the trip's key
    lives; positions are not repeated, the count is), SOS, reports with their course, lost
    phones, and the officers' reads of all of it. Recorded as ``citizen.data_downloaded``."""
    own_trips = list(
        uow.session.execute(
            select(CitizenTrip)
            .where(CitizenTrip.citizen_id == citizen.citizen_id)
            .order_by(CitizenTrip.started_at.desc())
        ).scalars()
    )
    own_sos = list(
        uow.session.execute(
            select(CitizenSos)
            .where(CitizenSos.citizen_id == citizen.citizen_id)
            .order_by(CitizenSos.raised_at.desc())
        ).scalars()
    )
    own_reports = reports.own_reports(uow, citizen)
    data = {
        "generated_at": utcnow(),
        "profile": profile(uow, citizen),
        "devices": devices(uow, citizen),
        "trips": [trips.trip_view(uow, trip) for trip in own_trips],
        "sos": [sos.citizen_view(uow, row) for row in own_sos],
        "reports": own_reports,
        "lost_phones": lost_phones.own_phones(uow, citizen),
        "access_log": access_log(uow, citizen),
    }
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen.data_downloaded",
            resource_type="citizen_account",
            resource_id=citizen.citizen_id,
            detail={
                "trips": len(own_trips),
                "sos": len(own_sos),
                "reports": len(own_reports),
            },
        )
    )
    return data

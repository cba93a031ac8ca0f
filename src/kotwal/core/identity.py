"""Accounts, passwords, TOTP, sessions and lockout.

- Passwords: argon2id above OWASP's minimum (t=3, m=19 MiB, p=1); 12 to 128 characters, no
  composition rules, refused when among the most common breached passwords (the 30,000-entry
  list bundled with zxcvbn), when they contain the username, or when zxcvbn's strength
  estimate is below 3 (repeats, keyboard walks, sequences, dates, the force's own words).
- TOTP (RFC 6238, 30 s, 6 digits) accepts the previous, current and next step, each code once:
  the last accepted step is stored and a step must be newer to pass.
- Sessions are server-side: the client holds a 256-bit random token, the database only its
  SHA-256. Idle and absolute timeouts depend on the kind of account; logout, disabling an
  account, a password change and a role change end sessions at once; login and privilege changes
  issue a new token, so a token planted before login (fixation) is worth nothing.
- Throttling: failures count per account (temporary lock, then a hard lock that only an unlock
  lifts, audited) and per client address (429 for the window).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.config import Settings
from kotwal.core.crypto import open_field
from kotwal.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    WeakPassword,
)
from kotwal.core.models import Account, AccountRole, AuthSession
from kotwal.core.policy import (
    ADMIN_ROLES,
    FIELD_ROLES,
    ROLE_CLEARANCE,
    Actor,
    DataClass,
    Jurisdiction,
    Posting,
    Role,
)
from kotwal.core.uow import UnitOfWork

PASSWORD_MIN = 12
PASSWORD_MAX = 128
TOTP_STEP = 30
TOTP_ISSUER = "kotwal"
TOUCH_AFTER = timedelta(seconds=60)

_hasher = PasswordHasher(time_cost=3, memory_cost=19456, parallelism=1, type=Type.ID)
# A real hash to verify against when the username does not exist, so that the time taken does
# not tell an attacker which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- passwords -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _breached() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _is_breached(password: str) -> bool:
    """On the list, or a listed password with digits and symbols stuck on either end
    (``password1234``, ``!!iloveyou2024``): attackers try those variants first."""
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    return lowered in _breached() or (len(core) >= 4 and core in _breached())


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a password is not acceptable (empty list: acceptable)."""
    pw = unicodedata.normalize("NFKC", password)
    problems: list[str] = []
    if len(pw) < PASSWORD_MIN:
        problems.append(f"use at least {PASSWORD_MIN} characters")
    if len(pw) > PASSWORD_MAX:
        problems.append(f"use at most {PASSWORD_MAX} characters")
    if _is_breached(pw):
        problems.append("this password is, or is built on, a commonly breached password")
    if username and len(username) >= 3 and username.lower() in pw.lower():
        problems.append("the password must not contain the username")
    if not problems:
        problems.extend(_guessable(pw, username))
    return problems


#: zxcvbn's score a password must reach: 3 is "safely unguessable" (about 10^8 guesses or more
#: by its estimate), so that ``aaaaaaaaaaaa`` or ``qwertyuiopas`` is refused though long enough.
PASSWORD_MIN_SCORE = 3
#: Words an attacker on this system tries first, given to zxcvbn as a dictionary of its own.
_SITE_WORDS = ("kotwal", "police", "telangana", "hyderabad", "tspolice", "station", "officer")


def _guessable(password: str, username: str) -> list[str]:
    """Why zxcvbn finds the password too easy to guess (empty list: it does not)."""
    from zxcvbn import zxcvbn

    words = [*_SITE_WORDS, *(p for p in re.split(r"[^\w]+", username.lower()) if len(p) >= 3)]
    found = zxcvbn(password, user_inputs=words, max_length=PASSWORD_MAX)
    if int(found["score"]) >= PASSWORD_MIN_SCORE:
        return []
    warning = str(found.get("feedback", {}).get("warning") or "").rstrip(".")
    why = f" ({warning.lower()})" if warning else ""
    return [
        f"this password is too easy to guess{why}; a few unrelated words, in any language, "
        "make a strong one"
    ]


# Each argon2 computation takes 19 MiB and a core for tens of milliseconds; a flood of logins
# must queue here rather than exhaust memory or starve every other request.
_ARGON2_SLOTS = threading.BoundedSemaphore(4)


def hash_password(password: str) -> str:
    with _ARGON2_SLOTS:
        return _hasher.hash(unicodedata.normalize("NFKC", password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _ARGON2_SLOTS:
            return _hasher.verify(password_hash, unicodedata.normalize("NFKC", password))
    except (VerificationError, InvalidHashError):
        return False


# Lowercase letters and digits without 0/o and 1/l/i: read aloud or copied by hand.
_OTP_ALPHABET = "".join(c for c in string.ascii_lowercase + string.digits if c not in "0o1li")


def one_time_password() -> str:
    """An initial password handed to a person once (about 98 bits); changed at first login."""
    groups = ("".join(secrets.choice(_OTP_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)


def spend_password_check(password: str) -> None:
    """Take the time of a real password check for a username that does not exist, so the
    answer's timing does not tell which usernames do."""
    verify_password(_DUMMY_HASH, password)


# --- TOTP ----------------------------------------------------------------------------------


def totp_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // TOTP_STEP)


def totp_match(secret: str, code: str, last_step: int, at: float | None = None) -> int | None:
    """The time step ``code`` belongs to (±1 step), if it is newer than ``last_step``."""
    code = code.strip().replace(" ", "")
    # isascii first: str.isdigit() accepts other scripts' digits, which compare_digest refuses.
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    now = totp_step(at)
    for step in (now - 1, now, now + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(
        name=username, issuer_name=TOTP_ISSUER
    )


# --- accounts ------------------------------------------------------------------------------


# Built once: every authenticated request runs these (a statement costs more to build than
# these cost to run).
_ROLES_OF = select(AccountRole.role).where(AccountRole.account_id == bindparam("account"))
_PATHS_OF = (
    select(Jurisdiction.path)
    .join(Posting, Posting.jurisdiction_id == Jurisdiction.id)
    .where(Posting.account_id == bindparam("account"), Posting.ended_at.is_(None))
)


def roles_of(session: Session, account_id: str) -> frozenset[Role]:
    rows = session.connection().execute(_ROLES_OF, {"account": account_id})
    return frozenset(Role(r) for (r,) in rows)


def jurisdiction_paths(session: Session, account_id: str) -> tuple[str, ...]:
    rows = session.connection().execute(_PATHS_OF, {"account": account_id})
    return tuple(sorted(p for (p,) in rows))


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("no such account")
    return account


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().lower()


def find_account(session: Session, username: str) -> Account | None:
    return session.execute(
        select(Account).where(Account.username == normalise_username(username))
    ).scalar_one_or_none()


def event_for(actor: Actor, action: str, outcome: str = Outcome.SUCCESS, **kw: Any) -> AuditEvent:
    """An event by ``actor`` (see :func:`kotwal.core.audit.actor_event`)."""
    return actor_event(actor, action, outcome, **kw)


def validate_username(username: str) -> str:
    name = normalise_username(username)
    # ASCII only: look-alike letters from other scripts would make two names that read alike.
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", name):
        raise InvalidInput("a username is 3-64 ASCII letters, digits, dots, dashes or underscores")
    return name


def check_role_set(roles: frozenset[Role]) -> None:
    """Separation of duties: an account that administers or audits cannot also read records."""
    if not roles:
        raise InvalidInput("an account needs at least one role")
    oversight = roles & {Role.SYSTEM_ADMIN, Role.AUDITOR, Role.SECURITY_OFFICER}
    # A role cleared for more than public data reads records, whichever domain holds them.
    readers = {r for r in roles if ROLE_CLEARANCE[r] > DataClass.PUBLIC}
    if oversight and readers:
        raise InvalidInput(
            "separation of duties: "
            + ", ".join(sorted(r.value for r in oversight))
            + " cannot be combined with a role that reads records ("
            + ", ".join(sorted(r.value for r in readers))
            + ")"
        )


def create_account(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    roles: frozenset[Role],
    jurisdiction_id: str | None = None,
) -> tuple[Account, str]:
    """Create an account with a one-time password (returned once, never stored in clear)."""
    name = validate_username(username)
    check_role_set(roles)
    if find_account(uow.session, name) is not None:
        raise Conflict(f"the username {name!r} is taken")
    if roles & FIELD_ROLES and jurisdiction_id is None:
        raise InvalidInput("an officer's account needs a posting (jurisdiction)")
    initial = one_time_password()
    account = Account(
        username=name,
        display_name=display_name.strip(),
        password_hash=hash_password(initial),
        must_change_password=True,
        totp_last_step=0,
        failed_logins=0,
        disabled=False,
        hard_locked=False,
    )
    uow.session.add(account)
    uow.session.flush()
    for role in sorted(roles):
        uow.session.add(AccountRole(account_id=account.id, role=role.value))
    if jurisdiction_id is not None:
        post(uow, actor, account, jurisdiction_id, audit=False)
    uow.session.flush()
    uow.audit(
        event_for(
            actor,
            "account.create",
            resource_type="account",
            resource_id=account.id,
            detail={"roles": ",".join(sorted(r.value for r in roles))},
        )
    )
    return account, initial


def post(
    uow: UnitOfWork, actor: Actor, account: Account, jurisdiction_id: str, *, audit: bool = True
) -> Posting:
    """Post an officer to a jurisdiction, closing the current posting."""
    if uow.session.get(Jurisdiction, jurisdiction_id) is None:
        raise InvalidInput("no such jurisdiction")
    now = utcnow()
    uow.session.execute(
        update(Posting)
        .where(Posting.account_id == account.id, Posting.ended_at.is_(None))
        .values(ended_at=now)
    )
    posting = Posting(account_id=account.id, jurisdiction_id=jurisdiction_id, started_at=now)
    uow.session.add(posting)
    end_sessions(uow.session, account.id, "posting-changed")
    if audit:
        uow.audit(
            event_for(
                actor,
                "account.post",
                resource_type="account",
                resource_id=account.id,
                detail={"jurisdiction": jurisdiction_id},
            )
        )
    return posting


def set_roles(uow: UnitOfWork, actor: Actor, account: Account, roles: frozenset[Role]) -> None:
    """Replace an account's roles; its sessions end (a privilege change needs a new login)."""
    check_role_set(roles)
    if account.id == actor.account_id:
        raise Conflict("nobody changes their own roles; ask another administrator")
    uow.session.query(AccountRole).filter(AccountRole.account_id == account.id).delete()
    for role in sorted(roles):
        uow.session.add(AccountRole(account_id=account.id, role=role.value))
    end_sessions(uow.session, account.id, "roles-changed")
    uow.audit(
        event_for(
            actor,
            "account.roles",
            resource_type="account",
            resource_id=account.id,
            detail={"roles": ",".join(sorted(r.value for r in roles))},
        )
    )


def set_disabled(uow: UnitOfWork, actor: Actor, account: Account, disabled: bool) -> None:
    if account.id == actor.account_id and disabled:
        raise Conflict("you cannot disable your own account")
    account.disabled = disabled
    if disabled:
        end_sessions(uow.session, account.id, "account-disabled")
    uow.audit(
        event_for(
            actor,
            "account.disable" if disabled else "account.enable",
            resource_type="account",
            resource_id=account.id,
        )
    )


def reset_password(uow: UnitOfWork, actor: Actor, account: Account) -> str:
    """Give an account a new one-time password; its TOTP enrolment is kept."""
    initial = one_time_password()
    account.password_hash = hash_password(initial)
    account.must_change_password = True
    end_sessions(uow.session, account.id, "password-reset")
    uow.audit(
        event_for(actor, "account.password_reset", resource_type="account", resource_id=account.id)
    )
    return initial


def unlock(uow: UnitOfWork, actor: Actor, account: Account, reason: str) -> None:
    """Lift a lock after repeated failures; the reason is kept in the audit log."""
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput("give a reason for the unlock (at least 5 characters)")
    account.failed_logins = 0
    account.locked_until = None
    account.hard_locked = False
    uow.audit(
        event_for(
            actor,
            "account.unlock",
            resource_type="account",
            resource_id=account.id,
            purpose=reason[:300],
        )
    )


def check_current_password(uow: UnitOfWork, actor: Actor, account: Account, current: str) -> None:
    """Re-authentication inside a session: a wrong password counts towards the lockout like a
    failed login (a stolen session must not become a password-guessing oracle)."""
    if verify_password(account.password_hash, current):
        return
    uow.rollback()  # nothing of this request may commit except the failure itself
    state = count_failure(uow.session, uow.runtime.settings, account.id)
    if state != "counted":
        end_sessions(uow.session, account.id, f"re-authentication-{state}")
    uow.session.commit()
    uow.record_now(
        [event_for(actor, "account.reauthenticate", Outcome.FAILURE, detail={"state": state})]
    )
    raise InvalidInput("the current password is not right")


def change_password(
    uow: UnitOfWork, actor: Actor, account: Account, current: str, new: str
) -> None:
    check_current_password(uow, actor, account, current)
    problems = password_problems(new, account.username)
    if verify_password(account.password_hash, new):
        problems.append("the new password must differ from the current one")
    if problems:
        raise WeakPassword("; ".join(problems), problems=problems)
    account.password_hash = hash_password(new)
    account.must_change_password = False
    account.password_changed_at = utcnow()
    end_sessions(uow.session, account.id, "password-changed")
    uow.audit(
        event_for(actor, "account.password_change", resource_type="account", resource_id=account.id)
    )


def set_language(
    uow: UnitOfWork, actor: Actor, account: Account, language: str, offered: Collection[str]
) -> None:
    """The officer's own choice of the console's language, one of ``offered`` (the web layer
    knows which catalogues exist; the kernel keeps only the code). Audited, as every change
    to an account is."""
    if language not in offered:
        raise InvalidInput(f"choose one of: {', '.join(sorted(offered))}")
    if account.language == language:
        return
    account.language = language
    uow.audit(
        event_for(
            actor,
            "account.language",
            resource_type="account",
            resource_id=account.id,
            detail={"language": language},
        )
    )


def begin_totp_enrolment(
    uow: UnitOfWork,
    actor: Actor,
    account: Account,
    *,
    current_password: str | None = None,
    current_code: str | None = None,
) -> str:
    """Create a pending TOTP secret; it becomes active once a code from it is confirmed.

    Replacing an enrolled authenticator needs the password and a code from the old one, so a
    stolen session cannot swap the second factor for the thief's.
    """
    if account.totp_secret is not None:
        check_current_password(uow, actor, account, current_password or "")
        old = open_field(uow.session, account, "totp_secret")
        step = totp_match(str(old), current_code or "", account.totp_last_step)
        if step is None or not consume_totp_step(uow.session, account.id, step):
            raise InvalidInput("give a current code from the authenticator you are replacing")
    secret = pyotp.random_base32()
    account.totp_pending = secret
    uow.audit(
        event_for(actor, "account.totp_begin", resource_type="account", resource_id=account.id)
    )
    return secret


def pending_totp_secret(uow: UnitOfWork, account: Account) -> str | None:
    value = open_field(uow.session, account, "totp_pending")
    return None if value is None else str(value)


def confirm_totp_enrolment(uow: UnitOfWork, actor: Actor, account: Account, code: str) -> None:
    secret = pending_totp_secret(uow, account)
    if secret is None:
        raise InvalidInput("start TOTP enrolment first")
    step = totp_match(secret, code, 0)
    if step is None:
        raise InvalidInput("that code does not match; check the phone's clock and try again")
    account.totp_secret = secret
    account.totp_pending = None
    account.totp_last_step = step
    end_sessions(uow.session, account.id, "totp-enrolled")
    uow.audit(
        event_for(actor, "account.totp_enrol", resource_type="account", resource_id=account.id)
    )


def consume_totp_step(session: Session, account_id: str, step: int) -> bool:
    """Mark a TOTP step used, atomically: of two concurrent uses of one code, one wins."""
    result = session.execute(
        update(Account)
        .where(Account.id == account_id, Account.totp_last_step < step)
        .values(totp_last_step=step)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def needs_setup(account: Account) -> bool:
    """Still on an initial password, or without TOTP: the account may do nothing else."""
    return account.must_change_password or account.totp_secret is None


# --- login and sessions --------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    """What the client receives once: the token and the CSRF token (the server keeps hashes)."""

    token: str
    csrf_token: str
    session: AuthSession


def _limits(settings: Settings, roles: frozenset[Role], kind: str) -> tuple[int, int]:
    if kind == "api":
        return settings.api_token_seconds, settings.api_token_seconds
    if roles & ADMIN_ROLES:
        return settings.admin_idle_seconds, settings.admin_absolute_seconds
    return settings.officer_idle_seconds, settings.officer_absolute_seconds


def issue_session(
    session: Session,
    settings: Settings,
    account: Account,
    *,
    kind: str,
    client_addr: str | None,
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    csrf = csrf_for(token)
    idle, absolute = _limits(settings, roles_of(session, account.id), kind)
    now = utcnow()
    row = AuthSession(
        token_hash=token_digest(token),
        csrf_hash=token_digest(csrf),
        account_id=account.id,
        kind=kind,
        restricted=needs_setup(account),
        created_at=now,
        last_seen_at=now,
        idle_seconds=idle,
        expires_at=now + timedelta(seconds=absolute),
        client_addr=client_addr,
    )
    session.add(row)
    session.flush()
    return IssuedSession(token=token, csrf_token=csrf, session=row)


def end_sessions(session: Session, account_id: str, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def end_session(session: Session, auth_session: AuthSession, reason: str) -> None:
    auth_session.ended_at = utcnow()
    auth_session.ended_reason = reason


def is_locked(account: Account) -> bool:
    # A suspension (breach defences) refuses logins like a hard lock, but only the security
    # officer's reviewed lift ends it.
    if account.hard_locked or account.suspended:
        return True
    return account.locked_until is not None and as_utc(account.locked_until) > utcnow()


def count_failure(session: Session, settings: Settings, account_id: str) -> str:
    """Add one failed attempt to an account, atomically (concurrent guesses all count), and
    lock it when the count reaches a threshold. Returns the account's new state."""
    count = session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(failed_logins=Account.failed_logins + 1)
        .returning(Account.failed_logins)
    ).scalar_one()
    if count >= settings.hard_lock_after_failures:
        session.execute(update(Account).where(Account.id == account_id).values(hard_locked=True))
        return "hard-locked"
    if count % settings.lock_after_failures == 0:
        until = utcnow() + timedelta(minutes=settings.lock_minutes)
        session.execute(update(Account).where(Account.id == account_id).values(locked_until=until))
        return "locked"
    return "counted"


def resolve(session: Session, token: str, *, kind: str) -> tuple[AuthSession, Account] | None:
    """The live session and account a token belongs to, or None (unknown, ended, expired)."""
    row = session.execute(
        select(AuthSession).where(AuthSession.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.kind != kind or row.ended_at is not None:
        return None
    now = utcnow()
    if now >= as_utc(row.expires_at):
        return None
    if now - as_utc(row.last_seen_at) > timedelta(seconds=row.idle_seconds):
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.disabled or account.suspended:
        return None
    return row, account


@dataclass(frozen=True)
class LiveSession:
    """What a request needs of the live session behind it (read once, by :func:`resolve_actor`)."""

    id: str
    account_id: str
    restricted: bool
    csrf_hash: str
    step_up_required: bool
    last_seen_at: datetime


_LIVE_SESSION = (
    select(
        AuthSession.id,
        AuthSession.account_id,
        AuthSession.kind,
        AuthSession.restricted,
        AuthSession.csrf_hash,
        AuthSession.step_up_required,
        AuthSession.last_seen_at,
        AuthSession.idle_seconds,
        AuthSession.expires_at,
        AuthSession.ended_at,
        Account.username,
        Account.disabled,
        Account.suspended,
        Account.language,
    )
    .join(Account, Account.id == AuthSession.account_id)
    .where(AuthSession.token_hash == bindparam("digest"))
)


def resolve_actor(
    session: Session, token: str, *, kind: str, client_addr: str | None
) -> tuple[LiveSession, Actor] | None:
    """The live session behind a request's token and the actor it acts as, or None (unknown,
    ended, expired, idle too long, or its account disabled or suspended).

    The same rules as :func:`resolve` and :func:`actor_for`, in three queries built once: this
    runs on every authenticated request.
    """
    row = session.connection().execute(_LIVE_SESSION, {"digest": token_digest(token)}).first()
    if row is None or row.kind != kind or row.ended_at is not None:
        return None
    now = utcnow()
    if now >= as_utc(row.expires_at) or now - as_utc(row.last_seen_at) > timedelta(
        seconds=row.idle_seconds
    ):
        return None
    if row.disabled or row.suspended:
        return None
    live = LiveSession(
        id=row.id,
        account_id=row.account_id,
        restricted=row.restricted,
        csrf_hash=row.csrf_hash,
        step_up_required=row.step_up_required,
        last_seen_at=row.last_seen_at,
    )
    actor = Actor(
        account_id=row.account_id,
        username=row.username,
        roles=roles_of(session, row.account_id),
        jurisdiction_paths=jurisdiction_paths(session, row.account_id),
        session_id=row.id,
        client_addr=client_addr,
        restricted=row.restricted,
        language=row.language,
    )
    return live, actor


# --- step-up and suspension (used by the breach defences in kotwal.watch) -------------------


def require_step_up(session: Session, session_id: str) -> None:
    """From now on the session may do nothing but re-enter a TOTP code (or log out)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
        .values(step_up_required=True)
    )


def suspend(session: Session, account_id: str) -> None:
    """Suspend an account pending review: every session ends, logins are refused."""
    session.execute(update(Account).where(Account.id == account_id).values(suspended=True))
    end_sessions(session, account_id, "suspended")


def lift_suspension(session: Session, account_id: str) -> None:
    """End a suspension (the caller records who lifted it and why)."""
    session.execute(update(Account).where(Account.id == account_id).values(suspended=False))


def step_up(uow: UnitOfWork, actor: Actor, code: str) -> None:
    """Re-authenticate a session with a fresh TOTP code. A wrong code counts towards the
    lockout like a failed login, so a stolen session cannot guess its way through."""
    account = get_account(uow.session, actor.account_id or "")
    row = uow.session.get(AuthSession, actor.session_id or "")
    if row is None or row.ended_at is not None or account.totp_secret is None:
        raise InvalidInput("this session cannot step up; log in again")
    secret = open_field(uow.session, account, "totp_secret")
    step = totp_match(str(secret), code, account.totp_last_step)
    if step is None or not consume_totp_step(uow.session, account.id, step):
        uow.rollback()  # nothing of this request may commit except the failure itself
        state = count_failure(uow.session, uow.runtime.settings, account.id)
        if state != "counted":
            end_sessions(uow.session, account.id, f"step-up-{state}")
        uow.session.commit()
        uow.record_now([event_for(actor, "auth.step_up", Outcome.FAILURE, detail={"state": state})])
        raise InvalidInput("that code does not match; use a fresh code from your authenticator")
    row.step_up_required = False
    row.stepped_up_at = utcnow()
    uow.audit(event_for(actor, "auth.step_up", resource_type="session", resource_id=row.id))


def touch(session: Session, session_id: str) -> None:
    """Move ``last_seen_at`` forward (coarsely, so most requests write nothing)."""
    now = utcnow()
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.last_seen_at < now - TOUCH_AFTER)
        .values(last_seen_at=now)
    )


def needs_touch(row: AuthSession | LiveSession) -> bool:
    return utcnow() - as_utc(row.last_seen_at) > TOUCH_AFTER


def csrf_for(token: str) -> str:
    """The CSRF token of a session, derived from its secret token: pages can embed it
    without the server storing it, and a cross-site page cannot compute it."""
    return hashlib.sha256(f"kotwal/csrf/{token}".encode()).hexdigest()


def csrf_ok(row: AuthSession | LiveSession, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(row.csrf_hash, token_digest(presented))


def actor_for(
    session: Session, account: Account, auth_session: AuthSession | None, client_addr: str | None
) -> Actor:
    return Actor(
        account_id=account.id,
        username=account.username,
        roles=roles_of(session, account.id),
        jurisdiction_paths=jurisdiction_paths(session, account.id),
        session_id=auth_session.id if auth_session else None,
        client_addr=client_addr,
        restricted=auth_session.restricted if auth_session else needs_setup(account),
        language=account.language,
    )

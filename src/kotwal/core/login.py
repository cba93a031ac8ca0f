"""Login: password and TOTP checked, failures counted, addresses throttled, sessions issued.

Written against the attacks a login faces:
- the slow part (argon2, TOTP) runs in a read-only look at the account, so a flood of guesses
  holds no write lock (on SQLite a write lock stops every other writer);
- counters move with atomic ``UPDATE ... SET n = n + 1``, so concurrent guesses all count;
- a TOTP step is consumed with a conditional update, so one code opens one session even when
  sent twice at the same instant;
- attempts against a locked account are refused without counting, so nobody can push an
  officer into the hard lock in a second; the hard lock needs several lock windows;
- failures count per address and typed username (a guesser: 10 in the window) and per
  address (a sprayer: 100), each an upsert so that concurrent first failures cannot collide;
  one guesser behind a station's shared address locks out that username there, not the
  station;
- the response is the same whatever went wrong, and takes the same time for unknown users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kotwal.core import identity
from kotwal.core.audit import AuditEvent, Outcome
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.config import Settings
from kotwal.core.crypto import bind_keyring, blind_index, open_field
from kotwal.core.errors import LoginFailed, TooManyAttempts
from kotwal.core.keys import KeyRing
from kotwal.core.models import Account, LoginThrottle
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork

FAILED = (
    "Check the username, password and authenticator code. After repeated failures an "
    "account is locked; ask your administrator or security officer to unlock it."
)


@dataclass(frozen=True)
class Verdict:
    """What the read-only look found: whether to refuse, and what to update if not."""

    reason: str | None
    account_id: str | None = None
    username: str | None = None
    password_hash: str | None = None
    totp_step: int | None = None


def _pair_key(keyring: KeyRing, client_addr: str, username: str) -> str:
    """The throttle's key for one address trying one username: a keyed hash, since people
    type passwords into the username field."""
    typed = f"{client_addr}\n{username.strip().lower()}"
    return "pair:" + blind_index(keyring, "login.throttle", typed, bits=64)


def _keys(
    keyring: KeyRing, settings: Settings, client_addr: str, username: str
) -> tuple[tuple[str, int], ...]:
    """The throttle's counters a failure moves, with the limit of each: one address trying
    one username (a guesser), and the address as a whole (a sprayer), the latter far higher so
    that one guesser behind a station's shared address cannot lock the station out."""
    return (
        (_pair_key(keyring, client_addr, username), settings.address_account_failures_per_window),
        (client_addr, settings.address_failures_per_window),
    )


def _throttled(
    session: Session, keyring: KeyRing, settings: Settings, client_addr: str | None, username: str
) -> bool:
    if client_addr is None:
        return False
    window = timedelta(seconds=settings.address_window_seconds)
    for key, limit in _keys(keyring, settings, client_addr, username):
        row = session.get(LoginThrottle, key)
        fresh = row is not None and utcnow() - as_utc(row.window_start) < window
        if fresh and row is not None and row.failures >= limit:
            return True
    return False


def _judge(session: Session, username: str, password: str, totp_code: str | None) -> Verdict:
    """Why this login is refused, or None. Always spends the time of a password check."""
    account = identity.find_account(session, username)
    if account is None:
        identity.spend_password_check(password)
        return Verdict("unknown-user")
    password_ok = identity.verify_password(account.password_hash, password)
    who = (account.id, account.username)
    if account.disabled:
        return Verdict("disabled", *who)
    if identity.is_locked(account):
        return Verdict("locked", *who)
    if not password_ok:
        return Verdict("bad-password", *who)
    if account.totp_secret is None:
        # Only before first enrolment: the session will be restricted to setting up.
        return Verdict(None, *who, password_hash=account.password_hash)
    secret = open_field(session, account, "totp_secret")
    step = identity.totp_match(str(secret), totp_code or "", account.totp_last_step)
    if step is None:
        return Verdict("bad-totp", *who)
    return Verdict(None, *who, password_hash=account.password_hash, totp_step=step)


def _throttle_fail(
    session: Session, keyring: KeyRing, settings: Settings, client_addr: str | None, username: str
) -> None:
    if client_addr is None:
        return
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.address_window_seconds)
    table: Table = LoginThrottle.__table__  # type: ignore[assignment]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    expired = table.c.window_start < cutoff
    # In a fixed order, so that two failures at once take the rows' locks in the same order.
    for key, _ in _keys(keyring, settings, client_addr, username):
        stmt = insert(table).values(client_addr=key, window_start=now, failures=1)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.client_addr],
                set_={
                    "failures": case((expired, 1), else_=table.c.failures + 1),
                    "window_start": case((expired, now), else_=table.c.window_start),
                },
            )
        )


def _unknown(uow: UnitOfWork, username: str, client_addr: str | None) -> Actor:
    """The actor of a login for a username that does not exist. The typed name is kept only
    as a keyed hash: people type passwords into the username field."""
    typed = identity.normalise_username(username)
    digest = blind_index(uow.runtime.keyring, "audit.username", typed, bits=64)
    return Actor(
        account_id=None,
        username="unknown-user",
        client_addr=client_addr,
        extra={"username_hash": digest},
    )


def attempt_login(
    uow: UnitOfWork,
    settings: Settings,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    client_addr: str | None,
    kind: str,
) -> identity.IssuedSession:
    """Check password and TOTP; issue a new session or raise :class:`LoginFailed`.

    Failures are committed (counters and audit events) before the error is raised: a failed
    login must leave its trace even though the request fails.
    """
    look = bind_keyring(uow.runtime.db.session(write=False), uow.runtime.keyring)
    try:
        if _throttled(look, uow.runtime.keyring, settings, client_addr, username):
            actor = _unknown(uow, username, client_addr)
            uow.record_now([_event(actor, Outcome.DENIED, {"reason": "throttled"})])
            raise TooManyAttempts(retry_after=settings.address_window_seconds)
        verdict = _judge(look, username, password, totp_code)
    finally:
        look.close()
    if verdict.reason is None and not _claim(uow.session, verdict):
        verdict = Verdict("bad-totp", verdict.account_id, verdict.username)  # lost a race
    if verdict.reason is not None:
        _refuse(uow, settings, verdict, username, client_addr)
    account = uow.session.get(Account, verdict.account_id)
    assert account is not None
    issued = identity.issue_session(
        uow.session, settings, account, kind=kind, client_addr=client_addr
    )
    actor = Actor(
        account.id, account.username, session_id=issued.session.id, client_addr=client_addr
    )
    uow.audit(
        _event(actor, Outcome.SUCCESS, {"kind": kind, "restricted": issued.session.restricted})
    )
    return issued


def _claim(session: Session, verdict: Verdict) -> bool:
    """Apply a successful check atomically: the password is still the one verified, the
    account still usable, the TOTP step still unused."""
    stmt = update(Account).where(
        Account.id == verdict.account_id,
        Account.password_hash == verdict.password_hash,
        Account.disabled.is_(False),
        Account.hard_locked.is_(False),
    )
    if verdict.totp_step is not None:
        stmt = stmt.where(Account.totp_last_step < verdict.totp_step).values(
            totp_last_step=verdict.totp_step
        )
    else:
        stmt = stmt.where(Account.totp_secret.is_(None))
    result = session.execute(stmt.values(failed_logins=0, locked_until=None))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _refuse(
    uow: UnitOfWork,
    settings: Settings,
    verdict: Verdict,
    username: str,
    client_addr: str | None,
) -> None:
    if verdict.account_id is None:
        actor, state = _unknown(uow, username, client_addr), "unknown-user"
    else:
        actor = Actor(verdict.account_id, verdict.username or "", client_addr=client_addr)
        # Attempts while locked are refused without counting, or anyone could push any
        # officer into the hard lock with fifteen quick requests.
        state = (
            "locked"
            if verdict.reason == "locked"
            else identity.count_failure(uow.session, settings, verdict.account_id)
        )
    _throttle_fail(uow.session, uow.runtime.keyring, settings, client_addr, username)
    uow.audit(_event(actor, Outcome.FAILURE, {"reason": verdict.reason, "state": state}))
    uow.commit()
    raise LoginFailed(FAILED)


def _event(actor: Actor, outcome: str, detail: dict[str, str | int | bool | None]) -> AuditEvent:
    merged: dict[str, str | int | bool | None] = {**actor.extra, **detail}
    return identity.event_for(actor, "auth.login", outcome, detail=merged)

"""Factories for test data: a jurisdiction tree, officers with real passwords and TOTP, and
sessions issued the way login issues them. Passwords and TOTP secrets are made at run time."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pyotp

from kotwal.core import identity
from kotwal.core.jurisdictions import create_jurisdiction
from kotwal.core.models import Account
from kotwal.core.policy import Actor, JurisdictionKind, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

FACTORY = Actor(account_id=None, username="cli:test-factory")
#: Seconds a previous-step TOTP code must have left to be used (see Officer.totp).
TOTP_MARGIN = 10


@dataclass
class World:
    """state > zone > district > division > circle > stations A and B; station C elsewhere."""

    state: str
    zone: str
    district: str
    division: str
    circle: str
    station_a: str
    station_b: str
    station_c: str


def build_world(runtime: Runtime) -> World:
    with UnitOfWork(runtime, write=True) as uow:

        def add(code: str, kind: JurisdictionKind, parent: str | None) -> str:
            node = create_jurisdiction(
                uow, FACTORY, code=code, name=f"{code} (synthetic)", kind=kind, parent_id=parent
            )
            return node.id

        state = add("TS", JurisdictionKind.STATE, None)
        zone = add("HYD", JurisdictionKind.ZONE, state)
        district = add("HYD-C", JurisdictionKind.DISTRICT, zone)
        division = add("HYD-C-D1", JurisdictionKind.DIVISION, district)
        circle = add("HYD-C-D1-C1", JurisdictionKind.CIRCLE, division)
        a = add("PS-A", JurisdictionKind.STATION, circle)
        b = add("PS-B", JurisdictionKind.STATION, circle)
        other_zone = add("WGL", JurisdictionKind.ZONE, state)
        c = add("PS-C", JurisdictionKind.STATION, other_zone)
    return World(state, zone, district, division, circle, a, b, c)


def new_password() -> str:
    return "test-" + secrets.token_urlsafe(18)


@dataclass
class Officer:
    account_id: str
    username: str
    password: str
    totp_secret: str | None
    token: str = ""
    csrf: str = ""
    _last_step: int = 0

    def totp(self) -> str:
        """A code for the next step login will accept (each code is single use)."""
        assert self.totp_secret is not None
        # The server accepts the current step and the one before. The previous step's code goes
        # stale when this window ends, so it is used only with MARGIN seconds to spare (a
        # loaded machine took longer than 2 s between here and the server's check); otherwise
        # the current step's, good until the next window ends; a step already spent waits.
        left = identity.TOTP_STEP - time.time() % identity.TOTP_STEP
        current = identity.totp_step()
        usable = [s for s in (current - 1, current) if s > self._last_step]
        usable = [s for s in usable if s == current or left >= TOTP_MARGIN]
        if not usable:
            time.sleep(left + 0.05)
            usable = [identity.totp_step()]
        step = usable[0]
        self._last_step = step
        return pyotp.TOTP(self.totp_secret).at(step * identity.TOTP_STEP)

    @property
    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def make_officer(
    runtime: Runtime,
    *roles: Role,
    posting: str | None = None,
    enrolled: bool = True,
    initial: bool = False,
    username: str | None = None,
) -> Officer:
    """An account as it is after first login (password changed, TOTP enrolled) by default."""
    name = username or f"u{secrets.token_hex(4)}"
    password = new_password()
    secret = pyotp.random_base32() if enrolled else None
    with UnitOfWork(runtime, write=True) as uow:
        account, one_time = identity.create_account(
            uow,
            FACTORY,
            username=name,
            display_name=f"Officer {name}",
            roles=frozenset(roles),
            jurisdiction_id=posting,
        )
        if initial:
            password = one_time
        else:
            account.password_hash = identity.hash_password(password)
            account.must_change_password = False
        account.totp_secret = secret
        account_id = account.id
    return Officer(account_id, name, password, secret)


def issue_token(runtime: Runtime, officer: Officer, kind: str = "api") -> Officer:
    """A session as login would issue it, without spending TOTP codes."""
    with UnitOfWork(runtime, write=True) as uow:
        account = uow.session.get(Account, officer.account_id)
        assert account is not None
        issued = identity.issue_session(
            uow.session, runtime.settings, account, kind=kind, client_addr="testclient"
        )
        officer.token, officer.csrf = issued.token, issued.csrf_token
    return officer


def api_officer(runtime: Runtime, role: Role, posting: str | None = None) -> Officer:
    """An officer of ``role`` posted at ``posting``, holding an API token (``.bearer``)."""
    return issue_token(runtime, make_officer(runtime, role, posting=posting))

"""Helpers for citizen services tests: a citizen logged in the way the app does it (a code
asked for, read from the SMS queued for the number, spent), and the code of the last SMS."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.alerts.models import AlertOutboxMessage
from kotwal.core.crypto import normalise_phone, open_field
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

API = "/citizen/v1"


@dataclass(frozen=True)
class LoggedIn:
    mobile: str
    token: str
    session_id: str
    citizen_id: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def device() -> str:
    """An installation id, as the app makes one."""
    return "dev-" + secrets.token_hex(8)


def sent_code(runtime: Runtime, mobile: str) -> str:
    """The code in the newest OTP SMS queued for ``mobile`` (what the citizen's phone shows)."""
    with UnitOfWork(runtime, write=False) as uow:
        messages = list(
            uow.session.execute(
                select(AlertOutboxMessage).where(AlertOutboxMessage.kind == "otp")
            ).scalars()
        )
        mine = [
            open_field(uow.session, m, "body")
            for m in sorted(messages, key=lambda m: m.queued_at)
            if open_field(uow.session, m, "number") == normalise_phone(mobile)
        ]
    assert mine, f"no OTP queued for {mobile}"
    found = re.search(r"\b(\d{6})\b", mine[-1])
    assert found is not None
    return found.group(1)


def ask(client: TestClient, mobile: str, dev: str | None = None) -> str:
    """Ask for a code; the challenge."""
    r = client.post(f"{API}/otp", json={"mobile": mobile, "device": dev or device()})
    assert r.status_code == 202, r.text
    return str(r.json()["challenge"])


def spend(client: TestClient, mobile: str, challenge: str, code: str, label: str = "phone"):  # type: ignore[no-untyped-def]
    body = {"mobile": mobile, "challenge": challenge, "code": code, "device_label": label}
    return client.post(f"{API}/session", json=body)


def log_in(
    client: TestClient, runtime: Runtime, mobile: str = "9876500001", label: str = "phone"
) -> LoggedIn:
    challenge = ask(client, mobile)
    r = spend(client, mobile, challenge, sent_code(runtime, mobile), label)
    assert r.status_code == 201, r.text
    body = r.json()
    return LoggedIn(mobile, body["token"], body["session_id"], body["citizen_id"])

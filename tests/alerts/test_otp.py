"""One-time passwords for citizens' login: the locked template, no approval, a limit per number
and the template's cap per day; the number and the code are sealed in the outbox."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kotwal.alerts.models import AlertOutboxMessage, AlertTemplate
from kotwal.alerts.service import send_otp
from kotwal.core.crypto import open_field
from kotwal.core.errors import Conflict, InvalidInput, TooManyAttempts
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.watch.models import WatchAlert
from tests.alerts.helpers import OTP, OTP_TEXT, draft, fill
from tests.factories import Officer, World
from tests.helpers import audit_events

NUMBER = "9000012345"


def _send(runtime: Runtime, number: str = NUMBER, code: str = "482913") -> str:
    with UnitOfWork(runtime, write=True) as uow:
        return send_otp(uow, number, code)


def _outbox(runtime: Runtime) -> list[AlertOutboxMessage]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(AlertOutboxMessage)).scalars())


def test_an_otp_is_queued_on_the_locked_template_without_approval(
    runtime: Runtime, templates: dict[str, str]
) -> None:
    message_id = _send(runtime, "+91 90000 12345", "482913")
    with UnitOfWork(runtime, write=False) as uow:
        message = uow.session.get(AlertOutboxMessage, message_id)
        assert message is not None
        assert (message.kind, message.status, message.alert_id) == ("otp", "queued", None)
        assert message.dlt_template_id == OTP and message.header == "DEMOPL"
        assert open_field(uow.session, message, "number") == NUMBER
        assert open_field(uow.session, message, "body") == fill(OTP_TEXT, "482913")
        assert (message.encoding, message.parts) == ("gsm-7", 1)
    [event] = audit_events(runtime, "alert_otp.queued")
    assert event.actor_name == "system:otp" and "482913" not in event.detail
    assert NUMBER not in event.detail


def test_otps_to_one_number_are_limited_per_window(
    runtime: Runtime, templates: dict[str, str]
) -> None:
    for code in ("1111", "2222", "3333"):
        _send(runtime, code=code)
    with pytest.raises(TooManyAttempts):
        _send(runtime, code="4444")
    assert len(_outbox(runtime)) == 3
    _send(runtime, "9000054321", "5555")  # another number is not held back
    assert len(_outbox(runtime)) == 4
    assert len(audit_events(runtime, "alert_otp.queued", outcome="denied")) == 1


def test_the_limits_per_number_are_configurable(
    runtime: Runtime, templates: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_ALERT_OTP_PER_WINDOW", "10")
    monkeypatch.setenv("KOTWAL_ALERT_OTP_PER_DAY", "2")
    _send(runtime, code="1111")
    _send(runtime, code="2222")
    with pytest.raises(TooManyAttempts):
        _send(runtime, code="3333")


def test_the_otp_template_cap_per_day_alerts_the_security_officers(
    runtime: Runtime, templates: dict[str, str]
) -> None:
    with runtime.db.transaction(write=True) as s:
        s.execute(update(AlertTemplate).where(AlertTemplate.locked.is_(True)).values(daily_cap=2))
    _send(runtime, "9000000001")
    _send(runtime, "9000000002")
    with pytest.raises(Conflict):
        _send(runtime, "9000000003")
    assert len(_outbox(runtime)) == 2
    with runtime.db.transaction(write=False) as s:
        kinds = s.execute(select(WatchAlert.kind)).scalars().all()
    assert kinds == ["public_alert_otp_cap"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("12345", "4829"),
        ("5000012345", "4829"),
        (NUMBER, "48a9"),
        (NUMBER, "123"),
        (NUMBER, "123456789"),
        (NUMBER, "١٢٣٤"),
    ],
)
def test_a_bad_number_or_code_is_refused_and_nothing_queued(
    runtime: Runtime, templates: dict[str, str], number: str, code: str
) -> None:
    with pytest.raises(InvalidInput):
        _send(runtime, number, code)
    assert _outbox(runtime) == []


def test_without_a_locked_template_no_otp_is_sent(runtime: Runtime, world: World) -> None:
    with pytest.raises(Conflict):
        _send(runtime)


def test_the_locked_template_cannot_carry_an_alert(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer, world: World
) -> None:
    r = draft(client, sho, templates[OTP], fill(OTP_TEXT, "482913"), [world.station_a])
    assert r.status_code == 422 and "one-time-password" in r.json()["detail"]
    assert _outbox(runtime) == []

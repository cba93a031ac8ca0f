"""The SOS notice to a citizen's emergency contacts (issue 22 item 5): queued on the second
locked template without approval, limited per number, and never carrying a link, a number to
call or a place finer than what its variables allow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.alerts.models import AlertOutboxMessage
from kotwal.alerts.service import send_otp, send_sos_notice
from kotwal.core.crypto import open_field
from kotwal.core.errors import Conflict, InvalidInput, TooManyAttempts
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.helpers import OTP, SOS, SOS_TEXT, draft, fill
from tests.factories import Officer, World
from tests.helpers import audit_events

CONTACT = "9000012345"


def _notice(runtime: Runtime, number: str = CONTACT, who: str = "Asha") -> str:
    with UnitOfWork(runtime, write=True) as uow:
        return send_sos_notice(uow, number, who, "Station A", "14:05 IST")


def _outbox(runtime: Runtime) -> list[AlertOutboxMessage]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(AlertOutboxMessage)).scalars())


def test_a_notice_is_queued_on_the_locked_sos_template(
    runtime: Runtime, templates: dict[str, str]
) -> None:
    message_id = _notice(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        message = uow.session.get(AlertOutboxMessage, message_id)
        assert message is not None
        assert (message.kind, message.status, message.dlt_template_id) == ("sos", "queued", SOS)
        assert open_field(uow.session, message, "number") == CONTACT
        body = open_field(uow.session, message, "body")
        assert body == fill(SOS_TEXT, "Asha", "Station A", "14:05 IST")
    [event] = audit_events(runtime, "alert_sos.queued")
    assert event.actor_name == "system:sos" and CONTACT not in event.detail
    # The OTP template is still the one a login code goes out on.
    with UnitOfWork(runtime, write=True) as uow:
        otp_id = send_otp(uow, "9000054321", "482913")
        otp = uow.session.get(AlertOutboxMessage, otp_id)
        assert otp is not None and otp.dlt_template_id == OTP


def test_notices_to_one_number_are_limited(runtime: Runtime, templates: dict[str, str]) -> None:
    for _ in range(3):
        _notice(runtime)
    with pytest.raises(TooManyAttempts):
        _notice(runtime)
    _notice(runtime, "9000054321")  # another contact is not held back
    assert len(_outbox(runtime)) == 4
    assert len(audit_events(runtime, "alert_sos.queued", outcome="denied")) == 1


@pytest.mark.parametrize(
    ("number", "who"),
    [("12345", "Asha"), (CONTACT, "see bit.ly/x"), (CONTACT, "call 98765 43210"), (CONTACT, " ")],
)
def test_a_bad_number_or_value_queues_nothing(
    runtime: Runtime, templates: dict[str, str], number: str, who: str
) -> None:
    with pytest.raises(InvalidInput):
        _notice(runtime, number, who)
    assert _outbox(runtime) == []


def test_without_the_template_no_notice_is_sent(runtime: Runtime, world: World) -> None:
    with pytest.raises(Conflict):
        _notice(runtime)


def test_the_sos_template_cannot_carry_an_alert(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer, world: World
) -> None:
    text = fill(SOS_TEXT, "Asha", "Station A", "14:05 IST")
    r = draft(client, sho, templates[SOS], text, [world.station_a])
    assert r.status_code == 422 and "cannot carry an alert" in r.json()["detail"]
    assert _outbox(runtime) == []

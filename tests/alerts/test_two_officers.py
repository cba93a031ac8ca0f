"""The two-officer rule over HTTP: one officer drafts, a second approves within the window, and
only then are the alert's messages queued; the scrub refuses a text that does not match its
template before anything is queued, with the reason; caps, bursts and odd hours reach the
security officers' queue."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kotwal.alerts import service
from kotwal.alerts.models import AlertOutboxMessage, AlertTemplate, PublicAlert
from kotwal.alerts.schemas import AlertDraftIn
from kotwal.core.clock import station_zone, utcnow
from kotwal.core.config import Settings
from kotwal.core.crypto import open_field
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from kotwal.watch.models import WatchAlert
from tests.alerts.conftest import officer
from tests.alerts.helpers import (
    RAIN,
    RAIN_TELUGU,
    approve,
    counts,
    draft,
    drafted,
    rain,
    rain_telugu,
)
from tests.factories import Officer, World
from tests.helpers import audit_events


def _security_alerts(runtime: Runtime, kind: str) -> list[WatchAlert]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(WatchAlert).where(WatchAlert.kind == kind)).scalars())


def _outbox(runtime: Runtime) -> list[AlertOutboxMessage]:
    with runtime.db.transaction(write=False) as s:
        return list(s.execute(select(AlertOutboxMessage)).scalars())


# --- the rule ------------------------------------------------------------------------------


def test_a_second_officer_approves_and_the_messages_are_queued(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    assert alert["status"] == "awaiting" and alert["queued_messages"] == 0
    assert _outbox(runtime) == []
    r = approve(client, dcp, alert["id"])
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "queued" and approved["decided_by_name"] == dcp.username
    # One message to the area, in the approving transaction; its subscribers are found later.
    assert approved["queued_messages"] == 0 and approved["fanned_out"] is False
    [message] = _outbox(runtime)
    assert (message.kind, message.status, message.area_id) == ("area", "queued", world.station_a)
    assert (message.pe_id, message.header, message.dlt_template_id) == (
        "1999000000000000001",
        "DEMOPL",
        RAIN,
    )
    with UnitOfWork(runtime, write=False) as uow:
        row = uow.session.get(AlertOutboxMessage, message.id)
        assert row is not None and open_field(uow.session, row, "body") == rain()


def test_the_drafter_cannot_approve_their_own_alert(
    client: TestClient, runtime: Runtime, templates: dict[str, str], dcp: Officer, world: World
) -> None:
    alert = drafted(client, dcp, templates[RAIN], rain(), [world.station_a])
    r = approve(client, dcp, alert["id"])
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "drafted" in r.json()["detail"]
    assert _outbox(runtime) == []
    assert client.get(f"/api/v1/alerts/{alert['id']}", headers=dcp.bearer).json()["status"] == (
        "awaiting"
    )
    [denied] = audit_events(runtime, "public_alert.approved", outcome="denied")
    assert denied.actor_name == dcp.username and '"drafter"' in denied.detail


def test_another_district_chief_may_approve_a_district_chiefs_draft(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    dcp: Officer,
    second_dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, dcp, templates[RAIN], rain(), [world.station_a, world.station_b])
    r = approve(client, second_dcp, alert["id"])
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert sorted(m.area_id for m in _outbox(runtime)) == sorted([world.station_a, world.station_b])


def test_a_station_house_officer_cannot_approve(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, dcp, templates[RAIN], rain(), [world.station_a])
    assert approve(client, sho, alert["id"]).status_code == 403
    assert _outbox(runtime) == []


def test_an_approval_after_the_window_closes_fails(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    with runtime.db.transaction(write=True) as s:
        s.execute(update(PublicAlert).values(approval_due=utcnow() - timedelta(seconds=1)))
    r = approve(client, dcp, alert["id"])
    assert r.status_code == 409 and "window" in r.json()["detail"]
    assert _outbox(runtime) == []
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=dcp.bearer).json()
    assert shown["status"] == "expired"
    [denied] = audit_events(runtime, "public_alert.approved", outcome="denied")
    assert '"expired"' in denied.detail


def test_the_approval_window_is_configurable(
    client: TestClient,
    templates: dict[str, str],
    sho: Officer,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOTWAL_ALERT_APPROVAL_MINUTES", "5")
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    due, drafted_at = (datetime.fromisoformat(alert[k]) for k in ("approval_due", "drafted_at"))
    assert due - drafted_at == timedelta(minutes=5)


def test_an_approver_outside_the_alerts_areas_is_refused(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    world: World,
) -> None:
    elsewhere = officer(runtime, Role.DISTRICT_CHIEF, world.station_c)
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    assert approve(client, elsewhere, alert["id"]).status_code == 403
    assert _outbox(runtime) == []


def test_a_drafter_cannot_address_areas_outside_their_jurisdiction(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    world: World,
) -> None:
    r = draft(client, sho, templates[RAIN], rain(), [world.station_a, world.station_b])
    assert r.status_code == 403
    assert counts(runtime)["public_alerts"] == 0


def test_an_approver_rejects_with_a_reason_and_nothing_is_queued(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    r = client.post(
        f"/api/v1/alerts/{alert['id']}/reject",
        headers=dcp.bearer,
        json={"reason": "Forecast withdrawn by IMD"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["decision_reason"] == "Forecast withdrawn by IMD"
    assert approve(client, dcp, alert["id"]).status_code == 409
    assert _outbox(runtime) == []


def test_every_step_is_audited(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    approve(client, dcp, alert["id"])
    [made] = audit_events(runtime, "public_alert.drafted", resource_id=alert["id"])
    [done] = audit_events(runtime, "public_alert.approved", resource_id=alert["id"])
    assert made.actor_name == sho.username and made.outcome == "success"
    assert done.actor_name == dcp.username and '"messages":1' in done.detail
    assert "Malakpet" not in made.detail + done.detail  # the log keeps no message text


def test_a_template_deactivated_after_drafting_cannot_be_approved(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    with runtime.db.transaction(write=True) as s:
        s.execute(update(AlertTemplate).values(status="inactive"))
    assert approve(client, dcp, alert["id"]).status_code == 409
    assert _outbox(runtime) == []


# --- the scrub, before anything is queued -------------------------------------------------------


def test_a_text_not_matching_its_template_is_refused_with_the_reason(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer, world: World
) -> None:
    text = rain(phone="9848022338")  # a number that is not on the allow-list
    r = draft(client, sho, templates[RAIN], text, [world.station_a])
    assert r.status_code == 422
    problem = r.json()
    assert problem["type"] == "urn:kotwal:problem:invalid-input"
    assert problem["variable"] == 3 and problem["reason_code"] == "not-allowed"
    assert problem["detail"] == (
        "variable 3 (phone) '9848022338' is not on the allow-list of phone numbers"
    )
    assert counts(runtime)["public_alerts"] == 0 and _outbox(runtime) == []
    [refused] = audit_events(runtime, "public_alert.drafted", outcome="denied")
    assert '"not-allowed"' in refused.detail and "9848022338" not in refused.detail


def test_changed_fixed_text_is_refused(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer, world: World
) -> None:
    text = rain() + " Click https://bit.ly/x"
    r = draft(client, sho, templates[RAIN], text, [world.station_a])
    assert r.status_code == 422 and "must end with" in r.json()["detail"]
    assert counts(runtime)["public_alerts"] == 0


def test_the_check_shows_the_verdict_and_parts_without_writing(
    client: TestClient, runtime: Runtime, templates: dict[str, str], sho: Officer
) -> None:
    body = {"template_id": templates[RAIN], "text": rain(place="X" * 31)}
    r = client.post("/api/v1/alerts/check", headers=sho.bearer, json=body)
    assert r.status_code == 200
    verdict = r.json()
    assert verdict["matches"] is False and verdict["variable"] == 1
    assert verdict["reason"] == "variable 1 (text) is 31 characters; a variable holds at most 30"
    assert counts(runtime)["public_alerts"] == 0


def test_part_counts_for_latin_and_telugu_are_shown_before_approval(
    client: TestClient, templates: dict[str, str], sho: Officer, world: World
) -> None:
    latin = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    assert (latin["encoding"], latin["parts"]) == ("gsm-7", 1)
    assert latin["characters"] == len(rain()) <= 160
    telugu = drafted(client, sho, templates[RAIN_TELUGU], rain_telugu(), [world.station_a])
    assert telugu["encoding"] == "ucs-2"
    length = len(rain_telugu())
    assert telugu["characters"] == length and telugu["parts"] == -(-length // 67)
    listed = client.get("/api/v1/alerts", params={"status": "awaiting"}, headers=sho.bearer)
    assert {a["parts"] for a in listed.json()["items"]} == {1, telugu["parts"]}


# --- caps and the security officers' queue --------------------------------------------------------


def _cap(runtime: Runtime, dlt_id: str, cap: int) -> None:
    with runtime.db.transaction(write=True) as s:
        s.execute(
            update(AlertTemplate)
            .where(AlertTemplate.dlt_template_id == dlt_id)
            .values(daily_cap=cap)
        )


def test_a_template_past_its_daily_cap_is_refused_and_the_security_officers_told(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    _cap(runtime, RAIN, 1)
    first = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    second = drafted(client, sho, templates[RAIN], rain(place="Saidabad"), [world.station_a])
    assert approve(client, dcp, first["id"]).status_code == 200
    r = approve(client, dcp, second["id"])
    assert r.status_code == 409 and "cap of 1" in r.json()["detail"]
    assert len(_outbox(runtime)) == 1
    [raised] = _security_alerts(runtime, "public_alert_cap")
    assert raised.account_id == dcp.account_id
    # Another template has its own cap.
    telugu = drafted(client, sho, templates[RAIN_TELUGU], rain_telugu(), [world.station_a])
    assert approve(client, dcp, telugu["id"]).status_code == 200


def test_a_burst_of_approvals_alerts_the_security_officers_but_still_sends(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOTWAL_ALERT_BURST_PER_HOUR", "1")
    for place in ("Malakpet", "Saidabad"):
        alert = drafted(client, sho, templates[RAIN], rain(place=place), [world.station_a])
        assert approve(client, dcp, alert["id"]).status_code == 200
    [raised] = _security_alerts(runtime, "public_alert_burst")
    assert raised.action == "alert" and raised.account_id == dcp.account_id
    assert len(_outbox(runtime)) == 2


def _runtime_with_quiet_hours(settings: Settings, keyring: KeyRing, quiet: str) -> Runtime:
    return open_runtime(settings.model_copy(update={"watch_quiet_hours": quiet}), keyring=keyring)


@pytest.mark.parametrize("quiet", [True, False])
def test_an_approval_at_a_quiet_hour_alerts_the_security_officers(
    settings: Settings,
    keyring: KeyRing,
    runtime: Runtime,
    templates: dict[str, str],
    world: World,
    quiet: bool,
) -> None:
    hour = utcnow().astimezone(station_zone(settings)).hour
    hours = f"{hour}-{(hour + 1) % 24}" if quiet else f"{(hour + 2) % 24}-{(hour + 3) % 24}"
    odd = _runtime_with_quiet_hours(settings, keyring, hours)
    try:
        with UnitOfWork(odd, write=True) as uow:
            station = uow.session.get(Jurisdiction, world.station_a)
            assert station is not None
            sho = Actor(None, "cli:sho", frozenset({Role.STATION_HOUSE_OFFICER}), (station.path,))
            dcp = Actor(None, "cli:dcp", frozenset({Role.DISTRICT_CHIEF}), (station.path,))
            data = AlertDraftIn(template_id=templates[RAIN], text=rain(), areas=[world.station_a])
            alert = service.draft_alert(uow, sho, data)
            service.approve_alert(uow, dcp, alert["id"])
    finally:
        odd.close()
    assert len(_security_alerts(runtime, "public_alert_hour")) == (1 if quiet else 0)
    assert len(_outbox(runtime)) == 1  # sent either way: a 2 a.m. flood warning must go

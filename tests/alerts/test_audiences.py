"""Who an alert reaches (issue 20 item 4): subscribers of its areas (a station's, and the
district's above it), of the GHMC wards its CAP document names, who want its category, and for
a service-explicit template only those who consented; each number once. Subscribing is
headquarters' act over the API or a file, all or nothing, and a number that leaves takes its
unsent messages with it."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.alerts import audiences, delivery
from kotwal.alerts.models import AlertOutboxMessage, AlertSubscriber, AlertSubscription
from kotwal.core.policy import Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.conftest import officer
from tests.alerts.helpers import approve, drafted, fill, rain
from tests.factories import Officer, World
from tests.helpers import audit_events

RAIN, FRAUD = "1999000000000000101", "1999000000000000104"


def _code(runtime: Runtime, node: str) -> str:
    with runtime.db.transaction(write=False) as s:
        found = s.get(Jurisdiction, node)
        assert found is not None
        return found.code


def _subscribe(client: TestClient, hq: Officer, *entries: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/alerts/subscribers", json={"subscribers": list(entries)}, headers=hq.bearer
    )


def _entry(number: str, *, areas: list[str] = (), wards: list[str] = (), **more: Any) -> dict:  # type: ignore[assignment]
    return {
        "number": number,
        "categories": more.get("categories", ["Safety", "Met"]),
        "areas": list(areas),
        "wards": list(wards),
        "source": "citizen app opt-in",
    }


def _recipients(runtime: Runtime, alert_id: str) -> list[str]:
    """The numbers an alert was fanned out to, as the worker would open them."""
    with UnitOfWork(runtime, write=True) as uow:
        audiences.expand_alert(uow, alert_id)
    with UnitOfWork(runtime, write=False) as uow:
        rows = list(
            uow.session.execute(
                select(AlertOutboxMessage).where(
                    AlertOutboxMessage.alert_id == alert_id, AlertOutboxMessage.kind == "alert"
                )
            ).scalars()
        )
        return sorted(str(f["number"]) for f in delivery.opened(uow.session, rows))


def _rain_alert(
    client: TestClient, sho: Officer, dcp: Officer, templates: dict[str, str], area: str, **cap: Any
) -> str:
    body = {"template_id": templates[RAIN], "text": rain(), "areas": [area]}
    if cap:
        body["cap"] = cap
    r = client.post("/api/v1/alerts", json=body, headers=sho.bearer)
    assert r.status_code == 201, r.text
    assert approve(client, dcp, r.json()["id"]).status_code == 200
    return str(r.json()["id"])


def test_an_alert_reaches_its_areas_subscribers_and_the_districts_once_each(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    a, b = _code(runtime, world.station_a), _code(runtime, world.station_b)
    district = _code(runtime, world.district)
    r = _subscribe(
        client,
        hq,
        _entry("9800000001", areas=[a]),
        _entry("9800000002", areas=[b]),  # another station: not told
        _entry("9800000003", areas=[district]),  # the district above: told
        _entry("9800000004", areas=[a, district]),  # two matching areas: told once
        _entry("9800000005", areas=[a], categories=["Transport"]),  # not this category
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"added": 5, "updated": 0}
    alert_id = _rain_alert(client, sho, dcp, templates, world.station_a)
    assert _recipients(runtime, alert_id) == ["9800000001", "9800000003", "9800000004"]
    page = client.get(f"/api/v1/alerts/{alert_id}", headers=dcp.bearer).json()
    assert page["fanned_out"] and page["queued_messages"] == 3
    assert page["delivery"] == {"queued": 3}
    # Fanned out once: a second pass queues nothing more.
    with UnitOfWork(runtime, write=True) as uow:
        assert audiences.expand_alert(uow, alert_id) == 0
    [event] = audit_events(runtime, "public_alert.expanded")
    assert json.loads(event.detail) == {"recipients": 3}


def test_a_ward_named_in_the_cap_document_reaches_the_wards_subscribers(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    assert _subscribe(client, hq, _entry("9800000011", wards=["33"])).status_code == 201
    assert _subscribe(client, hq, _entry("9800000012", wards=["91"])).status_code == 201
    info = [
        {"language": lang, "event": "Rain", "headline": "Rain", "description": "Heavy rain."}
        for lang in ("en-IN", "te-IN")
    ]
    cap = {"category": "Met", "urgency": "Expected", "severity": "Severe",
           "certainty": "Likely", "wards": ["33"], "info": info}  # fmt: skip
    alert_id = _rain_alert(client, sho, dcp, templates, world.station_a, **cap)
    assert _recipients(runtime, alert_id) == ["9800000011"]


def test_a_service_explicit_template_reaches_only_numbers_that_consented(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    a = _code(runtime, world.station_a)
    both = ["9800000021", "9800000022"]
    assert _subscribe(client, hq, *(_entry(n, areas=[a]) for n in both)).status_code == 201
    consent = {"template_id": templates[FRAUD], "number": both[1], "source": "IVR opt-in"}
    assert (
        client.post("/api/v1/alerts/consents", json=consent, headers=hq.bearer).status_code == 201
    )
    alert = drafted(
        client, sho, templates[FRAUD], fill(FRAUD_TEXT, "bank officials", "1930"), [world.station_a]
    )
    assert approve(client, dcp, alert["id"]).status_code == 200
    assert _recipients(runtime, alert["id"]) == [both[1]]


FRAUD_TEXT = (
    "Beware: fraudsters posing as {#var#} are asking for money. Police never ask for payment "
    "by phone. Report cyber fraud on {#var#}. -Telangana Police"
)


def test_the_same_list_again_changes_nothing_and_a_later_word_replaces_the_areas(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    a, b = _code(runtime, world.station_a), _code(runtime, world.station_b)
    entries = [_entry("9800000031", areas=[a]), _entry("+91 98000 00032", areas=[a, b])]
    assert _subscribe(client, hq, *entries).json() == {"added": 2, "updated": 0}
    assert _subscribe(client, hq, *entries).json() == {"added": 0, "updated": 2}
    assert _subscribe(client, hq, _entry("09800000032", wards=["33"])).json() == {
        "added": 0,
        "updated": 1,
    }
    with UnitOfWork(runtime, write=False) as uow:
        assert audiences.subscriber_count(uow) == 2
        areas = uow.session.execute(
            select(func.count()).select_from(AlertSubscription)
        ).scalar_one()
        assert areas == 2  # one station for the first, one ward for the second


def test_a_bad_entry_is_refused_by_its_place_and_nothing_is_written(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    a = _code(runtime, world.station_a)
    cases = [
        (_entry("9800000041", areas=["NO-SUCH-PS"]), "subscriber 2: no station"),
        (_entry("1234567890", areas=[a]), "subscriber 2: a subscriber is a ten-digit"),
        (_entry("9800000041", wards=["9999"]), "subscriber 2: no GHMC ward"),
    ]
    for bad, detail in cases:
        r = _subscribe(client, hq, _entry("9800000040", areas=[a]), bad)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert detail in r.json()["detail"]
    for shape in (_entry("9800000042"), _entry("9800000043", areas=[a], categories=[])):
        assert _subscribe(client, hq, shape).status_code == 422
    with UnitOfWork(runtime, write=False) as uow:
        assert audiences.subscriber_count(uow) == 0


def test_only_headquarters_records_subscribers(
    client: TestClient, runtime: Runtime, world: World, sho: Officer, dcp: Officer
) -> None:
    entry = _entry("9800000051", areas=[_code(runtime, world.station_a)])
    for who in (sho, dcp):
        assert _subscribe(client, who, entry).status_code == 403
    with UnitOfWork(runtime, write=False) as uow:
        assert audiences.subscriber_count(uow) == 0


def test_a_number_that_leaves_takes_its_unsent_messages_and_its_number_with_it(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
) -> None:
    hq = officer(runtime, Role.STATE_HQ, world.state)
    a = _code(runtime, world.station_a)
    assert _subscribe(client, hq, _entry("9800000061", areas=[a])).status_code == 201
    assert _subscribe(client, hq, _entry("9800000062", areas=[a])).status_code == 201
    alert_id = _rain_alert(client, sho, dcp, templates, world.station_a)
    assert len(_recipients(runtime, alert_id)) == 2
    r = client.post(
        "/api/v1/alerts/subscribers/remove", json={"number": "98000 00061"}, headers=hq.bearer
    )
    assert r.status_code == 200 and r.json()["revoked"] == 1
    with UnitOfWork(runtime, write=False) as uow:
        assert audiences.subscriber_count(uow) == 1
        withdrawn = uow.session.execute(
            select(AlertOutboxMessage.status, AlertOutboxMessage.last_error).where(
                AlertOutboxMessage.alert_id == alert_id,
                AlertOutboxMessage.kind == "alert",
                AlertOutboxMessage.subscriber_id.is_(None),
            )
        ).all()
        assert withdrawn == [("failed", "unsubscribed")]
        left = uow.session.execute(select(func.count()).select_from(AlertSubscriber)).scalar_one()
        assert left == 1
    # What a worker now claims is the one remaining subscriber's message.
    with UnitOfWork(runtime, write=True) as uow:
        claimed = delivery.claim(uow, "test:1:0", 10, 60, 10)
    assert [c.number for c in claimed] == ["9800000062"]
    again = client.post(
        "/api/v1/alerts/subscribers/remove", json={"number": "9800000061"}, headers=hq.bearer
    )
    assert again.json()["revoked"] == 0

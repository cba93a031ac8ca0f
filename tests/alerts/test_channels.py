"""Channels that switch themselves off (issue 20 item 7): the public feed and each SMPP link
have an owner, an expiry and a heartbeat of real use; off (by an officer, past its expiry, or
unused too long) the feed's routes answer 404 and a link's worker sends nothing; enabling one
again takes two officers; ``kotwal security check`` lists every channel and fails on one still
marked live past its expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kotwal.alerts import channels
from kotwal.alerts.models import AlertChannel
from kotwal.core.clock import utcnow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.conftest import officer
from tests.alerts.helpers import approve, drafted, rain
from tests.alerts.outbox import (
    actor,
    all_in,
    configure_link,
    mobile,
    queue_alert,
    running,
    statuses,
    until,
)
from tests.alerts.peer import Peer
from tests.factories import Officer, World
from tests.helpers import audit_events

RAIN = "1999000000000000101"
PUBLIC = (
    "/public/alerts/feed.atom",
    "/public/alerts/verify",
    "/public/alerts/signing-key.pem",
)


@pytest.fixture
def hq(runtime: Runtime, world: World) -> Officer:
    return officer(runtime, Role.STATE_HQ, world.state)


@pytest.fixture
def hq2(runtime: Runtime, world: World) -> Officer:
    return officer(runtime, Role.STATE_HQ, world.state)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    channels.forget_cache()


def _published(
    client: TestClient, sho: Officer, dcp: Officer, world: World, templates: dict[str, str]
) -> None:
    alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
    assert approve(client, dcp, alert["id"]).status_code == 200


def _age(runtime: Runtime, name: str, **values: object) -> None:
    with runtime.db.transaction(write=True) as s:
        s.execute(update(AlertChannel).where(AlertChannel.name == name).values(**values))
    channels.forget_cache()


def _public_codes(client: TestClient) -> set[int]:
    return {client.get(path).status_code for path in PUBLIC}


def test_the_first_approval_makes_the_feed_a_live_channel_owned_by_its_approver(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    hq: Officer,
) -> None:
    _published(client, sho, dcp, world, templates)
    [feed] = client.get("/api/v1/alerts/channels", headers=hq.bearer).json()
    assert (feed["name"], feed["owner"], feed["live"]) == ("public-feed", dcp.username, True)
    assert _public_codes(client) == {200}
    assert client.get("/api/v1/alerts/channels", headers=dcp.bearer).status_code == 403


def test_a_disabled_feed_answers_404_and_two_officers_bring_it_back(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    hq: Officer,
    hq2: Officer,
) -> None:
    _published(client, sho, dcp, world, templates)
    url = "/api/v1/alerts/channels/public-feed"
    assert client.post(f"{url}/disable", headers=hq.bearer).json()["live"] is False
    assert _public_codes(client) == {404}
    r = client.post(f"{url}/request", json={"owner": hq.username, "days": 30}, headers=hq.bearer)
    assert r.status_code == 200 and r.json()["requested_by"] == hq.username
    own = client.post(f"{url}/approve", headers=hq.bearer)
    assert own.status_code == 403 and "second officer" in own.json()["detail"]
    assert _public_codes(client) == {404}
    assert client.post(f"{url}/approve", headers=hq2.bearer).json()["live"] is True
    assert _public_codes(client) == {200}
    assert [e.outcome for e in audit_events(runtime, "alert_channel.enabled")] == [
        "denied",
        "success",
    ]


def test_a_request_not_approved_within_the_window_lapses(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    hq: Officer,
    hq2: Officer,
) -> None:
    _published(client, sho, dcp, world, templates)
    url = "/api/v1/alerts/channels/public-feed"
    client.post(f"{url}/disable", headers=hq.bearer)
    client.post(f"{url}/request", json={"owner": hq.username, "days": 30}, headers=hq.bearer)
    _age(runtime, "public-feed", requested_at=utcnow() - timedelta(hours=2))
    r = client.post(f"{url}/approve", headers=hq2.bearer)
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    assert _public_codes(client) == {404}


@pytest.mark.parametrize(
    "aged",
    [
        {"expires_at": utcnow() - timedelta(minutes=1)},
        {"last_used_at": utcnow() - timedelta(days=91)},
    ],
    ids=["expired", "idle"],
)
def test_a_feed_past_its_expiry_or_unused_too_long_is_off_at_once(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    aged: dict[str, object],
) -> None:
    _published(client, sho, dcp, world, templates)
    _age(runtime, "public-feed", **aged)
    assert _public_codes(client) == {404}
    # The sweep writes it down, audited as the system's act.
    assert channels.sweep(runtime) == ["public-feed"]
    [event] = audit_events(runtime, "alert_channel.disabled")
    assert event.actor_name == "system:channels"


def test_the_security_check_fails_on_a_channel_still_live_past_its_expiry(
    client: TestClient,
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
) -> None:
    _published(client, sho, dcp, world, templates)
    [ok] = list(channels.security_findings(runtime))
    assert ok.status == "pass" and "public-feed: owner" in ok.detail and "live" in ok.detail
    _age(runtime, "public-feed", expires_at=utcnow() - timedelta(days=1))
    [bad] = list(channels.security_findings(runtime))
    assert bad.status == "fail" and bad.fix and "two officers" in bad.fix
    channels.sweep(runtime)
    [swept] = list(channels.security_findings(runtime))
    assert swept.status == "pass" and "disabled (expired)" in swept.detail
    # The check is the guard's, through the kernel's hook: the alerts module registered it.
    from kotwal.core.checks import SECURITY_CHECKS

    assert channels.security_findings in runtime.hooks.at(SECURITY_CHECKS)


def test_a_disabled_link_sends_nothing_until_two_officers_enable_it(
    runtime: Runtime,
    world: World,
    templates: dict[str, str],
    peer: Peer,
) -> None:
    link = configure_link(runtime, world, peer)
    name = channels.smpp_channel(link.name)
    first, second = (actor(runtime, Role.STATE_HQ, world.state, n) for n in ("hq1", "hq2"))
    with UnitOfWork(runtime, write=True) as uow:
        channels.disable(uow, first, name)
    queue_alert(runtime, world, templates, [mobile(i) for i in range(5)])
    with running(runtime, link):
        assert not until(lambda: bool(peer.accepted()), 3)
    assert statuses(runtime) == {"queued": 5} and not peer.accepted()
    with UnitOfWork(runtime, write=True) as uow:
        channels.request_enable(uow, first, name, "hq1", 30)
    with UnitOfWork(runtime, write=True) as uow:
        channels.approve_enable(uow, second, name)
    with running(runtime, link):
        assert until(all_in(runtime, {"submitted", "delivered"}, 5))
    assert len(peer.accepted()) == 5

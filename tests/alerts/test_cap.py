"""CAP 1.2 for every approved alert, and the public surface that serves and verifies it: the
document validates against the OASIS schema, its signature verifies with the published key and
fails for a changed byte, the feed lists only current approved alerts, the verification page
says yes for what kotwal sent and no for anything else (a tampered document included), and the
public routes need no login, reveal nothing else, and are gone with the alerts module."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import select, update

from kotwal import demo
from kotwal.alerts import cap
from kotwal.alerts.demo import seed
from kotwal.alerts.models import PublicAlertCap
from kotwal.core.clock import utcnow
from kotwal.core.config import Settings
from kotwal.core.jurisdictions import by_code
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.domains import open_runtime
from kotwal.manifest import DemoContext
from kotwal.web.app import create_app, route_guards
from tests.alerts.helpers import RAIN, RAIN_TELUGU, approve, counts, drafted, rain, rain_telugu
from tests.factories import Officer, World
from tests.helpers import console_login

NS = {"c": cap.CAP_NS, "ds": cap.DS_NS, "a": "http://www.w3.org/2005/Atom"}
PUBLIC_ROUTES = {
    "GET /public/alerts/feed.atom",
    "GET /public/alerts/cap/{identifier}.xml",
    "GET /public/alerts/verify",
    "POST /public/alerts/verify",
    "GET /public/alerts/signing-key.pem",
}
YES, NO, TAMPERED = "Yes: this alert was sent by us", "No: this was not sent by us", "fails its"

CAP_CONTENT: dict[str, Any] = {
    "category": "Met",
    "urgency": "Expected",
    "severity": "Severe",
    "certainty": "Likely",
    "hours": 12,
    "wards": ["93", "91-khairatabad"],
    "info": [
        {
            "language": "en-IN",
            "event": "Heavy rain",
            "headline": "Heavy rain in Malakpet on 14 August",
            "description": "Heavy rain is forecast. Low-lying roads may flood.",
            "instruction": "Stay indoors; call 100 in an emergency.",
        },
        {
            "language": "te-IN",
            "event": "భారీ వర్షం",
            "headline": "మలక్‌పేటలో భారీ వర్షం",
            "description": "భారీ వర్షం కురిసే అవకాశం ఉంది.",
            "instruction": "ఇంట్లోనే ఉండండి; అత్యవసరమైతే 100కు కాల్ చేయండి.",
        },
    ],
}


def _sent(
    client: TestClient,
    sho: Officer,
    dcp: Officer,
    template_id: str,
    text: str,
    areas: list[str],
    content: dict[str, Any] | None = CAP_CONTENT,
) -> str:
    """Draft (with CAP content), approve, and return the alert's id."""
    body: dict[str, Any] = {"template_id": template_id, "text": text, "areas": areas}
    if content is not None:
        body["cap"] = content
    r = client.post("/api/v1/alerts", json=body, headers=sho.bearer)
    assert r.status_code == 201, r.text
    alert_id: str = r.json()["id"]
    assert approve(client, dcp, alert_id).status_code == 200
    return alert_id


def _identifier(runtime: Runtime, alert_id: str) -> str:
    with runtime.db.transaction(write=False) as s:
        row = s.get(PublicAlertCap, alert_id)
        assert row is not None and row.identifier is not None
        return row.identifier


def _public_key(client: TestClient) -> ec.EllipticCurvePublicKey:
    r = client.get("/public/alerts/signing-key.pem")
    assert r.status_code == 200
    key = serialization.load_pem_public_key(r.content)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def _verify_page(client: TestClient, query: str) -> str:
    """The verdict on ``query``, pasted into the page's form."""
    r = client.post("/public/alerts/verify", data={"q": query})
    assert r.status_code == 200
    return r.text


# --- the document ----------------------------------------------------------------------------


def test_a_link_or_number_not_on_the_allow_list_in_the_documents_words_is_refused(
    client: TestClient, templates: dict[str, str], sho: Officer, world: World
) -> None:
    body = {"template_id": templates[RAIN], "text": rain(), "areas": [world.station_a]}
    for words in ("Details at bit.ly/rain-help", "Call 98480 22338 for help"):
        info = [{**CAP_CONTENT["info"][0], "instruction": words}, CAP_CONTENT["info"][1]]
        content = {**CAP_CONTENT, "info": info}
        r = client.post("/api/v1/alerts", json={**body, "cap": content}, headers=sho.bearer)
        assert r.status_code == 422, r.text
        assert "allow-list" in r.json()["detail"]
    listed = client.get("/api/v1/alerts", headers=sho.bearer).json()
    assert listed["items"] == []


def test_the_approver_reads_the_public_documents_words_before_approving(
    client: TestClient,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    body = {"template_id": templates[RAIN], "text": rain(), "areas": [world.station_a]}
    r = client.post("/api/v1/alerts", json={**body, "cap": CAP_CONTENT}, headers=sho.bearer)
    assert r.status_code == 201, r.text
    shown = client.get(f"/api/v1/alerts/{r.json()['id']}", headers=dcp.bearer).json()
    headlines = {info["headline"] for info in shown["cap"]["info"]}
    assert headlines == {"Heavy rain in Malakpet on 14 August", "మలక్‌పేటలో భారీ వర్షం"}
    assert shown["cap"]["hours"] == CAP_CONTENT.get("hours", 24)


def test_an_approved_alert_has_a_valid_signed_cap_document(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert_id = _sent(client, sho, dcp, templates[RAIN], rain(), [world.station_a])
    identifier = _identifier(runtime, alert_id)
    r = client.get(f"/public/alerts/cap/{identifier}.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/cap+xml")
    root = etree.fromstring(r.content)
    assert cap.schema().validate(root), cap.schema().error_log
    assert root.findtext("c:identifier", namespaces=NS) == identifier
    assert root.findtext("c:sender", namespaces=NS) == "alerts@kotwal.invalid"
    assert root.findtext("c:sent", namespaces=NS).endswith("+05:30")
    assert [root.findtext(f"c:{t}", namespaces=NS) for t in ("status", "msgType", "scope")] == [
        "Actual",
        "Alert",
        "Public",
    ]
    infos = root.findall("c:info", NS)
    assert [i.findtext("c:language", namespaces=NS) for i in infos] == ["en-IN", "te-IN"]
    english, telugu = infos
    assert english.findtext("c:headline", namespaces=NS) == "Heavy rain in Malakpet on 14 August"
    assert telugu.findtext("c:event", namespaces=NS) == "భారీ వర్షం"
    for info in infos:
        assert [
            info.findtext(f"c:{t}", namespaces=NS)
            for t in ("category", "urgency", "severity", "certainty")
        ] == [
            "Met",
            "Expected",
            "Severe",
            "Likely",
        ]
        assert info.findtext("c:expires", namespaces=NS).endswith("+05:30")
    # The SMS as sent rides on the block in its own language.
    assert english.findtext("c:parameter[c:valueName='SMS']/c:value", namespaces=NS) == rain()
    assert telugu.find("c:parameter", NS) is None
    areas = english.findall("c:area", NS)
    assert [a.findtext("c:areaDesc", namespaces=NS) for a in areas] == [
        "PS-A (synthetic)",
        "Ward 93 Banjara Hills",
        "Ward 91 Khairatabad",
    ]
    station, ward, _ = areas
    assert station.findtext("c:geocode/c:value", namespaces=NS) == "PS-A"
    assert station.find("c:polygon", NS) is None
    polygon = ward.findtext("c:polygon", namespaces=NS).split(" ")
    assert len(polygon) >= 4 and polygon[0] == polygon[-1]
    assert 17 < float(polygon[0].split(",")[0]) < 18  # latitude first, Hyderabad
    # Enveloped, exclusive canonicalisation, ECDSA-SHA256, last child of alert.
    signature = root[-1]
    assert signature.tag == f"{{{cap.DS_NS}}}Signature"
    assert signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS).get("Algorithm") == (
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    verified = cap.verify(r.content, _public_key(client))
    assert verified is not None and verified.identifier == identifier


def test_without_cap_content_the_document_speaks_the_sms_language(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    text = rain_telugu()
    alert_id = _sent(client, sho, dcp, templates[RAIN_TELUGU], text, [world.station_a], None)
    body = client.get(f"/public/alerts/cap/{_identifier(runtime, alert_id)}.xml").content
    root = etree.fromstring(body)
    assert cap.schema().validate(root)
    (info,) = root.findall("c:info", NS)
    assert info.findtext("c:language", namespaces=NS) == "te-IN"
    assert info.findtext("c:description", namespaces=NS) == text
    assert cap.verify(body, _public_key(client)) is not None


def test_a_changed_byte_fails_verification() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.fromisoformat("2026-08-14T06:00:00+05:30")
    ward = cap.find_ward("93")
    assert ward is not None
    document = cap.issue(
        cap.CapAlert(
            str(uuid.uuid4()),
            "alerts@tgp.example",
            "Telangana Police",
            now,
            now + timedelta(hours=6),
            "Actual",
            (
                cap.Info(
                    "en-IN",
                    "Met",
                    "Rain",
                    "Expected",
                    "Severe",
                    "Likely",
                    "Rain",
                    "Heavy rain",
                    sms="Dear Citizen, heavy rain",
                ),
            ),
            (cap.Area(ward.name, ward.polygons, ((cap.WARD_GEOCODE, ward.code),)),),
        ),
        key,
    )
    public = key.public_key()
    assert cap.verify(document, public) is not None
    # Every byte of the document, the signature and its key info included (only the XML
    # declaration before the root is left out: it is not part of the document's content).
    start = document.index(b"<alert")
    for at in range(start, len(document)):
        flipped = b"X" if document[at : at + 1] != b"X" else b"Y"
        tampered = document[:at] + flipped + document[at + 1 :]
        assert cap.verify(tampered, public) is None, (at, document[at - 20 : at + 20])
    assert len(document) - start > 2000
    assert cap.verify(document, ec.generate_private_key(ec.SECP256R1()).public_key()) is None
    unsigned = document[: document.index(b"<ds:Signature")] + b"</alert>"
    assert cap.verify(unsigned, public) is None


def test_a_cap_content_needs_both_languages_and_known_wards(
    client: TestClient, templates: dict[str, str], sho: Officer, world: World
) -> None:
    base = {"template_id": templates[RAIN], "text": rain(), "areas": [world.station_a]}
    english_only = {**CAP_CONTENT, "info": CAP_CONTENT["info"][:1]}
    no_ward = {**CAP_CONTENT, "wards": ["999"]}
    control = {
        **CAP_CONTENT,
        "info": [{**CAP_CONTENT["info"][0], "headline": "a\x00b"}, CAP_CONTENT["info"][1]],
    }
    for content in (english_only, no_ward, control):
        r = client.post("/api/v1/alerts", json={**base, "cap": content}, headers=sho.bearer)
        assert r.status_code == 422, r.text


def test_without_a_document_signing_key_approval_says_so_and_queues_nothing(
    settings: Settings,
    keyring: KeyRing,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    """Everything else still runs (a command such as `kotwal keys status` must, to show what is
    missing); what would sign a document answers 503 naming the fix."""
    without = dataclasses.replace(keyring, document_private=None)
    keyless = open_runtime(settings, keyring=without)
    try:
        with TestClient(create_app(settings, keyless), base_url="https://testserver") as client:
            alert = drafted(client, sho, templates[RAIN], rain(), [world.station_a])
            r = approve(client, dcp, alert["id"])
            assert r.status_code == 503 and "kotwal init" in r.json()["detail"], r.text
            assert client.get("/public/alerts/signing-key.pem").status_code == 503
    finally:
        keyless.close()
    assert counts(runtime)["alert_outbox"] == 0


# --- the feed --------------------------------------------------------------------------------


def test_the_feed_lists_only_current_approved_alerts(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    current = _sent(client, sho, dcp, templates[RAIN], rain("Abids"), [world.station_a])
    lapsed = _sent(client, sho, dcp, templates[RAIN], rain("Amberpet"), [world.station_a])
    with runtime.db.transaction(write=True) as s:
        s.execute(
            update(PublicAlertCap)
            .where(PublicAlertCap.alert_id == lapsed)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    awaiting = drafted(client, sho, templates[RAIN], rain("Begumpet"), [world.station_a])
    rejected = drafted(client, sho, templates[RAIN], rain("Charminar"), [world.station_a])
    r = client.post(
        f"/api/v1/alerts/{rejected['id']}/reject", json={"reason": "wrong date"}, headers=dcp.bearer
    )
    assert r.status_code == 200
    r = client.get("/public/alerts/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(r.content)
    entries = feed.findall("a:entry", NS)
    identifier = _identifier(runtime, current)
    assert [e.findtext("a:id", namespaces=NS) for e in entries] == [f"urn:uuid:{identifier}"]
    assert entries[0].findtext("a:title", namespaces=NS) == "Heavy rain in Malakpet on 14 August"
    assert entries[0].findtext("a:summary", namespaces=NS) == rain("Abids")
    link = entries[0].find("a:link", NS).get("href")
    # Relative to the feed unless KOTWAL_ALERT_PUBLIC_URL says where the public surface is:
    # never the caller's Host header.
    assert link == f"/public/alerts/cap/{identifier}.xml"
    assert client.get(link).status_code == 200
    for text in ("Amberpet", "Begumpet", "Charminar", awaiting["id"], rejected["id"]):
        assert text not in r.text


# --- verification ----------------------------------------------------------------------------


def test_the_verification_page_says_yes_for_a_sent_text_and_no_otherwise(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert_id = _sent(client, sho, dcp, templates[RAIN], rain(), [world.station_a])
    identifier = _identifier(runtime, alert_id)
    # As pasted from a phone: line breaks and spaces need not survive.
    page = _verify_page(client, "  " + rain().replace(" ", "\n", 3) + "\n")
    assert YES in page and identifier in page and NO not in page
    assert YES in _verify_page(client, identifier.upper())
    assert YES in client.get(f"/public/alerts/verify?q={identifier}").text
    unsent = drafted(client, sho, templates[RAIN], rain("Gachibowli"), [world.station_a])
    for query in (rain("Kukatpally"), rain("Gachibowli"), str(uuid.uuid4()), unsent["id"]):
        page = _verify_page(client, query)
        assert NO in page and YES not in page, query
    blank = client.get("/public/alerts/verify")
    assert blank.status_code == 200 and YES not in blank.text and NO not in blank.text


def test_a_tampered_cap_document_fails_verification_on_the_public_page(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert_id = _sent(client, sho, dcp, templates[RAIN], rain(), [world.station_a])
    identifier = _identifier(runtime, alert_id)
    assert YES in _verify_page(client, identifier)
    with runtime.db.transaction(write=True) as s:
        row = s.get(PublicAlertCap, alert_id)
        assert row is not None and row.document is not None
        # Someone with the database moves the rain from Malakpet to Abids, one word.
        row.document = row.document.replace("Malakpet", "Abids", 1)
    for query in (identifier, rain()):
        page = _verify_page(client, query)
        assert TAMPERED in page and YES not in page, query
    feed = client.get("/public/alerts/feed.atom").text
    assert identifier not in feed


# --- the public surface ----------------------------------------------------------------------


def test_the_feed_links_come_from_the_setting_not_the_host_header(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOTWAL_ALERT_PUBLIC_URL", "https://alerts.police.example")
    feed = client.get("/public/alerts/feed.atom", headers={"host": "evil.example"}).text
    assert "evil.example" not in feed
    assert "https://alerts.police.example/public/alerts/feed.atom" in feed


def test_the_public_routes_need_no_login_and_reveal_nothing_else(
    app: FastAPI,
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    public = {route for route, guard in route_guards(app).items() if guard.startswith("public:")}
    assert {r for r in public if "/public/" in r} == PUBLIC_ROUTES
    alert_id = _sent(client, sho, dcp, templates[RAIN], rain(), [world.station_a])
    identifier = _identifier(runtime, alert_id)
    draft = drafted(client, sho, templates[RAIN], rain("Gachibowli"), [world.station_a])
    client.cookies.clear()
    answers = [
        client.get("/public/alerts/feed.atom"),
        client.get(f"/public/alerts/cap/{identifier}.xml"),
        client.get(f"/public/alerts/verify?q={identifier}"),
        client.get(f"/public/alerts/verify?q={quote(rain())}"),
        client.get("/public/alerts/signing-key.pem"),
    ]
    for r in answers:
        assert r.status_code == 200, r.url
        for secret in (
            sho.username,
            dcp.username,
            alert_id,
            draft["id"],
            "Gachibowli",
            "drafted",
            "approved_by",
            "decided",
        ):
            assert secret not in r.text, (r.url, secret)
        assert "set-cookie" not in r.headers
    for path in (
        f"/public/alerts/cap/{alert_id}.xml",  # an alert's own id is not its CAP identifier
        f"/public/alerts/cap/{draft['id']}.xml",
        "/public/alerts/cap/..%2F..%2Fetc%2Fpasswd.xml",
        "/public/alerts/",
        "/public/alerts/drafts",
    ):
        assert client.get(path).status_code == 404, path
    for method in ("PUT", "DELETE", "PATCH"):
        assert client.request(method, "/public/alerts/feed.atom").status_code == 405
    assert client.post("/public/alerts/feed.atom").status_code == 405
    assert client.post("/public/alerts/verify", data={"q": "x" * 2001}).status_code == 422


@pytest.mark.sqlite_only
def test_the_public_routes_are_gone_with_the_alerts_module(
    settings: Settings, keyring: KeyRing
) -> None:
    off = Settings(**{**settings.model_dump(), "modules": "records,officers,console"})
    runtime = open_runtime(off, keyring=keyring)
    try:
        app = create_app(off, runtime)
        assert not [r for r in route_guards(app) if "/public/" in r]
        with TestClient(app, base_url="https://testserver") as client:
            for path in (
                "/public/alerts/feed.atom",
                "/public/alerts/verify",
                f"/public/alerts/cap/{uuid.uuid4()}.xml",
                "/public/alerts/signing-key.pem",
            ):
                assert client.get(path).status_code == 404, path
    finally:
        runtime.close()
    # Without the console, the alerts module still publishes.
    api_only = Settings(**{**settings.model_dump(), "modules": "alerts,watch"})
    runtime = open_runtime(api_only, keyring=keyring)
    try:
        with TestClient(create_app(api_only, runtime), base_url="https://testserver") as client:
            assert client.get("/public/alerts/feed.atom").status_code == 200
    finally:
        runtime.close()


def test_the_document_is_stored_as_it_was_signed(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    alert_id = _sent(client, sho, dcp, templates[RAIN], rain(), [world.station_a])
    with runtime.db.transaction(write=False) as s:
        row = s.execute(select(PublicAlertCap).where(PublicAlertCap.alert_id == alert_id))
        stored = row.scalar_one()
    served = client.get(f"/public/alerts/cap/{stored.identifier}.xml").content
    assert stored.document is not None and served == stored.document.encode("utf-8")
    assert stored.key_fingerprint and stored.text_key and stored.sent_at and stored.expires_at
    # The officers see where it was published: in the API and on the alert's console page.
    read = client.get(f"/api/v1/alerts/{alert_id}", headers=sho.bearer).json()
    assert read["cap_identifier"] == stored.identifier
    draft = drafted(client, sho, templates[RAIN], rain("Gachibowli"), [world.station_a])
    assert draft["cap_identifier"] is None
    console_login(client, sho)
    page = client.get(f"/alerts/{alert_id}").text
    assert f"/public/alerts/cap/{stored.identifier}.xml" in page


def test_the_demo_alert_is_published_in_english_and_telugu_with_its_ward(
    runtime: Runtime,
) -> None:
    stations = demo.build_tree(runtime)
    with UnitOfWork(runtime, write=False) as uow:
        root = by_code(uow, demo.STATE_CODE)
        assert root is not None
        seeder = Actor(None, "cli:demo-seed", frozenset({Role.STATE_HQ}), (root.path,))
    seed(DemoContext(runtime, stations, 100, 1, seeder, lambda _d, _t: lambda _n, _o: None))
    with runtime.db.transaction(write=False) as s:
        (document,) = s.execute(select(PublicAlertCap.document)).scalars().all()
    assert document is not None
    root_element = etree.fromstring(document.encode("utf-8"))
    assert cap.schema().validate(root_element)
    languages = root_element.findall("c:info/c:language", NS)
    assert [e.text for e in languages] == ["en-IN", "te-IN"]
    areas = [e.text for e in root_element.findall("c:info[1]/c:area/c:areaDesc", NS)]
    assert areas[-1] == "Ward 33 Moghalpura"
    public = runtime.keyring.document_key().public_key()
    assert cap.verify(document.encode("utf-8"), public) is not None

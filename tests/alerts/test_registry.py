"""The DLT registry mirror over HTTP: headquarters registers the entity, headers, templates and
allow-list, or imports a copy of the registry whole; promotional templates are refused, a
registered template's text never changes, and consent is kept for service-explicit ones."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kotwal.alerts.demo import demo_registry
from kotwal.alerts.models import AlertTemplate
from kotwal.alerts.registry import has_consent
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.conftest import officer
from tests.alerts.helpers import FRAUD, RAIN, counts
from tests.factories import Officer, World
from tests.helpers import audit_events

PE = "1999000000000000001"


@pytest.fixture
def hq(runtime: Runtime, world: World) -> Officer:
    return officer(runtime, Role.STATE_HQ, world.state)


def _registry() -> dict[str, Any]:
    return demo_registry().model_dump(mode="json")


def _template(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dlt_template_id": "1999000000000000777",
        "header": "DEMOPL",
        "name": "Festival crowd advisory",
        "category": "service-implicit",
        "text": "Heavy crowds expected at {#var#} on {#var#}. Keep children close. -TG Police",
        "variables": ["text", "date"],
    }
    body.update(extra)
    return body


def test_headquarters_imports_the_registry_once_and_again_changes_nothing(
    client: TestClient, runtime: Runtime, hq: Officer
) -> None:
    r = client.post("/api/v1/alerts/registry", json=_registry(), headers=hq.bearer)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == {"entities": 1, "headers": 2, "templates": 7, "allowed": 6}
    again = client.post("/api/v1/alerts/registry", json=_registry(), headers=hq.bearer).json()
    assert again["created"] == {} and again["unchanged"]["templates"] == 7
    listed = client.get("/api/v1/alerts/templates", headers=hq.bearer).json()["items"]
    assert {t["dlt_template_id"] for t in listed} >= {RAIN, FRAUD}
    assert audit_events(runtime, "alert_registry.imported")[0].actor_name == hq.username


def test_a_promotional_template_is_refused(
    client: TestClient, runtime: Runtime, hq: Officer
) -> None:
    client.post("/api/v1/alerts/registry", json=_registry(), headers=hq.bearer)
    before = counts(runtime)
    r = client.post(
        "/api/v1/alerts/templates", json=_template(category="promotional"), headers=hq.bearer
    )
    assert r.status_code == 422 and "promotional" in r.json()["detail"]
    assert counts(runtime) == before


def test_a_promotional_template_in_an_import_refuses_the_whole_file(
    client: TestClient, runtime: Runtime, hq: Officer
) -> None:
    document = _registry()
    document["templates"].append(_template(category="promotional"))
    r = client.post("/api/v1/alerts/registry", json=document, headers=hq.bearer)
    assert r.status_code == 422 and "template 8" in r.json()["detail"]
    assert counts(runtime)["alert_templates"] == 0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"variables": ["text"]}, "placeholder(s)"),
        ({"text": "Crowds at {#VAR#}. -TG Police", "variables": []}, "exactly as {#var#}"),
        ({"header": "NOSUCH"}, "not registered"),
        ({"locked": True}, "one number variable"),
    ],
)
def test_a_template_that_cannot_be_registered_says_why(
    client: TestClient, runtime: Runtime, hq: Officer, change: dict[str, Any], words: str
) -> None:
    client.post("/api/v1/alerts/registry", json=_registry(), headers=hq.bearer)
    before = counts(runtime)
    r = client.post("/api/v1/alerts/templates", json=_template(**change), headers=hq.bearer)
    assert r.status_code == 422 and words in r.json()["detail"]
    assert counts(runtime) == before


def test_a_registered_template_id_cannot_take_other_text(client: TestClient, hq: Officer) -> None:
    document = _registry()
    client.post("/api/v1/alerts/registry", json=document, headers=hq.bearer)
    document["templates"][0]["text"] = document["templates"][0]["text"].replace("heavy", "HEAVY")
    r = client.post("/api/v1/alerts/registry", json=document, headers=hq.bearer)
    assert r.status_code == 409 and "new ID" in r.json()["detail"]


def test_an_import_follows_dlt_in_deactivating_a_template(client: TestClient, hq: Officer) -> None:
    document = _registry()
    client.post("/api/v1/alerts/registry", json=document, headers=hq.bearer)
    document["templates"][0]["status"] = "inactive"
    r = client.post("/api/v1/alerts/registry", json=document, headers=hq.bearer)
    assert r.status_code == 200 and r.json()["deactivated"] == 1
    listed = client.get("/api/v1/alerts/templates", headers=hq.bearer).json()["items"]
    assert RAIN not in {t["dlt_template_id"] for t in listed}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("url", "tgp.example/a/"),
        ("url", "javascript:alert(1)"),
        ("phone", "12"),
        ("phone", "call 100"),
    ],
)
def test_an_allow_list_entry_must_be_a_url_or_a_number(
    client: TestClient, hq: Officer, kind: str, value: str
) -> None:
    client.post("/api/v1/alerts/registry", json=_registry(), headers=hq.bearer)
    body = {"pe_id": PE, "kind": kind, "value": value}
    assert client.post("/api/v1/alerts/allowed", json=body, headers=hq.bearer).status_code == 422


def test_consent_is_kept_for_service_explicit_templates_and_can_be_withdrawn(
    client: TestClient, runtime: Runtime, hq: Officer, templates: dict[str, str]
) -> None:
    body = {"template_id": templates[FRAUD], "number": "90000 12345", "source": "IVR opt-in"}
    r = client.post("/api/v1/alerts/consents", json=body, headers=hq.bearer)
    assert r.status_code == 201
    assert client.post("/api/v1/alerts/consents", json=body, headers=hq.bearer).status_code == 409
    with UnitOfWork(runtime, write=False) as uow:
        fraud = uow.session.get(AlertTemplate, templates[FRAUD])
        rain = uow.session.get(AlertTemplate, templates[RAIN])
        assert fraud is not None and rain is not None
        assert has_consent(uow, fraud, "+919000012345")
        assert not has_consent(uow, fraud, "9000054321")
        assert has_consent(uow, rain, "9000054321")  # service-implicit: no consent needed
    implicit = {**body, "template_id": templates[RAIN]}
    assert (
        client.post("/api/v1/alerts/consents", json=implicit, headers=hq.bearer).status_code == 422
    )
    revoke = {"template_id": templates[FRAUD], "number": "9000012345"}
    r = client.post("/api/v1/alerts/consents/revoke", json=revoke, headers=hq.bearer)
    assert r.json() == {"id": None, "revoked": 1}
    with UnitOfWork(runtime, write=False) as uow:
        fraud = uow.session.get(AlertTemplate, templates[FRAUD])
        assert fraud is not None and not has_consent(uow, fraud, "9000012345")

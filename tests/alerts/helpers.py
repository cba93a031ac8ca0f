"""Helpers for public alerts tests: the demo's DLT registry registered as headquarters would,
officers of the two-officer rule, messages filled into the registered templates, and counts of
what the domain wrote."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kotwal.alerts import registry
from kotwal.alerts.demo import OTP_EN, RAIN_EN, RAIN_TE, SOS_EN, TEMPLATES, demo_registry
from kotwal.alerts.models import (
    AlertConsent,
    AlertOutboxMessage,
    AlertTemplate,
    PublicAlert,
    PublicAlertArea,
)
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.factories import Officer

#: DLT template IDs of the demo registry, by what they carry.
RAIN, RAIN_TELUGU, ROAD, FRAUD, FRAUD_TELUGU, OTP, SOS = (row[0] for row in TEMPLATES)
RAIN_TEXT = RAIN_EN
RAIN_TELUGU_TEXT = RAIN_TE
OTP_TEXT = OTP_EN
SOS_TEXT = SOS_EN


def fill(template: str, *values: str) -> str:
    """The template's text with its ``{#var#}`` placeholders filled in order."""
    for value in values:
        template = template.replace("{#var#}", value, 1)
    return template


def rain(place: str = "Malakpet", day: str = "14-08-2026", phone: str = "100") -> str:
    return fill(RAIN_EN, place, day, phone)


def rain_telugu(place: str = "మలక్‌పేట", day: str = "14-08-2026", phone: str = "100") -> str:
    return fill(RAIN_TE, place, day, phone)


def register_demo_registry(runtime: Runtime, state_path: str) -> dict[str, str]:
    """Register the demo registry as state headquarters; returns kotwal's template ids by DLT
    template ID."""
    hq = Actor(
        account_id=None,
        username="cli:test-hq",
        roles=frozenset({Role.STATE_HQ}),
        jurisdiction_paths=(state_path,),
    )
    with UnitOfWork(runtime, write=True) as uow:
        registry.import_registry(uow, hq, demo_registry())
        rows = uow.session.execute(select(AlertTemplate.dlt_template_id, AlertTemplate.id))
        return {dlt_id: template_id for dlt_id, template_id in rows}


def draft(
    client: TestClient, officer: Officer, template_id: str, text: str, areas: list[str]
) -> Any:
    """POST a draft; the response (the caller checks its status)."""
    body = {"template_id": template_id, "text": text, "areas": areas}
    return client.post("/api/v1/alerts", json=body, headers=officer.bearer)


def drafted(
    client: TestClient, officer: Officer, template_id: str, text: str, areas: list[str]
) -> dict[str, Any]:
    """A draft that must succeed."""
    r = draft(client, officer, template_id, text, areas)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def approve(client: TestClient, officer: Officer, alert_id: str) -> Any:
    return client.post(f"/api/v1/alerts/{alert_id}/approve", headers=officer.bearer)


def counts(runtime: Runtime) -> dict[str, int]:
    """Rows the domain holds, by table."""
    with runtime.db.transaction(write=False) as s:
        return {
            model.__tablename__: s.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (
                PublicAlert,
                PublicAlertArea,
                AlertOutboxMessage,
                AlertTemplate,
                AlertConsent,
            )
        }

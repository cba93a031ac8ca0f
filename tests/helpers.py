"""Helpers shared by the tests of every domain: reading the audit log, logging in to the console
the way a browser does, and marking a test that does not depend on the database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kotwal.core.models import AuditEventRow
from kotwal.core.runtime import Runtime
from tests.factories import Officer

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')

#: For a test that needs an app or a runtime although nothing it checks depends on the database
#: (the route table, the OpenAPI, a refusal before any query): it runs on SQLite alone instead
#: of once per backend.
backend_independent = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def audit_events(runtime: Runtime, action: str, **columns: Any) -> list[AuditEventRow]:
    """The audit events of ``action`` in log order, narrowed to those whose other columns have
    the values given (``outcome="denied"``, ``resource_id=...``, ``actor_id=...``)."""
    with runtime.db.transaction(write=False) as session:
        stmt = select(AuditEventRow).filter_by(action=action, **columns)
        return list(session.execute(stmt.order_by(AuditEventRow.seq)).scalars())


def csrf_token(page: str) -> str:
    """The CSRF token of the (first) form on a console page."""
    found = _CSRF.search(page)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def console_login(client: TestClient, officer: Officer) -> None:
    """Log in through the console's form, password and TOTP, as a browser does."""
    r = client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "totp": officer.totp(),
            "csrf_token": csrf_token(client.get("/login").text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

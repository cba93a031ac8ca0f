"""OWASP API3:2023 Broken Object Property Level Authorization: an answer carries exactly the
documented fields, each within the reader's clearance or masked; internal columns never leave,
and protected fields in input are refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kotwal.core.gate import field_classes
from kotwal.core.policy import FIELD_ROLES, Role, clearance_for, role_permissions
from kotwal.core.runtime import Runtime
from kotwal.records.models import Person
from kotwal.records.permissions import RecordsPermission
from kotwal.records.schemas import PersonRead
from tests.factories import World, issue_token, make_officer
from tests.records_helpers import file_person

READERS = sorted(r for r in Role if RecordsPermission.PERSON_READ in role_permissions(r))


@pytest.mark.parametrize("role", READERS)
def test_fields_beyond_clearance_are_masked_and_nothing_else_leaves(
    client: TestClient, runtime: Runtime, world: World, role: Role
) -> None:
    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    )
    person = file_person(client, writer, world.station_a)
    posting = world.station_a if role in FIELD_ROLES else None
    reader = issue_token(runtime, make_officer(runtime, role, posting=posting))
    body = client.get(f"/api/v1/persons/{person['id']}", headers=reader.bearer).json()
    assert set(body) == set(PersonRead.model_fields)
    clearance = clearance_for(frozenset({role}))
    for field, data_class in field_classes(Person).items():
        if field not in body:
            assert field in {"jurisdiction_path", "phone_bidx", "created_at", "updated_at"}
            continue
        if data_class > clearance:
            assert body[field] == {"masked": True}, (role, field)


def test_internal_columns_are_refused_in_input(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    si = issue_token(runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a))
    for field, value in (
        ("id", "00000000-0000-0000-0000-000000000000"),
        ("version", 7),
        ("jurisdiction_path", "/"),
        ("phone_bidx", "0"),
    ):
        body = {
            "name": "Property Test",
            "category": "suspect",
            "station_id": world.station_a,
            field: value,
        }
        r = client.post("/api/v1/persons", json=body, headers=si.bearer)
        assert r.status_code == 422, field

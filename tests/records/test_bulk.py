"""Filing persons in batches: the same stored result as filing them one by one, and a batch
with any bad item writes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from kotwal.core import audit
from kotwal.core.audit import Outcome
from kotwal.core.crypto import blind_index, open_fields
from kotwal.core.errors import Forbidden, InvalidInput
from kotwal.core.keys import KeyRing
from kotwal.core.models import DataKey
from kotwal.core.policy import Actor, Jurisdiction, Role
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.records.importer import COLUMNS, WRITING, import_persons
from kotwal.records.models import Person, PersonAlias, PersonNameKey
from kotwal.records.names import name_keys
from kotwal.records.schemas import PersonCategory, PersonCreate, Sex
from kotwal.records.service import (
    file_person,
    file_persons,
    file_persons_unloaded,
    find_by_phone,
    search_by_name,
)
from tests.factories import World
from tests.helpers import audit_events

PLAIN = (
    "name",
    "name_te",
    "father_name",
    "marks",
    "category",
    "sex",
    "birth_year",
    "status",
    "station_id",
    "jurisdiction_path",
    "version",
)


def _actor(runtime: Runtime, posting: str, role: Role = Role.SUB_INSPECTOR) -> Actor:
    with UnitOfWork(runtime, write=False) as uow:
        node = uow.session.get(Jurisdiction, posting)
        assert node is not None
        path = node.path
    return Actor(
        account_id=None, username="test:bulk", roles=frozenset({role}), jurisdiction_paths=(path,)
    )


def _person(station: str, n: int, **extra: Any) -> PersonCreate:
    fields: dict[str, Any] = {
        "name": f"Gaddam Srinivas Reddy {n}",
        "name_te": "గడ్డం శ్రీనివాస్ రెడ్డి",
        "father_name": "Gaddam Narsimha Reddy",
        "aliases": ["Chinna", " చిన్న ", "Chinna", "G. Srinivas"],
        "marks": "mole on left cheek",
        "category": PersonCategory.OFFENDER,
        "sex": Sex.MALE,
        "birth_year": 1980 + n,
        "station_id": station,
        "phone": f"+91 90000 1{n:04d}",
        "address": f"H.No. {n}-1, Demo Colony",
    }
    return PersonCreate.model_validate(fields | extra)


def _stored(uow: UnitOfWork, person_id: str) -> dict[str, Any]:
    """Everything kept of a person, decrypted, without what differs by design (ids, times)."""
    person = uow.session.get(Person, person_id)
    assert person is not None
    state: dict[str, Any] = {f: getattr(person, f) for f in PLAIN}
    state |= open_fields(uow.session, [person], ["phone", "address"])[0]
    state["phone_bidx"] = person.phone_bidx
    state["aliases"] = sorted(
        uow.session.execute(
            select(PersonAlias.name).where(PersonAlias.person_id == person_id)
        ).scalars()
    )
    state["keys"] = sorted(
        uow.session.execute(
            select(PersonNameKey.key).where(PersonNameKey.person_id == person_id)
        ).scalars()
    )
    state["data_keys"] = uow.session.execute(
        select(func.count()).select_from(DataKey).where(DataKey.row_id == person_id)
    ).scalar_one()
    return state


def _counts(runtime: Runtime) -> tuple[int, ...]:
    with UnitOfWork(runtime, write=False) as uow:
        return tuple(
            uow.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Person, PersonAlias, PersonNameKey, DataKey)
        )


def test_a_batch_stores_each_person_as_filing_them_one_by_one(
    runtime: Runtime, world: World, keyring: KeyRing
) -> None:
    si = _actor(runtime, world.station_a)
    items = [_person(world.station_a, n) for n in range(3)]
    items.append(_person(world.station_a, 3, phone=None, address=None, aliases=[], name_te=None))
    with UnitOfWork(runtime, write=True) as uow:
        alone = [file_person(uow, si, item).id for item in items]
    with UnitOfWork(runtime, write=True) as uow:
        batch = [p.id for p in file_persons(uow, si, items)]
    with UnitOfWork(runtime, write=False) as uow:
        for one, many in zip(alone, batch, strict=True):
            assert _stored(uow, many) == _stored(uow, one)
        first = _stored(uow, batch[0])
        assert first["aliases"] == ["Chinna", "G. Srinivas", "చిన్న"]
        assert (first["phone"], first["address"]) == ("+91 90000 10000", "H.No. 0-1, Demo Colony")
        assert first["phone_bidx"] == blind_index(keyring, "persons.phone", "9000010000")
        spellings = [items[0].name, items[0].name_te or "", *items[0].aliases]
        assert first["keys"] == sorted(set().union(*(name_keys(n) for n in spellings)))
        assert first["data_keys"] == 1 and first["version"] == 1
        assert _stored(uow, batch[3])["data_keys"] == 0  # nothing sealed, no data key
    # One record.create per person, in order, naming the record.
    assert [
        e.resource_id for e in audit_events(runtime, "record.create", outcome=Outcome.SUCCESS)
    ] == alone + batch
    assert audit.verify(runtime.db.engine, keyring.audit_public).ok


def test_persons_returned_by_a_batch_read_back_through_the_gate(
    runtime: Runtime, world: World
) -> None:
    si = _actor(runtime, world.station_a)
    with UnitOfWork(runtime, write=True) as uow:
        filed = file_persons(uow, si, [_person(world.station_a, n) for n in range(2)])
        assert [p.version for p in filed] == [1, 1]
        assert not uow.session.dirty and not uow.session.new  # attached as loaded
    with UnitOfWork(runtime, write=False) as uow:
        found = find_by_phone(uow, si, "9000010001", None)
        hits = search_by_name(uow, si, "Srinivas Reddy 1", None).hits
    assert [r["id"] for r in found] == [filed[1].id]
    assert found[0]["address"] == "H.No. 1-1, Demo Colony"
    assert filed[1].id in {h["person"]["id"] for h in hits}


def test_a_batch_with_a_station_outside_the_jurisdiction_writes_nothing(
    runtime: Runtime, world: World
) -> None:
    si = _actor(runtime, world.station_a)
    items = [_person(world.station_a, 0), _person(world.station_a, 1), _person(world.station_b, 2)]
    before = _counts(runtime)
    with pytest.raises(Forbidden), UnitOfWork(runtime, write=True) as uow:
        file_persons(uow, si, items)
    assert _counts(runtime) == before
    assert audit_events(runtime, "record.create", outcome=Outcome.SUCCESS) == []
    # The refusal is recorded, and kept although the batch rolled back.
    denied = audit_events(runtime, "record.create", outcome=Outcome.DENIED)
    assert len(denied) == 1 and "outside-jurisdiction" in denied[0].detail


def test_a_batch_naming_something_that_is_not_a_station_writes_nothing(
    runtime: Runtime, world: World
) -> None:
    chief = _actor(runtime, world.state, Role.STATE_HQ)
    items = [_person(world.station_a, 0), _person(world.circle, 1)]
    before = _counts(runtime)
    with (
        pytest.raises(InvalidInput, match="police station"),
        UnitOfWork(runtime, write=True) as uow,
    ):
        file_persons_unloaded(uow, chief, items)
    assert (
        _counts(runtime) == before
        and audit_events(runtime, "record.create", outcome=Outcome.SUCCESS) == []
    )


def test_filing_needs_the_write_permission(runtime: Runtime, world: World) -> None:
    constable = _actor(runtime, world.station_a, Role.CONSTABLE)
    with pytest.raises(Forbidden), UnitOfWork(runtime, write=True) as uow:
        file_persons(uow, constable, [_person(world.station_a, 0)])
    assert _counts(runtime)[0] == 0


def test_an_empty_batch_files_nothing(runtime: Runtime, world: World) -> None:
    with UnitOfWork(runtime, write=True) as uow:
        assert file_persons(uow, _actor(runtime, world.station_a), []) == []
    assert _counts(runtime) == (0, 0, 0, 0)


def test_an_import_larger_than_a_batch_files_every_row_and_reports_each_batch(
    runtime: Runtime, world: World
) -> None:
    sho = _actor(runtime, world.station_a, Role.STATION_HOUSE_OFFICER)
    rows = 1100
    lines = [",".join(COLUMNS)]
    for n in range(rows):
        cells = {
            "name": f"Kommu Ravi {n}",
            "category": "offender",
            "station_code": "PS-A",
            "phone": f"90001{n:05d}",
            "aliases": f"Ravi {n};రవి",
        }
        lines.append(",".join(cells.get(c, "") for c in COLUMNS))
    seen: list[tuple[str, int, int | None]] = []
    with UnitOfWork(runtime, write=True) as uow:
        report = import_persons(
            uow, sho, io.BytesIO("\n".join(lines).encode()), progress=lambda *a: seen.append(a)
        )
    assert report.created == rows
    assert [s for s in seen if s[0] == WRITING] == [
        (WRITING, 500, rows),
        (WRITING, 1000, rows),
        (WRITING, rows, rows),
    ]
    assert _counts(runtime)[:2] == (rows, 2 * rows)
    assert len(audit_events(runtime, "record.create", outcome=Outcome.SUCCESS)) == rows

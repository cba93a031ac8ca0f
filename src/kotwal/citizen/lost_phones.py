"""Lost mobile phones by IMEI (issue 22 item 7).

A citizen reports a phone lost with its IMEI (15 digits, the last a Luhn check digit: a typo
is refused, not filed), and optionally its make and model and where and when it was lost. The
IMEI is sealed and kept besides as a 64-bit keyed blind index, so that an officer holding a
recovered or seized phone can ask whether it is reported lost (``lookup``) and a copy of the
table cannot be searched for IMEIs without the deployment's index key. A report with a place
is filed at the station whose area holds it; the lookup is a disclosure through the gate, and
outside the officer's jurisdiction (or for a report filed nowhere) it needs a purpose.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kotwal.citizen.models import CitizenLostPhone
from kotwal.citizen.permissions import CitizenPermission
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import LostPhoneIn
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.crypto import blind_index, open_fields
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service as patrol

IMEI_DOMAIN = "citizen_lost_phones.imei"
LOST, FOUND, WITHDRAWN = "lost", "found", "withdrawn"
#: Active reports a citizen may keep at once.
ACTIVE_MAX = 10


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (its last digit checks the rest)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def imei_digits(raw: str) -> str:
    """The 15 digits of an IMEI (spaces, dashes and slashes dropped), Luhn-checked, or a
    refusal."""
    digits = "".join(ch for ch in raw if ch not in " -/")
    if len(digits) != 15 or not digits.isascii() or not digits.isdigit():
        raise InvalidInput("an IMEI is 15 digits (dial *#06# to see it)")
    if not luhn_ok(digits):
        raise InvalidInput("this IMEI's check digit does not match: look at it again")
    return digits


def imei_key(uow: UnitOfWork, digits: str) -> str:
    return blind_index(uow.runtime.keyring, IMEI_DOMAIN, digits, bits=64)


def report_lost(uow: UnitOfWork, citizen: Citizen, data: LostPhoneIn) -> dict[str, Any]:
    """Report one's phone lost."""
    digits = imei_digits(data.imei)
    key = imei_key(uow, digits)
    mine = list(
        uow.session.execute(
            select(CitizenLostPhone).where(
                CitizenLostPhone.citizen_id == citizen.citizen_id, CitizenLostPhone.status == LOST
            )
        ).scalars()
    )
    if any(row.imei_key == key for row in mine):
        raise Conflict("you have reported this phone lost already")
    if len(mine) >= ACTIVE_MAX:
        raise Conflict(f"at most {ACTIVE_MAX} phones can be reported lost at once")
    lost_at = as_utc(data.lost_at) if data.lost_at.tzinfo else None
    now = utcnow()
    if lost_at is None or not now - timedelta(days=365) <= lost_at <= now + timedelta(minutes=5):
        raise InvalidInput("lost_at is within the last year, with a time zone (e.g. +05:30)")
    station_id = path = None
    if data.lat is not None and data.lon is not None:
        reach = patrol.settings_for(uow.runtime).nearest_km * 1000
        station_id = patrol.station_at(uow, data.lat, data.lon, reach)
        node = uow.session.get(Jurisdiction, station_id) if station_id else None
        path = node.path if node is not None else None
    phone = CitizenLostPhone(
        id=new_id(),
        citizen_id=citizen.citizen_id,
        imei_key=key,
        imei=digits,
        make_model=data.make_model,
        place=(
            f"{data.lat:.6f},{data.lon:.6f}"
            if data.lat is not None and data.lon is not None
            else None
        ),
        lost_at=lost_at,
        station_id=station_id,
        jurisdiction_path=path,
        status=LOST,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(phone)
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_lost_phone.reported",
            resource_type="citizen_lost_phone",
            resource_id=phone.id,
            detail={"station": station_id},
        )
    )
    return own_view(uow, phone)


def own_view(uow: UnitOfWork, phone: CitizenLostPhone) -> dict[str, Any]:
    [opened] = open_fields(uow.session, [phone], ("imei", "make_model"), unreadable=None)
    station = uow.session.get(Jurisdiction, phone.station_id) if phone.station_id else None
    return {
        "id": phone.id,
        **opened,
        "lost_at": phone.lost_at,
        "station": station.name if station is not None else None,
        "status": phone.status,
        "updated_at": phone.updated_at,
    }


def own_phones(uow: UnitOfWork, citizen: Citizen) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(CitizenLostPhone)
        .where(CitizenLostPhone.citizen_id == citizen.citizen_id)
        .order_by(CitizenLostPhone.created_at.desc())
        .limit(100)
    ).scalars()
    return [own_view(uow, row) for row in rows]


def close_own(uow: UnitOfWork, citizen: Citizen, phone_id: str, status: str) -> dict[str, Any]:
    """The citizen found their phone, or withdraws the report."""
    phone = uow.session.get(CitizenLostPhone, phone_id)
    if phone is None or phone.citizen_id != citizen.citizen_id:
        raise NotFound("no such report")
    if phone.status != LOST:
        raise Conflict(f"the report is {phone.status} already")
    phone.status = status
    phone.updated_at = utcnow()
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor,
            f"citizen_lost_phone.{status}",
            resource_type="citizen_lost_phone",
            resource_id=phone.id,
        )
    )
    return own_view(uow, phone)


def lookup(uow: UnitOfWork, actor: Actor, imei: str, purpose: str | None) -> dict[str, Any]:
    """Whether a phone is reported lost (and not found since): the reports of it, through the
    gate (masked outside one's jurisdiction without a purpose); every lookup audited, a miss
    too."""
    require(actor, CitizenPermission.LOST_PHONE_READ)
    digits = imei_digits(imei)
    rows = list(
        uow.session.execute(
            select(CitizenLostPhone)
            .where(CitizenLostPhone.imei_key == imei_key(uow, digits))
            .order_by(CitizenLostPhone.created_at.desc())
        ).scalars()
    )
    # The blind index has 64 bits: confirm on the sealed value before saying "lost".
    opened = open_fields(uow.session, rows, ("imei",), unreadable=None)
    rows = [row for row, o in zip(rows, opened, strict=True) if o["imei"] == digits]
    uow.audit(
        actor_event(
            actor,
            "citizen_lost_phone.lookup",
            Outcome.SUCCESS,
            resource_type="citizen_lost_phone",
            purpose=clean_purpose(purpose),
            detail={"found": len(rows)},
        )
    )
    active = [row for row in rows if row.status == LOST]
    shown = disclose(uow, actor, purpose, rows, kind="list") if rows else []
    return {"reported_lost": bool(active), "reports": shown}


def forget_citizen(uow: UnitOfWork, citizen_id: str) -> int:
    """A deleted account's lost-phone reports are deleted with it (no case needs a report of
    one's own lost phone once one has left; a case that does has it in its own file)."""
    rows = list(
        uow.session.execute(
            select(CitizenLostPhone).where(CitizenLostPhone.citizen_id == citizen_id)
        ).scalars()
    )
    for row in rows:
        uow.session.delete(row)  # the flush shreds its data key
    uow.session.flush()
    return len(rows)

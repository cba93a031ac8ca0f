"""Decoy arms licences and decoy officers, shaped like the real records beside them.

A decoy licence or officer is only useful if nobody can tell it from its neighbours, and what
"looks real" differs between deployments (each state numbers its licences, UINs and belts its
own way; the demo marks its numbers DEMO). So a decoy is modelled on a real record of this
database, picked at random: it keeps that record's station, the shape of its numbers (only the
last run of digits is drawn afresh: "HYD/2023/00417" may become "HYD/2023/38120"), its weapon's
category, make and bore, its issuing authority, or its officer's rank and post; the person in
it (holder or officer: name, father's name, birth year, phone, address) is made up by
:mod:`kotwal.decoys.generator`. Decoys are filed through the domains' own services, exactly as
real records are, and registered by the caller.

With no real record to model on (an empty database), there is nothing a decoy could hide
among, and planting one is refused with a message.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from kotwal.arms.models import ArmsLicence, ArmsWeapon
from kotwal.arms.schemas import Grounds, LicenceIssue, WeaponAdd, WeaponCategory
from kotwal.arms.service import file_licence, serial_index
from kotwal.core.clock import station_today
from kotwal.core.crypto import open_field
from kotwal.core.errors import Conflict, InvalidInput
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.decoys.generator import FakePerson
from kotwal.officers.models import Officer, OfficerPosting
from kotwal.officers.schemas import OfficerCreate, Rank
from kotwal.officers.service import file_officer

#: Tries at a fresh number before giving up (a collision is rare: a run of five digits).
ATTEMPTS = 20
_LAST_DIGITS = re.compile(r"\d+(?=\D*$)")


def vary_number(rng: random.Random, sample: str) -> str:
    """``sample`` with its last run of digits drawn afresh (same length); a sample without
    digits gets five appended."""
    found = _LAST_DIGITS.search(sample)
    if found is None:
        return f"{sample}{rng.randrange(10**5):05d}"
    width = len(found.group())
    fresh = f"{rng.randrange(10**width):0{width}d}"
    return sample[: found.start()] + fresh + sample[found.end() :]


def codes_of(value: str) -> str:
    """A number as a leak is compared on it: upper-case letters and digits only (a leak may
    re-punctuate "HYD/2023/00417" as "HYD-2023-00417")."""
    return re.sub(r"[^0-9A-Z]", "", value.upper())


@dataclass(frozen=True)
class PlantedRecord:
    """A decoy filed: its id and what the register keeps of it (for leak tracing)."""

    record_id: str
    content: dict[str, Any]


def _sample(uow: UnitOfWork, model: type[Any], rng: random.Random) -> Any:
    count = int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
    if count == 0:
        return None
    stmt = select(model).order_by(model.id).offset(rng.randrange(count)).limit(1)
    return uow.session.scalars(stmt).one()


def _unused(uow: UnitOfWork, column: Any, rng: random.Random, sample: str) -> str:
    for _ in range(ATTEMPTS):
        value = vary_number(rng, sample)
        if uow.session.scalar(select(column).where(column == value).limit(1)) is None:
            return value
    raise Conflict("could not find an unused number for a decoy; plant again")


def plant_licence(
    uow: UnitOfWork, planter: Actor, rng: random.Random, fake: FakePerson
) -> PlantedRecord:
    """File one decoy licence modelled on a real one (see the module)."""
    model = _sample(uow, ArmsLicence, rng)
    if model is None:
        raise InvalidInput("there is no arms licence to model a decoy licence on")
    weapons = list(uow.session.scalars(select(ArmsWeapon).where(ArmsWeapon.licence_id == model.id)))
    now = station_today(uow.runtime)
    issued = now - timedelta(days=rng.randint(30, 4 * 365))
    weapons = weapons[:2]
    serials = [_weapon_serial(uow, rng, str(open_field(uow.session, w, "serial"))) for w in weapons]
    data = LicenceIssue(
        licence_number=_unused(uow, ArmsLicence.licence_number, rng, model.licence_number),
        uin=_unused(uow, ArmsLicence.uin, rng, model.uin),
        holder_name=fake.name,
        holder_father_name=fake.father_name,
        holder_birth_year=fake.birth_year,
        holder_address=fake.address,
        holder_phone=fake.phone,
        grounds=Grounds(model.grounds),
        area_of_validity=model.area_of_validity,
        issuing_authority=model.issuing_authority,
        issued_on=issued,
        valid_until=min(issued + timedelta(days=5 * 365 - 1), _five_years(issued)),
        station_id=model.station_id,
        weapons=[
            WeaponAdd(
                category=WeaponCategory(w.category),
                make=w.make,
                bore=w.bore,
                serial=serial,
                endorsed_on=issued,
            )
            for w, serial in zip(weapons, serials, strict=True)
        ],
    )
    licence = file_licence(uow, planter, data)
    content = {
        "licence_number": data.licence_number,
        "uin": data.uin,
        "serials": serials,
        "holder_name": fake.name,
        "holder_father_name": fake.father_name,
        "holder_birth_year": fake.birth_year,
        "phone": fake.phone,
    }
    return PlantedRecord(licence.id, content)


def _five_years(issued: date) -> date:
    try:
        return issued.replace(year=issued.year + 5) - timedelta(days=1)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + 5, day=28) - timedelta(days=1)


def _weapon_serial(uow: UnitOfWork, rng: random.Random, sample: str) -> str:
    """A serial of the sample's shape that no recorded weapon carries (serials are sealed:
    looked up by their blind index)."""
    for _ in range(ATTEMPTS):
        serial = vary_number(rng, sample)
        index = serial_index(uow, serial)
        if uow.session.scalar(select(ArmsWeapon.id).where(ArmsWeapon.serial_bidx == index)) is None:
            return serial
    raise Conflict("could not find an unused weapon serial for a decoy; plant again")


def plant_officer(
    uow: UnitOfWork, planter: Actor, rng: random.Random, fake: FakePerson
) -> PlantedRecord:
    """File one decoy officer modelled on a serving one (see the module)."""
    model = _sample(uow, Officer, rng)
    if model is None:
        raise InvalidInput("there is no officer to model a decoy officer on")
    post = uow.session.scalar(
        select(OfficerPosting.post)
        .where(OfficerPosting.officer_id == model.id, OfficerPosting.to_date.is_(None))
        .limit(1)
    )
    belt = _unused(uow, Officer.belt_number, rng, model.belt_number)
    email = None
    if model.official_email and model.belt_number.lower() in model.official_email.lower():
        email = model.official_email.lower().replace(model.belt_number.lower(), belt.lower())
    data = OfficerCreate(
        name=fake.name,
        rank=Rank(model.rank),
        belt_number=belt,
        unit_id=model.unit_id,
        post=post,
        posted_on=station_today(uow.runtime) - timedelta(days=rng.randint(60, 3 * 365)),
        official_phone=fake.phone if model.official_phone else None,
        official_email=email,
        personal_phone=fake.phone,
        personal_address=fake.address,
    )
    officer = file_officer(uow, planter, data)
    content = {
        "name": fake.name,
        "belt_number": officer.belt_number,
        "rank": model.rank,
        "phone": fake.phone,
    }
    return PlantedRecord(officer.id, content)

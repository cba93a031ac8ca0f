"""Tables of the arms licence domain. Every column declares its data class.

A licence is filed at the police station of the holder's residence (the station that verifies
the holder and where the weapon is kept), so that jurisdiction works for licences exactly as
it does for persons: a station's officers see their station's licences, a district its subtree,
and anyone else sees them only through a declared purpose.

Licence holders are mostly ordinary citizens, not persons of police interest: their details
live on the licence itself, with an optional link to a records person when one is known.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.arms.permissions import ArmsPermission
from kotwal.core.columns import PUBLIC, RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted


class ArmsLicence(RecordId, Base):
    """An arms licence: its number and UIN, the holder, where it is valid, who issued it,
    its dates and its present status (valid, suspended or cancelled)."""

    __tablename__ = "arms_licences"

    #: The number the licensing authority wrote on the licence, e.g. "HYD/2019/00412".
    licence_number: Mapped[str] = mapped_column(String(64), unique=True, info=RESTRICTED)
    #: Unique Identification Number given by the national database (Arms Rules 2016, rule 11).
    uin: Mapped[str] = mapped_column(String(32), unique=True, info=RESTRICTED)
    holder_name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    holder_father_name: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    holder_birth_year: Mapped[int | None] = mapped_column(Integer, info=RESTRICTED)
    holder_address: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    holder_phone: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    holder_phone_bidx: Mapped[str | None] = mapped_column(String(16), index=True, info=RESTRICTED)
    #: The records person this holder is, when an officer has linked one.
    person_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("persons.id"), index=True, info=RESTRICTED
    )
    #: Self-protection, crop protection, sport, heirloom, other.
    grounds: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    area_of_validity: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    issuing_authority: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    issued_on: Mapped[date] = mapped_column(Date, info=RESTRICTED)
    valid_until: Mapped[date] = mapped_column(Date, index=True, info=RESTRICTED)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: Why the licence is suspended or cancelled (the whole course is in the events).
    status_reason: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    #: The station's materialised path, kept on the row so scoped reads need no join.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    #: Bumped on every change; each change is an ``arms_licence_events`` row.
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="arms_licence",
        read_permission=ArmsPermission.LICENCE_READ,
        jurisdiction_path=lambda lic: lic.jurisdiction_path,
        order_name=lambda lic: lic.holder_name,
        fields=(
            "licence_number",
            "uin",
            "holder_name",
            "holder_father_name",
            "holder_birth_year",
            "holder_address",
            "holder_phone",
            "person_id",
            "grounds",
            "area_of_validity",
            "issuing_authority",
            "issued_on",
            "valid_until",
            "status",
            "status_reason",
            "station_id",
            "version",
        ),
    )


class ArmsWeapon(RecordId, Base):
    """A weapon endorsed on a licence. The serial number (or identification mark) is sealed:
    with the holder's address it says where a firearm is kept. Exact search goes through its
    blind index."""

    __tablename__ = "arms_weapons"

    licence_id: Mapped[str] = mapped_column(
        ID, ForeignKey("arms_licences.id"), index=True, info=PUBLIC
    )
    category: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    make: Mapped[str] = mapped_column(String(100), info=RESTRICTED)
    bore: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    serial: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    serial_bidx: Mapped[str] = mapped_column(String(16), index=True, info=RESTRICTED)
    endorsed_on: Mapped[date] = mapped_column(Date, info=RESTRICTED)
    #: The licence's jurisdiction, copied so that the gate can place the row without a join.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column(index=False)
    created_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="arms_weapon",
        read_permission=ArmsPermission.LICENCE_READ,
        jurisdiction_path=lambda w: w.jurisdiction_path,
        fields=("licence_id", "category", "make", "bore", "serial", "endorsed_on"),
    )


class ArmsLicenceEvent(RecordId, Base):
    """One step in a licence's life (issued, renewed, suspended, reinstated, cancelled, weapon
    endorsed, holder details changed) with its reason and who took it. Append-only. When the
    holder's details change, their earlier values are kept here, sealed."""

    __tablename__ = "arms_licence_events"
    __table_args__ = (UniqueConstraint("licence_id", "version"),)

    licence_id: Mapped[str] = mapped_column(
        ID, ForeignKey("arms_licences.id"), index=True, info=PUBLIC
    )
    action: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: The licence's version after this step.
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    valid_until: Mapped[date] = mapped_column(Date, info=RESTRICTED)
    reason: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    #: The order this step rests on (the licensing authority's order number), when given.
    order_reference: Mapped[str | None] = mapped_column(String(100), info=RESTRICTED)
    changed_fields: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    #: The state before a change of details, as sealed JSON.
    snapshot: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)


class ArmsHolderNameKey(Base):
    """Phonetic keys of a holder's name (:func:`kotwal.records.names.name_keys`): how a person
    named in a case is matched to licences without scanning every row. Derived data."""

    __tablename__ = "arms_holder_name_keys"
    __table_args__ = (Index("ix_arms_holder_name_keys_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    licence_id: Mapped[str] = mapped_column(
        ID, ForeignKey("arms_licences.id"), index=True, info=PUBLIC
    )
    key: Mapped[str] = mapped_column(String(40), info=RESTRICTED)


class ArmsLicenceReview(RecordId, Base):
    """A suspension review for the licensing officer: raised when a licence's holder is named
    as a party in a case, decided once (suspend, or no action) with a reason."""

    __tablename__ = "arms_licence_reviews"
    __table_args__ = (UniqueConstraint("licence_id", "case_id"),)

    licence_id: Mapped[str] = mapped_column(
        ID, ForeignKey("arms_licences.id"), index=True, info=RESTRICTED
    )
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id"), info=RESTRICTED)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), info=RESTRICTED)
    party_role: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    #: "linked_person" (the licence names this person) or "name_match" (name, father's name
    #: and birth year agree; the officer confirms).
    match: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    outcome: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    decision_reason: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    decided_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    decided_by_name: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    #: The licence's jurisdiction: the review belongs to whoever licenses there.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    opened_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="arms_licence_review",
        read_permission=ArmsPermission.LICENCE_REVIEW,
        jurisdiction_path=lambda r: r.jurisdiction_path,
        fields=(
            "licence_id",
            "case_id",
            "person_id",
            "party_role",
            "match",
            "status",
            "outcome",
            "decision_reason",
            "decided_by_name",
            "decided_at",
            "station_id",
            "opened_at",
        ),
    )

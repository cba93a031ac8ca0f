"""Tables of the force domain: officers, their postings and versions, and station profiles.

A station is a node of the jurisdiction tree (``core.policy.Jurisdiction``); its profile here is
keyed by that node, so the tree is never duplicated. An officer record is the personnel record;
an account (``core.models.Account``) is a login. The two are linked by ``officers.account_id``
when the officer logs in at all. A photograph of an officer is a row of the photo store that
names the officer's id: nothing about photographs lives in these tables.

Every column declares its data class.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import PUBLIC, RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted
from kotwal.officers.permissions import OfficersPermission


class Officer(RecordId, Base):
    """A police officer's personnel record: who they are, their rank and belt number, where
    they are posted now (the posting history is in ``officer_postings``) and how to reach them.

    The record belongs to the unit of the current posting: officers whose jurisdiction covers
    that unit write it; outside it, a reader sees it masked until a purpose is declared.
    """

    __tablename__ = "officers"

    #: Internal, RTI-disclosable to the right person, not for publication: RESTRICTED.
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    rank: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    #: Belt or ID number, stored normalised (upper case, no spaces); unique in the force.
    belt_number: Mapped[str] = mapped_column(String(32), unique=True, info=RESTRICTED)
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: The unit (station, circle, district ...) of the current posting.
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    #: The unit's materialised path, kept on the row so scoped reads need no join.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    official_phone: Mapped[str | None] = mapped_column(String(20), info=RESTRICTED)
    official_email: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    #: An officer's own phone and home address are personal data: sealed at rest.
    personal_phone: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    personal_address: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: The login account of this officer, if they have one (at most one record per account).
    account_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("accounts.id"), unique=True, info=RESTRICTED
    )
    #: Bumped on every change; the previous state is kept in ``officer_versions``.
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="officer",
        read_permission=OfficersPermission.OFFICER_READ,
        jurisdiction_path=lambda o: o.jurisdiction_path,
        fields=(
            "name",
            "rank",
            "belt_number",
            "status",
            "unit_id",
            "official_phone",
            "official_email",
            "personal_phone",
            "personal_address",
            "account_id",
            "version",
        ),
        order_name=lambda o: o.name,
    )


class OfficerPosting(RecordId, Base):
    """One posting of an officer: a station or unit, from a date, until a date (or still
    open). Released with the officer's record, at RESTRICTED; rows are only ever added, and an
    open posting is closed (given its end date) when the next one begins."""

    __tablename__ = "officer_postings"
    __table_args__ = (Index("ix_officer_postings_unit_open", "unit_id", "to_date"),)

    officer_id: Mapped[str] = mapped_column(ID, ForeignKey("officers.id"), index=True, info=PUBLIC)
    unit_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=RESTRICTED)
    #: The post held there ("Station House Officer", "Writer", "Crime team"), free text.
    post: Mapped[str | None] = mapped_column(String(100), info=RESTRICTED)
    from_date: Mapped[date] = mapped_column(Date, info=RESTRICTED)
    to_date: Mapped[date | None] = mapped_column(Date, info=RESTRICTED)
    added_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    added_at: Mapped[datetime] = stamped(RESTRICTED)


class OfficerNameKey(Base):
    """Phonetic keys of an officer's name (``records.names``): how name search finds
    candidates without scanning every row. Derived data, rebuilt from the name."""

    __tablename__ = "officer_name_keys"
    __table_args__ = (Index("ix_officer_name_keys_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ID, ForeignKey("officers.id"), index=True, info=PUBLIC)
    key: Mapped[str] = mapped_column(String(40), info=RESTRICTED)


class OfficerVersion(RecordId, Base):
    """An officer record as it was before a change; every version is kept. The snapshot holds
    the personal contact, so it is sealed as CONFIDENTIAL."""

    __tablename__ = "officer_versions"
    __table_args__ = (UniqueConstraint("officer_id", "version"),)

    officer_id: Mapped[str] = mapped_column(ID, ForeignKey("officers.id"), index=True, info=PUBLIC)
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    snapshot: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    changed_fields: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    changed_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    changed_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    changed_at: Mapped[datetime] = stamped(RESTRICTED)


class StationProfile(Base):
    """What the public and the force know of a police station beyond its place in the tree:
    its address and phone (PUBLIC), its location, and its station house officer. The primary
    key is the station's jurisdiction id."""

    __tablename__ = "station_profiles"

    id: Mapped[str] = mapped_column(
        ID, ForeignKey("jurisdictions.id"), primary_key=True, info=PUBLIC
    )
    jurisdiction_path: Mapped[str] = jurisdiction_path_column(PUBLIC)
    address: Mapped[str] = mapped_column(String(500), info=PUBLIC)
    phone: Mapped[str | None] = mapped_column(String(20), info=PUBLIC)
    #: Where the station house stands (WGS 84); police stations are on public maps.
    latitude: Mapped[float | None] = mapped_column(Float, info=PUBLIC)
    longitude: Mapped[float | None] = mapped_column(Float, info=PUBLIC)
    #: Who commands the station is force information: RESTRICTED, like the officer's name.
    sho_officer_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("officers.id"), info=RESTRICTED
    )
    version: Mapped[int] = mapped_column(Integer, default=1, info=PUBLIC)
    created_at: Mapped[datetime] = stamped(PUBLIC)
    updated_at: Mapped[datetime] = stamped(PUBLIC)

    __disclosure__ = Protected(
        resource_type="station",
        read_permission=OfficersPermission.STATION_READ,
        jurisdiction_path=lambda s: s.jurisdiction_path,
        fields=("address", "phone", "latitude", "longitude", "sho_officer_id", "version"),
    )


class StationProfileVersion(RecordId, Base):
    """A station profile as it was before a change; every version is kept. Nothing in it is
    personal data (the SHO is an officer id), so the snapshot is plain RESTRICTED text."""

    __tablename__ = "station_profile_versions"
    __table_args__ = (UniqueConstraint("station_id", "version"),)

    station_id: Mapped[str] = mapped_column(
        ID, ForeignKey("station_profiles.id"), index=True, info=PUBLIC
    )
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    snapshot: Mapped[str] = mapped_column(Text, info=RESTRICTED)
    changed_fields: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    changed_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    changed_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    changed_at: Mapped[datetime] = stamped(RESTRICTED)

"""Tables of the records domain. Every column declares its data class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.db import ID, Base, new_id
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass, Permission, data_class
from kotwal.core.sealed import Encrypted

PUBLIC = data_class(DataClass.PUBLIC)
RESTRICTED = data_class(DataClass.RESTRICTED)


class Person(Base):
    """A person of police interest: offender, suspect, missing person, unidentified body."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=PUBLIC)
    #: Names of offenders are personal data, not publishable: RESTRICTED. Outside their
    #: jurisdiction an officer sees that a record matched and where, and declares a purpose
    #: to see whose it is.
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    name_te: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    father_name: Mapped[str | None] = mapped_column(String(200), info=RESTRICTED)
    marks: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    category: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    sex: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    birth_year: Mapped[int | None] = mapped_column(Integer, info=RESTRICTED)
    status: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    #: The station's materialised path, kept on the row so scoped reads need no join.
    jurisdiction_path: Mapped[str] = mapped_column(String(1000), index=True, info=RESTRICTED)
    phone: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(16), index=True, info=RESTRICTED)
    address: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: Bumped on every change; the previous state is kept in ``person_versions``.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", info=RESTRICTED)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), info=RESTRICTED
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), info=RESTRICTED
    )

    __disclosure__ = Protected(
        resource_type="person",
        read_permission=Permission.RECORDS_PERSON_READ,
        jurisdiction_path=lambda p: p.jurisdiction_path,
        fields=("name", "name_te", "father_name", "category", "sex", "birth_year", "marks",
                "status", "station_id", "phone", "address", "version"),
    )  # fmt: skip


class PersonAlias(Base):
    """Another name a person is known by, in Latin or Telugu script."""

    __tablename__ = "person_aliases"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=PUBLIC)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)


class PersonNameKey(Base):
    """Phonetic keys of a person's names and aliases: how name search finds candidates
    without scanning every row. Derived data, rebuilt from the names."""

    __tablename__ = "person_name_keys"
    __table_args__ = (Index("ix_person_name_keys_key", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    key: Mapped[str] = mapped_column(String(40), info=RESTRICTED)


class PersonVersion(Base):
    """A person as they were before a change: every version is kept, nothing is overwritten.
    The snapshot holds personal data (phones, addresses), so it is sealed as CONFIDENTIAL."""

    __tablename__ = "person_versions"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=PUBLIC)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    snapshot: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    changed_fields: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    changed_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    changed_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), info=RESTRICTED
    )

"""Tables of the records domain. Every column declares its data class."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import PUBLIC, RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted
from kotwal.records.permissions import RecordsPermission


class Person(RecordId, Base):
    """A person of police interest: offender, suspect, missing person, unidentified body."""

    __tablename__ = "persons"
    #: The start page counts persons by status per station (absconding persons).
    __table_args__ = (Index("ix_persons_status_station", "status", "station_id"),)

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
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    phone: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(16), index=True, info=RESTRICTED)
    address: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: Bumped on every change; the previous state is kept in ``person_versions``.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="person",
        read_permission=RecordsPermission.PERSON_READ,
        jurisdiction_path=lambda p: p.jurisdiction_path,
        fields=(
            "name",
            "name_te",
            "father_name",
            "category",
            "sex",
            "birth_year",
            "marks",
            "status",
            "station_id",
            "phone",
            "address",
            "version",
        ),
        order_name=lambda p: p.name,
    )


class PersonAlias(RecordId, Base):
    """Another name a person is known by, in Latin or Telugu script."""

    __tablename__ = "person_aliases"

    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    name: Mapped[str] = mapped_column(String(200), info=RESTRICTED)


class PersonNameKey(Base):
    """Phonetic keys of a person's names and aliases: how name search finds candidates
    without scanning every row. Derived data, rebuilt from the names."""

    __tablename__ = "person_name_keys"
    __table_args__ = (Index("ix_person_name_keys_key_person", "key", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    key: Mapped[str] = mapped_column(String(40), info=RESTRICTED)


class PersonVersion(RecordId, Base):
    """A person as they were before a change: every version is kept, nothing is overwritten.
    The snapshot holds personal data (phones, addresses), so it is sealed as CONFIDENTIAL."""

    __tablename__ = "person_versions"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    person_id: Mapped[str] = mapped_column(ID, ForeignKey("persons.id"), index=True, info=PUBLIC)
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    snapshot: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    changed_fields: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    changed_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    changed_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    changed_at: Mapped[datetime] = stamped(RESTRICTED)


class HistorySheetCategory(Base):
    """A kind of history sheet (rowdy sheet, suspect sheet, KD, habitual offender): a small
    table so that a state can add its own kinds without a code change."""

    __tablename__ = "history_sheet_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True, info=PUBLIC)
    title: Mapped[str] = mapped_column(String(100), info=PUBLIC)
    #: Months between reviews when the opening officer does not name a date.
    review_months: Mapped[int] = mapped_column(Integer, default=6, info=PUBLIC)


class HistorySheet(RecordId, Base):
    """A history sheet opened on a person at a station under a legal basis (a standing order
    or an order of the superintendent), reviewed at intervals and closed with a reason."""

    __tablename__ = "history_sheets"

    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("persons.id"), index=True, info=RESTRICTED
    )
    category: Mapped[str] = mapped_column(
        String(32), ForeignKey("history_sheet_categories.code"), info=RESTRICTED
    )
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    legal_basis: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    modus_operandi: Mapped[str | None] = mapped_column(String(2000), info=RESTRICTED)
    opened_on: Mapped[date] = mapped_column(Date, info=RESTRICTED)
    next_review_on: Mapped[date] = mapped_column(Date, index=True, info=RESTRICTED)
    closed_on: Mapped[date | None] = mapped_column(Date, info=RESTRICTED)
    close_reason: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    #: Bumped on every review or closure; each step is kept in ``history_sheet_events``.
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="history_sheet",
        read_permission=RecordsPermission.HISTORY_SHEET_READ,
        jurisdiction_path=lambda s: s.jurisdiction_path,
        fields=(
            "person_id",
            "category",
            "station_id",
            "legal_basis",
            "modus_operandi",
            "opened_on",
            "next_review_on",
            "closed_on",
            "close_reason",
            "version",
        ),
    )


class HistorySheetEvent(RecordId, Base):
    """One step in a history sheet's life (opened, reviewed, closed): append-only, so the
    sheet's whole course can be read back."""

    __tablename__ = "history_sheet_events"

    sheet_id: Mapped[str] = mapped_column(
        ID, ForeignKey("history_sheets.id"), index=True, info=PUBLIC
    )
    action: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    version: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    previous_review_on: Mapped[date | None] = mapped_column(Date, info=RESTRICTED)
    next_review_on: Mapped[date | None] = mapped_column(Date, info=RESTRICTED)
    note: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)


class LawSection(Base):
    """A section of a penal law (BNS 2023, or the IPC it replaced) with its title, and the
    corresponding section of the other code where there is a clear one."""

    __tablename__ = "law_sections"

    code: Mapped[str] = mapped_column(String(24), primary_key=True, info=PUBLIC)
    act: Mapped[str] = mapped_column(String(8), info=PUBLIC)
    title: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    equivalent: Mapped[str | None] = mapped_column(String(24), info=PUBLIC)


class Case(RecordId, Base):
    """A case registered at a station: its FIR number (station code / year / number), the
    sections of law invoked and the date of registration."""

    __tablename__ = "cases"

    fir_number: Mapped[str] = mapped_column(String(64), unique=True, info=RESTRICTED)
    #: Section codes ("BNS 303,BNS 309"), each one a row of ``law_sections``.
    sections: Mapped[str] = mapped_column(String(500), info=RESTRICTED)
    registered_on: Mapped[date] = mapped_column(Date, index=True, info=RESTRICTED)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    created_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="case",
        read_permission=RecordsPermission.CASE_READ,
        jurisdiction_path=lambda c: c.jurisdiction_path,
        fields=("fir_number", "sections", "registered_on", "station_id"),
    )


class CaseParty(RecordId, Base):
    """A person's part in a case (accused, arrested, charge-sheeted, convicted, acquitted) from
    a date. Append-only: a person's course through a case is a series of rows."""

    __tablename__ = "case_parties"

    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id"), index=True, info=PUBLIC)
    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("persons.id"), index=True, info=RESTRICTED
    )
    role: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    role_on: Mapped[date] = mapped_column(Date, index=True, info=RESTRICTED)
    #: The case's jurisdiction, copied so that the gate can place the row without a join.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column(index=False)
    added_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    added_at: Mapped[datetime] = stamped(RESTRICTED)

    __disclosure__ = Protected(
        resource_type="case_party",
        read_permission=RecordsPermission.CASE_READ,
        jurisdiction_path=lambda p: p.jurisdiction_path,
        fields=("case_id", "person_id", "role", "role_on"),
    )

"""Tables of the records domain. Every column declares its data class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String
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
    name: Mapped[str] = mapped_column(String(200), info=PUBLIC)
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
        fields=("name", "category", "sex", "birth_year", "status", "station_id", "phone",
                "address"),
    )  # fmt: skip

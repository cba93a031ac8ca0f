"""Tables of the decoy register: the copies of the data that exist, and the decoys each carries.

A decoy is a made-up record that looks real. The primary (and the demo, a test copy) holds its
decoys as ordinary rows of the domain's table; an export or a backup carries its own set, which
exists only in that copy. Either way the register here names the copy, so that a decoy found in
a leak says where the leak came from.

Which records are decoys is itself a secret (data class SECRET): someone who can read the
database but holds no keys must not be able to tell a decoy from a real record. So the
register never stores a record id in clear: ``content`` is sealed (the record id and the
decoy's made-up values, used to recognise it in a leak) and ``record_bidx`` is a keyed blind
index of the record id, which is how a read is checked against the register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import RESTRICTED, RecordId, stamped
from kotwal.core.db import ID, Base
from kotwal.core.policy import DataClass, data_class
from kotwal.core.sealed import Encrypted

SECRET = data_class(DataClass.SECRET)


class DecoyCopy(RecordId, Base):
    """A copy of the data: the primary itself, an export, a backup, the demo, a test copy or a
    replica. Exports and backups get a fresh random id; the primary is ``primary``."""

    __tablename__ = "decoy_copies"

    #: primary | export | backup | demo | test | replica
    kind: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    created_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    created_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    #: Where the copy went: a file name, a host, a purpose. Never a secret.
    destination: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)


class Decoy(RecordId, Base):
    """One decoy record planted in one copy."""

    __tablename__ = "decoys"
    __table_args__ = (Index("ix_decoys_resource_bidx", "resource_type", "record_bidx"),)

    copy_id: Mapped[str] = mapped_column(
        ID, ForeignKey("decoy_copies.id"), index=True, info=RESTRICTED
    )
    #: person | phone | arms_licence | officer
    resource_type: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    #: Keyed blind index of the record id (domain ``decoys.record``): what a read is checked by.
    record_bidx: Mapped[str] = mapped_column(String(16), info=SECRET)
    #: JSON: {"record_id": ..., and the made-up values: name, father_name, phone, ...}.
    content: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET))
    planted_at: Mapped[datetime] = stamped(RESTRICTED)
    planted_by: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    planted_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)

"""Tables of the breach defences: the window of recent disclosures per account, alerts with the
records they name, and suspensions with their review.

Nothing here holds a record's content: only identifiers, kinds, counts and times. Rows are
never deleted by the service (the disclosure window is read by time; retention prunes it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import stamped
from kotwal.core.db import ID, Base, new_id

#: An autoincrementing 64-bit key on PostgreSQL that is still SQLite's rowid alias.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class WatchDisclosure(Base):
    """One protected record released to one account, with how (``kind``) and when.

    ``batch`` groups the rows of one disclosure (one search, one opened record), so the number
    of searches and the order in which records were opened can be read back.
    """

    __tablename__ = "watch_disclosures"
    __table_args__ = (
        Index("ix_watch_disclosures_account_at", "account_id", "at"),
        # The security officer's records released per hour over the day.
        Index("ix_watch_disclosures_at", "at"),
        # One entry per disclosure (its first row): the hour's opens, searches and exports are
        # read off it, however many records each search listed.
        Index(
            "ix_watch_disclosures_batches",
            "account_id",
            "kind",
            "at",
            sqlite_where=text("position = 0"),
            postgresql_where=text("position = 0"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ID)
    session_id: Mapped[str | None] = mapped_column(ID)
    batch: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    #: Position of the row in its batch (a listing's order, for the enumeration signal).
    position: Mapped[int] = mapped_column(Integer, default=0)
    out_of_jurisdiction: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Released with PUBLIC fields only: kept for the signals, not charged to the budget.
    public_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A coarse alphabetical bucket of the record's name (0-675, from its first two letters),
    #: for the alphabetical enumeration signal; never the name itself.
    order_bucket: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = stamped()


class WatchSeen(Base):
    """What an account has been shown of one record, as of the latest time: one row per
    (account, record), so the budget counts distinct records with an index range instead of
    reading back every row of the day (an officer repeating one search a thousand times holds
    a thousand times the rows, and the same few records).

    Each time is the latest at which the record was seen at all, charged to the budget, charged
    while outside the account's jurisdiction, downloaded as a photograph, and listed (with that
    listing's batch and position, for the enumeration signal). Pruned with the window.
    """

    __tablename__ = "watch_seen"
    __table_args__ = (
        Index("ix_watch_seen_account_charged", "account_id", "charged_at"),
        Index("ix_watch_seen_account_photo", "account_id", "photo_at"),
    )

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    charged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outside_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    photo_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    listed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    listed_batch: Mapped[str | None] = mapped_column(ID)
    listed_position: Mapped[int | None] = mapped_column(Integer)


class WatchAlert(Base):
    """Something the security officers must look at: a budget crossed, a decoy opened."""

    __tablename__ = "watch_alerts"
    __table_args__ = (Index("ix_watch_alerts_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str | None] = mapped_column(ID, ForeignKey("accounts.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ID)
    #: What raised it: "budget", "decoy", ... (free for other defences to name).
    kind: Mapped[str] = mapped_column(String(32))
    #: What was done: "alert" (nothing more), "step_up" or "suspend".
    action: Mapped[str] = mapped_column(String(16))
    #: "open" until a security officer lifts the suspension or closes the alert.
    status: Mapped[str] = mapped_column(String(16), default="open")
    score: Mapped[int] = mapped_column(Integer, default=0)
    #: JSON list of the signals that fired, each {"name", "points", "count"}.
    signals: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON object of counts and flags (never record content).
    detail: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = stamped()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(ID)
    close_reason: Mapped[str | None] = mapped_column(String(300))


class WatchAlertRecord(Base):
    """A record named by an alert (what the account obtained or tried to obtain)."""

    __tablename__ = "watch_alert_records"
    __table_args__ = (UniqueConstraint("alert_id", "record_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ID, ForeignKey("watch_alerts.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    #: True when the record was refused by this alert's cut-off rather than released.
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)


class WatchSuspension(Base):
    """An account suspended pending review, and how the review ended."""

    __tablename__ = "watch_suspensions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), index=True)
    alert_id: Mapped[str] = mapped_column(ID, ForeignKey("watch_alerts.id"), index=True)
    started_at: Mapped[datetime] = stamped()
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(ID)
    lift_reason: Mapped[str | None] = mapped_column(String(300))


class WatchPurposeRead(Base):
    """One read beyond the reader's jurisdiction made under a declared purpose: the entry a
    supervisor reviews. One row per answer (a search, an opened record), not per record.

    ``to_review`` marks the sample a supervisor must judge: every read under a reason without
    a case, and a share of those under a case (``KOTWAL_WATCH_PURPOSE_SAMPLE``). Holds the
    purpose and record identifiers only, never a record's content.
    """

    __tablename__ = "watch_purpose_reads"
    __table_args__ = (
        Index("ix_watch_purpose_reads_queue", "to_review", "verdict", "at"),
        Index("ix_watch_purpose_reads_account_at", "account_id", "at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    username: Mapped[str] = mapped_column(String(64))
    #: Where the reader is posted (their broadest posting): who may review them.
    reader_path: Mapped[str | None] = mapped_column(String(400))
    purpose: Mapped[str] = mapped_column(String(300))
    case_number: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    #: How many records outside the reader's jurisdiction the purpose opened, and the first
    #: of them (JSON list of ids, for the reviewer to follow up).
    records: Mapped[int] = mapped_column(Integer)
    record_ids: Mapped[str] = mapped_column(Text, default="[]")
    to_review: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = stamped()
    #: "justified" or "unjustified" once a supervisor has judged it.
    verdict: Mapped[str | None] = mapped_column(String(16))
    reviewed_by: Mapped[str | None] = mapped_column(ID, ForeignKey("accounts.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(300))

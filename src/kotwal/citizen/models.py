"""The citizen services' tables.

Identity is kept apart: only ``citizen_identities`` and ``citizen_emergency_contacts`` hold
who a citizen is (every field sealed under the row's own data key); an account row holds a
keyed blind index of the mobile number and nothing else, and trips, sessions and codes carry
the account's random id, a pseudonym. A trip's positions are sealed under the trip's data key,
so destroying that one key (``crypto.shred``) makes the whole track unreadable at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.citizen.permissions import CitizenPermission
from kotwal.core.columns import RESTRICTED, RecordId, jurisdiction_path_column, stamped
from kotwal.core.db import ID, Base
from kotwal.core.gate import Protected
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted

ACTIVE, ENDED, SHREDDED = "active", "ended", "shredded"


class CitizenAccount(RecordId, Base):
    """A citizen who logged in with a code sent to their mobile. The id is the pseudonym that
    everything else of theirs carries; the number is here only as a 64-bit keyed blind index
    (one account per number), its sealed value in the vault. No password: nothing to leak."""

    __tablename__ = "citizen_accounts"

    number_key: Mapped[str] = mapped_column(String(16), unique=True, info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)


def _filed_nowhere(_record: Any) -> str | None:
    # A citizen is filed under no station: every officer's read is outside their jurisdiction,
    # so the gate releases the vault only with a declared purpose, and flags it.
    return None


class CitizenIdentity(RecordId, Base):
    """The vault: who a citizen is. One row per account; every field sealed (CONFIDENTIAL),
    opened for an officer only through the gate with a purpose."""

    __tablename__ = "citizen_identities"
    __disclosure__ = Protected(
        resource_type="citizen_identity",
        read_permission=CitizenPermission.IDENTITY_READ,
        jurisdiction_path=_filed_nowhere,
        fields=("citizen_id", "mobile", "name", "email", "address"),
    )

    citizen_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), unique=True, info=RESTRICTED
    )
    mobile: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    name: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    email: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    address: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)


class CitizenEmergencyContact(RecordId, Base):
    """Someone a citizen wants told in an emergency (at most five), sealed like the vault."""

    __tablename__ = "citizen_emergency_contacts"
    __disclosure__ = Protected(
        resource_type="citizen_emergency_contact",
        read_permission=CitizenPermission.IDENTITY_READ,
        jurisdiction_path=_filed_nowhere,
        fields=("citizen_id", "name", "mobile"),
    )

    citizen_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, info=RESTRICTED
    )
    name: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    mobile: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class CitizenOtp(RecordId, Base):
    """A login code asked for: never the code itself, only its keyed hash (HMAC under a key
    derived from the index key, over the challenge id and the code, so the table alone cannot
    be searched for a six-digit code); used once, good for minutes, a few guesses each.

    ``demo_code`` holds the code sealed on a demo instance only (``KOTWAL_DEMO``), for
    ``kotwal demo-otp``; anywhere else it stays empty."""

    __tablename__ = "citizen_otps"

    number_key: Mapped[str] = mapped_column(String(16), index=True, info=RESTRICTED)
    #: SHA-256 of the device's installation id, for the per-device limit.
    device_key: Mapped[str] = mapped_column(String(64), index=True, info=RESTRICTED)
    client_addr: Mapped[str | None] = mapped_column(String(64), index=True, info=RESTRICTED)
    code_hash: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: Guesses taken, counted (committed) before each guess is compared.
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)
    #: When the code was spent, or superseded by a newer code for the number.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: "spent" (it opened a session) or "superseded" (a newer code was asked for).
    outcome: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    demo_code: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET), nullable=True)


class CitizenSession(RecordId, Base):
    """A device's session: the SHA-256 of its bearer token (the token itself is shown once),
    what the citizen called the device, when it was last used. The citizen lists and ends
    them; deleting the account deletes them."""

    __tablename__ = "citizen_sessions"

    citizen_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, info=RESTRICTED
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=RESTRICTED)
    device_label: Mapped[str] = mapped_column(String(60), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    last_seen_at: Mapped[datetime] = stamped(RESTRICTED)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    ended_reason: Mapped[str | None] = mapped_column(String(40), info=RESTRICTED)
    client_addr: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)


class CitizenTrip(RecordId, Base):
    """A Travel Made Safe trip. Vehicle number, start and destination are sealed under the
    trip's data key, and so is every position (:class:`CitizenTripPosition`): shredding that
    key when the grace period after the trip is over destroys the trip's track in one step."""

    __tablename__ = "citizen_trips"
    # Filed under no station: the control room that sees it is the one whose jurisdiction
    # holds its latest position, found when it is read (``placed_at``, set by
    # :func:`kotwal.citizen.trips.place`), and only while it is active or under an SOS.
    __disclosure__ = Protected(
        resource_type="citizen_trip",
        read_permission=CitizenPermission.TRIP_READ,
        jurisdiction_path=lambda trip: getattr(trip, "placed_at", None),
        fields=(
            "status",
            "vehicle_number",
            "origin",
            "destination",
            "expected_arrival",
            "started_at",
            "ended_at",
            "positions",
        ),
    )

    citizen_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, nullable=True, info=RESTRICTED
    )
    vehicle_number: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    origin: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    destination: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    expected_arrival: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: active, ended, shredded
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, info=RESTRICTED)
    started_at: Mapped[datetime] = stamped(RESTRICTED)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: When the trip's key is to be destroyed: the end plus the grace period (set at the
    #: start too, from the expected arrival, so an abandoned trip is shredded all the same).
    shred_after: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), index=True, info=RESTRICTED
    )
    shredded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: The id of the data key destroyed, named in the tombstone.
    shredded_key: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    positions: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)
    #: "lat,lon;lat,lon": the start and the destination as places, when the app gave them
    #: (the off-route check needs them), sealed under the trip's key.
    route: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: The deviation last found ("off_route", "still", "silent", "overdue"), while its
    #: check-in is waiting for an answer or has gone unanswered.
    deviation: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    check_in_asked_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=RESTRICTED
    )
    check_in_due_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=RESTRICTED
    )
    check_in_answered_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=RESTRICTED
    )
    #: The SOS raised for the trip when a check-in went unanswered (or was answered "not safe").
    alarm_sos_id: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)


class CitizenTripPosition(RecordId, Base):
    """One position of a trip, sealed under the trip's data key (not a key of its own): the
    associated data still binds table, column and row, so a position cannot be moved."""

    __tablename__ = "citizen_trip_positions"

    trip_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_trips.id"), index=True, info=RESTRICTED
    )
    #: "lat,lon[,accuracy]" and the moment it was taken, together, sealed: when a trip was
    #: where is the track.
    fix: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    received_at: Mapped[datetime] = stamped(RESTRICTED)


class CitizenTripTombstone(RecordId, Base):
    """What remains of a shredded trip: which key was destroyed and when, signed with the
    audit key (Ed25519) so that a restored copy of the database can be shown, and made, to
    forget the trip again (``kotwal citizen shred-trips``)."""

    __tablename__ = "citizen_trip_tombstones"

    trip_id: Mapped[str] = mapped_column(String(36), unique=True, info=RESTRICTED)
    data_key_id: Mapped[str] = mapped_column(String(36), info=RESTRICTED)
    shredded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    signature: Mapped[str] = mapped_column(String(128), info=RESTRICTED)


SOS_OPEN, SOS_CLOSED = "open", "closed"


class CitizenSos(RecordId, Base):
    """A citizen's SOS: the incident it became in patrol's queue (source "sos", priority 1,
    where and when it was raised), the station whose area holds the place, and its course:
    acknowledged by the control room, escalated while it was not, closed. The citizen's
    positions while it is open are sealed under this row's own data key
    (:class:`CitizenSosPosition`); they are released to the control room only while it is
    open, and destroyed with the key once it has been closed for
    ``KOTWAL_CITIZEN_SOS_KEEP_HOURS``. Carries the pseudonym, never who the citizen is."""

    __tablename__ = "citizen_sos"
    __table_args__ = (Index("ix_citizen_sos_status_raised", "status", "raised_at"),)
    __disclosure__ = Protected(
        resource_type="citizen_sos",
        read_permission=CitizenPermission.SOS_READ,
        jurisdiction_path=lambda sos: sos.jurisdiction_path,
        fields=(
            "incident_id",
            "station_id",
            "status",
            "raised_at",
            "acknowledged_at",
            "escalation_level",
            "escalated_at",
            "escalated_to",
            "contacts_told",
            "closed_at",
            "closed_by",
            "positions",
        ),
    )

    citizen_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, nullable=True, info=RESTRICTED
    )
    incident_id: Mapped[str] = mapped_column(
        ID, ForeignKey("patrol_incidents.id"), index=True, unique=True, info=RESTRICTED
    )
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    #: open, closed
    status: Mapped[str] = mapped_column(String(16), default=SOS_OPEN, info=RESTRICTED)
    raised_at: Mapped[datetime] = stamped(RESTRICTED)
    acknowledged_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=RESTRICTED
    )
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    #: 0 at the station; 1, 2, ... once passed up a level of the tree for want of an answer.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: The jurisdiction (district, zone, ...) whose control room it was passed to last.
    escalated_to: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    #: The nearest available units proposed when it was raised (and again at each
    #: escalation, from the wider area), comma-separated ids, nearest first.
    proposed_units: Mapped[str | None] = mapped_column(String(400), info=RESTRICTED)
    contacts_told: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: "citizen", "control-room" or "incident-closed".
    closed_by: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    shred_after: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True, info=RESTRICTED
    )
    shredded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    positions: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)


class CitizenSosPosition(RecordId, Base):
    """Where the citizen was while their SOS was open: time, place and accuracy together,
    sealed under the SOS's data key (bound to its own row), as a trip's positions are."""

    __tablename__ = "citizen_sos_positions"

    sos_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_sos.id"), index=True, info=RESTRICTED
    )
    fix: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    received_at: Mapped[datetime] = stamped(RESTRICTED)


class CitizenReport(RecordId, Base):
    """A citizen's report (crime information, a traffic violation, a crime against a woman,
    police misconduct, a suggestion, good work) or an anonymous tip, routed to the station
    whose area holds the place (misconduct to the district above it). What was said, where,
    and a vehicle number are sealed; the course is FixMyStreet's
    (:data:`kotwal.citizen.reports.STATES`), each change a :class:`CitizenReportEvent` the
    citizen reads. An anonymous tip carries no pseudonym at all: only, for a day, a keyed hash
    of the sender's address and device for the limits, and the hash of a receipt with which
    its sender can follow it."""

    __tablename__ = "citizen_reports"
    __table_args__ = (Index("ix_citizen_reports_status_created", "status", "created_at"),)
    __disclosure__ = Protected(
        resource_type="citizen_report",
        read_permission=CitizenPermission.REPORT_READ,
        jurisdiction_path=lambda report: report.jurisdiction_path,
        fields=(
            "citizen_id",
            "anonymous",
            "kind",
            "description",
            "place",
            "vehicle_number",
            "station_id",
            "status",
            "duplicate_of",
            "created_at",
            "updated_at",
            "version",
        ),
    )

    citizen_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, nullable=True, info=RESTRICTED
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, info=RESTRICTED)
    kind: Mapped[str] = mapped_column(String(24), info=RESTRICTED)
    description: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: "lat,lon" where it happened, as the citizen gave it.
    place: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    vehicle_number: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    station_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=RESTRICTED)
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()
    status: Mapped[str] = mapped_column(String(24), info=RESTRICTED)
    duplicate_of: Mapped[str | None] = mapped_column(String(36), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)
    version: Mapped[int] = mapped_column(Integer, default=1, info=RESTRICTED)
    #: An anonymous tip's keyed hash (64 bits) of the sender's address, for the limit; blanked
    #: by the purge after a day.
    limit_key: Mapped[str | None] = mapped_column(String(16), index=True, info=RESTRICTED)
    #: An anonymous tip's SHA-256 of the app's installation id, for the limit; blanked too.
    device_key: Mapped[str | None] = mapped_column(String(64), index=True, info=RESTRICTED)
    #: SHA-256 of an anonymous tip's receipt (shown once to its sender).
    receipt_hash: Mapped[str | None] = mapped_column(
        String(64), index=True, unique=True, info=RESTRICTED
    )


class CitizenReportEvent(RecordId, Base):
    """One step of a report's course, with what the police tell the citizen (sealed)."""

    __tablename__ = "citizen_report_events"

    report_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_reports.id"), index=True, info=RESTRICTED
    )
    status: Mapped[str] = mapped_column(String(24), info=RESTRICTED)
    note: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    at: Mapped[datetime] = stamped(RESTRICTED)


class CitizenReportPhoto(RecordId, Base):
    """A report's photograph: checked and re-encoded by :mod:`kotwal.core.images` (pixels only:
    no EXIF, no GPS, no thumbnail), sealed. Where the photo says it was taken is read before
    the metadata is stripped and kept apart, sealed."""

    __tablename__ = "citizen_report_photos"
    __disclosure__ = Protected(
        resource_type="citizen_report_photo",
        read_permission=CitizenPermission.REPORT_READ,
        jurisdiction_path=lambda photo: getattr(photo, "placed_at", None),
        fields=("report_id", "format", "width", "height", "byte_size", "taken_place"),
    )

    report_id: Mapped[str] = mapped_column(
        ID, ForeignKey("citizen_reports.id"), index=True, info=RESTRICTED
    )
    image: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    sha256: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    format: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    width: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    height: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    byte_size: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: "lat,lon" from the photo's GPS metadata, if it had any.
    taken_place: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


def _lost_phone_path(phone: Any) -> str | None:
    return phone.jurisdiction_path  # type: ignore[no-any-return]


class CitizenLostPhone(RecordId, Base):
    """A mobile phone a citizen reported lost: its IMEI (Luhn-checked) sealed, and found by a
    keyed blind index so that an officer holding a seized phone can ask "is this one reported
    lost?" without the table being searchable by anyone with a copy of it. Filed at the station
    whose area holds the place it was lost, when one is given; else nowhere (every officer's
    read is then outside their jurisdiction: released only with a purpose)."""

    __tablename__ = "citizen_lost_phones"
    __disclosure__ = Protected(
        resource_type="citizen_lost_phone",
        read_permission=CitizenPermission.LOST_PHONE_READ,
        jurisdiction_path=_lost_phone_path,
        fields=(
            "citizen_id",
            "imei",
            "make_model",
            "place",
            "lost_at",
            "station_id",
            "status",
            "created_at",
            "updated_at",
        ),
    )

    citizen_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("citizen_accounts.id"), index=True, nullable=True, info=RESTRICTED
    )
    #: 64-bit keyed blind index of the 15 digits.
    imei_key: Mapped[str] = mapped_column(String(16), index=True, info=RESTRICTED)
    imei: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    make_model: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    #: "lat,lon" where it was lost, as the citizen gave it.
    place: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    lost_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    station_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("jurisdictions.id"), nullable=True, info=RESTRICTED
    )
    jurisdiction_path: Mapped[str | None] = mapped_column(
        String(1000), index=True, nullable=True, info=RESTRICTED
    )
    #: lost, found (by its owner or the police), withdrawn
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

"""Tables of the public alerts domain. Every column declares its data class.

The registry mirrors what the force registered on DLT (the principal entity, its sender
headers, its content templates and the URLs and numbers its messages may carry): it is what
the public will see, so most of it is PUBLIC. A public alert is RESTRICTED until it is sent
(a draft is an operational decision not yet taken). Citizens' numbers, in consent records and
in one-time passwords, are CONFIDENTIAL and sealed; they are found by their blind index.

The outbox is a transactional outbox: rows are written in the same transaction as the
approval (or the OTP request) and a worker (``kotwal.alerts.worker``) later submits them to the
SMSC; ``alert_submissions`` keeps each part the SMSC accepted, and ``alert_smsc`` the link the
workers bind to, its password sealed.

An approved alert's CAP 1.2 document (``public_alert_caps``) is PUBLIC: it is what anyone may
fetch and verify. What the drafter wrote for it is RESTRICTED until then, like the alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
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
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted


class AlertEntity(RecordId, Base):
    """The principal entity registered on DLT (the police department), by its PE ID."""

    __tablename__ = "alert_entities"

    pe_id: Mapped[str] = mapped_column(String(32), unique=True, info=PUBLIC)
    name: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class AlertHeader(RecordId, Base):
    """A sender header registered under the entity (six letters for service messages)."""

    __tablename__ = "alert_headers"

    entity_id: Mapped[str] = mapped_column(
        ID, ForeignKey("alert_entities.id"), index=True, info=PUBLIC
    )
    header: Mapped[str] = mapped_column(String(11), unique=True, info=PUBLIC)
    #: "active" or "inactive" (deactivated on DLT: nothing is sent under it).
    status: Mapped[str] = mapped_column(String(16), info=PUBLIC)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class AlertTemplate(RecordId, Base):
    """A content template as registered on DLT: its ID, header, category and text with
    ``{#var#}`` placeholders, and the type of each variable in order (kotwal's addition)."""

    __tablename__ = "alert_templates"

    dlt_template_id: Mapped[str] = mapped_column(String(32), unique=True, info=PUBLIC)
    header_id: Mapped[str] = mapped_column(
        ID, ForeignKey("alert_headers.id"), index=True, info=PUBLIC
    )
    name: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    #: transactional, service-implicit or service-explicit (promotional is refused).
    category: Mapped[str] = mapped_column(String(24), info=PUBLIC)
    text: Mapped[str] = mapped_column(String(2000), info=PUBLIC)
    #: The variables' types in order, comma-separated ("text,date,phone").
    variables: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    #: At most this many alerts (or, for the OTP template, messages) per day at the stations.
    daily_cap: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: The one-time-password template: sent without approval, never used for an alert.
    locked: Mapped[bool] = mapped_column(Boolean, default=False, info=PUBLIC)
    #: "active" or "inactive".
    status: Mapped[str] = mapped_column(String(16), info=PUBLIC)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)


class AlertAllowed(RecordId, Base):
    """A URL (or URL prefix ending in "/") or a phone number the entity's messages may carry
    in their ``url`` and ``phone`` variables (whitelisted on DLT as well)."""

    __tablename__ = "alert_allow_list"
    __table_args__ = (UniqueConstraint("entity_id", "kind", "value"),)

    entity_id: Mapped[str] = mapped_column(ID, ForeignKey("alert_entities.id"), info=PUBLIC)
    #: "url" or "phone".
    kind: Mapped[str] = mapped_column(String(8), info=PUBLIC)
    value: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    created_at: Mapped[datetime] = stamped(RESTRICTED)


class AlertConsent(RecordId, Base):
    """A citizen's consent to receive a service-explicit template's messages, until revoked."""

    __tablename__ = "alert_consents"

    template_id: Mapped[str] = mapped_column(
        ID, ForeignKey("alert_templates.id"), index=True, info=RESTRICTED
    )
    number: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    number_bidx: Mapped[str] = mapped_column(String(16), index=True, info=RESTRICTED)
    #: The number's 64-bit blind index, as a subscriber's (``audiences.number_key``).
    number_key: Mapped[str | None] = mapped_column(String(16), index=True, info=RESTRICTED)
    #: How it was given ("citizen app opt-in", "written form at PS Abids").
    source: Mapped[str] = mapped_column(String(100), info=RESTRICTED)
    recorded_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    given_at: Mapped[datetime] = stamped(RESTRICTED)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)


class PublicAlert(RecordId, Base):
    """An alert to the public: drafted by one officer, approved (or rejected) by another before
    its approval window closes; on approval its messages go to the outbox."""

    __tablename__ = "public_alerts"
    __table_args__ = (Index("ix_public_alerts_template_decided", "template_id", "decided_at"),)

    template_id: Mapped[str] = mapped_column(ID, ForeignKey("alert_templates.id"), info=RESTRICTED)
    text: Mapped[str] = mapped_column(String(2000), info=RESTRICTED)
    encoding: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    characters: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    parts: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: "awaiting" approval, "queued" (approved, in the outbox) or "rejected"; an awaiting
    #: alert past ``approval_due`` reads as expired.
    status: Mapped[str] = mapped_column(String(16), index=True, info=RESTRICTED)
    drafted_by: Mapped[str | None] = mapped_column(ID, info=RESTRICTED)
    drafted_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    drafted_at: Mapped[datetime] = stamped(RESTRICTED)
    approval_due: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    decided_by: Mapped[str | None] = mapped_column(ID, info=RESTRICTED)
    decided_by_name: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    decision_reason: Mapped[str | None] = mapped_column(String(500), info=RESTRICTED)
    #: The deepest node above every target area: who may read and approve the alert.
    jurisdiction_path: Mapped[str] = jurisdiction_path_column()


class PublicAlertArea(Base):
    """A jurisdiction node (station, circle, district...) an alert is addressed to."""

    __tablename__ = "public_alert_areas"
    __table_args__ = (UniqueConstraint("alert_id", "jurisdiction_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(
        ID, ForeignKey("public_alerts.id"), index=True, info=PUBLIC
    )
    jurisdiction_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=PUBLIC)


class AlertOutboxMessage(RecordId, Base):
    """A message queued for delivery, with what DLT needs frozen as it was when queued: an
    alert's message to one area (its recipients are found at delivery), or a one-time
    password to one number. The body is sealed: an OTP's carries the code."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        Index("ix_alert_outbox_template_queued", "template_id", "queued_at"),
        Index("ix_alert_outbox_number_queued", "number_bidx", "queued_at"),
        # What a worker claims: messages queued or with a lapsed lease, oldest due first.
        Index("ix_alert_outbox_status_due", "status", "due_at"),
    )

    #: "area" (an alert's message to one area: no number; its recipients' messages point to
    #: it for the body), "alert" (an alert's message to one subscriber) or "otp".
    kind: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    alert_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("public_alerts.id"), index=True, info=RESTRICTED
    )
    #: The template and area of an area's message or an OTP; a subscriber's message leaves
    #: them to its area's message (``parent_id``), which spares two foreign-key checks per
    #: recipient (on PostgreSQL each is a trigger; they were half the time of a fan-out).
    template_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("alert_templates.id"), info=RESTRICTED
    )
    area_id: Mapped[str | None] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=RESTRICTED)
    #: An OTP's number. A subscriber's message has none of its own: the number is read from
    #: the subscriber when it is sent, so a million recipients are queued by one INSERT ...
    #: SELECT, and a subscriber who leaves takes the number with them.
    number: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    number_bidx: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    #: The text (an area's message, an OTP). A subscriber's message reads its area's.
    body: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL), nullable=True)
    subscriber_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("alert_subscribers.id"), index=True, info=RESTRICTED
    )
    #: The area's message a subscriber's message was fanned out from (its body, template and
    #: area). No foreign key, for the same reason: it is written by the fan-out, in the same
    #: statement that reads it, and area messages are never deleted.
    parent_id: Mapped[str | None] = mapped_column(ID, info=RESTRICTED)
    pe_id: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    header: Mapped[str] = mapped_column(String(11), info=RESTRICTED)
    dlt_template_id: Mapped[str] = mapped_column(String(32), info=RESTRICTED)
    encoding: Mapped[str] = mapped_column(String(8), info=RESTRICTED)
    parts: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: queued, submitting (a worker holds it until ``due_at``), submitted (every part
    #: accepted by the SMSC), delivered or undelivered (by the receipts), failed (refused for
    #: good); an area's message (no number) becomes "expanded" once its recipients are queued.
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    queued_at: Mapped[datetime] = stamped(RESTRICTED)
    #: When a worker may next take it: at once when queued, after a back-off when retried,
    #: when the lease ends while "submitting" (a worker that died leaves it here).
    due_at: Mapped[datetime] = stamped(RESTRICTED)
    #: Times a worker has claimed it.
    attempts: Mapped[int] = mapped_column(Integer, default=0, info=RESTRICTED)
    #: The worker holding the lease ("host:pid:bind").
    claimed_by: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    #: The concatenation reference of a long message's parts, chosen once so that a part sent
    #: again after a crash joins the parts that went before it.
    concat_ref: Mapped[int | None] = mapped_column(Integer, info=RESTRICTED)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: The last SMSC command status or receipt state that was not a success ("0x58", "UNDELIV").
    last_error: Mapped[str | None] = mapped_column(String(32), info=RESTRICTED)


class AlertSubscriber(RecordId, Base):
    """A number that asked for public alerts: sealed, found by its blind index (one row per
    number), with the CAP categories it wants (a bit each, :data:`audiences.CATEGORY_BITS`) and
    where it came from. Deleting the row is how a citizen leaves."""

    __tablename__ = "alert_subscribers"

    number: Mapped[Any] = mapped_column(Encrypted(DataClass.CONFIDENTIAL))
    #: The number's 64-bit blind index (``audiences.number_key``): one row per number, and the
    #: same index as a consent's, so that a service-explicit template's consent is matched in
    #: SQL when an alert is fanned out.
    number_key: Mapped[str] = mapped_column(String(16), unique=True, info=RESTRICTED)
    #: CAP categories wanted, one bit each; 0 would mean none, and is refused.
    categories: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: How the subscription was given ("citizen app", "SMS START to 1909", "form at PS Abids").
    source: Mapped[str] = mapped_column(String(100), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)


class AlertSubscription(Base):
    """One area a subscriber wants alerts for: a node of the jurisdiction tree (a station, and
    so the circle and district above it) or a GHMC ward by its code."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "jurisdiction_id", "ward_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[str] = mapped_column(
        ID, ForeignKey("alert_subscribers.id"), index=True, info=RESTRICTED
    )
    jurisdiction_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("jurisdictions.id"), index=True, info=RESTRICTED
    )
    ward_code: Mapped[str | None] = mapped_column(String(64), index=True, info=RESTRICTED)


class AlertSubmission(Base):
    """One part of an outbox message as the SMSC accepted it (its submit_sm_resp), and what
    the SMSC's delivery receipt later said. A part with a row here is never submitted again."""

    __tablename__ = "alert_submissions"
    __table_args__ = (UniqueConstraint("message_id", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ID, ForeignKey("alert_outbox.id"), info=RESTRICTED)
    #: 1-based part number.
    part: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    smsc_message_id: Mapped[str] = mapped_column(String(65), index=True, info=RESTRICTED)
    submitted_at: Mapped[datetime] = stamped(RESTRICTED)
    #: None until a receipt comes: then DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN.
    receipt: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)


class AlertSmsc(RecordId, Base):
    """The SMSC link the workers bind to: where, as whom, how many binds and how wide a window,
    and the telemarketer chain ID DLT needs on every message. The bind password is sealed under
    the key-encryption key, like every other secret kotwal keeps (docs/domains/alerts.md)."""

    __tablename__ = "alert_smsc"

    name: Mapped[str] = mapped_column(String(40), unique=True, info=RESTRICTED)
    host: Mapped[str] = mapped_column(String(255), info=RESTRICTED)
    port: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    system_id: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    system_type: Mapped[str] = mapped_column(String(13), info=RESTRICTED)
    password: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET))
    chain_id: Mapped[str] = mapped_column(String(200), info=RESTRICTED)
    binds: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    window: Mapped[int] = mapped_column(Integer, info=RESTRICTED)
    #: "active" or "inactive" (workers send nothing through an inactive link).
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    updated_by_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)


class PublicAlertCap(Base):
    """The CAP 1.2 side of an alert: what its drafter wrote for the document (optional) and,
    once it is approved, the signed document as published, which is what the public pages serve
    and verify."""

    __tablename__ = "public_alert_caps"

    alert_id: Mapped[str] = mapped_column(
        ID, ForeignKey("public_alerts.id"), primary_key=True, info=PUBLIC
    )
    #: The drafter's CAP content (``CapIn`` as JSON), or None: the SMS text alone.
    content: Mapped[str | None] = mapped_column(Text, info=RESTRICTED)
    #: The CAP ``identifier`` (a random UUID), once the document is issued.
    identifier: Mapped[str | None] = mapped_column(String(64), unique=True, info=PUBLIC)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=PUBLIC)
    #: Until when the alert is current (listed in the feed).
    expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True, info=PUBLIC
    )
    #: The signed document, exactly as it was validated and signed.
    document: Mapped[str | None] = mapped_column(Text, info=PUBLIC)
    #: SHA-256 of the SMS text with its white space folded: how a pasted text finds it.
    text_key: Mapped[str | None] = mapped_column(String(64), index=True, info=PUBLIC)
    #: Which document-signing key signed it (fingerprint of the public half).
    key_fingerprint: Mapped[str | None] = mapped_column(String(16), info=PUBLIC)


class AlertChannel(RecordId, Base):
    """A way out to the public (an SMPP link, the public feed): who answers for it, until
    when, and when it was last really used. One past its expiry or unused for the idle period
    disables itself; enabling it again takes two officers (``alerts/channels.py``)."""

    __tablename__ = "alert_channels"

    #: "smpp:<link name>" or "public-feed".
    name: Mapped[str] = mapped_column(String(64), unique=True, info=RESTRICTED)
    #: "smpp" or "public-feed".
    kind: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: The officer who answers for it (a username).
    owner_name: Mapped[str] = mapped_column(String(64), info=RESTRICTED)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: The heartbeat: a part the SMSC accepted, a public page served (at most hourly).
    last_used_at: Mapped[datetime] = stamped(RESTRICTED)
    #: "live" or "disabled".
    status: Mapped[str] = mapped_column(String(16), info=RESTRICTED)
    #: "expired", "idle" or "officer".
    disabled_reason: Mapped[str | None] = mapped_column(String(16), info=RESTRICTED)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    #: A pending request to enable it (or renew it), waiting for a second officer.
    requested_by: Mapped[str | None] = mapped_column(ID, info=RESTRICTED)
    requested_by_name: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=RESTRICTED)
    requested_owner: Mapped[str | None] = mapped_column(String(64), info=RESTRICTED)
    requested_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=RESTRICTED
    )
    created_at: Mapped[datetime] = stamped(RESTRICTED)
    updated_at: Mapped[datetime] = stamped(RESTRICTED)

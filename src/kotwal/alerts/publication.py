"""Publishing approved alerts as signed CAP 1.2 documents, and checking a claim that kotwal
sent one, each in the caller's unit of work.

- When an alert is drafted, what its drafter wrote for the CAP document (if anything) is kept
  with it (:func:`keep_content`), so that the approver approves the document too.
- In the approving transaction, :func:`publish` builds the document, validates it against the
  OASIS schema, signs it with the deployment's document-signing key and stores it. A document
  that does not validate stops the approval: nothing is queued that cannot be published.
- The public pages read only what is published: :func:`current` (the feed), :func:`document`
  (one document by identifier) and :func:`check` (the verification page), which verifies the
  stored signature every time rather than trusting the row.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from kotwal.alerts import cap
from kotwal.alerts.config import alert_settings
from kotwal.alerts.models import PublicAlert, PublicAlertArea, PublicAlertCap
from kotwal.alerts.registry import TemplateView
from kotwal.alerts.schemas import CapIn
from kotwal.alerts.scrub import AllowList, prose_problem
from kotwal.core.clock import as_utc, station_zone, utcnow
from kotwal.core.errors import InvalidInput, NotConfigured
from kotwal.core.keys import KeyProblem, document_public_pem, fingerprint
from kotwal.core.policy import Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork

FEED_MAX = 50
CHECK_MAX = 10
#: A CAP identifier as kotwal issues them (a random UUID).
IDENTIFIER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
JURISDICTION_GEOCODE = "kotwal-{kind}"


def keep_content(
    uow: UnitOfWork, alert: PublicAlert, content: CapIn | None, allow: AllowList
) -> None:
    """Keep what the drafter wrote for the alert's CAP document: wards checked now, and links
    and numbers to call in its words held to the allow-list, as in the SMS."""
    if content is not None:
        unknown = [w for w in content.wards if cap.find_ward(w) is None]
        if unknown:
            raise InvalidInput(f"no GHMC ward {unknown[0]!r} (give a code such as 91-khairatabad)")
        for info in content.info:
            for field in ("event", "headline", "description", "instruction"):
                problem = prose_problem(getattr(info, field) or "", allow)
                if problem:
                    raise InvalidInput(f"the CAP {field} ({info.language}): {problem}")
    raw = None if content is None else content.model_dump_json()
    uow.session.add(PublicAlertCap(alert_id=alert.id, content=raw))


def signing_key(runtime: Runtime) -> ec.EllipticCurvePrivateKey:
    """The document-signing key, or a 503 that says how to provide it: a deployment without
    the key still serves everything else, and approving or verifying says what is missing."""
    try:
        return runtime.keyring.document_key()
    except KeyProblem as exc:
        raise NotConfigured(str(exc)) from exc


def public_pem(runtime: Runtime) -> bytes:
    """The public half of the document-signing key, as PEM."""
    return document_public_pem(signing_key(runtime))


def content_of(uow: UnitOfWork, alert_id: str) -> CapIn | None:
    """What the drafter wrote for the alert's CAP document, for the approver to read."""
    row = uow.session.get(PublicAlertCap, alert_id)
    if row is None or row.content is None:
        return None
    return CapIn.model_validate_json(row.content)


def text_key(text: str) -> str:
    """How a text is looked up: SHA-256 of its folded form (:func:`cap.text_key_form`)."""
    return hashlib.sha256(cap.text_key_form(text).encode("utf-8")).hexdigest()


def _areas(uow: UnitOfWork, alert: PublicAlert, content: CapIn | None) -> tuple[cap.Area, ...]:
    """The alert's jurisdictions (geocodes: they have no boundaries in kotwal yet) and its
    GHMC wards (polygons)."""
    found = uow.session.execute(
        select(Jurisdiction)
        .join(PublicAlertArea, PublicAlertArea.jurisdiction_id == Jurisdiction.id)
        .where(PublicAlertArea.alert_id == alert.id)
        .order_by(Jurisdiction.path)
    ).scalars()
    areas = [
        cap.Area(j.name, geocodes=((JURISDICTION_GEOCODE.format(kind=j.kind), j.code),))
        for j in found
    ]
    for name in content.wards if content else ():
        ward = cap.find_ward(name)
        if ward is not None:
            areas.append(cap.Area(ward.name, ward.polygons, ((cap.WARD_GEOCODE, ward.code),)))
    return tuple(areas)


def _info(view: TemplateView, text: str, content: CapIn | None) -> tuple[cap.Info, ...]:
    """One block per language the drafter wrote; the SMS rides on its own language's block.
    Without the drafter's words, one block in the SMS's language says what the SMS says."""
    language = cap.language_of(text)
    header = view.header.header
    if content is None:
        name = view.template.name[:160]
        unknown = "Unknown"
        info = cap.Info(language, "Safety", name, unknown, unknown, unknown, name, text)
        return (replace(info, sms=text, sms_header=header),)
    return tuple(
        cap.Info(
            language=info.language,
            category=content.category.value,
            event=info.event,
            urgency=content.urgency.value,
            severity=content.severity.value,
            certainty=content.certainty.value,
            headline=info.headline,
            description=info.description,
            instruction=info.instruction,
            sms=text if info.language == language else None,
            sms_header=header if info.language == language else None,
        )
        for info in sorted(content.info, key=lambda i: i.language)
    )


def publish(uow: UnitOfWork, alert: PublicAlert, view: TemplateView, text: str) -> str:
    """Build, validate, sign and store the CAP document of an alert being approved; returns its
    identifier. Raises :class:`cap.CapInvalid` (stopping the approval) if it does not validate,
    and a key problem if the deployment has no document-signing key."""
    key = signing_key(uow.runtime)
    row = uow.session.get(PublicAlertCap, alert.id)
    if row is None:  # drafted before CAP documents existed
        row = PublicAlertCap(alert_id=alert.id)
        uow.session.add(row)
    content = None if row.content is None else CapIn.model_validate_json(row.content)
    settings = alert_settings()
    sent = (alert.decided_at or utcnow()).replace(microsecond=0)
    expires = sent + timedelta(hours=content.hours if content else settings.cap_hours)
    zone = station_zone(uow.runtime.settings)
    document = cap.CapAlert(
        identifier=str(uuid.uuid4()),
        sender=settings.cap_sender,
        sender_name=view.entity.name,
        sent=as_utc(sent).astimezone(zone),
        expires=as_utc(expires).astimezone(zone),
        # A demo instance's alerts are synthetic: CAP says so, so no reader acts on one.
        status="Exercise" if uow.runtime.settings.demo else "Actual",
        info=_info(view, text, content),
        areas=_areas(uow, alert, content),
    )
    try:
        signed = cap.issue(document, key)
    except ValueError as exc:  # CapInvalid, or a character XML cannot carry
        raise InvalidInput(f"the alert's CAP document would not be valid: {exc}") from exc
    row.identifier, row.sent_at, row.expires_at = document.identifier, sent, expires
    row.document = signed.decode("utf-8")
    row.text_key = text_key(text)
    row.key_fingerprint = fingerprint(public_pem(uow.runtime))
    return document.identifier


def identifier_of(uow: UnitOfWork, alert_id: str) -> str | None:
    """The identifier of an alert's CAP document, once it is published."""
    return uow.session.execute(
        select(PublicAlertCap.identifier).where(PublicAlertCap.alert_id == alert_id)
    ).scalar_one_or_none()


# --- what the public reads -------------------------------------------------------------------


def _public_key(uow: UnitOfWork) -> ec.EllipticCurvePublicKey:
    return signing_key(uow.runtime).public_key()


@dataclass(frozen=True)
class Published:
    """A published document whose signature verified."""

    identifier: str
    sent_at: datetime
    expires_at: datetime
    verified: cap.Verified


#: Verified documents by (document digest, key): a stored document's bytes never change, so
#: the signature check is made once per document and key, not on every anonymous request (a
#: feed of 50 large documents cost ~165 ms of CPU per request). A failure is not kept: a
#: tampered row keeps failing, and costs its check each time.
_VERIFIED: dict[tuple[bytes, bytes], cap.Verified] = {}
_VERIFIED_MAX = 4096


def verified(document: bytes, public: ec.EllipticCurvePublicKey) -> cap.Verified | None:
    """:func:`cap.verify`, remembered for documents that verified."""
    key = (hashlib.sha256(document).digest(), _key_bytes(public))
    found = _VERIFIED.get(key)
    if found is None:
        found = cap.verify(document, public)
        if found is not None:
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[key] = found
    return found


def _key_bytes(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def current(uow: UnitOfWork, now: datetime | None = None) -> list[Published]:
    """Alerts still current, newest first: only those whose signature verifies."""
    moment = now or utcnow()
    rows = uow.session.execute(
        select(PublicAlertCap)
        .where(PublicAlertCap.identifier.is_not(None), PublicAlertCap.expires_at > moment)
        .order_by(PublicAlertCap.sent_at.desc())
        .limit(FEED_MAX)
    ).scalars()
    public = _public_key(uow)
    found = []
    for row in rows:
        checked = verified((row.document or "").encode("utf-8"), public)
        if checked is not None and checked.identifier == row.identifier:
            sent_at, expires_at = as_utc(row.sent_at or moment), as_utc(row.expires_at or moment)
            found.append(Published(row.identifier or "", sent_at, expires_at, checked))
    return found


def document(uow: UnitOfWork, identifier: str) -> bytes | None:
    """The stored document with this identifier, as published (the reader verifies it)."""
    if not IDENTIFIER.match(identifier):
        return None
    stored = uow.session.execute(
        select(PublicAlertCap.document).where(PublicAlertCap.identifier == identifier)
    ).scalar_one_or_none()
    return None if stored is None else stored.encode("utf-8")


@dataclass(frozen=True)
class Claim:
    """The verdict on one stored document matching what was pasted: ``valid`` only if its
    signature verifies with kotwal's key and the signed content is what was asked about."""

    identifier: str
    valid: bool
    current: bool
    verified: cap.Verified | None


def check(uow: UnitOfWork, query: str, now: datetime | None = None) -> list[Claim]:
    """Whether kotwal sent what ``query`` is: an alert's identifier, or an SMS's text. Each
    stored document that matches is verified again; an empty list means kotwal has no record
    of sending it."""
    pasted = query.strip()
    by_identifier = bool(IDENTIFIER.match(pasted.lower()))
    column = PublicAlertCap.identifier if by_identifier else PublicAlertCap.text_key
    wanted = pasted.lower() if by_identifier else text_key(pasted)
    rows = uow.session.execute(
        select(PublicAlertCap)
        .where(column == wanted, PublicAlertCap.identifier.is_not(None))
        .order_by(PublicAlertCap.sent_at.desc())
        .limit(CHECK_MAX)
    ).scalars()
    public, moment = _public_key(uow), now or utcnow()
    claims = []
    for row in rows:
        checked = verified((row.document or "").encode("utf-8"), public)
        # The signed content must say what was asked about, not merely sit in a matching row.
        if checked is not None and by_identifier:
            valid = checked.identifier == wanted
        elif checked is not None:
            valid = cap.text_key_form(checked.sms or "") == cap.text_key_form(pasted)
        else:
            valid = False
        still = valid and as_utc(row.expires_at or moment) > moment
        claims.append(Claim(row.identifier or "", valid, still, checked if valid else None))
    return claims

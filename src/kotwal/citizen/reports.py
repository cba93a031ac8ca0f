"""Citizens' reports and anonymous tips (issue 22 item 4).

A report (crime information, a traffic violation with a photo, a crime against a woman, police
misconduct, a suggestion, good work) is routed by where it happened: to the station whose area
on the map holds the place (:func:`kotwal.patrol.service.station_at`), or whose area is
nearest within ``KOTWAL_PATROL_NEAREST_KM``. **Police misconduct goes to the district above
that station**, not to the station whose officers it may be about. What was said, the place and
a vehicle number are sealed; officers read them through the gate inside their jurisdiction.

Its course is FixMyStreet's (:data:`STATES`): new, confirmed, investigating, in progress,
action taken, and the three ends: closed, not police matter, duplicate (of another report in
the same jurisdiction). Every change is a :class:`CitizenReportEvent` with what the police tell
the citizen, which the citizen reads on the report (the app polls it; the list shows the
latest change first).

An **anonymous tip** needs no account: it keeps no pseudonym, only for a day a keyed hash of
the sender's address and the SHA-256 of the app's installation id, for the limits
(``KOTWAL_CITIZEN_TIPS_PER_ADDRESS`` and ``..._PER_DEVICE`` in ``..._TIPS_WINDOW_MINUTES``), and
the hash of a receipt shown once, with which its sender follows it.

**Photos** go through :mod:`kotwal.core.images` (content sniffed, size and pixels capped,
re-encoded from pixels alone): before the metadata is stripped, the GPS position the phone
wrote into the file, if any, is read and kept sealed beside the photo (where a traffic
violation was seen); the stored image carries none.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import timedelta
from typing import Any

from PIL import Image
from sqlalchemy import func, select, update

from kotwal.citizen.config import citizen_settings
from kotwal.citizen.models import CitizenReport, CitizenReportEvent, CitizenReportPhoto
from kotwal.citizen.permissions import CitizenPermission
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import CommunityIn, ReportIn, ReportMove, VerificationIn
from kotwal.core import images
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import blind_index, open_fields
from kotwal.core.db import new_id
from kotwal.core.errors import Conflict, InvalidInput, NotFound, Problem, TooManyAttempts
from kotwal.core.gate import disclose
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.scope import in_jurisdiction, refuse_outside, require
from kotwal.core.uow import UnitOfWork
from kotwal.patrol import service as patrol

KINDS = (
    "crime_information",
    "traffic_violation",
    "crime_against_women",
    "police_misconduct",
    "suggestion",
    "good_work",
)
NEW, CONFIRMED, INVESTIGATING, IN_PROGRESS, ACTION_TAKEN = (
    "new",
    "confirmed",
    "investigating",
    "in_progress",
    "action_taken",
)
CLOSED, NOT_POLICE_MATTER, DUPLICATE = "closed", "not_police_matter", "duplicate"
#: FixMyStreet's states, in the order a report usually moves through them.
STATES = (
    NEW,
    CONFIRMED,
    INVESTIGATING,
    IN_PROGRESS,
    ACTION_TAKEN,
    CLOSED,
    NOT_POLICE_MATTER,
    DUPLICATE,
)
#: Verification requests (issue 22 item 7): a citizen asks the police to verify a tenant, a
#: domestic servant or a worker before taking them on; filed, routed and followed like a
#: report, with a course of their own (:data:`VERIFY_STATES`).
VERIFY_KINDS = ("tenant_verification", "servant_verification", "worker_verification")
UNDER_VERIFICATION, VERIFIED, ADVERSE, REJECTED = (
    "under_verification",
    "verified",
    "adverse_report",
    "rejected",
)
VERIFY_STATES = (NEW, UNDER_VERIFICATION, VERIFIED, ADVERSE, REJECTED)
#: A community-policing sign-up (issue 22 item 7): a citizen offers to volunteer with the
#: station where they live; kept and routed like a report, accepted or declined.
COMMUNITY = "community_policing"
ACCEPTED, DECLINED = "accepted", "declined"
COMMUNITY_STATES = (NEW, ACCEPTED, DECLINED)
#: Where a report's (or a verification's) course ends: nothing moves it on.
FINAL = frozenset(
    {CLOSED, NOT_POLICE_MATTER, DUPLICATE, VERIFIED, ADVERSE, REJECTED, ACCEPTED, DECLINED}
)
#: What the citizen is told at each change when the officer adds nothing.
TOLD = {
    NEW: "Your report has been received.",
    CONFIRMED: "The police have confirmed your report.",
    INVESTIGATING: "The police are investigating.",
    IN_PROGRESS: "Work on your report is in progress.",
    ACTION_TAKEN: "The police have taken action.",
    CLOSED: "Your report has been closed.",
    NOT_POLICE_MATTER: "This is not a police matter; the police have closed your report.",
    DUPLICATE: "This was already reported; it is followed under the earlier report.",
    UNDER_VERIFICATION: "The police are verifying the person.",
    VERIFIED: "The police have verified the person; nothing adverse was found.",
    ADVERSE: "The police found something adverse; please visit the station.",
    REJECTED: "The request could not be taken up; please visit the station.",
    ACCEPTED: "Welcome: the station will contact you about community policing.",
    DECLINED: "The station cannot take up your offer now. Thank you.",
}
TIP_DOMAIN = "citizen_reports.tip_address"
RECEIPT_PREFIX = "kt_"
PAGE_MAX = 200
PHOTOS_MAX = 3
#: A phone's photo; the re-encoded image is smaller.
PHOTO_MAX_BYTES = 8_000_000
PHOTO_MAX_PIXELS = 40_000_000
#: Anonymous tips' limit keys are blanked after this long (longer than any window).
KEEP_LIMIT_KEYS = timedelta(days=1)


def _event(uow: UnitOfWork, report: CitizenReport, by: str, note: str | None) -> None:
    uow.session.add(
        CitizenReportEvent(
            id=new_id(),
            report_id=report.id,
            status=report.status,
            note=note or TOLD[report.status],
            by_name=by[:64],
        )
    )


def _route(uow: UnitOfWork, kind: str, lat: float, lon: float) -> tuple[str, str]:
    """The station (or, for misconduct, the district above it) a report goes to, and its path."""
    reach = patrol.settings_for(uow.runtime).nearest_km * 1000
    station_id = patrol.station_at(uow, lat, lon, reach)
    if station_id is None:
        raise InvalidInput("no police station's area on the map holds this place or is near it")
    station = uow.session.get(Jurisdiction, station_id)
    assert station is not None
    if kind == "police_misconduct":
        ids = [part for part in station.path.strip("/").split("/") if part]
        rows = uow.session.execute(
            select(Jurisdiction).where(Jurisdiction.id.in_(ids[:-1]))
        ).scalars()
        above = {row.id: row for row in rows}
        for jid in reversed(ids[:-1]):
            if above[jid].kind == "district":
                return jid, above[jid].path
    return station.id, station.path


def _new_report(
    uow: UnitOfWork,
    data: ReportIn,
    citizen_id: str | None,
    anonymous: bool,
    kind: str | None = None,
) -> CitizenReport:
    kind = kind or data.kind
    station_id, path = _route(uow, kind, data.lat, data.lon)
    now = utcnow()
    report = CitizenReport(
        id=new_id(),
        citizen_id=citizen_id,
        anonymous=anonymous,
        kind=kind,
        description=data.description,
        place=f"{data.lat:.6f},{data.lon:.6f}",
        vehicle_number=(
            " ".join(data.vehicle_number.upper().split()) if data.vehicle_number else None
        ),
        station_id=station_id,
        jurisdiction_path=path,
        status=NEW,
        created_at=now,
        updated_at=now,
        version=1,
    )
    uow.session.add(report)
    uow.session.flush()
    _event(uow, report, "system:citizen", None)
    return report


def file_report(uow: UnitOfWork, citizen: Citizen, data: ReportIn) -> dict[str, Any]:
    """A signed-in citizen's report, under their pseudonym."""
    report = _new_report(uow, data, citizen.citizen_id, anonymous=False)
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_report.filed",
            resource_type="citizen_report",
            resource_id=report.id,
            detail={"kind": report.kind, "station": report.station_id},
        )
    )
    return citizen_view(uow, report)


def request_verification(uow: UnitOfWork, citizen: Citizen, data: VerificationIn) -> dict[str, Any]:
    """A signed-in citizen asks the police to verify a tenant, a servant or a worker: the
    person's particulars sealed as the request's description, routed by the premises' place to
    its station."""
    lines = [
        f"Name: {data.name}",
        *([f"Father's or husband's name: {data.relative_name}"] if data.relative_name else []),
        *([f"Mobile: {data.mobile}"] if data.mobile else []),
        *([f"Identity document: {data.id_document}"] if data.id_document else []),
        f"Permanent address: {data.permanent_address}",
        f"Premises: {data.premises}",
    ]
    # The particulars go as the description; the kind is the verification's.
    report = ReportIn(kind="suggestion", description="\n".join(lines), lat=data.lat, lon=data.lon)
    filed = _new_report(uow, report, citizen.citizen_id, anonymous=False, kind=data.kind)
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_report.filed",
            resource_type="citizen_report",
            resource_id=filed.id,
            detail={"kind": filed.kind, "station": filed.station_id},
        )
    )
    return citizen_view(uow, filed)


def sign_up_community(uow: UnitOfWork, citizen: Citizen, data: CommunityIn) -> dict[str, Any]:
    """A citizen offers to volunteer in community policing with the station whose area holds
    where they live; the station accepts or declines, and the citizen is told."""
    lines = [f"Offers: {', '.join(data.interests)}", *([data.note] if data.note else [])]
    report = ReportIn(kind="suggestion", description="\n".join(lines), lat=data.lat, lon=data.lon)
    filed = _new_report(uow, report, citizen.citizen_id, anonymous=False, kind=COMMUNITY)
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_report.filed",
            resource_type="citizen_report",
            resource_id=filed.id,
            detail={"kind": filed.kind, "station": filed.station_id},
        )
    )
    return citizen_view(uow, filed)


def file_tip(
    uow: UnitOfWork, data: ReportIn, device: str, client_addr: str | None
) -> tuple[dict[str, Any], str]:
    """An anonymous tip: no account, no pseudonym; limited per address and per device. The
    answer carries a receipt (shown once) with which its sender follows it."""
    settings = citizen_settings()
    since = utcnow() - timedelta(minutes=settings.tips_window_minutes)
    device_key = hashlib.sha256(device.encode("utf-8")).hexdigest()
    limit_key = (
        blind_index(uow.runtime.keyring, TIP_DOMAIN, client_addr, bits=64) if client_addr else None
    )

    def sent(column: Any, value: str) -> int:
        stmt = select(func.count()).where(column == value, CitizenReport.created_at >= since)
        return int(uow.session.execute(stmt).scalar_one())

    over = sent(CitizenReport.device_key, device_key) >= settings.tips_per_device or (
        limit_key is not None
        and sent(CitizenReport.limit_key, limit_key) >= settings.tips_per_address
    )
    if over:
        uow.record_now(
            [
                AuditEvent(
                    action="citizen_report.tip",
                    outcome=Outcome.DENIED,
                    actor_id=None,
                    actor_name="citizen:anonymous",
                    resource_type="citizen_report",
                    detail={"reason": "rate-limit"},
                )
            ]
        )
        raise TooManyAttempts("too many tips from here; wait and try again")
    report = _new_report(uow, data, None, anonymous=True)
    receipt = RECEIPT_PREFIX + secrets.token_urlsafe(24)
    report.device_key = device_key
    report.limit_key = limit_key
    report.receipt_hash = hashlib.sha256(receipt.encode("utf-8")).hexdigest()
    uow.session.flush()
    uow.audit(
        AuditEvent(
            action="citizen_report.tip",
            outcome=Outcome.SUCCESS,
            actor_id=None,
            actor_name="citizen:anonymous",
            resource_type="citizen_report",
            resource_id=report.id,
            detail={"kind": report.kind, "station": report.station_id},
        )
    )
    return citizen_view(uow, report), receipt


def tip_by_receipt(uow: UnitOfWork, receipt: str) -> dict[str, Any]:
    """An anonymous tip's course, for whoever holds its receipt."""
    digest = hashlib.sha256(receipt.encode("utf-8")).hexdigest()
    report = uow.session.execute(
        select(CitizenReport).where(CitizenReport.receipt_hash == digest)
    ).scalar_one_or_none()
    if report is None or not receipt.startswith(RECEIPT_PREFIX):
        raise NotFound("no tip has this receipt")
    return citizen_view(uow, report)


def _own(uow: UnitOfWork, citizen: Citizen, report_id: str) -> CitizenReport:
    report = uow.session.get(CitizenReport, report_id)
    if report is None or report.citizen_id != citizen.citizen_id:
        raise NotFound("no such report")
    return report


def own_report(uow: UnitOfWork, citizen: Citizen, report_id: str) -> dict[str, Any]:
    return citizen_view(uow, _own(uow, citizen, report_id))


def own_reports(uow: UnitOfWork, citizen: Citizen) -> list[dict[str, Any]]:
    """The citizen's reports, the one changed last first."""
    rows = uow.session.execute(
        select(CitizenReport)
        .where(CitizenReport.citizen_id == citizen.citizen_id)
        .order_by(CitizenReport.updated_at.desc())
        .limit(PAGE_MAX)
    ).scalars()
    return [citizen_view(uow, row) for row in rows]


def _events(uow: UnitOfWork, report_id: str) -> list[CitizenReportEvent]:
    return list(
        uow.session.execute(
            select(CitizenReportEvent)
            .where(CitizenReportEvent.report_id == report_id)
            .order_by(CitizenReportEvent.at, CitizenReportEvent.id)
        ).scalars()
    )


def citizen_view(uow: UnitOfWork, report: CitizenReport) -> dict[str, Any]:
    """The report as its sender sees it: what they said, where it went, and each change with
    what the police told them (not who moved it)."""
    [opened] = open_fields(
        uow.session, [report], ("description", "vehicle_number"), unreadable=None
    )
    events = _events(uow, report.id)
    notes = open_fields(uow.session, events, ("note",), unreadable=None)
    station = uow.session.get(Jurisdiction, report.station_id)
    photos = uow.session.execute(
        select(func.count()).where(CitizenReportPhoto.report_id == report.id)
    ).scalar_one()
    return {
        "id": report.id,
        "kind": report.kind,
        "anonymous": report.anonymous,
        **opened,
        "station": station.name if station else None,
        "status": report.status,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "photos": int(photos),
        "course": [
            {"status": e.status, "note": n["note"], "at": e.at}
            for e, n in zip(events, notes, strict=True)
        ],
    }


# --- photographs --------------------------------------------------------------------------------


def _gps(data: bytes) -> str | None:
    """The position a phone wrote into the photo's EXIF (GPS IFD), as "lat,lon", or None. Read
    only from bytes :func:`kotwal.core.images.decode` has already accepted."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            gps = image.getexif().get_ifd(0x8825)
    except Exception:
        return None
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"{lat:.6f},{lon:.6f}"


def _degrees(dms: Any, ref: Any) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    hemisphere = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if hemisphere.strip().upper() in ("S", "W") else value


def add_photo(uow: UnitOfWork, citizen: Citizen, report_id: str, data: bytes) -> dict[str, Any]:
    """A photograph of one's report (up to three): checked, its GPS position read and kept
    sealed, then re-encoded from pixels alone and sealed. A refused file changes nothing; the
    refusal is audited with the problem's type."""
    report = _own(uow, citizen, report_id)
    if report.status in FINAL:
        raise Conflict("the report is closed")
    count = uow.session.execute(
        select(func.count()).where(CitizenReportPhoto.report_id == report.id)
    ).scalar_one()
    if count >= PHOTOS_MAX:
        raise Conflict(f"a report takes at most {PHOTOS_MAX} photographs")
    try:
        decoded = images.decode(data, max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS)
    except Problem as exc:
        uow.record_now(
            [
                actor_event(
                    citizen.actor,
                    "citizen_report.photo",
                    Outcome.FAILURE,
                    resource_type="citizen_report",
                    resource_id=report.id,
                    detail={"reason": exc.slug},
                )
            ]
        )
        raise
    taken = _gps(data)  # taken first: the clean image below carries none
    clean = images.clean_bytes(decoded)
    photo = CitizenReportPhoto(
        id=new_id(),
        report_id=report.id,
        image=clean,
        sha256=hashlib.sha256(clean).hexdigest(),
        format=images.clean_format(decoded),
        width=decoded.width,
        height=decoded.height,
        byte_size=len(clean),
        taken_place=taken,
    )
    uow.session.add(photo)
    report.updated_at = utcnow()
    uow.session.flush()
    uow.audit(
        actor_event(
            citizen.actor,
            "citizen_report.photo",
            resource_type="citizen_report",
            resource_id=report.id,
            detail={"photo": photo.id, "had_position": taken is not None},
        )
    )
    return {
        "id": photo.id,
        "format": photo.format,
        "width": photo.width,
        "height": photo.height,
        "byte_size": photo.byte_size,
        "position_read": taken is not None,
    }


# --- officers ------------------------------------------------------------------------------------


def queue(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The reports routed to the actor's jurisdiction, oldest first (open ones unless a status
    is asked for)."""
    require(actor, CitizenPermission.REPORT_READ)
    stmt = select(CitizenReport).where(in_jurisdiction(CitizenReport.jurisdiction_path, actor))
    if status is not None:
        stmt = stmt.where(CitizenReport.status == status)
    else:
        stmt = stmt.where(CitizenReport.status.not_in(FINAL))
    if kind is not None:
        stmt = stmt.where(CitizenReport.kind == kind)
    stmt = stmt.order_by(CitizenReport.created_at, CitizenReport.id).limit(min(limit, PAGE_MAX))
    rows = list(uow.session.execute(stmt).scalars())
    return disclose(uow, actor, None, rows, kind="list")


def _in_reach(uow: UnitOfWork, actor: Actor, report_id: str) -> CitizenReport:
    report = uow.session.get(CitizenReport, report_id)
    if report is None or not actor.covers(report.jurisdiction_path):
        raise NotFound("no such report in your jurisdiction")
    return report


def read(uow: UnitOfWork, actor: Actor, report_id: str) -> dict[str, Any]:
    """A report through the gate, with its photographs' details and its course."""
    require(actor, CitizenPermission.REPORT_READ)
    report = _in_reach(uow, actor, report_id)
    [shown] = disclose(uow, actor, None, [report], kind="record")
    photos = list(
        uow.session.execute(
            select(CitizenReportPhoto)
            .where(CitizenReportPhoto.report_id == report.id)
            .order_by(CitizenReportPhoto.created_at)
        ).scalars()
    )
    for photo in photos:
        photo.placed_at = report.jurisdiction_path  # type: ignore[attr-defined]
    shown["photos"] = disclose(uow, actor, None, photos, kind="part") if photos else []
    events = _events(uow, report.id)
    notes = open_fields(uow.session, events, ("note",), unreadable=None)
    shown["course"] = [
        {"status": e.status, "note": n["note"], "by_name": e.by_name, "at": e.at}
        for e, n in zip(events, notes, strict=True)
    ]
    return shown


def photo_bytes(uow: UnitOfWork, actor: Actor, report_id: str, photo_id: str) -> tuple[bytes, str]:
    """A report's photograph (as re-encoded) for an officer of its jurisdiction, audited."""
    require(actor, CitizenPermission.REPORT_READ)
    report = _in_reach(uow, actor, report_id)
    photo = uow.session.get(CitizenReportPhoto, photo_id)
    if photo is None or photo.report_id != report.id:
        raise NotFound("no such photograph")
    photo.placed_at = report.jurisdiction_path  # type: ignore[attr-defined]
    disclose(uow, actor, None, [photo], kind="record")
    [opened] = open_fields(uow.session, [photo], ("image",))
    return bytes(opened["image"]), photo.format


def move(uow: UnitOfWork, actor: Actor, report_id: str, data: ReportMove) -> dict[str, Any]:
    """Move a report along its course; the citizen is told (the note, or the state's words).
    A report that has ended moves no further; a duplicate names the earlier report, in the same
    jurisdiction. ``version`` must be the one read (409 otherwise: someone moved it since)."""
    require(actor, CitizenPermission.REPORT_HANDLE)
    report = uow.session.get(CitizenReport, report_id)
    if report is None:
        raise NotFound("no such report")
    if not actor.covers(report.jurisdiction_path):
        raise refuse_outside(
            uow,
            actor,
            "citizen_report.move",
            "citizen_report",
            "you can act only on reports in your jurisdiction",
        )
    if report.status in FINAL:
        raise Conflict(f"the report is {report.status}: its course has ended")
    states = (
        VERIFY_STATES
        if report.kind in VERIFY_KINDS
        else COMMUNITY_STATES
        if report.kind == COMMUNITY
        else STATES
    )
    if data.status == NEW or data.status == report.status or data.status not in states:
        raise InvalidInput(f"a {report.kind} that is {report.status} cannot become {data.status}")
    if data.status == DUPLICATE:
        earlier = uow.session.get(CitizenReport, data.duplicate_of or "")
        if (
            earlier is None
            or earlier.id == report.id
            or not actor.covers(earlier.jurisdiction_path)
        ):
            raise InvalidInput("a duplicate names the earlier report, in your jurisdiction")
    elif data.duplicate_of is not None:
        raise InvalidInput("duplicate_of goes only with the status duplicate")
    moved = uow.session.execute(
        update(CitizenReport)
        .where(CitizenReport.id == report.id, CitizenReport.version == data.version)
        .values(
            status=data.status,
            duplicate_of=data.duplicate_of,
            updated_at=utcnow(),
            version=CitizenReport.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise Conflict("the report was changed since you read it; read it again")
    uow.session.refresh(report)
    _event(uow, report, actor.username, data.note)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "citizen_report.move",
            Outcome.SUCCESS,
            resource_type="citizen_report",
            resource_id=report.id,
            detail={"to": data.status},
        )
    )
    return read(uow, actor, report.id)


def forget_limits(uow: UnitOfWork) -> int:
    """Blank anonymous tips' limit keys older than a day (their windows are shorter)."""
    done = uow.session.execute(
        update(CitizenReport)
        .where(
            CitizenReport.created_at < utcnow() - KEEP_LIMIT_KEYS,
            (CitizenReport.limit_key.is_not(None)) | (CitizenReport.device_key.is_not(None)),
        )
        .values(limit_key=None, device_key=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0))


def forget_citizen(uow: UnitOfWork, citizen_id: str) -> int:
    """A deleted account's reports stay with the police (a report may have started a case),
    without the pseudonym: they become as anonymous as a tip, with no receipt."""
    done = uow.session.execute(
        update(CitizenReport)
        .where(CitizenReport.citizen_id == citizen_id)
        .values(citizen_id=None, anonymous=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0))

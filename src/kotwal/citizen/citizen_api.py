"""The citizens' surface (``/citizen/v1``, its own app): logging in with a code, one's devices,
one's profile and account, Travel Made Safe trips, SOS,
reports and anonymous tips. Every route is public (asking for and
spending a code) or admits only a citizen's own token (:mod:`kotwal.citizen.deps`); none is an
officer's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile

from kotwal.citizen import directory, lost_phones, reports, service, sos, trips
from kotwal.citizen.deps import APP_HEADER, APP_HEADER_VALUE, cookie_name, signed_in
from kotwal.citizen.principal import Citizen
from kotwal.citizen.schemas import (
    AccessOut,
    CheckInIn,
    CodeRequestIn,
    CodeSentOut,
    CommunityIn,
    DeletedOut,
    DeviceOut,
    FixesIn,
    FixesOut,
    FixIn,
    LostPhoneClose,
    LostPhoneIn,
    LostPhoneOut,
    ProfileIn,
    ProfileOut,
    ReceiptIn,
    ReportIn,
    ReportOut,
    ReportPhotoOut,
    SessionIn,
    SessionOut,
    SosFixesIn,
    SosFixesOut,
    SosOut,
    StationOut,
    TipIn,
    TipOut,
    TripIn,
    TripOut,
    VerificationIn,
)
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.errors import CsrfRejected
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, client_addr, public

router = APIRouter(tags=["citizens"])

_ASK = Depends(
    public("a citizen asks for a login code by SMS; limited per number, device and address")
)
_SPEND = Depends(
    public("a citizen spends a login code for a device session; every guess is counted")
)
_SELF = Depends(signed_in("the citizen's own account and devices"))
_TRIPS = Depends(signed_in("the citizen's own trips"))
_SOS = Depends(signed_in("the citizen's own SOS"))
_REPORTS = Depends(signed_in("the citizen's own reports"))
_PHONES = Depends(signed_in("the citizen's own lost-phone reports"))
_TIP = Depends(public("an anonymous tip; limited per address and per device, no identity kept"))
_RECEIPT = Depends(public("an anonymous tip's course, for whoever holds its receipt"))
_DIRECTORY = Depends(public("the station directory: public names of the stations near a place"))


def _set_cookie(response: Response, uow: UnitOfWork, token: str, expires_at: datetime) -> None:
    """The web app's token as a cookie: HttpOnly (no script reads it), SameSite=Strict (no
    other site's link or form carries it), Secure and ``__Host-`` bound to this host."""
    seconds = max(0, int((as_utc(expires_at) - utcnow()).total_seconds()))
    response.set_cookie(
        cookie_name(uow.runtime),
        token,
        max_age=seconds,
        path="/",
        secure=not uow.runtime.settings.local_http,
        httponly=True,
        samesite="strict",
    )


def _clear_cookie(response: Response, uow: UnitOfWork) -> None:
    response.delete_cookie(
        cookie_name(uow.runtime),
        path="/",
        secure=not uow.runtime.settings.local_http,
        httponly=True,
        samesite="strict",
    )


@router.post("/otp", dependencies=[_ASK], status_code=202)
def ask_for_code(body: CodeRequestIn, request: Request, uow: UnitOfWork = WriteUnit) -> CodeSentOut:
    """Send a six-digit login code to the number by SMS. The answer names the challenge to
    spend it with; the code itself never appears in any answer."""
    sent = service.request_code(uow, body.mobile, body.device, client_addr(request))
    return CodeSentOut(challenge=sent.challenge, expires_at=sent.expires_at)


@router.post("/session", dependencies=[_SPEND], status_code=201)
def log_in(
    body: SessionIn, request: Request, response: Response, uow: UnitOfWork = WriteUnit
) -> SessionOut:
    """Spend a login code: a device session and its bearer token (shown once), or with
    ``cookie`` (the web app) the token in an HttpOnly cookie instead. The number's account is
    made at its first login."""
    if body.cookie and request.headers.get(APP_HEADER) != APP_HEADER_VALUE:
        # Nobody else's page may log this browser in (to an account of their choosing).
        raise CsrfRejected("the web app's login without the app's header")
    issued = service.verify_code(
        uow, body.mobile, body.challenge, body.code, body.device_label, client_addr(request)
    )
    if body.cookie:
        _set_cookie(response, uow, issued.token, issued.expires_at)
    return SessionOut(
        token=None if body.cookie else issued.token,
        session_id=issued.session_id,
        citizen_id=issued.citizen_id,
        expires_at=issued.expires_at,
        new_account=issued.new_account,
    )


@router.get("/devices")
def list_devices(citizen: Citizen = _SELF, uow: UnitOfWork = ReadUnit) -> list[DeviceOut]:
    """The citizen's devices that are logged in; ``current`` is the one asking."""
    return [DeviceOut(**row) for row in service.devices(uow, citizen)]


@router.post("/devices/{session_id}/revoke", status_code=204)
def revoke_device(
    session_id: str, response: Response, citizen: Citizen = _SELF, uow: UnitOfWork = WriteUnit
) -> None:
    """Log one of one's devices out (this one too: that is logging out)."""
    service.revoke_device(uow, citizen, session_id)
    if session_id == citizen.session_id:
        _clear_cookie(response, uow)


@router.get("/profile")
def get_profile(citizen: Citizen = _SELF, uow: UnitOfWork = ReadUnit) -> ProfileOut:
    """One's own identity as the vault keeps it, and one's emergency contacts."""
    return ProfileOut(**service.profile(uow, citizen))


@router.put("/profile")
def put_profile(
    body: ProfileIn, citizen: Citizen = _SELF, uow: UnitOfWork = WriteUnit
) -> ProfileOut:
    """Replace one's name, e-mail and address and, when given, emergency contacts (up to 5)."""
    return ProfileOut(**service.update_profile(uow, citizen, body))


@router.get("/access-log")
def who_accessed_my_data(citizen: Citizen = _SELF, uow: UnitOfWork = WriteUnit) -> list[AccessOut]:
    """Who in the police read one's identity, when, and for what declared purpose: every
    officer's read, from the audit log (DPDP Act 2023). A write unit: reading it is recorded."""
    return [AccessOut(**row) for row in service.access_log(uow, citizen)]


@router.delete("/account")
def delete_account(
    response: Response, citizen: Citizen = _SELF, uow: UnitOfWork = WriteUnit
) -> DeletedOut:
    """Delete one's account and everything kept of it: trips shredded at once, identity and
    contacts deleted with their keys, every device logged out."""
    counts = service.delete_account(uow, citizen)
    _clear_cookie(response, uow)
    return DeletedOut(trips=counts["trips"], sessions=counts["sessions"])


@router.post("/trips", status_code=201)
def start_trip(body: TripIn, citizen: Citizen = _TRIPS, uow: UnitOfWork = WriteUnit) -> TripOut:
    """Start a Travel Made Safe trip."""
    return TripOut(**trips.start_trip(uow, citizen, body))


@router.get("/trips/{trip_id}")
def get_trip(trip_id: str, citizen: Citizen = _TRIPS, uow: UnitOfWork = ReadUnit) -> TripOut:
    """One's trip; once shredded, only its times and status are left."""
    return TripOut(**trips.own_trip(uow, citizen, trip_id))


@router.post("/trips/{trip_id}/fixes")
def add_fixes(
    trip_id: str, body: FixesIn, citizen: Citizen = _TRIPS, uow: UnitOfWork = WriteUnit
) -> FixesOut:
    """Positions of one's active trip (up to 100 at a time, as the app sends them)."""
    return FixesOut(**trips.record_fixes(uow, citizen, trip_id, body.fixes))


@router.post("/trips/{trip_id}/check-in")
def check_in(
    trip_id: str, body: CheckInIn, citizen: Citizen = _TRIPS, uow: UnitOfWork = WriteUnit
) -> TripOut:
    """Answer the trip's check-in: safe (the checks rest a while), or not (an SOS now)."""
    return TripOut(**trips.answer_check_in(uow, citizen, trip_id, body.safe))


@router.post("/trips/{trip_id}/end")
def end_trip(trip_id: str, citizen: Citizen = _TRIPS, uow: UnitOfWork = WriteUnit) -> TripOut:
    """End one's trip; its positions are destroyed after the grace period."""
    return TripOut(**trips.end_trip(uow, citizen, trip_id))


@router.post("/sos", status_code=201)
def raise_sos(
    body: FixIn, response: Response, citizen: Citizen = _SOS, uow: UnitOfWork = WriteUnit
) -> SosOut:
    """Raise an SOS where the citizen is now: an incident in the control room's queue at the
    station whose area holds the place, the nearest units proposed, the emergency contacts
    told by SMS. While one is open, a second tap adds the place to it (200, not 201)."""
    view, new = sos.raise_sos(uow, citizen, body)
    if not new:
        response.status_code = 200
    return SosOut(**view)


@router.get("/sos/{sos_id}")
def get_sos(sos_id: str, citizen: Citizen = _SOS, uow: UnitOfWork = ReadUnit) -> SosOut:
    """One's SOS: whether the control room has acknowledged it, whether a unit is coming."""
    return SosOut(**sos.own_sos(uow, citizen, sos_id))


@router.post("/sos/{sos_id}/fixes")
def sos_fixes(
    sos_id: str, body: SosFixesIn, citizen: Citizen = _SOS, uow: UnitOfWork = WriteUnit
) -> SosFixesOut:
    """Where one is now, every 5-10 s while the SOS is open (409 once it is closed)."""
    return SosFixesOut(**sos.record_fixes(uow, citizen, sos_id, body.fixes))


@router.post("/sos/{sos_id}/close")
def close_sos(sos_id: str, citizen: Citizen = _SOS, uow: UnitOfWork = WriteUnit) -> SosOut:
    """One is safe: the SOS is closed and the app stops sending one's position."""
    return SosOut(**sos.close_by_citizen(uow, citizen, sos_id))


#: Multipart framing around a report's photograph.
UPLOAD_OVERHEAD = 64 * 1024
PHOTO_PATH = "/citizen/v1/reports/{id}/photos"


def upload_limits() -> dict[str, int]:
    """The photograph upload route and its body cap (the image cap plus multipart framing)."""
    return {PHOTO_PATH: reports.PHOTO_MAX_BYTES + UPLOAD_OVERHEAD}


@router.post("/reports", status_code=201)
def file_report(
    body: ReportIn, citizen: Citizen = _REPORTS, uow: UnitOfWork = WriteUnit
) -> ReportOut:
    """Report something to the police; it goes to the station whose area holds the place
    (police misconduct to the district above it)."""
    return ReportOut(**reports.file_report(uow, citizen, body))


@router.get("/reports")
def my_reports(citizen: Citizen = _REPORTS, uow: UnitOfWork = ReadUnit) -> list[ReportOut]:
    """One's reports, the one changed last first, each with its course."""
    return [ReportOut(**row) for row in reports.own_reports(uow, citizen)]


@router.get("/reports/{report_id}")
def my_report(report_id: str, citizen: Citizen = _REPORTS, uow: UnitOfWork = ReadUnit) -> ReportOut:
    """One's report, with each change and what the police said."""
    return ReportOut(**reports.own_report(uow, citizen, report_id))


@router.post("/reports/{report_id}/photos", status_code=201)
def add_report_photo(
    report_id: str, file: UploadFile, citizen: Citizen = _REPORTS, uow: UnitOfWork = WriteUnit
) -> ReportPhotoOut:
    """A photograph for one's report (JPEG, PNG or WebP by content; at most three); its
    metadata, GPS position included, is stripped once the position has been read."""
    data = file.file.read(reports.PHOTO_MAX_BYTES + 1)
    return ReportPhotoOut(**reports.add_photo(uow, citizen, report_id, data))


@router.post("/tips", dependencies=[_TIP], status_code=201)
def anonymous_tip(body: TipIn, request: Request, uow: UnitOfWork = WriteUnit) -> TipOut:
    """An anonymous tip: no account, nothing kept of who sent it. The receipt in the answer
    (shown once) is the only way to follow it."""
    data = ReportIn(**body.model_dump(exclude={"device"}))
    view, receipt = reports.file_tip(uow, data, body.device, client_addr(request))
    return TipOut(**view, receipt=receipt)


@router.post("/tips/status", dependencies=[_RECEIPT])
def tip_status(body: ReceiptIn, uow: UnitOfWork = ReadUnit) -> ReportOut:
    """An anonymous tip's course, by its receipt (in the body, never in an address)."""
    return ReportOut(**reports.tip_by_receipt(uow, body.receipt))


@router.get("/stations/near", dependencies=[_DIRECTORY])
def stations_near(
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    uow: UnitOfWork = ReadUnit,
) -> list[StationOut]:
    """The police station whose area holds a place, then the nearest others within 10 km."""
    return [StationOut(**row) for row in directory.near(uow, lat, lon)]


@router.post("/lost-phones", status_code=201)
def report_lost_phone(
    body: LostPhoneIn, citizen: Citizen = _PHONES, uow: UnitOfWork = WriteUnit
) -> LostPhoneOut:
    """Report one's phone lost by its IMEI (Luhn-checked)."""
    return LostPhoneOut(**lost_phones.report_lost(uow, citizen, body))


@router.get("/lost-phones")
def my_lost_phones(citizen: Citizen = _PHONES, uow: UnitOfWork = ReadUnit) -> list[LostPhoneOut]:
    """One's lost-phone reports, newest first."""
    return [LostPhoneOut(**row) for row in lost_phones.own_phones(uow, citizen)]


@router.post("/lost-phones/{phone_id}/close")
def close_lost_phone(
    phone_id: str, body: LostPhoneClose, citizen: Citizen = _PHONES, uow: UnitOfWork = WriteUnit
) -> LostPhoneOut:
    """One's phone is found, or the report withdrawn."""
    return LostPhoneOut(**lost_phones.close_own(uow, citizen, phone_id, body.status))


@router.post("/verifications", status_code=201)
def request_verification(
    body: VerificationIn, citizen: Citizen = _REPORTS, uow: UnitOfWork = WriteUnit
) -> ReportOut:
    """Ask the police to verify a tenant, a servant or a worker; followed like a report
    (``GET /reports/{id}``), with its own course: under verification, then verified, adverse
    report or rejected."""
    return ReportOut(**reports.request_verification(uow, citizen, body))


@router.post("/community", status_code=201)
def community_sign_up(
    body: CommunityIn, citizen: Citizen = _REPORTS, uow: UnitOfWork = WriteUnit
) -> ReportOut:
    """Offer to volunteer in community policing with the station where one lives; followed
    like a report (``GET /reports/{id}``): accepted or declined."""
    return ReportOut(**reports.sign_up_community(uow, citizen, body))


@router.get("/my-data")
def download_my_data(citizen: Citizen = _SELF, uow: UnitOfWork = WriteUnit) -> dict[str, Any]:
    """Everything kept of one, in one JSON document (DPDP Act 2023): profile, devices, trips,
    SOS, reports, lost phones and who in the police read any of it. Recorded."""
    return service.my_data(uow, citizen)

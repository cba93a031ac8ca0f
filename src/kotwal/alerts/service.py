"""Public alerts under the two-officer rule, and one-time passwords, each in the caller's unit
of work.

An alert goes: **draft** (an officer with ``alerts:alert:draft`` writes the full text on a
registered template for areas inside their jurisdiction; the scrub checks it at once and the
part count is fixed) → **approve** (a second officer with ``alerts:alert:approve``, never the
drafter, whose jurisdiction covers every area, before the approval window closes) → **queued**
(in the approving transaction: the text is scrubbed again, the template's cap for the day is
checked, and one outbox message per area is written). An approver may instead **reject** the
draft with a reason. Every step, and every refusal, is in the audit log.

The security officers hear of what an attacker holding an approver's account would do: a
cap reached, more approvals in an hour than ``KOTWAL_ALERT_BURST_PER_HOUR``, an approval in the
quiet hours (``KOTWAL_WATCH_QUIET_HOURS``). These raise an alert in the breach defences' queue
through :func:`kotwal.watch.service.raise_alert`; a burst or an odd hour does not stop the
alert (a flood warning at 2 a.m. must go), a cap does.

A one-time password for a citizen's login (:func:`send_otp`) needs no approval: it uses the
one locked template, and is limited per number (``KOTWAL_ALERT_OTP_*``) and by the template's
daily cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from kotwal.alerts import channels, publication
from kotwal.alerts.config import alert_settings, delivery_settings
from kotwal.alerts.models import (
    AlertHeader,
    AlertOutboxMessage,
    AlertTemplate,
    PublicAlert,
    PublicAlertArea,
)
from kotwal.alerts.permissions import AlertsPermission
from kotwal.alerts.registry import (
    OTP_SHAPE,
    SOS_SHAPE,
    allow_list,
    parse_template,
    template_view,
)
from kotwal.alerts.schemas import AlertDraftIn, Category, MessageIn, RegistryStatus
from kotwal.alerts.scrub import Verdict, match, normalise
from kotwal.alerts.sms import Shape, shape
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.checks import SECURITY_CHECKS
from kotwal.core.clock import as_utc, station_today, station_zone, utcnow
from kotwal.core.crypto import blind_index, normalise_phone
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.runtime import Runtime
from kotwal.core.scope import in_jurisdiction, require
from kotwal.core.uow import UnitOfWork
from kotwal.watch import config as watch_config
from kotwal.watch.service import raise_alert

AWAITING, QUEUED, REJECTED, EXPIRED = "awaiting", "queued", "rejected", "expired"
STATUSES = (AWAITING, EXPIRED, QUEUED, REJECTED)
ALERT_PAGE_MAX = 200
#: The most parts an alert may take: longer is a letter, not an SMS.
PARTS_MAX = 10
OTP_DOMAIN = "alert_outbox.number"
OTP_ACTOR = "system:otp"
#: Citizens' mobile numbers (ten digits from 6 to 9).
_MOBILE = "6789"


def install(runtime: Runtime) -> None:
    """Check the ``KOTWAL_ALERT_*`` settings at start-up, so that a bad value stops the
    server and every command before anything is drafted."""
    alert_settings()
    delivery_settings()
    runtime.hooks.register(SECURITY_CHECKS, "alerts.channels", channels.security_findings)
    # The document-signing key is not required here: without it every other command (key
    # status among them) still runs, and approving an alert answers 503 saying to run init.


# --- the scrub, in the registry's terms ------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A message the scrub has passed, as it will be sent."""

    text: str
    values: tuple[str, ...]
    shape: Shape


def check_text(uow: UnitOfWork, template: AlertTemplate, text: str) -> tuple[Verdict, Shape]:
    """The scrub's verdict on ``text`` and how it would be sent (nothing is written)."""
    view = template_view(uow, template)
    verdict = match(parse_template(template), text, allow_list(uow, view.entity.id))
    return verdict, shape(normalise(text))


def check_message(uow: UnitOfWork, actor: Actor, data: MessageIn) -> tuple[Verdict, Shape]:
    """The scrub's verdict on a text for a template, for the drafting officer's preview."""
    require(actor, AlertsPermission.ALERT_DRAFT)
    return check_text(uow, _template(uow, data.template_id), data.text)


def _passed(
    uow: UnitOfWork, actor: Actor, template: AlertTemplate, text: str, action: str
) -> Checked:
    """The checked message, or a refusal with the scrub's reason (audited whatever becomes of
    the request; the log keeps which variable and what kind of fault, never the text)."""
    verdict, sent_as = check_text(uow, template, text)
    if verdict.ok and sent_as.parts <= PARTS_MAX:
        return Checked(normalise(text), verdict.values, sent_as)
    code = verdict.code or "too-many-parts"
    reason = verdict.reason or f"the message takes {sent_as.parts} parts; at most {PARTS_MAX}"
    uow.record_now([_refused(actor, action, template.id, code, verdict.variable)])
    raise InvalidInput(reason, reason_code=code, variable=verdict.variable)


def _refused(
    actor: Actor, action: str, resource_id: str | None, reason: str, variable: int | None = None
) -> AuditEvent:
    detail: dict[str, str | int | bool | None] = {"reason": reason}
    if variable is not None:
        detail["variable"] = variable
    return actor_event(
        actor,
        action,
        Outcome.DENIED,
        resource_type="public_alert",
        resource_id=resource_id,
        detail=detail,
    )


def _template(uow: UnitOfWork, template_id: str) -> AlertTemplate:
    template = uow.session.get(AlertTemplate, template_id)
    if template is None:
        raise NotFound("no such template")
    return template


def _usable_for_alerts(uow: UnitOfWork, template: AlertTemplate) -> None:
    """Refuse a template an alert cannot be sent on (inactive, the OTP's, promotional)."""
    header = uow.session.get(AlertHeader, template.header_id)
    if template.status != RegistryStatus.ACTIVE or header is None or header.status != "active":
        raise Conflict("this template (or its header) is not in use on DLT")
    if template.locked:
        raise InvalidInput(
            "a locked template (the one-time-password or SOS notice template) cannot carry an alert"
        )
    if template.category == Category.PROMOTIONAL:
        raise InvalidInput("promotional templates are refused")


# --- areas ---------------------------------------------------------------------------------


def _areas(uow: UnitOfWork, actor: Actor, area_ids: list[str], action: str) -> list[Jurisdiction]:
    """The jurisdictions an alert is addressed to, each inside the actor's jurisdiction."""
    found = list(
        uow.session.execute(select(Jurisdiction).where(Jurisdiction.id.in_(area_ids))).scalars()
    )
    if len(found) != len(set(area_ids)):
        raise InvalidInput("an area does not name a jurisdiction")
    outside = [area for area in found if not actor.covers(area.path)]
    if outside:
        uow.record_now([_refused(actor, action, None, "outside-jurisdiction")])
        raise Forbidden("you can address alerts only to areas inside your jurisdiction")
    return sorted(found, key=lambda a: a.path)


def common_path(paths: list[str]) -> str:
    """The path of the deepest node above every one of ``paths`` ("/a/b/" for "/a/b/c/" and
    "/a/b/d/"): whoever covers it covers every area of the alert."""
    split = [p.strip("/").split("/") for p in paths]
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return "/" + "".join(f"{p}/" for p in shared)


# --- drafting ------------------------------------------------------------------------------


def draft_alert(uow: UnitOfWork, actor: Actor, data: AlertDraftIn) -> dict[str, Any]:
    """Draft an alert on a registered template for areas of one's jurisdiction; the text is
    scrubbed now (and again on approval) and the approval window starts."""
    require(actor, AlertsPermission.ALERT_DRAFT)
    action = "public_alert.drafted"
    template = _template(uow, data.template_id)
    _usable_for_alerts(uow, template)
    areas = _areas(uow, actor, data.areas, action)
    checked = _passed(uow, actor, template, data.text, action)
    now = utcnow()
    alert = PublicAlert(
        template_id=template.id,
        text=checked.text,
        encoding=checked.shape.encoding.value,
        characters=checked.shape.characters,
        parts=checked.shape.parts,
        status=AWAITING,
        drafted_by=actor.account_id,
        drafted_by_name=actor.username,
        drafted_at=now,
        approval_due=now + timedelta(minutes=alert_settings().approval_minutes),
        jurisdiction_path=common_path([a.path for a in areas]),
    )
    uow.session.add(alert)
    uow.session.flush()
    for area in areas:
        uow.session.add(PublicAlertArea(alert_id=alert.id, jurisdiction_id=area.id))
    publication.keep_content(
        uow, alert, data.cap, allow_list(uow, template_view(uow, template).entity.id)
    )
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            action,
            Outcome.SUCCESS,
            resource_type="public_alert",
            resource_id=alert.id,
            detail={
                "template": template.dlt_template_id,
                "parts": alert.parts,
                "encoding": alert.encoding,
                "areas": len(areas),
            },
        )
    )
    return alert_view(uow, alert)


# --- approving -----------------------------------------------------------------------------


def _alert_to_decide(uow: UnitOfWork, actor: Actor, alert_id: str, action: str) -> PublicAlert:
    """The awaiting alert, locked against a second approver, which ``actor`` may decide: inside
    their jurisdiction and not of their own drafting."""
    require(actor, AlertsPermission.ALERT_APPROVE)
    stmt = select(PublicAlert).where(PublicAlert.id == alert_id).with_for_update()
    alert = uow.session.execute(stmt).scalar_one_or_none()
    if alert is None:
        raise NotFound("no such alert")
    if not actor.covers(alert.jurisdiction_path):
        uow.record_now([_refused(actor, action, alert.id, "outside-jurisdiction")])
        raise Forbidden("this alert is addressed beyond your jurisdiction")
    if alert.status != AWAITING:
        raise Conflict(f"this alert is already {alert.status}")
    if drafted_by(alert, actor):
        uow.record_now([_refused(actor, action, alert.id, "drafter")])
        raise Forbidden("the officer who drafted an alert cannot approve or reject it")
    return alert


def drafted_by(alert: PublicAlert, actor: Actor) -> bool:
    """Whether ``actor`` drafted ``alert`` (the same account; commands acting without one are
    told apart by name)."""
    if alert.drafted_by is not None or actor.account_id is not None:
        return alert.drafted_by == actor.account_id
    return alert.drafted_by_name == actor.username


def approve_alert(uow: UnitOfWork, actor: Actor, alert_id: str) -> dict[str, Any]:
    """Approve an alert drafted by another officer, inside its approval window: it is scrubbed
    again, counted against its template's cap for the day, and queued (one outbox message per
    area) in this same transaction."""
    action = "public_alert.approved"
    alert = _alert_to_decide(uow, actor, alert_id, action)
    now = utcnow()
    if now > as_utc(alert.approval_due):
        uow.record_now([_refused(actor, action, alert.id, "expired")])
        raise Conflict("the approval window of this alert has closed; draft it again")
    # Locked, so that two approvals on the same template cannot both take the last of its cap.
    template = uow.session.execute(
        select(AlertTemplate).where(AlertTemplate.id == alert.template_id).with_for_update()
    ).scalar_one()
    _usable_for_alerts(uow, template)
    checked = _passed(uow, actor, template, alert.text, action)
    _within_cap(uow, actor, template, alert.id, action)
    alert.status = QUEUED
    alert.decided_by, alert.decided_by_name, alert.decided_at = (
        actor.account_id,
        actor.username,
        now,
    )
    queued = _queue(uow, alert, template, checked)
    uow.session.flush()
    identifier = publication.publish(uow, alert, template_view(uow, template), checked.text)
    # The feed is a channel like an SMPP link: made live, owned by the first approver.
    channels.ensure(uow, channels.PUBLIC_FEED, channels.FEED, actor.username)
    uow.audit(
        actor_event(
            actor,
            action,
            Outcome.SUCCESS,
            resource_type="public_alert",
            resource_id=alert.id,
            detail={
                "template": template.dlt_template_id,
                "messages": queued,
                "drafted_by": alert.drafted_by_name,
                "cap": identifier,
            },
        )
    )
    _watch(uow, actor, alert, now)
    return alert_view(uow, alert)


def day_start(uow: UnitOfWork) -> datetime:
    """Midnight at the stations today, as a UTC moment: caps are per station day."""
    zone = station_zone(uow.runtime.settings)
    return datetime.combine(station_today(uow.runtime), time.min, tzinfo=zone).astimezone(UTC)


def _within_cap(
    uow: UnitOfWork, actor: Actor, template: AlertTemplate, alert_id: str, action: str
) -> None:
    sent_today = uow.session.execute(
        select(func.count()).where(
            PublicAlert.template_id == template.id,
            PublicAlert.status == QUEUED,
            PublicAlert.decided_at >= day_start(uow),
        )
    ).scalar_one()
    if sent_today < template.daily_cap:
        return
    uow.record_now([_refused(actor, action, alert_id, "daily-cap")])
    _raise_security_alert(
        uow,
        actor,
        "public_alert_cap",
        alert_id,
        template=template.dlt_template_id,
        cap=template.daily_cap,
    )
    raise Conflict(
        f"template {template.dlt_template_id} has reached its cap of {template.daily_cap} "
        "alert(s) today"
    )


def _queue(uow: UnitOfWork, alert: PublicAlert, template: AlertTemplate, checked: Checked) -> int:
    """One outbox message per area; a worker fans each approved alert out to its subscribers
    (``audiences.expand_alert``)."""
    view = template_view(uow, template)
    areas = uow.session.execute(
        select(PublicAlertArea.jurisdiction_id).where(PublicAlertArea.alert_id == alert.id)
    ).scalars()
    count = 0
    for area_id in areas:
        uow.session.add(
            AlertOutboxMessage(
                kind="area",
                alert_id=alert.id,
                template_id=template.id,
                area_id=area_id,
                body=checked.text,
                pe_id=view.entity.pe_id,
                header=view.header.header,
                dlt_template_id=template.dlt_template_id,
                encoding=checked.shape.encoding.value,
                parts=checked.shape.parts,
                status=QUEUED,
            )
        )
        count += 1
    return count


def _watch(uow: UnitOfWork, actor: Actor, alert: PublicAlert, now: datetime) -> None:
    """Tell the security officers of an approval at a quiet hour or in a burst."""
    if watch_config.load(uow.runtime.settings).is_quiet(now):
        _raise_security_alert(
            uow,
            actor,
            "public_alert_hour",
            alert.id,
            local_hour=now.astimezone(station_zone(uow.runtime.settings)).hour,
        )
    hour = uow.session.execute(
        select(func.count()).where(
            PublicAlert.status == QUEUED, PublicAlert.decided_at >= now - timedelta(hours=1)
        )
    ).scalar_one()
    limit = alert_settings().burst_per_hour
    if hour > limit:
        _raise_security_alert(
            uow, actor, "public_alert_burst", alert.id, approved_in_hour=hour, limit=limit
        )


def _raise_security_alert(
    uow: UnitOfWork, actor: Actor, kind: str, alert_id: str, **detail: str | int
) -> None:
    raise_alert(
        uow,
        account_id=actor.account_id,
        session_id=actor.session_id,
        kind=kind,
        record_ids=[alert_id],
        detail={"username": actor.username, "public_alert": alert_id, **detail},
        action="alert",
    )


def reject_alert(uow: UnitOfWork, actor: Actor, alert_id: str, reason: str) -> dict[str, Any]:
    """Send a draft back with the reason (by an approver other than its drafter)."""
    action = "public_alert.rejected"
    alert = _alert_to_decide(uow, actor, alert_id, action)
    alert.status = REJECTED
    alert.decided_by, alert.decided_by_name, alert.decided_at = (
        actor.account_id,
        actor.username,
        utcnow(),
    )
    alert.decision_reason = reason
    uow.session.flush()
    uow.audit(
        actor_event(
            actor, action, Outcome.SUCCESS, resource_type="public_alert", resource_id=alert.id
        )
    )
    return alert_view(uow, alert)


# --- reading -------------------------------------------------------------------------------


def status_of(alert: PublicAlert, now: datetime | None = None) -> str:
    """Where the alert stands; an awaiting alert past its window reads as expired."""
    if alert.status == AWAITING and (now or utcnow()) > as_utc(alert.approval_due):
        return EXPIRED
    return alert.status


def alert_view(uow: UnitOfWork, alert: PublicAlert) -> dict[str, Any]:
    """The alert as the API and console show it, with its areas and queued messages."""
    template = _template(uow, alert.template_id)
    view = template_view(uow, template)
    areas = uow.session.execute(
        select(Jurisdiction)
        .join(PublicAlertArea, PublicAlertArea.jurisdiction_id == Jurisdiction.id)
        .where(PublicAlertArea.alert_id == alert.id)
        .order_by(Jurisdiction.path)
    ).scalars()
    delivery = dict(
        uow.session.execute(
            select(AlertOutboxMessage.status, func.count())
            .where(AlertOutboxMessage.alert_id == alert.id, AlertOutboxMessage.kind != "area")
            .group_by(AlertOutboxMessage.status)
        ).all()
    )
    queued = sum(delivery.values())
    return {
        "id": alert.id,
        "template_id": template.id,
        "dlt_template_id": template.dlt_template_id,
        "header": view.header.header,
        "text": alert.text,
        "encoding": alert.encoding,
        "characters": alert.characters,
        "parts": alert.parts,
        "status": status_of(alert),
        "drafted_by_name": alert.drafted_by_name,
        "drafted_by_me": False,
        "drafted_at": as_utc(alert.drafted_at),
        "approval_due": as_utc(alert.approval_due),
        "decided_by_name": alert.decided_by_name,
        "decided_at": as_utc(alert.decided_at) if alert.decided_at else None,
        "decision_reason": alert.decision_reason,
        "areas": [{"id": a.id, "code": a.code, "name": a.name, "kind": a.kind} for a in areas],
        "queued_messages": queued,
        "delivery": {str(k): int(v) for k, v in delivery.items()},
        "fanned_out": _fanned_out(uow, alert.id),
        "cap_identifier": publication.identifier_of(uow, alert.id),
        # The second officer approves the public document's words too, so they are shown.
        "cap": publication.content_of(uow, alert.id),
    }


def _fanned_out(uow: UnitOfWork, alert_id: str) -> bool:
    """Whether the alert's areas have been fanned out to their subscribers."""
    waiting = uow.session.execute(
        select(func.count()).where(
            AlertOutboxMessage.alert_id == alert_id,
            AlertOutboxMessage.kind == "area",
            AlertOutboxMessage.status != "expanded",
        )
    ).scalar_one()
    return waiting == 0


def read_alert(uow: UnitOfWork, actor: Actor, alert_id: str) -> dict[str, Any]:
    """One alert addressed inside the actor's jurisdiction."""
    require(actor, AlertsPermission.ALERT_READ)
    alert = uow.session.get(PublicAlert, alert_id)
    if alert is None or not actor.covers(alert.jurisdiction_path):
        raise NotFound("no such alert")
    view = alert_view(uow, alert)
    view["drafted_by_me"] = drafted_by(alert, actor)
    return view


def list_alerts(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Alerts addressed inside the actor's jurisdiction, newest first, by status."""
    require(actor, AlertsPermission.ALERT_READ)
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status is one of {', '.join(STATUSES)}")
    now = utcnow()
    stmt = select(PublicAlert).where(in_jurisdiction(PublicAlert.jurisdiction_path, actor))
    if status in (AWAITING, EXPIRED):
        due = (
            PublicAlert.approval_due >= now
            if status == AWAITING
            else PublicAlert.approval_due < now
        )
        stmt = stmt.where(PublicAlert.status == AWAITING, due)
    elif status is not None:
        stmt = stmt.where(PublicAlert.status == status)
    stmt = stmt.order_by(PublicAlert.drafted_at.desc(), PublicAlert.id)
    found = uow.session.execute(stmt.limit(max(1, min(limit, ALERT_PAGE_MAX)))).scalars()
    views = []
    for alert in found:
        view = alert_view(uow, alert)
        view["drafted_by_me"] = drafted_by(alert, actor)
        views.append(view)
    return views


# --- one-time passwords ----------------------------------------------------------------------


def _otp_event(action: str, outcome: str, **detail: str | int | None) -> AuditEvent:
    return AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=None,
        actor_name=OTP_ACTOR,
        resource_type="alert_outbox",
        detail=dict(detail),
    )


def _locked_template(uow: UnitOfWork, shape: str = OTP_SHAPE) -> AlertTemplate:
    # Locked for the transaction: OTPs are counted against the cap and per number one at a
    # time, so that two requests at once cannot both take the last one allowed.
    stmt = (
        select(AlertTemplate)
        .where(
            AlertTemplate.locked.is_(True),
            AlertTemplate.status == RegistryStatus.ACTIVE,
            AlertTemplate.variables == shape,
        )
        .with_for_update()
    )
    template = uow.session.execute(stmt).scalars().first()
    if template is None:
        what = "one-time-password" if shape == OTP_SHAPE else "SOS notice"
        raise Conflict(f"no {what} template is registered")
    return template


def _otp_count(uow: UnitOfWork, since: datetime, kind: str = "otp", **where: str) -> int:
    stmt = select(func.count()).where(
        AlertOutboxMessage.kind == kind, AlertOutboxMessage.queued_at >= since
    )
    for column, value in where.items():
        stmt = stmt.where(getattr(AlertOutboxMessage, column) == value)
    return int(uow.session.execute(stmt).scalar_one())


def _otp_limits(uow: UnitOfWork, template: AlertTemplate, number_bidx: str) -> None:
    """Refuse an OTP beyond the number's limits (429) or the template's daily cap."""
    settings, now = alert_settings(), utcnow()
    window = now - timedelta(minutes=settings.otp_window_minutes)
    if (
        _otp_count(uow, window, number_bidx=number_bidx) >= settings.otp_per_window
        or _otp_count(uow, now - timedelta(days=1), number_bidx=number_bidx) >= settings.otp_per_day
    ):
        uow.record_now([_otp_event("alert_otp.queued", Outcome.DENIED, reason="rate-limit")])
        raise TooManyAttempts("too many one-time passwords to this number; wait and retry")
    if _otp_count(uow, day_start(uow), template_id=template.id) >= template.daily_cap:
        uow.record_now([_otp_event("alert_otp.queued", Outcome.DENIED, reason="daily-cap")])
        raise_alert(
            uow,
            account_id=None,
            session_id=None,
            kind="public_alert_otp_cap",
            record_ids=[template.id],
            action="alert",
            detail={"template": template.dlt_template_id, "cap": template.daily_cap},
        )
        raise Conflict("one-time passwords have reached their cap for today")


def send_otp(uow: UnitOfWork, number: str, code: str) -> str:
    """Queue a one-time password for a citizen's login on the locked template: no approval,
    but at most ``KOTWAL_ALERT_OTP_PER_WINDOW`` per window and ``..._PER_DAY`` per day to one
    number, and the template's cap per day. Returns the outbox message's id."""
    digits = normalise_phone(number)
    if len(digits) != 10 or digits[0] not in _MOBILE:
        raise InvalidInput("give a ten-digit Indian mobile number")
    if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 8):
        raise InvalidInput("a one-time password is 4 to 8 digits")
    template = _locked_template(uow)
    view = template_view(uow, template)
    pieces = parse_template(template).pieces
    text = pieces[0] + code + pieces[1]
    verdict = match(parse_template(template), text, allow_list(uow, view.entity.id))
    if not verdict.ok:  # a locked template with one number variable: cannot happen
        raise InvalidInput(verdict.reason or "the code does not fit the template")
    number_bidx = blind_index(uow.runtime.keyring, OTP_DOMAIN, digits)
    _otp_limits(uow, template, number_bidx)
    sent_as = shape(text)
    message = AlertOutboxMessage(
        kind="otp",
        template_id=template.id,
        number=digits,
        number_bidx=number_bidx,
        body=text,
        pe_id=view.entity.pe_id,
        header=view.header.header,
        dlt_template_id=template.dlt_template_id,
        encoding=sent_as.encoding.value,
        parts=sent_as.parts,
        status=QUEUED,
    )
    uow.session.add(message)
    uow.session.flush()
    event = _otp_event("alert_otp.queued", Outcome.SUCCESS, template=template.dlt_template_id)
    uow.audit(event)
    return message.id


# --- SOS notices ------------------------------------------------------------------------------

SOS_ACTOR = "system:sos"
SOS_KIND = "sos"
#: Each variable of a DLT template holds at most 30 characters.
_VARIABLE = 30


def send_sos_notice(uow: UnitOfWork, number: str, who: str, where: str, when: str) -> str:
    """Queue the SOS notice to one of a citizen's emergency contacts on the locked SOS
    template (three text variables: who raised it, the police station's area it was raised
    in, the time): no approval, at most ``KOTWAL_ALERT_SOS_PER_WINDOW`` to one number in
    ``..._SOS_WINDOW_MINUTES``, and the template's cap per day; past either, 429 or 409 and
    nothing queued. What the contact is told is the caller's to keep short: the template
    carries no place finer than a station's area, and no link. Returns the message's id."""
    digits = normalise_phone(number)
    if len(digits) != 10 or digits[0] not in _MOBILE:
        raise InvalidInput("give a ten-digit Indian mobile number")
    values = [" ".join(v.split())[:_VARIABLE].strip() for v in (who, where, when)]
    if not all(values):
        raise InvalidInput("an SOS notice names who, where and when")
    template = _locked_template(uow, SOS_SHAPE)
    view = template_view(uow, template)
    parsed = parse_template(template)
    text = "".join(
        piece + (values[i] if i < len(values) else "") for i, piece in enumerate(parsed.pieces)
    )
    verdict = match(parsed, text, allow_list(uow, view.entity.id))
    if not verdict.ok:  # a name that looks like a link or a number to call, say
        raise InvalidInput(verdict.reason or "the notice does not fit the template")
    number_bidx = blind_index(uow.runtime.keyring, OTP_DOMAIN, digits)
    settings, now = alert_settings(), utcnow()
    window = now - timedelta(minutes=settings.sos_window_minutes)
    if _otp_count(uow, window, SOS_KIND, number_bidx=number_bidx) >= settings.sos_per_window:
        uow.record_now([_sos_event(Outcome.DENIED, reason="rate-limit")])
        raise TooManyAttempts("too many SOS notices to this number; wait and retry")
    if _otp_count(uow, day_start(uow), SOS_KIND, template_id=template.id) >= template.daily_cap:
        uow.record_now([_sos_event(Outcome.DENIED, reason="daily-cap")])
        raise Conflict("SOS notices have reached their cap for today")
    sent_as = shape(text)
    message = AlertOutboxMessage(
        kind=SOS_KIND,
        template_id=template.id,
        number=digits,
        number_bidx=number_bidx,
        body=text,
        pe_id=view.entity.pe_id,
        header=view.header.header,
        dlt_template_id=template.dlt_template_id,
        encoding=sent_as.encoding.value,
        parts=sent_as.parts,
        status=QUEUED,
    )
    uow.session.add(message)
    uow.session.flush()
    uow.audit(_sos_event(Outcome.SUCCESS, template=template.dlt_template_id))
    return message.id


def _sos_event(outcome: str, **detail: str | int | None) -> AuditEvent:
    return AuditEvent(
        action="alert_sos.queued",
        outcome=outcome,
        actor_id=None,
        actor_name=SOS_ACTOR,
        resource_type="alert_outbox",
        detail=dict(detail),
    )


AREA_CHOICES_MAX = 300


def area_choices(uow: UnitOfWork, actor: Actor) -> list[Jurisdiction]:
    """The jurisdictions an officer may address alerts to: their own subtrees, in tree order."""
    require(actor, AlertsPermission.ALERT_DRAFT)
    stmt = (
        select(Jurisdiction)
        .where(in_jurisdiction(Jurisdiction.path, actor))
        .order_by(Jurisdiction.path)
        .limit(AREA_CHOICES_MAX)
    )
    return list(uow.session.execute(stmt).scalars())

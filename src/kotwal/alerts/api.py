"""JSON routes of public alerts (``/api/v1/alerts/...``): the registry mirror, the scrub's
check, and drafting, approving and rejecting alerts. Alerts hold no personal data and are
written for the public, so they are answered directly rather than through the disclosure
gate; the citizens' numbers behind consents are written here and never read back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from kotwal.alerts import audiences, channels, registry, service
from kotwal.alerts.permissions import AlertsPermission
from kotwal.alerts.schemas import (
    AlertDraftIn,
    AlertPage,
    AlertRead,
    AllowedIn,
    AllowedRead,
    ChannelRead,
    ChannelRequestIn,
    CheckRead,
    ConsentIn,
    EntityIn,
    EntityRead,
    HeaderIn,
    HeaderRead,
    ImportRead,
    MessageIn,
    RecordedRead,
    RegistryFile,
    RejectIn,
    RevokeIn,
    SubscribedRead,
    SubscribersIn,
    TemplateIn,
    TemplatePage,
    TemplateRead,
    UnsubscribeIn,
)
from kotwal.alerts.scrub import Verdict
from kotwal.alerts.sms import Shape
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, require

router = APIRouter(prefix="/alerts", tags=["alerts"])
Reader = Annotated[Actor, Depends(require(AlertsPermission.ALERT_READ))]
Drafter = Annotated[Actor, Depends(require(AlertsPermission.ALERT_DRAFT))]
Approver = Annotated[Actor, Depends(require(AlertsPermission.ALERT_APPROVE))]
Registrar = Annotated[Actor, Depends(require(AlertsPermission.TEMPLATE_MANAGE))]
ConsentKeeper = Annotated[Actor, Depends(require(AlertsPermission.CONSENT_MANAGE))]
ChannelKeeper = Annotated[Actor, Depends(require(AlertsPermission.CHANNEL_MANAGE))]
ChannelName = Annotated[str, Path(pattern=r"^(public-feed|smpp:[a-z0-9-]{1,40})$")]
AlertId = Annotated[str, Path(min_length=36, max_length=36)]
STATUS_PATTERN = "^(awaiting|expired|queued|rejected)$"


def check_read(verdict: Verdict, sent_as: Shape) -> CheckRead:
    """The scrub's verdict and the message's shape, as answered."""
    return CheckRead(
        matches=verdict.ok,
        reason=verdict.reason,
        reason_code=verdict.code,
        variable=verdict.variable,
        values=list(verdict.values),
        encoding=sent_as.encoding.value,
        characters=sent_as.characters,
        units=sent_as.units,
        parts=sent_as.parts,
        per_part=sent_as.per_part,
        room_left=sent_as.room_left,
    )


@router.get("/templates")
def list_templates(
    actor: Reader, include_inactive: bool = False, uow: UnitOfWork = ReadUnit
) -> TemplatePage:
    """The templates registered on DLT (those in use unless asked otherwise)."""
    views = registry.list_templates(uow, actor, include_inactive=include_inactive)
    return TemplatePage(items=[TemplateRead.model_validate(v.as_dict()) for v in views])


@router.post("/templates", status_code=201)
def register_template(
    body: TemplateIn, actor: Registrar, uow: UnitOfWork = WriteUnit
) -> TemplateRead:
    """Register a template as DLT has it (promotional templates are refused)."""
    template = registry.register_template(uow, actor, body)
    return TemplateRead.model_validate(registry.template_view(uow, template).as_dict())


@router.post("/entities", status_code=201)
def register_entity(body: EntityIn, actor: Registrar, uow: UnitOfWork = WriteUnit) -> EntityRead:
    """Register the principal entity by its DLT PE ID."""
    entity = registry.register_entity(uow, actor, body)
    return EntityRead(id=entity.id, pe_id=entity.pe_id, name=entity.name)


@router.post("/headers", status_code=201)
def register_header(body: HeaderIn, actor: Registrar, uow: UnitOfWork = WriteUnit) -> HeaderRead:
    """Register a sender header under the entity."""
    header = registry.register_header(uow, actor, body)
    return HeaderRead(id=header.id, pe_id=body.pe_id, header=header.header, status=header.status)


@router.get("/allowed")
def list_allowed(actor: Reader, uow: UnitOfWork = ReadUnit) -> list[AllowedRead]:
    """The URLs and phone numbers messages may carry."""
    return [
        AllowedRead(id=row.id, pe_id=pe_id, kind=row.kind, value=row.value)
        for row, pe_id in registry.list_allowed(uow, actor)
    ]


@router.post("/allowed", status_code=201)
def allow(body: AllowedIn, actor: Registrar, uow: UnitOfWork = WriteUnit) -> AllowedRead:
    """Allow a URL (a prefix when it ends in "/") or a phone number in messages."""
    row = registry.allow(uow, actor, body)
    return AllowedRead(id=row.id, pe_id=body.pe_id, kind=row.kind, value=row.value)


@router.post("/registry")
def import_registry(
    body: RegistryFile, actor: Registrar, uow: UnitOfWork = WriteUnit
) -> ImportRead:
    """Bring the mirror in line with a copy of the DLT registry, all or nothing."""
    report = registry.import_registry(uow, actor, body)
    return ImportRead(
        created=dict(report.created),
        unchanged=dict(report.unchanged),
        deactivated=report.deactivated,
    )


@router.post("/consents", status_code=201)
def record_consent(
    body: ConsentIn, actor: ConsentKeeper, uow: UnitOfWork = WriteUnit
) -> RecordedRead:
    """Record a citizen's consent to a service-explicit template."""
    return RecordedRead(id=registry.record_consent(uow, actor, body).id)


@router.post("/consents/revoke")
def revoke_consent(
    body: RevokeIn, actor: ConsentKeeper, uow: UnitOfWork = WriteUnit
) -> RecordedRead:
    """End a number's consent to a template."""
    return RecordedRead(revoked=registry.revoke_consent(uow, actor, body.template_id, body.number))


@router.post("/subscribers", status_code=201)
def record_subscribers(
    body: SubscribersIn, actor: ConsentKeeper, uow: UnitOfWork = WriteUnit
) -> SubscribedRead:
    """Record subscribers (one or an opt-in list): all or nothing; a known number's
    categories and areas are replaced."""
    done = audiences.subscribe(uow, actor, body.subscribers)
    return SubscribedRead(added=done.added, updated=done.updated)


@router.post("/subscribers/remove")
def remove_subscriber(
    body: UnsubscribeIn, actor: ConsentKeeper, uow: UnitOfWork = WriteUnit
) -> RecordedRead:
    """Forget a number that asked to stop (its unsent messages are withdrawn)."""
    return RecordedRead(revoked=int(audiences.unsubscribe(uow, actor, body.number)))


@router.get("/channels")
def list_channels(actor: ChannelKeeper, uow: UnitOfWork = ReadUnit) -> list[ChannelRead]:
    """Every channel (SMPP links, the public feed): owner, expiry, last use, live or not."""
    return [ChannelRead.model_validate(c) for c in channels.listing(uow, actor)]


@router.post("/channels/{name}/disable")
def disable_channel(
    name: ChannelName, actor: ChannelKeeper, uow: UnitOfWork = WriteUnit
) -> ChannelRead:
    """Switch a channel off now."""
    return ChannelRead.model_validate(channels.view(channels.disable(uow, actor, name)))


@router.post("/channels/{name}/request")
def request_channel(
    name: ChannelName, body: ChannelRequestIn, actor: ChannelKeeper, uow: UnitOfWork = WriteUnit
) -> ChannelRead:
    """Ask for a channel to be enabled or renewed; another officer must approve."""
    channel = channels.request_enable(uow, actor, name, body.owner, body.days)
    return ChannelRead.model_validate(channels.view(channel))


@router.post("/channels/{name}/approve")
def approve_channel(
    name: ChannelName, actor: ChannelKeeper, uow: UnitOfWork = WriteUnit
) -> ChannelRead:
    """Approve another officer's request: the channel is live again."""
    return ChannelRead.model_validate(channels.view(channels.approve_enable(uow, actor, name)))


@router.post("/check")
def check_message(body: MessageIn, actor: Drafter, uow: UnitOfWork = ReadUnit) -> CheckRead:
    """Check a text against its template and count its parts; nothing is written."""
    return check_read(*service.check_message(uow, actor, body))


@router.post("", status_code=201)
def draft_alert(body: AlertDraftIn, actor: Drafter, uow: UnitOfWork = WriteUnit) -> AlertRead:
    """Draft an alert for areas of your jurisdiction; refused with the reason if the text
    does not match its template. A second officer must approve it within the window."""
    return AlertRead.model_validate(service.draft_alert(uow, actor, body))


@router.get("")
def list_alerts(
    actor: Reader,
    status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
    limit: int = Query(default=50, ge=1, le=service.ALERT_PAGE_MAX),
    uow: UnitOfWork = ReadUnit,
) -> AlertPage:
    """Alerts addressed inside your jurisdiction, newest first."""
    found = service.list_alerts(uow, actor, status=status, limit=limit)
    return AlertPage(items=[AlertRead.model_validate(a) for a in found])


@router.get("/{alert_id}")
def read_alert(alert_id: AlertId, actor: Reader, uow: UnitOfWork = ReadUnit) -> AlertRead:
    """One alert: its text, parts, areas and where it stands."""
    return AlertRead.model_validate(service.read_alert(uow, actor, alert_id))


@router.post("/{alert_id}/approve")
def approve_alert(alert_id: AlertId, actor: Approver, uow: UnitOfWork = WriteUnit) -> AlertRead:
    """Approve another officer's draft within its window: it is queued for delivery."""
    return AlertRead.model_validate(service.approve_alert(uow, actor, alert_id))


@router.post("/{alert_id}/reject")
def reject_alert(
    alert_id: AlertId, body: RejectIn, actor: Approver, uow: UnitOfWork = WriteUnit
) -> AlertRead:
    """Send another officer's draft back, with the reason."""
    return AlertRead.model_validate(service.reject_alert(uow, actor, alert_id, body.reason))

"""The registry mirrored from DLT: the principal entity, its sender headers, its content
templates (each variable typed), the URLs and numbers its messages may carry, and citizens'
consent to the templates that need it. Each operation runs in the caller's unit of work and is
audited.

DLT is the source of truth; kotwal keeps a mirror so that a message is checked before it is
queued, not bounced by the operator afterwards. A registered template's text never changes
(DLT gives a changed template a new ID), so registering an ID again with other content is a
conflict; the mirror may only follow DLT in deactivating a template or header.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from kotwal.alerts.models import (
    AlertAllowed,
    AlertConsent,
    AlertEntity,
    AlertHeader,
    AlertTemplate,
)
from kotwal.alerts.permissions import AlertsPermission
from kotwal.alerts.schemas import (
    AllowedIn,
    AllowedKind,
    Category,
    ConsentIn,
    EntityIn,
    HeaderIn,
    RegistryFile,
    RegistryStatus,
    TemplateIn,
)
from kotwal.alerts.scrub import (
    AllowList,
    Template,
    VariableType,
    parse,
    phone_digits,
    template_problems,
)
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import blind_index, normalise_phone, open_field
from kotwal.core.errors import Conflict, InvalidInput, NotFound
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Actor
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork

CONSENT_DOMAIN = "alert_consents.number"
TEMPLATES_MAX = 2000
#: A URL as it may be allow-listed: a scheme and a host name, then any path.
_URL_ENTRY = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/\S*)?")
#: Categories a police force registers; anything else is refused.
USABLE = frozenset({Category.TRANSACTIONAL, Category.SERVICE_IMPLICIT, Category.SERVICE_EXPLICIT})


@dataclass(frozen=True)
class TemplateView:
    """A template with the header and entity it is sent under."""

    template: AlertTemplate
    header: AlertHeader
    entity: AlertEntity

    def as_dict(self) -> dict[str, object]:
        """The template as the API shows it."""
        t = self.template
        return {
            "id": t.id,
            "dlt_template_id": t.dlt_template_id,
            "pe_id": self.entity.pe_id,
            "header": self.header.header,
            "name": t.name,
            "category": t.category,
            "text": t.text,
            "variables": types_of(t),
            "daily_cap": t.daily_cap,
            "locked": t.locked,
            "status": t.status,
        }


def types_of(template: AlertTemplate) -> list[VariableType]:
    """The template's variable types, in order."""
    return [VariableType(v) for v in template.variables.split(",") if v]


def _audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    **detail: str | int | bool | None,
) -> None:
    uow.audit(
        actor_event(
            actor,
            action,
            Outcome.SUCCESS,
            resource_type=resource_type,
            resource_id=resource_id,
            detail=detail,
        )
    )


# --- lookups -------------------------------------------------------------------------------


def entity_by_pe(uow: UnitOfWork, pe_id: str) -> AlertEntity | None:
    """The entity registered under ``pe_id``, if any."""
    stmt = select(AlertEntity).where(AlertEntity.pe_id == pe_id)
    return uow.session.execute(stmt).scalar_one_or_none()


def header_by_name(uow: UnitOfWork, header: str) -> AlertHeader | None:
    """The header ``header`` (six letters), if registered."""
    stmt = select(AlertHeader).where(AlertHeader.header == header.upper())
    return uow.session.execute(stmt).scalar_one_or_none()


def template_by_dlt_id(uow: UnitOfWork, dlt_template_id: str) -> AlertTemplate | None:
    """The template registered under DLT's ``dlt_template_id``, if any."""
    stmt = select(AlertTemplate).where(AlertTemplate.dlt_template_id == dlt_template_id)
    return uow.session.execute(stmt).scalar_one_or_none()


def template_view(uow: UnitOfWork, template: AlertTemplate) -> TemplateView:
    """The template with its header and entity."""
    header = uow.session.get(AlertHeader, template.header_id)
    entity = uow.session.get(AlertEntity, header.entity_id) if header else None
    if header is None or entity is None:
        raise NotFound("the template's header or entity is missing")
    return TemplateView(template, header, entity)


def allow_list(uow: UnitOfWork, entity_id: str) -> AllowList:
    """The URLs and numbers the entity's messages may carry."""
    rows = uow.session.execute(
        select(AlertAllowed.kind, AlertAllowed.value).where(AlertAllowed.entity_id == entity_id)
    ).all()
    urls = [value for kind, value in rows if kind == AllowedKind.URL]
    phones = [value for kind, value in rows if kind == AllowedKind.PHONE]
    return AllowList.of(urls, phones)


def list_templates(
    uow: UnitOfWork, actor: Actor, *, include_inactive: bool = False
) -> list[TemplateView]:
    """The registry's templates by name (those in use, unless asked otherwise)."""
    require(actor, AlertsPermission.ALERT_READ)
    stmt = (
        select(AlertTemplate, AlertHeader, AlertEntity)
        .join(AlertHeader, AlertHeader.id == AlertTemplate.header_id)
        .join(AlertEntity, AlertEntity.id == AlertHeader.entity_id)
        .order_by(AlertTemplate.name, AlertTemplate.dlt_template_id)
        .limit(TEMPLATES_MAX)
    )
    if not include_inactive:
        stmt = stmt.where(AlertTemplate.status == RegistryStatus.ACTIVE)
    return [TemplateView(t, h, e) for t, h, e in uow.session.execute(stmt).all()]


def list_allowed(uow: UnitOfWork, actor: Actor) -> list[tuple[AlertAllowed, str]]:
    """Every allow-list entry with its entity's PE ID."""
    require(actor, AlertsPermission.ALERT_READ)
    stmt = (
        select(AlertAllowed, AlertEntity.pe_id)
        .join(AlertEntity, AlertEntity.id == AlertAllowed.entity_id)
        .order_by(AlertAllowed.kind, AlertAllowed.value)
        .limit(TEMPLATES_MAX)
    )
    return [(row, pe) for row, pe in uow.session.execute(stmt).all()]


# --- registering ---------------------------------------------------------------------------


def register_entity(uow: UnitOfWork, actor: Actor, data: EntityIn) -> AlertEntity:
    """Register the principal entity (once per PE ID)."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    if entity_by_pe(uow, data.pe_id) is not None:
        raise Conflict("this PE ID is already registered")
    entity = AlertEntity(pe_id=data.pe_id, name=data.name)
    uow.session.add(entity)
    uow.session.flush()
    _audit(uow, actor, "alert_entity.registered", "alert_entity", entity.id)
    return entity


def _entity(uow: UnitOfWork, pe_id: str) -> AlertEntity:
    entity = entity_by_pe(uow, pe_id)
    if entity is None:
        raise InvalidInput(f"no entity is registered under PE ID {pe_id}")
    return entity


def register_header(uow: UnitOfWork, actor: Actor, data: HeaderIn) -> AlertHeader:
    """Register a sender header under the entity."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    entity = _entity(uow, data.pe_id)
    if header_by_name(uow, data.header) is not None:
        raise Conflict(f"the header {data.header} is already registered")
    header = AlertHeader(entity_id=entity.id, header=data.header, status=data.status.value)
    uow.session.add(header)
    uow.session.flush()
    _audit(uow, actor, "alert_header.registered", "alert_header", header.id)
    return header


#: The variables of the two kinds of locked template (sent without approval, never carrying
#: an alert), as ``alert_templates.variables`` keeps them: the one-time password (the code),
#: and the SOS notice to a citizen's emergency contacts (who, the station's area, the time).
OTP_SHAPE = "number"
SOS_SHAPE = "text,text,text"
LOCKED_SHAPES = (OTP_SHAPE, SOS_SHAPE)


def check_template(uow: UnitOfWork, data: TemplateIn) -> AlertHeader:
    """Refuse a template that cannot be registered, saying why; returns its header."""
    if data.category not in USABLE:
        raise InvalidInput(
            "promotional templates are refused: a police force sends service messages only"
        )
    problems = template_problems(data.text, data.variables)
    if problems:
        raise InvalidInput("; ".join(problems))
    if data.locked and (
        ",".join(data.variables) not in LOCKED_SHAPES or data.category == Category.SERVICE_EXPLICIT
    ):
        raise InvalidInput(
            "a locked template is the one-time password's (one number variable, the code) or "
            "the SOS notice's (three text variables: who, the station's area, the time), and "
            "is transactional or service-implicit"
        )
    header = header_by_name(uow, data.header)
    if header is None:
        raise InvalidInput(f"the header {data.header} is not registered")
    return header


def _another_locked(uow: UnitOfWork, dlt_template_id: str, variables: str) -> bool:
    stmt = select(AlertTemplate.id).where(
        AlertTemplate.locked.is_(True),
        AlertTemplate.status == RegistryStatus.ACTIVE,
        AlertTemplate.variables == variables,
        AlertTemplate.dlt_template_id != dlt_template_id,
    )
    return uow.session.execute(stmt).first() is not None


def register_template(uow: UnitOfWork, actor: Actor, data: TemplateIn) -> AlertTemplate:
    """Register a content template as DLT has it; promotional ones are refused, and so is a
    text whose placeholders and variable types disagree."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    header = check_template(uow, data)
    if template_by_dlt_id(uow, data.dlt_template_id) is not None:
        raise Conflict(f"template {data.dlt_template_id} is already registered")
    if (
        data.locked
        and data.status == RegistryStatus.ACTIVE
        and _another_locked(uow, data.dlt_template_id, ",".join(data.variables))
    ):
        raise Conflict("another locked template of this kind is in use; deactivate it first")
    template = AlertTemplate(
        dlt_template_id=data.dlt_template_id,
        header_id=header.id,
        name=data.name,
        category=data.category.value,
        text=data.text,
        variables=",".join(v.value for v in data.variables),
        daily_cap=data.daily_cap,
        locked=data.locked,
        status=data.status.value,
    )
    uow.session.add(template)
    uow.session.flush()
    _audit(
        uow,
        actor,
        "alert_template.registered",
        "alert_template",
        template.id,
        category=template.category,
        locked=template.locked,
    )
    return template


def allowed_value(kind: AllowedKind, raw: str) -> str:
    """An allow-list entry as it is kept (URLs in lower case, numbers as written), or why not."""
    value = raw.strip()
    if kind == AllowedKind.URL:
        value = value.lower()
        if not _URL_ENTRY.fullmatch(value):
            raise InvalidInput("an allowed URL starts with http:// or https:// and a host name")
        return value
    digits = phone_digits(value)
    if not 3 <= len(digits) <= 15 or not re.fullmatch(r"\+?[0-9][0-9 -]*", value):
        raise InvalidInput("an allowed phone number has 3 to 15 digits")
    return value


def allow(uow: UnitOfWork, actor: Actor, data: AllowedIn) -> AlertAllowed:
    """Allow messages of the entity to carry a URL (or URLs under a prefix) or a number."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    entity = _entity(uow, data.pe_id)
    value = allowed_value(data.kind, data.value)
    if _allowed_row(uow, entity.id, data.kind, value) is not None:
        raise Conflict("this entry is already on the allow-list")
    row = AlertAllowed(entity_id=entity.id, kind=data.kind.value, value=value)
    uow.session.add(row)
    uow.session.flush()
    _audit(uow, actor, "alert_allow.added", "alert_allowed", row.id, kind=row.kind)
    return row


def _allowed_row(
    uow: UnitOfWork, entity_id: str, kind: AllowedKind, value: str
) -> AlertAllowed | None:
    stmt = select(AlertAllowed).where(
        AlertAllowed.entity_id == entity_id,
        AlertAllowed.kind == kind.value,
        AlertAllowed.value == value,
    )
    return uow.session.execute(stmt).scalar_one_or_none()


# --- the mirror ----------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import wrote, what it found already there, and what it deactivated."""

    created: Counter[str]
    unchanged: Counter[str]
    deactivated: int = 0


def import_registry(uow: UnitOfWork, actor: Actor, registry: RegistryFile) -> ImportReport:
    """Bring the mirror in line with a copy of the DLT registry, all or nothing (one unit of
    work): new entries are registered, entries already there must agree, and a template or
    header DLT has deactivated is deactivated here. A changed template text is refused."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    report = ImportReport(Counter(), Counter())
    if entity_by_pe(uow, registry.entity.pe_id) is None:
        register_entity(uow, actor, registry.entity)
        report.created["entities"] += 1
    else:
        report.unchanged["entities"] += 1
    for header in registry.headers:
        _mirror_header(uow, actor, header, report)
    for entry in registry.allowed:
        entity = _entity(uow, entry.pe_id)
        if _allowed_row(uow, entity.id, entry.kind, allowed_value(entry.kind, entry.value)):
            report.unchanged["allowed"] += 1
        else:
            allow(uow, actor, entry)
            report.created["allowed"] += 1
    mirror_templates(uow, actor, registry.templates, report)
    _audit(
        uow,
        actor,
        "alert_registry.imported",
        "alert_entity",
        registry.entity.pe_id,
        created=sum(report.created.values()),
        deactivated=report.deactivated,
    )
    return report


def mirror_templates(
    uow: UnitOfWork, actor: Actor, templates: list[TemplateIn], report: ImportReport
) -> None:
    """Register the new templates and check the others (a CSV of templates, or the templates
    of a registry file); a fault names the template's place in the list."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    for line, template in enumerate(templates, start=1):
        try:
            _mirror_template(uow, actor, template, report)
        except (InvalidInput, Conflict) as exc:
            raise type(exc)(f"template {line} ({template.dlt_template_id}): {exc.detail}") from exc


def _mirror_header(uow: UnitOfWork, actor: Actor, data: HeaderIn, report: ImportReport) -> None:
    found = header_by_name(uow, data.header)
    if found is None:
        register_header(uow, actor, data)
        report.created["headers"] += 1
        return
    entity = _entity(uow, data.pe_id)
    if found.entity_id != entity.id:
        raise Conflict(f"the header {data.header} is registered under another entity")
    if found.status != data.status.value:
        _set_status(uow, actor, found, data.status, "alert_header")
        report.deactivated += data.status == RegistryStatus.INACTIVE
    else:
        report.unchanged["headers"] += 1


def _mirror_template(uow: UnitOfWork, actor: Actor, data: TemplateIn, report: ImportReport) -> None:
    found = template_by_dlt_id(uow, data.dlt_template_id)
    if found is None:
        register_template(uow, actor, data)
        report.created["templates"] += 1
        return
    header = check_template(uow, data)
    same = (
        found.text == data.text
        and found.header_id == header.id
        and found.variables == ",".join(v.value for v in data.variables)
        and found.category == data.category.value
        and found.locked == data.locked
    )
    if not same:
        raise Conflict(
            "this template ID is registered with other content; DLT gives a changed template "
            "a new ID"
        )
    if found.daily_cap != data.daily_cap:
        found.daily_cap = data.daily_cap
        found.updated_at = utcnow()
        _audit(
            uow,
            actor,
            "alert_template.capped",
            "alert_template",
            found.id,
            daily_cap=data.daily_cap,
        )
    if found.status != data.status.value:
        _set_status(uow, actor, found, data.status, "alert_template")
        report.deactivated += data.status == RegistryStatus.INACTIVE
    else:
        report.unchanged["templates"] += 1


def _set_status(
    uow: UnitOfWork,
    actor: Actor,
    row: AlertHeader | AlertTemplate,
    status: RegistryStatus,
    kind: str,
) -> None:
    row.status = status.value
    if isinstance(row, AlertTemplate):
        row.updated_at = utcnow()
    verb = "activated" if status == RegistryStatus.ACTIVE else "deactivated"
    _audit(uow, actor, f"{kind}.{verb}", kind, row.id)


def parse_template(template: AlertTemplate) -> Template:
    """The registered template, ready for the scrub."""
    return parse(template.text, types_of(template))


# --- consent -------------------------------------------------------------------------------


def needs_consent(template: AlertTemplate) -> bool:
    """Whether a recipient must have consented to this template's messages (DLT: the
    service-explicit category)."""
    return template.category == Category.SERVICE_EXPLICIT


#: The blind index that finds a recipient's number exactly, in subscribers and consents alike:
#: 64 bits, since a subscriber list is deduplicated and matched to consents in SQL, where the
#: 32-bit index (a few false candidates per million, removed by opening) cannot be used.
RECIPIENT_DOMAIN = "alerts.recipient"
RECIPIENT_KEY_BITS = 64


def number_key(keyring: KeyRing, number: str) -> str:
    """The 64-bit blind index of a mobile number (subscribers and consents)."""
    return blind_index(keyring, RECIPIENT_DOMAIN, normalise_phone(number), RECIPIENT_KEY_BITS)


def _number_index(uow: UnitOfWork, number: str) -> str:
    return blind_index(uow.runtime.keyring, CONSENT_DOMAIN, normalise_phone(number))


def record_consent(uow: UnitOfWork, actor: Actor, data: ConsentIn) -> AlertConsent:
    """Record a citizen's consent to a service-explicit template (sealed number)."""
    require(actor, AlertsPermission.CONSENT_MANAGE)
    template = uow.session.get(AlertTemplate, data.template_id)
    if template is None:
        raise NotFound("no such template")
    if not needs_consent(template):
        raise InvalidInput("only service-explicit templates need a recipient's consent")
    if has_consent(uow, template, data.number):
        raise Conflict("this number has already consented to this template")
    consent = AlertConsent(
        template_id=template.id,
        number=normalise_phone(data.number),
        number_bidx=_number_index(uow, data.number),
        number_key=number_key(uow.runtime.keyring, data.number),
        source=data.source,
        recorded_by_name=actor.username,
    )
    uow.session.add(consent)
    uow.session.flush()
    _audit(uow, actor, "alert_consent.recorded", "alert_consent", consent.id)
    return consent


def _consents(uow: UnitOfWork, template: AlertTemplate, number: str) -> list[AlertConsent]:
    """Consents in force for ``number`` and ``template`` (candidates by blind index, then
    opened and compared, since the index is truncated)."""
    wanted = normalise_phone(number)
    candidates = uow.session.execute(
        select(AlertConsent).where(
            AlertConsent.template_id == template.id,
            AlertConsent.number_bidx == _number_index(uow, number),
            AlertConsent.revoked_at.is_(None),
        )
    ).scalars()
    return [c for c in candidates if str(open_field(uow.session, c, "number")) == wanted]


def has_consent(uow: UnitOfWork, template: AlertTemplate, number: str) -> bool:
    """Whether ``number`` may receive ``template``'s messages: always, unless the category
    needs consent and none is in force."""
    return not needs_consent(template) or bool(_consents(uow, template, number))


def revoke_consent(uow: UnitOfWork, actor: Actor, template_id: str, number: str) -> int:
    """Withdraw a number's consent to a template; returns how many consents ended."""
    require(actor, AlertsPermission.CONSENT_MANAGE)
    template = uow.session.get(AlertTemplate, template_id)
    if template is None:
        raise NotFound("no such template")
    ended = _consents(uow, template, number)
    for consent in ended:
        consent.revoked_at = utcnow()
        _audit(uow, actor, "alert_consent.revoked", "alert_consent", consent.id)
    return len(ended)

"""Console pages of public alerts: the list, the registry, drafting with the scrub's verdict and
the part count shown before anything is saved, and one alert with its approve and reject forms
(shown to an approver who did not draft it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from kotwal.alerts import registry, service
from kotwal.alerts.permissions import AlertsPermission
from kotwal.alerts.schemas import (
    AlertDraftIn,
    CapCategory,
    CapCertainty,
    CapIn,
    CapSeverity,
    CapUrgency,
    MessageIn,
    RegistryStatus,
)
from kotwal.alerts.scrub import TEMPLATE_MAX
from kotwal.core.errors import InvalidInput, Problem
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.web.deps import ReadUnit, WriteUnit, console
from kotwal.web.pages import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(console(AlertsPermission.ALERT_READ))]
Drafter = Annotated[Actor, Depends(console(AlertsPermission.ALERT_DRAFT))]
Approver = Annotated[Actor, Depends(console(AlertsPermission.ALERT_APPROVE))]
TemplateId = Annotated[str, Form(min_length=36, max_length=36)]
Text = Annotated[str, Form(min_length=1, max_length=TEMPLATE_MAX)]
Areas = Annotated[list[str], Form(max_length=50)]
STATUSES = ("awaiting", "expired", "queued", "rejected", "all")
#: The words of one language's block of the CAP document, as the form names them.
CAP_WORDS = ("event", "headline", "description", "instruction")
CAP_FIELDS = (
    "category",
    "urgency",
    "severity",
    "certainty",
    "hours",
    "wards",
    *(f"{lang}_{word}" for lang in ("en", "te") for word in CAP_WORDS),
)


async def cap_form(request: Request) -> dict[str, str]:
    """The draft form's CAP fields (``cap_*``), as typed; the form itself is parsed once."""
    form = await request.form()
    return {name: str(form.get(f"cap_{name}") or "").strip() for name in CAP_FIELDS}


CapForm = Annotated[dict[str, str], Depends(cap_form)]


def cap_in(fields: dict[str, str]) -> CapIn | None:
    """What the drafter wrote for the public document, or None when no words were written
    (the document then carries the SMS alone, category Safety). Raises InvalidInput for
    words missing in a language, ValidationError for a bad value."""
    if not any(fields.get(f"{lang}_{w}") for lang in ("en", "te") for w in CAP_WORDS):
        return None
    names = {"en": "English", "te": "Telugu"}
    missing = [
        f"{names[lang]} {word}"
        for lang in ("en", "te")
        for word in CAP_WORDS[:3]
        if not fields.get(f"{lang}_{word}")
    ]
    if missing:
        raise InvalidInput(
            "the public document needs an event, a headline and a description in English and "
            f"in Telugu (te-IN); missing: {', '.join(missing)}"
        )
    info = [
        {
            "language": f"{lang}-IN",
            **{w: fields[f"{lang}_{w}"] for w in CAP_WORDS if fields.get(f"{lang}_{w}")},
        }
        for lang in ("en", "te")
    ]
    wards = [w.strip() for w in fields.get("wards", "").replace(";", ",").split(",") if w.strip()]
    return CapIn.model_validate(
        {
            "category": fields.get("category"),
            "urgency": fields.get("urgency"),
            "severity": fields.get("severity"),
            "certainty": fields.get("certainty"),
            "hours": fields.get("hours") or 24,
            "wards": wards,
            "info": info,
        }
    )


def _draftable(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """Templates an alert can be drafted on (in use, not the OTP's)."""
    return [
        v.as_dict()
        for v in registry.list_templates(uow, actor)
        if not v.template.locked and v.header.status == RegistryStatus.ACTIVE
    ]


def _draft_page(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    *,
    template_id: str = "",
    text: str = "",
    areas: list[str] | None = None,
    check: Any = None,
    error: str | None = None,
    status_code: int = 200,
    cap: dict[str, str] | None = None,
) -> Response:
    templates = _draftable(uow, actor)
    chosen = next((t for t in templates if t["id"] == template_id), None)
    return render(
        request,
        "alerts/draft.html",
        status_code=status_code,
        templates=templates,
        chosen=chosen,
        text=text or (chosen["text"] if chosen else ""),
        areas=set(areas or []),
        choices=service.area_choices(uow, actor),
        check=check,
        error=error,
        cap=cap or {},
        cap_choices={
            "category": [c.value for c in CapCategory],
            "urgency": [c.value for c in CapUrgency],
            "severity": [c.value for c in CapSeverity],
            "certainty": [c.value for c in CapCertainty],
        },
    )


@router.get("/alerts")
def alerts(
    request: Request,
    actor: Reader,
    status: Annotated[str, Query(pattern="^(awaiting|expired|queued|rejected|all)$")] = "awaiting",
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """Alerts addressed inside one's jurisdiction, awaiting approval unless asked otherwise."""
    found = service.list_alerts(uow, actor, status=None if status == "all" else status)
    return render(request, "alerts/alerts.html", alerts=found, status=status, statuses=STATUSES)


@router.get("/alerts/templates")
def templates(request: Request, actor: Reader, uow: UnitOfWork = ReadUnit) -> Response:
    """The registry mirrored from DLT: templates with their categories and variables, and the
    URLs and numbers messages may carry."""
    views = registry.list_templates(uow, actor, include_inactive=True)
    allowed = registry.list_allowed(uow, actor)
    return render(
        request,
        "alerts/templates.html",
        templates=[v.as_dict() for v in views],
        allowed=[{"kind": row.kind, "value": row.value, "pe_id": pe} for row, pe in allowed],
    )


@router.get("/alerts/new")
def new_alert(
    request: Request,
    actor: Drafter,
    template_id: Annotated[str, Query(max_length=36)] = "",
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The draft form, with the chosen template's text to edit."""
    return _draft_page(request, uow, actor, template_id=template_id)


@router.post("/alerts/check")
def check(
    request: Request,
    actor: Drafter,
    template_id: TemplateId,
    text: Text,
    cap: CapForm,
    areas: Areas | None = None,
    uow: UnitOfWork = ReadUnit,
) -> Response:
    """The scrub's verdict and the part count, before anything is saved."""
    try:
        verdict, sent_as = service.check_message(
            uow, actor, MessageIn(template_id=template_id, text=text)
        )
    except (Problem, ValidationError) as exc:
        return _draft_page(
            request,
            uow,
            actor,
            template_id=template_id,
            text=text,
            areas=areas,
            error=_message(exc),
            status_code=422,
            cap=cap,
        )
    return _draft_page(
        request,
        uow,
        actor,
        template_id=template_id,
        text=text,
        areas=areas,
        check={"verdict": verdict, "shape": sent_as},
        cap=cap,
    )


@router.post("/alerts/new")
def draft(
    request: Request,
    actor: Drafter,
    template_id: TemplateId,
    text: Text,
    cap: CapForm,
    areas: Areas | None = None,
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Save the draft (scrubbed again) and open it; a refusal shows the form with the reason."""
    try:
        data = AlertDraftIn(template_id=template_id, text=text, areas=areas or [], cap=cap_in(cap))
        alert = service.draft_alert(uow, actor, data)
    except (Problem, ValidationError) as exc:
        uow.rollback()
        status = exc.status if isinstance(exc, Problem) else 422
        return _draft_page(
            request,
            uow,
            actor,
            template_id=template_id,
            text=text,
            areas=areas,
            error=_message(exc),
            status_code=status,
            cap=cap,
        )
    return RedirectResponse(f"/alerts/{alert['id']}", status_code=303)


def _message(exc: Exception) -> str:
    if isinstance(exc, Problem):
        return exc.detail or exc.title
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    raise exc


def _alert_page(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    alert_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    found = service.read_alert(uow, actor, alert_id)
    may_decide = (
        actor.can(AlertsPermission.ALERT_APPROVE)
        and found["status"] == service.AWAITING
        and not found["drafted_by_me"]
    )
    return render(
        request,
        "alerts/alert.html",
        status_code=status_code,
        alert=found,
        may_decide=may_decide,
        error=error,
    )


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: str, actor: Reader, uow: UnitOfWork = ReadUnit) -> Response:
    """One alert: its text, parts, areas, and who drafted and decided it."""
    return _alert_page(request, uow, actor, alert_id)


def _decide(
    request: Request, uow: UnitOfWork, actor: Actor, alert_id: str, reason: str | None
) -> Response:
    try:
        if reason is None:
            service.approve_alert(uow, actor, alert_id)
        else:
            if not 5 <= len(reason.strip()) <= 500:
                raise InvalidInput("give a reason of 5-500 characters")
            service.reject_alert(uow, actor, alert_id, reason.strip())
    except Problem as exc:
        uow.rollback()
        return _alert_page(
            request, uow, actor, alert_id, error=exc.detail or exc.title, status_code=exc.status
        )
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/approve")
def approve(
    request: Request, alert_id: str, actor: Approver, uow: UnitOfWork = WriteUnit
) -> Response:
    """Approve and queue the alert (a second officer, within the window)."""
    return _decide(request, uow, actor, alert_id, None)


@router.post("/alerts/{alert_id}/reject")
def reject(
    request: Request,
    alert_id: str,
    actor: Approver,
    reason: Annotated[str, Form(max_length=500)],
    uow: UnitOfWork = WriteUnit,
) -> Response:
    """Send the draft back with the reason."""
    return _decide(request, uow, actor, alert_id, reason)

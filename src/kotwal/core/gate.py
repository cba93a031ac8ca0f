"""The gate: the one door through which protected data leaves the process.

``disclose(uow, actor, purpose, records)``:
1. asks policy whether this actor may read this kind of record at all, and which fields of each
   record: inside the actor's jurisdiction, fields up to the actor's clearance; outside it, only
   PUBLIC fields unless a purpose is declared, in which case the read is allowed up to clearance
   and flagged in the audit event. Withheld fields come back as ``{"masked": true}``, never
   silently dropped, so the reader knows something is there;
2. decrypts only the fields it releases;
3. adds one audit event per record to the unit of work, which makes them durable before the
   answer is sent;
4. tells the disclosure observers registered on the runtime (the breach defences), so that the
   kernel never imports a domain.

A protected model declares itself with a :class:`Protected` ``__disclosure__`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.crypto import encrypted_columns, open_fields
from kotwal.core.errors import Forbidden, IntegrityFailure, InvalidInput
from kotwal.core.observers import Disclosure, DisclosureKind, Observers
from kotwal.core.policy import Actor, DataClass
from kotwal.core.purpose import check_purpose
from kotwal.core.uow import UnitOfWork

MASKED: dict[str, bool] = {"masked": True}
UNREADABLE = object()  # stands in for a field whose ciphertext does not open
PURPOSE_MIN, PURPOSE_MAX = 5, 300


@dataclass(frozen=True)
class Protected:
    """How a model is disclosed: its name, the permission to read it, where it belongs."""

    resource_type: str
    read_permission: str
    #: Returns the materialised jurisdiction path the record is filed under.
    jurisdiction_path: Callable[[Any], str | None]
    #: Fields (attribute names) in output order; classes come from the column declarations.
    fields: tuple[str, ...]
    #: The name a record is listed under alphabetically, if any (a person's, an officer's):
    #: the breach defences see only a coarse bucket of it (:func:`order_bucket`), enough to
    #: notice records opened A to Z.
    order_name: Callable[[Any], str | None] | None = None


def order_bucket(name: str | None) -> int | None:
    """The first two Latin letters of a name as a number, 0 ("aa") to 675 ("zz"); None if it
    has fewer. Coarse on purpose: it orders records without telling their names."""
    letters = [ch for ch in (name or "").lower() if "a" <= ch <= "z"][:2]
    if len(letters) < 2:
        return None
    return (ord(letters[0]) - 97) * 26 + ord(letters[1]) - 97


class ProtectedRecord(Protocol):
    id: Any
    __disclosure__: Protected


def clean_purpose(purpose: str | None) -> str | None:
    """A declared purpose is a case number or a reason of 5-300 characters, or nothing."""
    if purpose is None or not purpose.strip():
        return None
    text = " ".join(purpose.split())
    if not PURPOSE_MIN <= len(text) <= PURPOSE_MAX:
        raise InvalidInput(f"a purpose is {PURPOSE_MIN}-{PURPOSE_MAX} characters")
    return text


def field_classes(model: type) -> dict[str, DataClass]:
    """Every column's data class, from ``info`` or (for encrypted columns) its type."""
    classes: dict[str, DataClass] = {}
    encrypted = encrypted_columns(model)
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.key in encrypted:
            classes[col.key] = encrypted[col.key]
        elif "data_class" in col.info:
            classes[col.key] = col.info["data_class"]
    return classes


def _deny(uow: UnitOfWork, actor: Actor, resource_type: str, reason: str) -> None:
    uow.record_now(
        [
            actor_event(
                actor,
                "record.disclose",
                Outcome.DENIED,
                resource_type=resource_type,
                detail={"reason": reason},
            )
        ]
    )


def lift_check(uow: UnitOfWork, actor: Actor, resource_type: str, purpose: str) -> None:
    """Refuse (and log the refusal) a purpose that would lift a read beyond the actor's
    jurisdiction without naming a registered case or an enumerated reason."""
    try:
        check_purpose(uow, purpose)
    except InvalidInput:
        _deny(uow, actor, resource_type, "purpose-refused")
        raise


def ceiling(actor: Actor, in_jurisdiction: bool, purpose: str | None) -> DataClass:
    """The most sensitive class this actor may see in this record."""
    if in_jurisdiction or purpose is not None:
        return actor.clearance
    return DataClass.PUBLIC


def disclose(
    uow: UnitOfWork,
    actor: Actor,
    purpose: str | None,
    records: Sequence[Any],
    *,
    kind: DisclosureKind | None = None,
) -> list[dict[str, Any]]:
    """Release ``records`` to ``actor`` as dicts of field → value or ``{"masked": true}``.

    ``kind`` says how they leave (see :data:`kotwal.core.observers.DisclosureKind`); searches
    and listings pass ``"list"`` even for one hit. Left out, one record is an opened record and
    several are a list.
    """
    if not records:
        return []
    spec: Protected = type(records[0]).__disclosure__
    if not actor.can(spec.read_permission):
        _deny(uow, actor, spec.resource_type, "no-permission")
        raise Forbidden()
    purpose = clean_purpose(purpose)
    classes = field_classes(type(records[0]))
    inside = [actor.covers(spec.jurisdiction_path(r)) for r in records]
    if purpose is not None and not all(inside):
        lift_check(uow, actor, spec.resource_type, purpose)
    limits = [ceiling(actor, in_j, purpose) for in_j in inside]
    opened = _open_released(uow, records, spec.fields, classes, limits)
    out: list[dict[str, Any]] = []
    for record, in_j, limit, plain in zip(records, inside, limits, opened, strict=True):
        shown = _release(record, spec.fields, classes, limit, plain)
        out.append(shown)
        uow.audit(_disclosed(actor, spec, record, purpose, in_j, shown))
    runtime_observers(uow).notify(
        uow,
        Disclosure(
            actor=actor,
            resource_type=spec.resource_type,
            record_ids=tuple(str(r.id) for r in records),
            purpose=purpose,
            out_of_jurisdiction=tuple(
                str(r.id) for r, in_j in zip(records, inside, strict=True) if not in_j
            ),
            kind=kind or ("record" if len(records) == 1 else "list"),
            public_only=tuple(
                str(r.id) for r, lim in zip(records, limits, strict=True) if lim == DataClass.PUBLIC
            ),
            order_buckets=(
                tuple(order_bucket(spec.order_name(r)) for r in records) if spec.order_name else ()
            ),
        ),
    )
    return out


def _open_released(
    uow: UnitOfWork,
    records: Sequence[Any],
    names: tuple[str, ...],
    classes: dict[str, DataClass],
    limits: list[DataClass],
) -> list[dict[str, Any]]:
    """Decrypt, in bulk, exactly the encrypted fields each record releases (records are
    grouped by their ceiling, so a masked field is never decrypted)."""
    opened: list[dict[str, Any]] = [{} for _ in records]
    for limit in set(limits):
        columns = [
            n for n in names if DataClass.CONFIDENTIAL <= classes.get(n, DataClass.SECRET) <= limit
        ]
        index = [i for i, lim in enumerate(limits) if lim == limit]
        if not columns or not index:
            continue
        group = [records[i] for i in index]
        values = open_fields(uow.session, group, columns, unreadable=UNREADABLE)
        for i, record, fields in zip(index, group, values, strict=True):
            _check_integrity(uow, record, fields)
            opened[i] = fields
    return opened


def _release(
    record: Any,
    names: tuple[str, ...],
    classes: dict[str, DataClass],
    limit: DataClass,
    plain: dict[str, Any],
) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": str(record.id)}
    for name in names:
        cls = classes.get(name, DataClass.SECRET)  # undeclared means most sensitive
        if cls > limit:
            shown[name] = MASKED
        elif cls >= DataClass.CONFIDENTIAL:
            shown[name] = plain[name]
        else:
            shown[name] = getattr(record, name)
    return shown


def _check_integrity(uow: UnitOfWork, record: Any, fields: dict[str, Any]) -> None:
    """A ciphertext that fails to open is tampering or corruption: recorded, never shown."""
    broken = sorted(name for name, value in fields.items() if value is UNREADABLE)
    if not broken:
        return
    uow.record_now(
        [
            AuditEvent(
                action="record.integrity_failure",
                outcome=Outcome.FAILURE,
                actor_id=None,
                actor_name="system",
                resource_type=record.__disclosure__.resource_type,
                resource_id=str(record.id),
                detail={"fields": ",".join(broken)},
            )
        ]
    )
    raise IntegrityFailure()


def _disclosed(
    actor: Actor,
    spec: Protected,
    record: Any,
    purpose: str | None,
    in_jurisdiction: bool,
    shown: dict[str, Any],
) -> AuditEvent:
    masked = sum(1 for v in shown.values() if v is MASKED)
    return actor_event(
        actor,
        "record.disclose",
        Outcome.SUCCESS,
        resource_type=spec.resource_type,
        resource_id=str(record.id),
        purpose=purpose,
        detail={"out_of_jurisdiction": not in_jurisdiction, "masked_fields": masked},
    )


def runtime_observers(uow: UnitOfWork) -> Observers:
    """The observers registered on the runtime this unit of work belongs to."""
    return uow.runtime.observers

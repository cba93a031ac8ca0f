"""The audit log's panel on the start page, for the auditor: how far the hash chain is
verified and signed, and how far the witness copy keeps up.

Each signed checkpoint is made only over a segment just verified (every event numbered in
turn, linked, hashed and MACed: :func:`kotwal.core.audit.checkpoint`), so the newest checkpoint
is how far the chain is verified; ``kotwal audit verify`` walks the whole of it again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from kotwal.core import audit
from kotwal.core.clock import station_zone
from kotwal.core.models import AuditCheckpoint, AuditEventRow
from kotwal.core.policy import Actor, Permission
from kotwal.core.uow import UnitOfWork
from kotwal.panels import Panel

WRITTEN = "Events written"
VERIFIED = "Verified and signed up to"
WITNESSED = "Copied to the witness up to"


def _witnessed(uow: UnitOfWork) -> int | None:
    """The newest sequence number the witness file holds; None without a witness file."""
    path = uow.runtime.settings.audit_witness
    if path is None:
        return None
    return audit.witnessed_seq(path)


def panels(uow: UnitOfWork, actor: Actor) -> list[Panel]:
    """The auditor's panel."""
    if not actor.can(Permission.AUDIT_LOG_READ):
        return []
    last = uow.session.execute(
        select(AuditEventRow.seq, AuditEventRow.at_us).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    head, head_at = (int(last[0]), int(last[1])) if last else (0, 0)
    newest = uow.session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.at_us)
        .order_by(AuditCheckpoint.seq.desc())
        .limit(1)
    ).first()
    checkpoints = uow.session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar()
    signed = int(newest[0]) if newest else 0
    # What audit.signature_lag reports, read off the two ends (no scan of the unsigned tail).
    unsigned_s = max(0, head_at - int(newest[1])) / 1_000_000 if newest else 0.0
    zone = station_zone(uow.runtime.settings)
    when = (
        datetime.fromtimestamp(newest[1] / 1_000_000, UTC)
        .astimezone(zone)
        .strftime("%d %b %Y %H:%M")
        if newest
        else "never"
    )
    witnessed = _witnessed(uow)
    rows: list[tuple[str, list[int]]] = [(WRITTEN, [int(head)]), (VERIFIED, [signed])]
    facts = [
        ("Chain verified up to", f"event {signed:,} of {int(head):,}"),
        ("Last checkpoint", f"{when} ({int(checkpoints or 0):,} checkpoints)"),
        ("Not yet signed", f"{head - signed:,} events over {unsigned_s:,.0f} s"),
    ]
    if witnessed is None:
        facts.append(("Witness lag", "no witness file is configured (KOTWAL_AUDIT_WITNESS)"))
    else:
        rows.append((WITNESSED, [witnessed]))
        facts.append(("Witness lag", f"{max(int(head) - witnessed, 0):,} events behind the log"))
    return [
        Panel(
            key="audit.chain",
            title="The audit log's integrity",
            question="Is the record of who did what intact, signed and copied out?",
            columns=("Sequence number",),
            rows=rows,
            row_header="Point in the chain",
            facts=facts,
            links={WRITTEN: "/audit"},
        )
    ]

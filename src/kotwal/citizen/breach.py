"""Breach notices (issue 22 item 8): from an audit query (a window of time, and the account a
leak is traced to), the citizens whose records were read, what of theirs, and the papers the
DPDP Rules 2025 ask for: an intimation to each affected citizen without delay (Rule 7(1)) and
the report to the Data Protection Board within 72 hours (Rule 7(2)).

The audit log names every officer's read of a citizen's record (``record.disclose``); a read by
a stolen or misused account, or every read in the window of a leak, is the breach's extent. The
notices are prepared, not sent: whoever is responsible reviews them and sends them (by SMS to
the number in the vault, or otherwise). The Board report is filled with the facts the log gives
and leaves the narrative (what happened, why, what was done) for its author.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from kotwal.citizen.models import (
    CitizenEmergencyContact,
    CitizenIdentity,
    CitizenLostPhone,
    CitizenReport,
    CitizenReportPhoto,
    CitizenSos,
    CitizenTrip,
)
from kotwal.citizen.service import ACCESS_WHAT
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import as_utc
from kotwal.core.crypto import open_fields
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork

#: The model holding each kind of record, and how to reach its citizen.
_OWNER: dict[str, Any] = {
    "citizen_identity": CitizenIdentity,
    "citizen_emergency_contact": CitizenEmergencyContact,
    "citizen_sos": CitizenSos,
    "citizen_trip": CitizenTrip,
    "citizen_report": CitizenReport,
    "citizen_lost_phone": CitizenLostPhone,
}


@dataclass
class Breach:
    """Who was affected, and by what."""

    since: datetime
    until: datetime
    actor: str | None
    #: citizen id -> the kinds of their records read
    affected: dict[str, set[str]] = field(default_factory=dict)
    reads: int = 0
    #: Reads of records no citizen can be told of (an anonymous tip, a deleted account).
    unattributed: int = 0


def _owners(uow: UnitOfWork, kind: str, ids: set[str]) -> dict[str, str | None]:
    if kind == "citizen_report_photo":
        photos = dict(
            uow.session.execute(
                select(CitizenReportPhoto.id, CitizenReportPhoto.report_id).where(
                    CitizenReportPhoto.id.in_(ids)
                )
            ).all()
        )
        reports = _owners(uow, "citizen_report", set(photos.values()))
        return {pid: reports.get(rid) for pid, rid in photos.items()}
    model = _OWNER[kind]
    rows = uow.session.execute(select(model.id, model.citizen_id).where(model.id.in_(ids))).all()
    return {str(rid): cid for rid, cid in rows}


def find(uow: UnitOfWork, since: datetime, until: datetime, actor: str | None = None) -> Breach:
    """Every successful officer read of a citizen's record between ``since`` and ``until``
    (by ``actor``, an account's id or name, when given), grouped by the citizen affected."""
    stmt = select(AuditEventRow).where(
        AuditEventRow.action == "record.disclose",
        AuditEventRow.outcome == Outcome.SUCCESS,
        AuditEventRow.resource_type.in_(list(ACCESS_WHAT)),
        AuditEventRow.at_us >= int(as_utc(since).timestamp() * 1_000_000),
        AuditEventRow.at_us <= int(as_utc(until).timestamp() * 1_000_000),
    )
    if actor is not None:
        stmt = stmt.where((AuditEventRow.actor_id == actor) | (AuditEventRow.actor_name == actor))
    by_kind: dict[str, set[str]] = defaultdict(set)
    breach = Breach(since=since, until=until, actor=actor)
    for row in uow.session.execute(stmt).scalars():
        if row.resource_type and row.resource_id:
            by_kind[row.resource_type].add(row.resource_id)
            breach.reads += 1
    affected: dict[str, set[str]] = defaultdict(set)
    for kind, ids in by_kind.items():
        owners = _owners(uow, kind, ids)
        for rid in ids:
            owner = owners.get(rid)
            if owner is None:
                breach.unattributed += 1
            else:
                affected[owner].add(ACCESS_WHAT[kind])
    breach.affected = dict(affected)
    return breach


def _when(moment: datetime) -> str:
    return as_utc(moment).strftime("%d %b %Y %H:%M UTC")


def notice_text(breach: Breach, kinds: set[str], contact: str) -> str:
    """The intimation to one citizen (DPDP Rules 2025, Rule 7(1)): what, when, the likely
    consequences, what is being done, what they can do, whom to contact."""
    what = ", ".join(sorted(kinds))
    return (
        f"Telangana Police citizen services: between {_when(breach.since)} and "
        f"{_when(breach.until)} your {what} held by us may have been read without authority. "
        "It may be used to contact or locate you. We have stopped the access and are "
        "investigating. Be wary of calls or messages that use these details, and tell us of "
        f"any. Questions: {contact}."
    )


def prepare(
    uow: UnitOfWork, by: Actor, breach: Breach, contact: str
) -> tuple[list[dict[str, str]], str]:
    """The notices to the affected citizens (pseudonym, mobile from the vault, text) and the
    Board report as Markdown. Recorded (``citizen.breach_prepared``): preparing them opens the
    vault's numbers of every affected citizen."""
    ids = sorted(breach.affected)
    identities = list(
        uow.session.execute(
            select(CitizenIdentity).where(CitizenIdentity.citizen_id.in_(ids))
        ).scalars()
    )
    mobiles = {
        row.citizen_id: opened["mobile"]
        for row, opened in zip(
            identities,
            open_fields(uow.session, identities, ("mobile",), unreadable=None),
            strict=True,
        )
    }
    notices = [
        {
            "citizen_id": cid,
            "mobile": str(mobiles.get(cid) or ""),
            "text": notice_text(breach, breach.affected[cid], contact),
        }
        for cid in ids
    ]
    kinds: dict[str, int] = defaultdict(int)
    for found in breach.affected.values():
        for kind in found:
            kinds[kind] += 1
    lines = [
        "# Personal data breach: report to the Data Protection Board of India",
        "",
        "(Digital Personal Data Protection Rules 2025, rule 7(2); due within 72 hours of",
        "becoming aware of the breach.)",
        "",
        f"- Prepared: {_when(datetime.now(tz=UTC))} by {by.username}",
        f"- Period of the unauthorised reads: {_when(breach.since)} to {_when(breach.until)}",
        f"- Account the reads are traced to: {breach.actor or 'any (every read in the period)'}",
        f"- Reads of citizens' records in the audit log: {breach.reads}",
        f"- Data principals affected: {len(breach.affected)}",
        f"- Reads of records no data principal can be told of: {breach.unattributed}",
        "- Personal data affected (principals per kind):",
        *[f"  - {kind}: {count}" for kind, count in sorted(kinds.items())],
        f"- Intimations prepared for data principals: {len(notices)}",
        "",
        "## Broad facts, events, circumstances and reasons",
        "",
        "_(to be written: how the breach happened and was found)_",
        "",
        "## Measures to mitigate the risk",
        "",
        "_(to be written: the account disabled, sessions ended, keys rotated, ...)_",
        "",
        "## Findings on the person responsible",
        "",
        "_(to be written)_",
        "",
        "## Remedial measures to prevent a recurrence",
        "",
        "_(to be written)_",
        "",
    ]
    uow.audit(
        actor_event(
            by,
            "citizen.breach_prepared",
            resource_type="citizen_account",
            detail={
                "affected": len(breach.affected),
                "reads": breach.reads,
                "actor": breach.actor or "",
            },
        )
    )
    return notices, "\n".join(lines)

"""`kotwal leak trace`: from a leaked sample to the records, the copy and the accounts.

1. The sample is read (:mod:`kotwal.leak.parser`) and each row matched to a record or a decoy
   (:mod:`kotwal.leak.matcher`).
2. The copy: decoys of a copy other than the primary (an export, a backup, the demo) name it,
   since no other copy holds them; the primary's own decoys name the primary. Without a decoy
   in the sample, the audit log is asked: if the account that saw the records made an export
   right after seeing them, that export is the likely copy, else the records were read out of
   the live service.
3. The accounts: every disclosure of the matched records in the audit log, grouped by account
   and session, ranked by the share of the sample each one saw (a row that fits several
   records counts for each in part). The answer to a filing, which shows the new record back
   to the officer who typed it, is not counted as a read of it. Among equals, the session that
   made the copy the decoys name comes first.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from kotwal.decoys.mimic import codes_of
from kotwal.decoys.service import PRIMARY, copy_origin, register_contents
from kotwal.leak.matcher import Matcher, RowMatch
from kotwal.leak.parser import LeakRow, parse

#: An export is tied to the reads before it when its event follows them within this window.
EXPORT_WINDOW_US = 15 * 60 * 1_000_000
SUSPECTS_MAX = 10
#: Shares this close to the best are equal: the tie-breaks decide between them.
TIED_SHARE = 0.05
#: A disclosure this close to the record's filing by the same account is the filing's echo.
ECHO_US = 5 * 1_000_000


@dataclass
class Suspect:
    """An account (and session) that the audit log shows disclosing records of the sample."""

    account_id: str | None
    username: str
    session_id: str | None
    records: int
    share: float
    first_at: str
    last_at: str
    made_copy: bool = False
    #: Distinct records the session was shown between its first and last sight of the sample's.
    seen_in_window: int = 0
    #: ``last_at`` to the microsecond, as the audit log keeps it.
    last_at_us: int = 0


@dataclass
class CopyVerdict:
    """Which copy the sample came from, on what evidence."""

    copy_id: str | None
    kind: str | None
    basis: str
    decoys_found: dict[str, int] = field(default_factory=dict)
    created_by_name: str | None = None
    destination: str | None = None


@dataclass
class TraceReport:
    """The whole answer of a trace."""

    format: str
    rows: int
    matched: int
    records: list[dict[str, Any]]
    decoys: list[dict[str, Any]]
    copy: CopyVerdict
    accounts: list[Suspect]

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def trace(runtime: Runtime, actor: Actor, data: bytes) -> TraceReport:
    """Trace a leaked sample (bytes of a CSV, JSON or text file); audited as ``leak.trace``."""
    parsed = parse(data)
    with UnitOfWork(runtime, write=True) as uow:
        session = uow.session
        contents = register_contents(session)
        matcher = Matcher(session, runtime.keyring, contents)
        matches = matcher.match(parsed.rows)
        _numbered_decoys(contents, parsed.rows, matches)
        copy = _copy(session, matches)
        suspects = _rank(session, matches, copy)
        if copy.kind in (None, PRIMARY) and suspects:
            # The primary's decoys are in every copy made from it: they prove the data is
            # ours, not which copy it is. An export right after the reads says more.
            audited = _copy_from_audit(session, suspects[0])
            if copy.copy_id is None or audited.kind == "export":
                copy = replace(audited, decoys_found=copy.decoys_found)
        uow.audit(
            actor_event(
                actor,
                "leak.trace",
                Outcome.SUCCESS,
                resource_type="person",
                detail={
                    **actor.extra,
                    "rows": len(parsed.rows),
                    "matched": sum(m.matched for m in matches),
                    "decoys": sum(m.decoy is not None for m in matches),
                    "copy": copy.copy_id,
                },
            )
        )
    return TraceReport(
        format=parsed.format,
        rows=len(parsed.rows),
        matched=sum(m.matched for m in matches),
        records=[
            {
                "line": m.line,
                "record_id": m.record_id,
                "confidence": m.score,
                "ties": m.ties,
                "basis": m.basis,
            }
            for m in matches
            if m.matched and m.decoy is None
        ],
        decoys=[
            {
                "line": m.line,
                "decoy_id": m.decoy["decoy_id"],
                "copy_id": m.decoy["copy_id"],
                "copy_kind": m.decoy["copy_kind"],
                "confidence": m.score,
            }
            for m in matches
            if m.decoy is not None
        ],
        copy=copy,
        accounts=suspects,
    )


#: The numbers a decoy licence or officer is recognised by in a leak, by resource type.
DECOY_NUMBERS = {"arms_licence": ("licence_number", "uin", "serials"), "officer": ("belt_number",)}


def _numbered_decoys(
    contents: list[dict[str, Any]], rows: list[LeakRow], matches: list[RowMatch]
) -> None:
    """Rows that carry a decoy licence's or officer's number (licence number, UIN, weapon
    serial, belt number) are that decoy: a number is made up for the decoy alone, so one is
    decisive however the row was reformatted."""
    numbers: dict[str, dict[str, Any]] = {}
    for entry in contents:
        for name in DECOY_NUMBERS.get(str(entry["resource_type"]), ()):
            values = entry.get(name) or []
            for value in values if isinstance(values, list) else [values]:
                numbers[codes_of(str(value))] = entry
    if not numbers:
        return
    for row, match in zip(rows, matches, strict=True):
        hit = next((numbers[c] for c in row.codes if c in numbers), None)
        if hit is not None and match.decoy is None:
            match.decoy = hit
            match.score = 1.0
            match.basis = [*match.basis, "decoy number"]


def _copy(session: Any, matches: list[RowMatch]) -> CopyVerdict:
    hits = Counter(str(m.decoy["copy_id"]) for m in matches if m.decoy is not None)
    if not hits:
        return CopyVerdict(None, None, "none")
    kinds = {str(m.decoy["copy_id"]): str(m.decoy["copy_kind"]) for m in matches if m.decoy}
    # Every copy made from the primary may hold the primary's decoys; only one holds its own.
    own = {c: n for c, n in hits.items() if kinds[c] != PRIMARY}
    chosen = max(own or hits, key=lambda c: ((own or hits)[c], c))
    found = copy_origin(session, chosen)
    return CopyVerdict(
        copy_id=chosen,
        kind=kinds[chosen],
        basis="decoys",
        decoys_found=dict(hits),
        created_by_name=found.created_by_name if found else None,
        destination=found.destination if found else None,
    )


def _weights(matches: list[RowMatch]) -> dict[str, float]:
    """How much of the sample each record stands for: a row fitting k records gives 1/k."""
    weights: dict[str, float] = {}
    for m in matches:
        if m.matched:
            for record_id in m.tied_ids:
                weights[record_id] = weights.get(record_id, 0.0) + m.score / len(m.tied_ids)
    return weights


def _rank(session: Any, matches: list[RowMatch], copy: CopyVerdict) -> list[Suspect]:
    weights = _weights(matches)
    total = sum(m.score for m in matches if m.matched)
    if not weights or total == 0:
        return []
    seen: dict[tuple[str | None, str, str | None], dict[str, Any]] = {}
    ids = sorted(weights)
    for start in range(0, len(ids), 500):
        stmt = select(
            AuditEventRow.actor_id,
            AuditEventRow.actor_name,
            AuditEventRow.session_id,
            AuditEventRow.resource_id,
            AuditEventRow.at_us,
        ).where(
            AuditEventRow.action == "record.disclose",
            AuditEventRow.outcome == Outcome.SUCCESS,
            AuditEventRow.resource_id.in_(ids[start : start + 500]),
        )
        echoes = _entered(session, ids[start : start + 500])
        for account, name, sess, rid, at in session.execute(stmt):
            made = echoes.get((account, rid))
            if made is not None and abs(at - made) < ECHO_US:
                continue  # the record shown back to whoever just filed it: not a read
            entry = seen.setdefault((account, name, sess), {"ids": set(), "at": []})
            entry["ids"].add(rid)
            entry["at"].append(at)
    maker = _copy_maker(session, copy)
    suspects = [
        Suspect(
            account_id=account,
            username=name,
            session_id=sess,
            records=len(e["ids"]),
            share=round(sum(weights[r] for r in e["ids"]) / total, 3),
            first_at=_iso(min(e["at"])),
            last_at=_iso(max(e["at"])),
            last_at_us=max(e["at"]),
            made_copy=maker is not None and account == maker,
        )
        for (account, name, sess), e in seen.items()
    ]
    best = max((s.share for s in suspects), default=0.0)
    spans = {(k[0], k[2]): (min(e["at"]), max(e["at"])) for k, e in seen.items()}
    for s in suspects:
        if s.share >= best - TIED_SHARE:
            s.seen_in_window = _seen_in_window(session, s, *spans[(s.account_id, s.session_id)])
    # Among equals: the maker of the copy the decoys name, then the session for which the
    # sample is most of what it saw (a reader of 25 records before a whole-station export).
    suspects.sort(
        key=lambda s: (
            0.0 if s.share >= best - TIED_SHARE else best - s.share,
            not s.made_copy,
            -(s.records / s.seen_in_window) if s.seen_in_window else 0.0,
            s.first_at,
            s.username,
        )
    )
    return suspects[:SUSPECTS_MAX]


def _seen_in_window(session: Any, suspect: Suspect, first: int, last: int) -> int:
    """How many distinct records the session was shown while it saw the sample's."""
    stmt = select(func.count(func.distinct(AuditEventRow.resource_id))).where(
        AuditEventRow.action == "record.disclose",
        AuditEventRow.outcome == Outcome.SUCCESS,
        AuditEventRow.actor_id == suspect.account_id,
        AuditEventRow.session_id == suspect.session_id
        if suspect.session_id is not None
        else AuditEventRow.session_id.is_(None),
        AuditEventRow.at_us >= first,
        AuditEventRow.at_us <= last,
    )
    return int(session.execute(stmt).scalar_one())


def _entered(session: Any, ids: list[str]) -> dict[tuple[str | None, str | None], int]:
    """When each record was filed, and by whom."""
    stmt = select(AuditEventRow.actor_id, AuditEventRow.resource_id, AuditEventRow.at_us).where(
        AuditEventRow.action == "record.create",
        AuditEventRow.outcome == Outcome.SUCCESS,
        AuditEventRow.resource_id.in_(ids),
    )
    return {(account, rid): at for account, rid, at in session.execute(stmt)}


def _copy_maker(session: Any, copy: CopyVerdict) -> str | None:
    if copy.copy_id is None:
        return None
    found = copy_origin(session, copy.copy_id)
    return found.created_by if found is not None else None


def _copy_from_audit(session: Any, top: Suspect) -> CopyVerdict:
    """No decoy in the sample: an export the top account made just after its reads is the
    likely copy; otherwise the records were read out of the live service (the primary)."""
    last = top.last_at_us
    stmt = (
        select(AuditEventRow.detail)
        .where(
            AuditEventRow.action == "records.export",
            AuditEventRow.outcome == Outcome.SUCCESS,
            AuditEventRow.actor_id == top.account_id,
            AuditEventRow.at_us >= last,
            AuditEventRow.at_us <= last + EXPORT_WINDOW_US,
        )
        .order_by(AuditEventRow.at_us)
        .limit(1)
    )
    detail = session.execute(stmt).scalar()
    copy_id = json.loads(detail).get("copy") if detail else None
    if copy_id:
        found = copy_origin(session, copy_id)
        return CopyVerdict(
            copy_id=copy_id,
            kind="export",
            basis="audit",
            created_by_name=found.created_by_name if found else None,
            destination=found.destination if found else None,
        )
    return CopyVerdict(copy_id=PRIMARY, kind=PRIMARY, basis="audit")


def _iso(at_us: int) -> str:
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).isoformat(timespec="seconds")

"""*My activity*: an officer's own audit events, one line per thing they did, in words.

The audit log records one event per record disclosed, so a person's page is a dozen events
(the person, their history sheets, cases, photographs) and a list of stations thirty. Here
the events of one page view are put back together and the line names what was done:
"Opened the record of Srinivas Gundla (Charminar PS)", "Listed 30 stations", "Searched persons
by name — 12 results".

How events are grouped. The events of one request carry one moment (the unit of work gives
them its first event's time), so a page view is the run of events of one session at one
moment, with the photographs the page loaded in the next :data:`GAP_US` (their own requests).

What is named. A record is named by its domain's namer (``Manifest.activity_names``), read
through the gate now, as a listing, for this officer: a name they may not see today is not
named (an out-of-jurisdiction record opened last week with a purpose shows as "a person's
record", with the purpose). Those reads are audited like any other, with one
``account.activity`` event for the page, which this page then shows as "Read your activity".
What was searched for is not shown: the log keeps a search's terms only as a keyed hash.

The raw events stay available: ``?raw=1`` here for one's own, and the audit log for auditors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from kotwal import domains
from kotwal.core import audit, identity
from kotwal.core.jurisdictions import jurisdiction_names
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.manifest import resolve
from kotwal.web.i18n import N_, Nn_

#: A page's photographs load within this of the page (microseconds).
GAP_US = 3_000_000
#: Lines per page, and raw events read to make them.
LINES_PER_PAGE = 50
RAW_LIMIT = audit.SEARCH_LIMIT_MAX

Namer = Callable[[UnitOfWork, Actor, list[str]], dict[str, str]]

#: The kinds a line can be filtered by, with their labels (translated where shown).
KINDS: dict[str, str] = {
    "opened": N_("Records opened"),
    "listed": N_("Lists"),
    "searched": N_("Searches"),
    "changed": N_("Records changed"),
    "signin": N_("Logins and logouts"),
    "account": N_("Your account"),
    "refused": N_("Refused"),
    "other": N_("Other"),
}

#: Which disclosed kind of record a page view is about, when it shows several (a person's
#: page also releases their history sheets and cases): the first in this order.
PRIORITY = (
    "person",
    "case",
    "history_sheet",
    "arms_licence",
    "officer",
    "station",
    "patrol_incident",
    "security_alert",
)

#: "Opened the record of <name>" and "Listed <n> <records>", by kind of record.
OPENED: dict[str, str] = {
    "person": N_("Opened the record of %(name)s"),
    "case": N_("Opened the case %(name)s"),
    "history_sheet": N_("Opened a history sheet"),
    "officer": N_("Opened the record of %(name)s"),
    "station": N_("Opened the station %(name)s"),
    "arms_licence": N_("Opened an arms licence"),
}
OPENED_UNNAMED: dict[str, str] = {
    "person": N_("Opened a person's record"),
    "case": N_("Opened a case"),
    "officer": N_("Opened an officer's record"),
    "station": N_("Opened a station"),
}
LISTED: dict[str, tuple[str, str]] = {
    "person": Nn_("Listed %(count)s person", "Listed %(count)s persons"),
    "case": Nn_("Listed %(count)s case", "Listed %(count)s cases"),
    "history_sheet": Nn_("Listed %(count)s history sheet", "Listed %(count)s history sheets"),
    "officer": Nn_("Listed %(count)s officer", "Listed %(count)s officers"),
    "station": Nn_("Listed %(count)s station", "Listed %(count)s stations"),
    "arms_licence": Nn_("Listed %(count)s arms licence", "Listed %(count)s arms licences"),
}
LISTED_OTHER = Nn_("Listed %(count)s record (%(what)s)", "Listed %(count)s records (%(what)s)")

#: Searches, by action and the kind of search in the event's detail.
SEARCHED: dict[tuple[str, str], tuple[str, str]] = {
    ("records.search", "name"): Nn_(
        "Searched persons by name — %(count)s result",
        "Searched persons by name — %(count)s results",
    ),
    ("records.search", "phone"): Nn_(
        "Searched persons by phone number — %(count)s result",
        "Searched persons by phone number — %(count)s results",
    ),
    ("records.search", "fir"): Nn_(
        "Searched cases by FIR number — %(count)s result",
        "Searched cases by FIR number — %(count)s results",
    ),
}
SEARCHED_BY_ACTION: dict[str, tuple[str, str]] = {
    "force.search": Nn_(
        "Searched officers — %(count)s result", "Searched officers — %(count)s results"
    ),
    "arms.search": Nn_(
        "Searched arms licences — %(count)s result", "Searched arms licences — %(count)s results"
    ),
    "audit.search": Nn_(
        "Searched the audit log — %(count)s event", "Searched the audit log — %(count)s events"
    ),
}
SEARCHED_OTHER = Nn_("Searched — %(count)s result", "Searched — %(count)s results")

READ_ACTIVITY = N_("Read your activity")
#: Several readings of this page in a row are one line.
READ_ACTIVITY_AGAIN = Nn_("Read your activity %(count)s time", "Read your activity %(count)s times")

#: Events that are a line of their own, by action and outcome ("" for any outcome).
ALONE: dict[tuple[str, str], tuple[str, str]] = {
    ("auth.login", "success"): ("signin", N_("Logged in")),
    ("auth.login", ""): ("signin", N_("A login failed")),
    ("auth.logout", ""): ("signin", N_("Logged out")),
    ("auth.step_up", ""): ("signin", N_("Entered an authenticator code again")),
    ("account.password_change", ""): ("account", N_("Changed your password")),
    ("account.totp_begin", ""): ("account", N_("Began enrolling an authenticator")),
    ("account.totp_enrol", ""): ("account", N_("Enrolled an authenticator")),
    ("account.language", ""): ("account", N_("Chose the console's language")),
    ("account.activity", ""): ("account", READ_ACTIVITY),
}
CHANGED: dict[str, str] = {
    "record.create": N_("Filed a record (%(what)s)"),
    "record.update": N_("Changed a record (%(what)s)"),
    "history_sheet.open": N_("Opened a history sheet on a person"),
    "history_sheet.review": N_("Reviewed a history sheet"),
    "history_sheet.close": N_("Closed a history sheet"),
    "case.create": N_("Registered a case"),
    "case.party_add": N_("Named a person in a case"),
}
REFUSED = N_("Refused: %(what)s")
OTHER = "%(what)s"  # an action without words of its own: its name, as logged


@dataclass
class Line:
    """One thing the officer did: when, its kind, and what to say (a catalogue message and,
    for a count, its plural, with the values to put in)."""

    first_seq: int
    last_seq: int
    at: datetime
    kind: str
    message: str
    plural: str | None = None
    count: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    purpose: str | None = None
    outside: int = 0
    events: int = 0
    out_of_jurisdiction: bool = False


@dataclass
class Page:
    lines: list[Line]
    #: The smallest seq on this page, to read older lines from; None at the first event.
    older: int | None


def _detail(row: AuditEventRow) -> dict[str, Any]:
    try:
        value = json.loads(row.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


#: Records a page loads after it (its photographs, in their own requests): their events are
#: part of the page view before them.
FOLLOWERS = frozenset({"photo", "photo_image", "officer_photo", "officer_photo_image"})


def _follows(rows: list[AuditEventRow], before: list[AuditEventRow]) -> bool:
    """Whether ``rows`` (one request) only loaded what the page view ``before`` shows."""
    last = before[-1]
    return (
        all(r.resource_type in FOLLOWERS for r in rows)
        and rows[0].session_id == last.session_id
        and 0 <= rows[0].at_us - last.at_us <= GAP_US
    )


def group(rows: Sequence[AuditEventRow]) -> list[list[AuditEventRow]]:
    """Rows (newest first) put into page views, newest first; each group oldest first.

    The events of one request share a moment (:mod:`kotwal.core.uow`): a group is a run of
    events of one session at one moment, with the photographs the page then loaded."""
    requests: list[list[AuditEventRow]] = []
    for row in reversed(rows):  # oldest first
        last = requests[-1][-1] if requests else None
        if last is not None and row.session_id == last.session_id and row.at_us == last.at_us:
            requests[-1].append(row)
        else:
            requests.append([row])
    groups: list[list[AuditEventRow]] = []
    for request in requests:
        same_session = [g for g in groups[-3:] if g[-1].session_id == request[0].session_id]
        if same_session and _follows(request, same_session[-1]):
            same_session[-1].extend(request)
        else:
            groups.append(request)
    return groups[::-1]


def day_bounds(day: date, zone: tzinfo) -> tuple[int, int]:
    """The first and last microsecond of ``day`` in ``zone``, since the epoch."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    return _us(start), _us(end) - 1


def _us(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


def _namers() -> dict[str, Namer]:
    found: dict[str, Namer] = {}
    for manifest in domains.manifests():
        if manifest.activity_names is not None:
            found.update(resolve(manifest.activity_names))
    return found


def _main_type(discloses: list[AuditEventRow]) -> str:
    types = {r.resource_type or "" for r in discloses}
    for kind in PRIORITY:
        if kind in types:
            return kind
    return sorted(types)[0]


def _what(resource_type: str | None) -> str:
    return (resource_type or "record").replace("_", " ")


def describe(rows: list[AuditEventRow]) -> Line:
    """The line for one page view's events (oldest first), names still to be filled in."""
    first = rows[0]
    line = Line(
        first_seq=first.seq,
        last_seq=rows[-1].seq,
        at=datetime.fromtimestamp(first.at_us / 1_000_000, tz=UTC),
        kind="other",
        message=OTHER,
        params={"what": first.action},
        events=len(rows),
        purpose=next((r.purpose for r in rows if r.purpose), None),
    )
    for row in rows:
        if (found := ALONE.get((row.action, row.outcome)) or ALONE.get((row.action, ""))) and (
            row.action == "account.activity" or len(rows) == 1
        ):
            line.kind, line.message = found
            return line
    searches = [r for r in rows if r.action in SEARCHED_BY_ACTION or r.action == "records.search"]
    if searches:
        return _searched(line, searches[0])
    denied = [r for r in rows if r.outcome == audit.Outcome.DENIED]
    discloses = [
        r
        for r in rows
        if r.action == "record.disclose" and r.outcome == audit.Outcome.SUCCESS and r.resource_id
    ]
    changes = [r for r in rows if r.action in CHANGED]
    if changes:
        line.kind, line.message = "changed", CHANGED[changes[0].action]
        line.params = {"what": _what(changes[0].resource_type)}
        return line
    if discloses:
        return _disclosed(line, discloses)
    if denied:
        line.kind, line.message = "refused", REFUSED
        line.params = {"what": _what(denied[0].resource_type or denied[0].action)}
    return line


def _searched(line: Line, row: AuditEventRow) -> Line:
    detail = _detail(row)
    kind = str(detail.get("kind", ""))
    pair = SEARCHED.get((row.action, kind)) or SEARCHED_BY_ACTION.get(row.action) or SEARCHED_OTHER
    results = detail.get("results", 0)
    line.kind = "searched"
    line.message, line.plural = pair
    line.count = results if isinstance(results, int) else 0
    outside = detail.get("outside", 0)
    line.outside = outside if isinstance(outside, int) else 0
    line.params = {"count": line.count}
    line.purpose = row.purpose
    return line


def _disclosed(line: Line, discloses: list[AuditEventRow]) -> Line:
    main = _main_type(discloses)
    of_main = [r for r in discloses if r.resource_type == main]
    ids = list(dict.fromkeys(r.resource_id or "" for r in of_main))
    line.purpose = next((r.purpose for r in of_main if r.purpose), None)
    line.out_of_jurisdiction = any(_detail(r).get("out_of_jurisdiction") for r in of_main)
    if len(ids) == 1:
        line.kind = "opened"
        line.message = OPENED.get(main, OPENED_UNNAMED.get(main, OTHER))
        line.params = {"id": ids[0], "type": main, "what": _what(main)}
        return line
    line.kind = "listed"
    line.message, line.plural = LISTED.get(main, LISTED_OTHER)
    line.count = len(ids)
    line.params = {"count": len(ids), "what": _what(main)}
    return line


def collapse(lines: list[Line]) -> list[Line]:
    """Readings of this page one after another (newest first) as one line, with how many."""
    out: list[Line] = []
    for line in lines:
        last = out[-1] if out else None
        if (
            last is not None
            and line.message == READ_ACTIVITY
            and last.message
            in (
                READ_ACTIVITY,
                READ_ACTIVITY_AGAIN[0],
            )
        ):
            last.message, last.plural = READ_ACTIVITY_AGAIN
            last.count = (last.count or 1) + 1
            last.params = {"count": last.count}
            last.first_seq = line.first_seq  # older pages start before the oldest reading
            last.events += line.events
            continue
        out.append(line)
    return out


def name_lines(uow: UnitOfWork, actor: Actor, lines: Iterable[Line]) -> int:
    """Put each opened record's name into its line, as the gate shows it to ``actor`` now;
    lines whose record may not be named get the unnamed message. How many were named."""
    wanted: dict[str, list[Line]] = {}
    for line in lines:
        if line.kind == "opened" and "id" in line.params:
            wanted.setdefault(line.params["type"], []).append(line)
    namers = _namers()
    named = 0
    for resource_type, waiting in wanted.items():
        ids = list(dict.fromkeys(str(line.params["id"]) for line in waiting))
        namer = namers.get(resource_type)
        names = namer(uow, actor, ids) if namer is not None else {}
        named += len(names)
        for line in waiting:
            if (name := names.get(str(line.params["id"]))) is not None:
                line.params["name"] = name
            elif "%(name)s" in line.message:
                line.message = OPENED_UNNAMED.get(resource_type, OTHER)
    return named


def my_activity(
    uow: UnitOfWork,
    actor: Actor,
    *,
    day: date | None,
    zone: tzinfo,
    kind: str | None,
    before_seq: int | None,
) -> Page:
    """The officer's own activity, newest first, grouped and named; the read is audited."""
    since, until = day_bounds(day, zone) if day is not None else (None, None)
    rows = audit.search(
        uow.session,
        actor=actor.account_id,
        since_us=since,
        until_us=until,
        before_seq=before_seq,
        limit=RAW_LIMIT,
    )
    groups = group(rows)
    if len(rows) == RAW_LIMIT and len(groups) > 1:
        groups = groups[:-1]  # the oldest may be cut off by the limit: it comes on the next page
    lines = collapse([describe(g) for g in groups])
    if kind:
        lines = [line for line in lines if line.kind == kind]
    lines = lines[:LINES_PER_PAGE]
    older = (
        lines[-1].first_seq
        if len(lines) == LINES_PER_PAGE
        else (groups[-1][0].seq if len(rows) == RAW_LIMIT and groups else None)
    )
    named = name_lines(uow, actor, lines)
    uow.audit(identity.event_for(actor, "account.activity", detail={"named": named}))
    _station_names(uow, lines)
    return Page(lines=lines, older=older)


def _station_names(uow: UnitOfWork, lines: list[Line]) -> None:
    """A station opened is named by its jurisdiction (public) when no domain named it."""
    waiting = [
        line for line in lines if line.params.get("type") == "station" and "name" not in line.params
    ]
    if not waiting:
        return
    names = jurisdiction_names(uow, {str(line.params["id"]) for line in waiting})
    for line in waiting:
        if (name := names.get(str(line.params["id"]))) is not None:
            line.params["name"] = name
            line.message = OPENED["station"]

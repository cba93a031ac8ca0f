"""Dashboard panels: the figures a role reads on the console's start page, declared by the
domains that own the data (``Manifest.dashboard``) and drawn by the web shell.

A panel is a table of counts (rows by columns) with a title and the daily question it answers;
the console draws it as a server-side SVG bar chart and gives the same numbers as a table (for
screen readers) and as CSV. A provider computes its figures with the same permission and
jurisdiction conditions as the pages that list the records one by one, and records one audit
event for the aggregate (:func:`audit_aggregate`), never one per record: a count is not a
disclosure of the records counted, and the reader may open each of them anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.observers import HookPoint
from kotwal.core.policy import Actor, Jurisdiction, JurisdictionKind
from kotwal.core.uow import UnitOfWork


@dataclass(frozen=True)
class Panel:
    """One panel of figures: ``rows`` of (label, counts), one count per column."""

    #: Stable key: the CSV export's address (/dashboard/<key>.csv) and the audit's resource.
    key: str
    title: str
    #: The daily question the panel answers, shown under its title.
    question: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, Sequence[int]]]
    #: What the row labels are ("Station", "Figure", "Hour").
    row_header: str = "Figure"
    #: Facts that are not counts ("Last checkpoint: seq 1,204 at 14:02").
    facts: Sequence[tuple[str, str]] = ()
    #: Where each row label leads, by label (a list the figure counts, opened one by one).
    links: dict[str, str] = field(default_factory=dict)
    #: Whether the chart draws the rows as a column chart over time (hours) or as bars.
    timeline: bool = False
    #: Said instead of a chart when there is nothing to count.
    empty: str = "Nothing to show."

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.rows)


#: A domain's panel provider: the panels this reader may see (none without the permissions).
Provider = Callable[[UnitOfWork, Actor], list[Panel]]


def audit_aggregate(uow: UnitOfWork, actor: Actor, panel: Panel, *, export: bool = False) -> None:
    """One audit event for a panel's figures: which panel, how many rows, their sum."""
    uow.audit(
        actor_event(
            actor,
            "dashboard.export" if export else "dashboard.view",
            Outcome.SUCCESS,
            resource_type="dashboard",
            resource_id=panel.key,
            detail={"rows": len(panel.rows), "total": panel.total},
        )
    )


def month_start(today: date) -> date:
    """The first day of ``today``'s month."""
    return today.replace(day=1)


def panels_for(uow: UnitOfWork, actor: Actor) -> list[Panel]:
    """Every panel this reader may see, from the mounted domains, each audited once."""
    from kotwal import domains
    from kotwal.manifest import resolve

    found: list[Panel] = []
    for manifest in domains.enabled(uow.runtime.settings):
        for reference in manifest.dashboard:
            provider: Provider = resolve(reference)
            found.extend(provider(uow, actor))
    for panel in found:
        audit_aggregate(uow, actor, panel)
    return found


# --- figures per station, side by side ------------------------------------------------------

#: Postings at or above these kinds compare districts; below, stations.
_WIDE = frozenset({JurisdictionKind.STATE, JurisdictionKind.ZONE})


@dataclass(frozen=True)
class Spread:
    """How a command's figures are laid out: one station's figures, its stations side by
    side, or its districts side by side (a station's figures added to its district's)."""

    level: str  # "station" | "stations" | "districts"
    row_header: str


def spread_for(uow: UnitOfWork, actor: Actor) -> Spread:
    """A station house officer reads their station; a circle or a district, its stations; a
    zone or the state, its districts."""
    kinds = set(
        uow.session.execute(
            select(Jurisdiction.kind).where(Jurisdiction.path.in_(actor.jurisdiction_paths))
        ).scalars()
    )
    if kinds & _WIDE:
        return Spread("districts", "District")
    if kinds and kinds <= {JurisdictionKind.STATION}:
        stations = len(actor.jurisdiction_paths)
        return Spread("station" if stations == 1 else "stations", "Station")
    return Spread("stations", "Station")


def rows_by_unit(
    uow: UnitOfWork, spread: Spread, counts: dict[str, list[int]], width: int
) -> list[tuple[str, list[int]]]:
    """Per-station counts (station id -> one count per column) as rows of the spread: by
    station name, or summed by district (a station outside any district stands alone)."""
    if not counts:
        return []
    stations = {
        j.id: j
        for j in uow.session.execute(
            select(Jurisdiction).where(Jurisdiction.id.in_(list(counts)))
        ).scalars()
    }
    labels: dict[str, str] = {sid: s.name for sid, s in stations.items()}
    if spread.level == "districts":
        above = {a for s in stations.values() for a in s.path.strip("/").split("/")}
        districts = {
            j.id: j.name
            for j in uow.session.execute(
                select(Jurisdiction).where(
                    Jurisdiction.id.in_(above), Jurisdiction.kind == JurisdictionKind.DISTRICT
                )
            ).scalars()
        }
        for sid, station in stations.items():
            mine = [a for a in station.path.strip("/").split("/") if a in districts]
            labels[sid] = districts[mine[-1]] if mine else station.name
    summed: dict[str, list[int]] = {}
    for sid, values in counts.items():
        row = summed.setdefault(labels.get(sid, sid), [0] * width)
        for i, v in enumerate(values):
            row[i] += v
    return sorted(summed.items())


def add_counts(
    counts: dict[str, list[int]], column: int, width: int, found: Iterable[tuple[str, int]]
) -> None:
    """Put (station id, count) pairs from one aggregate query into ``column``."""
    for station_id, n in found:
        counts.setdefault(station_id, [0] * width)[column] += int(n)


def command_panel(
    uow: UnitOfWork,
    actor: Actor,
    *,
    key: str,
    title: str,
    question: str,
    columns: Sequence[str],
    counts: dict[str, list[int]],
    links: dict[str, str] | None = None,
) -> Panel:
    """Per-station counts laid out for the reader: one station's figures as rows of their
    own, or stations (districts) as rows with a column per figure."""
    spread = spread_for(uow, actor)
    rows = rows_by_unit(uow, spread, counts, len(columns))
    if spread.level == "station":
        totals = [sum(values[i] for _, values in rows) for i in range(len(columns))]
        return Panel(
            key=key,
            title=title,
            question=question,
            columns=("Count",),
            rows=[(c, [totals[i]]) for i, c in enumerate(columns)],
            links=dict(links or {}),
        )
    return Panel(
        key=key,
        title=f"{title}: {spread.row_header.lower()}s side by side",
        question=question,
        columns=tuple(columns),
        rows=rows,
        row_header=spread.row_header,
        empty="Nothing to count in your jurisdiction.",
    )


# --- a station's page ------------------------------------------------------------------------

#: A domain's figures for one station's page: (unit of work, reader, station) -> panels; none
#: for a station outside the reader's jurisdiction (whose records they could not open without
#: declaring a purpose) or without the permission of the records counted.
StationProvider = Callable[[UnitOfWork, Actor, Jurisdiction], list[Panel]]
STATION_PANELS: HookPoint[StationProvider] = HookPoint("console.station_panels")


def station_panels(uow: UnitOfWork, actor: Actor, station: Jurisdiction) -> list[Panel]:
    """The figures the mounted domains give for a station's page, each audited once."""
    if not actor.covers(station.path):
        return []
    found = [p for hook in uow.runtime.hooks.at(STATION_PANELS) for p in hook(uow, actor, station)]
    for panel in found:
        audit_aggregate(uow, actor, panel)
    return found

"""Disclosure budgets by role and the weights of the signals that raise an actor's score.

A budget is four numbers of *distinct* protected records: soft and hard per rolling hour, soft
and hard per rolling day. Crossing a soft limit forces step-up re-authentication and alerts the
security officers; crossing a hard limit ends the account's sessions and suspends it pending
review. The defaults below hold the constable's hard limit at 100 records an hour, which is the
most a stolen constable session can carry away before it is cut off. A deployment overrides
them per role with ``KOTWAL_WATCH_BUDGETS`` (JSON, see README).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from kotwal.core.clock import station_zone
from kotwal.core.config import Settings
from kotwal.core.observers import KINDS
from kotwal.core.policy import Role


@dataclass(frozen=True)
class Budget:
    """Distinct protected records an actor may receive: soft/hard per hour and per day."""

    soft_hour: int
    hard_hour: int
    soft_day: int
    hard_day: int

    def check(self) -> Budget:
        """Refuse a budget whose numbers contradict each other."""
        if not (0 < self.soft_hour <= self.hard_hour and 0 < self.soft_day <= self.hard_day):
            raise ValueError("a budget needs 0 < soft <= hard, per hour and per day")
        if self.hard_hour > self.hard_day:
            raise ValueError("a budget's hourly hard limit cannot exceed its daily one")
        return self


_FIELD = Budget(60, 100, 150, 250)
_WRITER = Budget(80, 150, 250, 400)
_STATION = Budget(150, 300, 400, 800)
_COMMAND = Budget(300, 600, 800, 1600)
#: The licensing officer works a district's licences, and lists them by the page.
_LICENSING = Budget(200, 400, 600, 1200)
#: The face search operator sees a handful of candidates per search, and opens a few.
_FACE_SEARCH = Budget(100, 200, 300, 600)
#: Roles that read no records get a small budget: anything they receive is unusual.
_OVERSIGHT = Budget(20, 40, 50, 100)

DEFAULT_BUDGETS: dict[Role, Budget] = {
    Role.CONSTABLE: _FIELD,
    Role.HEAD_CONSTABLE: _WRITER,
    Role.SUB_INSPECTOR: _WRITER,
    Role.STATION_HOUSE_OFFICER: _STATION,
    Role.CIRCLE_OFFICER: _STATION,
    Role.DISTRICT_CHIEF: _COMMAND,
    Role.STATE_HQ: _COMMAND,
    Role.FRS_OPERATOR: _FACE_SEARCH,
    Role.ARMS_LICENSING_OFFICER: _LICENSING,
    Role.AUDITOR: _OVERSIGHT,
    Role.SECURITY_OFFICER: _OVERSIGHT,
    Role.SYSTEM_ADMIN: _OVERSIGHT,
}

#: Records a role may export in a rolling day (every row of every export, the same record
#: exported twice counting twice: each export is a copy that can leave). The 2024 breach's
#: pattern with a higher-ranked credential was a station exported fifteen times over; an
#: allowance caps what one stolen account can carry away by this path. Roles without the
#: export permission get none.
DEFAULT_EXPORT_ROWS: dict[Role, int] = {
    Role.STATION_HOUSE_OFFICER: 500,
    Role.CIRCLE_OFFICER: 500,
    Role.DISTRICT_CHIEF: 1000,
    Role.STATE_HQ: 1000,
}
EXPORT_ROWS_MAX = 1_000_000

#: Signal weights: points added to the count of distinct records before it is compared with
#: the limits, so that a suspicious pattern is cut off sooner than plain volume.
SEQUENTIAL_POINTS = 25  # records opened one after another in the order a listing gave them
SEQUENTIAL_MIN_OPENS = 10
#: Records opened in alphabetical order of their names (first two letters), over at least
#: this many opens spread over at least this many two-letter buckets, nine steps in ten rising.
ALPHABETICAL_POINTS = 25
ALPHABETICAL_MIN_OPENS = 15
ALPHABETICAL_MIN_SPREAD = 5
QUIET_HOURS_POINTS = 10
SEARCHES_WITHOUT_OPENING = 10  # this many searches in the hour with nothing opened
SEARCHES_WITHOUT_OPENING_POINTS = 20
PHOTOS_MIN = 10  # from this many photos in the hour, each photo counts twice
EXPORT_POINTS = 25  # per export in the hour
#: Out-of-jurisdiction records count twice (each adds one point).


@dataclass(frozen=True)
class WatchConfig:
    """The breach defences' settings, checked once at start-up."""

    budgets: dict[Role, Budget]
    counted_kinds: frozenset[str]
    quiet_start: int
    quiet_end: int
    zone: ZoneInfo
    #: Rows of the disclosure window older than a day (and a margin) are deleted once every
    #: this many charges in a process: the budget no longer needs them, and the window is
    #: itself a trace of who read what (the audit log keeps the disclosures).
    prune_every: int = 500
    #: Rows each role may export in a rolling day (:data:`DEFAULT_EXPORT_ROWS`).
    export_rows: dict[Role, int] = field(default_factory=lambda: dict(DEFAULT_EXPORT_ROWS))
    #: Share of reads under a case that supervisors must review (reasons: all of them).
    purpose_sample: float = 0.1

    def export_allowance(self, roles: frozenset[Role]) -> int:
        """The most generous export allowance among the actor's roles."""
        return max((self.export_rows.get(r, 0) for r in roles), default=0)

    def budget_for(self, roles: frozenset[Role]) -> Budget:
        """The most generous budget among the actor's roles (a role adds rights, never less)."""
        chosen = [self.budgets[r] for r in roles] or [_OVERSIGHT]
        return Budget(
            max(b.soft_hour for b in chosen),
            max(b.hard_hour for b in chosen),
            max(b.soft_day for b in chosen),
            max(b.hard_day for b in chosen),
        )

    def is_quiet(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the unusual local hours."""
        hour = moment.astimezone(self.zone).hour
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= hour < self.quiet_end
        return hour >= self.quiet_start or hour < self.quiet_end


def load(settings: Settings) -> WatchConfig:
    """Build and check the configuration; a bad value stops start-up with a clear message."""
    budgets = dict(DEFAULT_BUDGETS)
    for name, numbers in settings.watch_budgets.items():
        try:
            role = Role(name)
        except ValueError as exc:
            raise ValueError(f"KOTWAL_WATCH_BUDGETS: unknown role {name!r}") from exc
        if len(numbers) != 4:
            raise ValueError(f"KOTWAL_WATCH_BUDGETS[{name}]: give four numbers")
        try:
            budgets[role] = Budget(*numbers).check()
        except ValueError as exc:
            raise ValueError(f"KOTWAL_WATCH_BUDGETS[{name}]: {exc}") from exc
    kinds = frozenset(k.strip() for k in settings.watch_counted_kinds.split(",") if k.strip())
    if not kinds or not kinds <= set(KINDS):
        raise ValueError(f"KOTWAL_WATCH_COUNTED_KINDS: choose among {', '.join(KINDS)}")
    start, _, end = settings.watch_quiet_hours.partition("-")
    try:
        quiet = (int(start), int(end))
    except ValueError as exc:
        raise ValueError("KOTWAL_WATCH_QUIET_HOURS: give local hours as 'start-end'") from exc
    if not all(0 <= h <= 23 for h in quiet):
        raise ValueError("KOTWAL_WATCH_QUIET_HOURS: hours are 0-23")
    zone = station_zone(settings)
    return WatchConfig(
        budgets,
        kinds,
        quiet[0],
        quiet[1],
        zone,
        export_rows=_export_rows(settings),
        purpose_sample=settings.watch_purpose_sample,
    )


def _export_rows(settings: Settings) -> dict[Role, int]:
    rows = dict(DEFAULT_EXPORT_ROWS)
    for name, count in settings.watch_export_rows.items():
        try:
            role = Role(name)
        except ValueError as exc:
            raise ValueError(f"KOTWAL_WATCH_EXPORT_ROWS: unknown role {name!r}") from exc
        if not 0 <= count <= EXPORT_ROWS_MAX:
            raise ValueError(f"KOTWAL_WATCH_EXPORT_ROWS[{name}]: 0 to {EXPORT_ROWS_MAX:,}")
        rows[role] = count
    return rows

"""PostgreSQL: the audit log partitioned by month (migration 0035).

``audit_events`` is a table partitioned by range of ``at_us`` (microseconds since the epoch,
UTC), one partition per calendar month named ``audit_events_pYYYYMM``, and a default partition
``audit_events_pdefault`` that catches whatever falls outside them (so an append never fails for
want of a partition). The owner creates the coming months ahead of time (``kotwal audit
partitions``, monthly from cron); the application's role (kotwal_app) can create nothing and is
granted nothing on a partition itself: it reaches the rows through the parent, where it may only
read and insert. Each partition carries the append-only triggers, including the TRUNCATE one
that a parent's statement trigger does not pass down.

Old months leave the live database by ``DETACH PARTITION`` (:func:`retire_partition`), only
once a signed checkpoint written to the witness file covers every event in them. SQLite keeps
one table: a district's log stays small enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

PREFIX = "audit_events_p"
DEFAULT_PARTITION = "audit_events_pdefault"
APP_ROLE = "kotwal_app"
_NAME = re.compile(r"audit_events_p(\d{4})(\d{2})")


def month_start_us(year: int, month: int) -> int:
    """The first microsecond of a month (UTC), as ``at_us`` counts."""
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * 1_000_000


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def partition_name(year: int, month: int) -> str:
    return f"{PREFIX}{year:04d}{month:02d}"


def partition_ddl(year: int, month: int) -> list[str]:
    """The statements that create one month's partition, locked down as the parent is."""
    name = partition_name(year, month)
    lo, hi = month_start_us(year, month), month_start_us(*next_month(year, month))
    return [
        f"CREATE TABLE {name} PARTITION OF audit_events FOR VALUES FROM ({lo}) TO ({hi})",
        *lockdown_ddl(name),
    ]


def lockdown_ddl(name: str) -> list[str]:
    """A partition's own guards: no privilege for the app's role (default privileges would
    have granted it DML), and the TRUNCATE trigger a parent cannot pass down."""
    return [
        f"REVOKE ALL ON {name} FROM {APP_ROLE}",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION kotwal_audit_append_only()",
    ]


@dataclass(frozen=True)
class Partition:
    """One month of the log: its table, the month, and what it holds."""

    name: str
    month: date | None  # None for the default partition
    #: About how many events it holds (the planner's estimate; 0 only when empty).
    events: int
    first_seq: int | None
    last_seq: int | None


def is_partitioned(conn: Connection) -> bool:
    """Whether this database's audit log is partitioned (PostgreSQL after migration 0035)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass('audit_events')")
    ).scalar_one_or_none()
    return kind == "p"


def partitions(conn: Connection) -> list[Partition]:
    """The attached partitions, oldest month first, the default last, with their events."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('audit_events') ORDER BY c.relname"
        )
    ).scalars()
    found: list[Partition] = []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is None and name != DEFAULT_PARTITION:
            continue
        # A name from the catalogue, checked against the pattern above: no input reaches SQL.
        # min and max come from the primary key's index; the count is the planner's estimate
        # (a count(*) of a month of a state's log would read the month).
        query = f"SELECT min(seq), max(seq) FROM {name}"  # noqa: S608  # nosec B608
        first, last = conn.execute(text(query)).one()
        estimate = conn.execute(
            text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = :name"),
            {"name": name},
        ).scalar_one()
        events = 0 if first is None else max(int(estimate), 1)
        month = date(int(match[1]), int(match[2]), 1) if match else None
        found.append(Partition(name, month, events, first, last))
    found.sort(key=lambda p: (p.month is None, p.month or date.min))
    return found


def ensure_months(conn: Connection, today: date, ahead: int) -> list[str]:
    """Create the partitions of this month and the ``ahead`` following ones that are missing;
    the names created. A month the default partition already holds events of is left to it
    (creating it would have to move them; ``kotwal audit partitions`` says so)."""
    have = {p.name for p in partitions(conn)}
    created: list[str] = []
    year, month = today.year, today.month
    for _ in range(ahead + 1):
        name = partition_name(year, month)
        if name not in have and not _default_holds(conn, year, month):
            for statement in partition_ddl(year, month):
                conn.execute(text(statement))
            created.append(name)
        year, month = next_month(year, month)
    return created


def _default_holds(conn: Connection, year: int, month: int) -> bool:
    lo, hi = month_start_us(year, month), month_start_us(*next_month(year, month))
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM audit_events_pdefault "
                "WHERE at_us >= :lo AND at_us < :hi)"
            ),
            {"lo": lo, "hi": hi},
        ).scalar_one()
    )


class RetirementRefused(Exception):
    """A partition may not leave the live log yet (see :func:`retire_partition`)."""


def retire_partition(conn: Connection, partition: Partition, witnessed_seq: int) -> None:
    """Detach ``partition`` from the live log: its table stays, for the operator to archive
    (``pg_dump -t``) and then drop.

    Refused unless every event left attached comes after its last (the log loses its oldest
    events only, never a gap) and a signed checkpoint in the witness file covers its last event
    (``witnessed_seq``): what leaves is then fixed by a signature held outside the database.
    The caller records the retirement as an audit event naming the last seq and hash retired,
    from which :func:`kotwal.core.audit.verify` starts the retained log.
    """
    if partition.month is None:
        raise RetirementRefused("the default partition is never retired")
    if partition.last_seq is not None and partition.last_seq > witnessed_seq:
        raise RetirementRefused(
            f"{partition.name} holds events up to seq {partition.last_seq}, beyond the newest "
            f"witnessed checkpoint (seq {witnessed_seq}): sign and witness first"
        )
    if partition.last_seq is not None:
        kept = [p for p in partitions(conn) if p.name != partition.name and p.events]
        earlier = [p for p in kept if p.first_seq is not None and p.first_seq < partition.last_seq]
        if earlier:
            raise RetirementRefused(
                f"{earlier[0].name} holds events older than the end of {partition.name}: "
                "retire the oldest months first (the live log loses its beginning, never a gap)"
            )
    conn.execute(text(f"ALTER TABLE audit_events DETACH PARTITION {partition.name}"))


def not_a_partition(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's ``include_name``: the monthly partitions are made by the owner's command, not
    by models, so schema comparison leaves them out (their parent is compared)."""
    return not (type_ == "table" and name is not None and name.startswith(PREFIX))

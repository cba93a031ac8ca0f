"""Time, once: the moment in UTC that everything stored carries, and the calendar day at the
stations, which is the deployment's (``KOTWAL_TIMEZONE``, IST by default) and not UTC's.

Models use :func:`utcnow` as a column default (SQLAlchemy calls it with no argument at insert
time), services use it for the moments they set, and dates that officers reckon in (a case
registered "today", a review due "today") come from :func:`station_today`.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from kotwal.core.config import Settings


class Deployed(Protocol):
    """Anything that carries the deployment's settings (the runtime does)."""

    @property
    def settings(self) -> Settings: ...


def utcnow() -> datetime:
    """Now, in UTC: every moment kotwal stores is UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment made aware: SQLite hands back naive datetimes, and they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or that month's last day where it is shorter
    (31 January + 1 month = 28 or 29 February; 29 February + 12 months = 28 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def station_zone(settings: Settings) -> ZoneInfo:
    """The deployment's time zone, in which the stations keep their calendar and hours."""
    return ZoneInfo(settings.timezone)


def station_today(source: Settings | Deployed) -> date:
    """Today at the stations, given the settings or what carries them (the runtime): between
    midnight and 05:30 IST the UTC date is still yesterday's, and a review due "today" must
    not be called overdue, nor a case registered today refused as registered tomorrow."""
    settings = source if isinstance(source, Settings) else source.settings
    return datetime.now(station_zone(settings)).date()

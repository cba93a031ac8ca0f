"""Dates and times on console pages as an officer reads them.

Everything kotwal stores is UTC (:mod:`kotwal.core.clock`); a page shows a moment in the force's
time zone (``KOTWAL_TIMEZONE``, IST by default) with the zone named, and a calendar day with the
month in words, so that neither a UTC hour nor a day-month order is misread:
"7 Dec 2026, 14:05 IST" and "7 Dec 2026". Templates use them as the filters ``local_time`` and
``local_date``, and ``show()`` of ``_masked.html`` applies them to any date or moment it shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from jinja2 import Environment

from kotwal.core.clock import as_utc
from kotwal.web.i18n import N_, gettext

#: Months in words, fixed here rather than taken from the process's locale, and shown in the
#: page's language ("7 డిసెం 2026" on a Telugu page) through the console's catalogue.
_MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def local_date(day: date) -> str:
    """A calendar day: "7 Dec 2026" (a moment is first put into the zone: see local_time)."""
    return f"{day.day} {gettext(_MONTHS[day.month - 1])} {day.year}"


def local_time(moment: datetime, zone: tzinfo, *, seconds: bool = False) -> str:
    """A stored moment in ``zone``: "7 Dec 2026, 14:05 IST" (with ``seconds``, 14:05:09)."""
    here = as_utc(moment).astimezone(zone)
    clock = here.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{local_date(here.date())}, {clock} {here.tzname() or ''}".rstrip()


#: The zone of the page being rendered. A context variable, not a template variable: show() is
#: imported into templates without their context, and one Jinja2 environment serves every app.
_ZONE: ContextVar[tzinfo] = ContextVar("kotwal_page_zone", default=UTC)


@contextmanager
def page_zone(zone: tzinfo) -> Iterator[None]:
    """Render pages inside this to show their moments in ``zone`` (UTC outside, named so)."""
    token = _ZONE.set(zone)
    try:
        yield
    finally:
        _ZONE.reset(token)


def _local_time_filter(value: Any, seconds: bool = False) -> Any:
    if isinstance(value, datetime):
        return local_time(value, _ZONE.get(), seconds=seconds)
    return value  # a masked value, None or text passes through for show() to deal with


def _local_date_filter(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_date(as_utc(value).astimezone(_ZONE.get()).date())
    if isinstance(value, date):
        return local_date(value)
    return value


def install(env: Environment) -> None:
    """Add the filters, and the tests ``moment`` and ``day`` that show() uses, to ``env``."""
    env.filters["local_time"] = _local_time_filter
    env.filters["local_date"] = _local_date_filter
    env.tests["moment"] = lambda value: isinstance(value, datetime)
    env.tests["day"] = lambda value: isinstance(value, date) and not isinstance(value, datetime)

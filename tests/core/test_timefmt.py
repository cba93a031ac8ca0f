"""Dates and times on console pages: in the force's time zone, named, with the month in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kotwal.web.pages import TEMPLATES
from kotwal.web.timefmt import local_date, local_time, page_zone

IST = ZoneInfo("Asia/Kolkata")


def test_a_moment_is_shown_in_the_zone_with_its_name_and_the_day_it_is_there() -> None:
    # 20:15 UTC is 01:45 the next morning at the stations: the day changes too.
    moment = datetime(2026, 12, 6, 20, 15, 9, tzinfo=UTC)
    assert local_time(moment, IST) == "7 Dec 2026, 01:45 IST"
    assert local_time(moment, IST, seconds=True) == "7 Dec 2026, 01:45:09 IST"
    # SQLite hands moments back naive; they are UTC.
    assert local_time(moment.replace(tzinfo=None), IST) == "7 Dec 2026, 01:45 IST"
    assert local_time(moment, ZoneInfo("UTC")) == "6 Dec 2026, 20:15 UTC"
    assert local_date(date(2025, 3, 2)) == "2 Mar 2025"


def test_pages_show_dates_and_moments_through_show_and_the_filters() -> None:
    page = TEMPLATES.env.from_string(
        '{% from "_masked.html" import show %}'
        "{{ show(at) }}|{{ show(day) }}|{{ show(masked) }}|{{ show(none) }}|"
        "{{ at | local_date }}|{{ at | local_time(seconds=True) }}"
    )
    values = {
        "at": datetime(2026, 12, 6, 20, 15, 9, tzinfo=UTC),
        "day": date(2024, 12, 31),
        "masked": {"masked": True},
        "none": None,
    }
    with page_zone(IST):
        shown = page.render(values)
    assert shown == (
        '7 Dec 2026, 01:45 IST|31 Dec 2024|<span class="masked">masked</span>|—|'
        "7 Dec 2026|7 Dec 2026, 01:45:09 IST"
    )
    # Outside a page's rendering the zone is UTC, and says so.
    assert page.render(values).startswith("6 Dec 2026, 20:15 UTC|")


def test_a_telugu_page_names_the_month_in_telugu() -> None:
    from kotwal.web.i18n import page_language

    moment = datetime(2026, 12, 6, 20, 15, 9, tzinfo=UTC)
    with page_language("te"):
        assert local_time(moment, IST) == "7 డిసెం 2026, 01:45 IST"
        assert local_date(date(2025, 3, 2)) == "2 మార్చి 2025"
    assert local_date(date(2025, 3, 2)) == "2 Mar 2025"

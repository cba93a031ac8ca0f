"""My activity: one named line per page an officer viewed, in the force's time, naming only
what the gate lets them see now; the raw events stay one click away."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from kotwal.accounts import activity
from kotwal.core.clock import station_zone
from kotwal.core.models import AuditEventRow
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from tests.factories import World, issue_token, make_officer
from tests.helpers import console_login
from tests.records_helpers import file_person


def _lines(html: str) -> list[str]:
    """The text of each line's "what you did" cell."""
    cells = re.findall(r'<td class="what">(.*?)</td>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_a_person_page_is_one_line_naming_the_person_and_station(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    )
    person = file_person(client, writer, world.station_a, name="Srinivas Gundla")
    reader = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, reader)
    assert client.get(f"/persons/{person['id']}").status_code == 200
    assert client.get("/persons", params={"name": "Sreenivas Gundla"}).status_code == 200

    page = client.get("/account/activity")
    assert page.status_code == 200
    lines = _lines(page.text)
    opened = [line for line in lines if line.startswith("Opened the record of Srinivas Gundla (")]
    assert len(opened) == 1, lines
    assert opened[0].startswith("Opened the record of Srinivas Gundla (PS-A (synthetic))")
    assert any(line.startswith("Searched persons by name — 1 result") for line in lines), lines
    assert "Logged in" in lines
    # One line per page view, not one per event; none names the writer or a raw action.
    assert len(lines) == 3, lines
    assert writer.username not in page.text and "record.disclose" not in page.text
    # In the force's time zone (IST by default), named so.
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} IST", page.text)


def test_a_record_the_reader_may_not_see_now_is_not_named(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_c)
    )
    person = file_person(client, writer, world.station_c, name="Outside Namesake")
    reader = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, reader)
    # Opened with a purpose: the name was shown then, but not without one.
    opened = client.get(
        f"/persons/{person['id']}", params={"purpose": "complaint: FIR 12/2026 theft"}
    )
    assert "Outside Namesake" in opened.text
    page = client.get("/account/activity")
    lines = _lines(page.text)
    assert any(line.startswith("Opened a person's record") for line in lines), lines
    assert "Outside Namesake" not in page.text
    assert (
        "complaint: FIR 12/2026 theft" in page.text
    )  # their own declared purpose is theirs to see


def test_filters_by_kind_and_day_and_the_raw_events_remain(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    )
    person = file_person(client, writer, world.station_a, name="Filter Person")
    reader = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, reader)
    client.get(f"/persons/{person['id']}")

    searched = _lines(client.get("/account/activity", params={"kind": "signin"}).text)
    assert searched == ["Logged in"]
    today = datetime.now(UTC).astimezone(station_zone(runtime.settings)).date()
    assert _lines(client.get("/account/activity", params={"day": today.isoformat()}).text)
    assert _lines(client.get("/account/activity", params={"day": "2001-01-01"}).text) == []
    raw = client.get("/account/activity", params={"raw": "1"})
    assert raw.status_code == 200 and "record.disclose" in raw.text


def _row(seq: int, at_s: float, action: str, session: str = "s1", **kw: str) -> AuditEventRow:
    return AuditEventRow(
        seq=seq,
        at_us=int(at_s * 1_000_000),
        actor_id="a",
        actor_name="demo.si",
        session_id=session,
        action=action,
        outcome=kw.pop("outcome", "success"),
        detail=kw.pop("detail", "{}"),
        prev_hash="",
        hash="",
        **kw,
    )


def test_events_close_together_in_one_session_are_one_page_view() -> None:
    rows = [
        _row(1, 100.0, "auth.login"),
        _row(2, 100.1, "record.disclose", resource_type="station", resource_id="x1"),
        _row(3, 100.1, "record.disclose", resource_type="station", resource_id="x2"),
        _row(4, 100.2, "record.disclose", resource_type="person", resource_id="p1"),
        _row(5, 100.2, "record.disclose", resource_type="history_sheet", resource_id="h1"),
        _row(6, 100.2, "record.disclose", resource_type="case", resource_id="c1"),
        _row(7, 100.2, "record.disclose", resource_type="person", resource_id="p2", session="s2"),
        _row(8, 100.4, "record.disclose", resource_type="photo", resource_id="f1"),
        _row(
            9,
            120.0,
            "records.search",
            resource_type="person",
            detail='{"kind":"name","outside":2,"results":12}',
        ),
        _row(10, 120.0, "record.disclose", resource_type="person", resource_id="p1"),
    ]
    rows.sort(key=lambda r: r.seq)
    groups = activity.group(rows[::-1])
    # The photograph (seq 8) loaded after the page, behind another session's event, is part
    # of its page view still.
    assert [[r.seq for r in g] for g in groups] == [[9, 10], [7], [4, 5, 6, 8], [2, 3], [1]]
    lines = [activity.describe(g) for g in groups]
    assert [(line.kind, line.count) for line in lines] == [
        ("searched", 12),
        ("opened", 0),
        ("opened", 0),
        ("listed", 2),
        ("signin", 0),
    ]
    assert lines[0].outside == 2
    # Reading this page again and again is one line.
    again = [_row(20 + i, 200.0 + i, "account.activity") for i in range(3)]
    read = activity.collapse([activity.describe(g) for g in activity.group(again[::-1])])
    assert len(read) == 1 and read[0].count == 3 and read[0].first_seq == 20
    assert (read[0].plural or "") % read[0].params == "Read your activity 3 times"
    assert lines[2].params["id"] == "p1" and lines[2].params["type"] == "person"
    assert (lines[3].plural or "") % lines[3].params == "Listed 2 stations"


def test_a_day_that_is_not_a_date_is_refused_readably(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    console_login(client, make_officer(runtime, Role.CONSTABLE, posting=world.station_a))
    assert client.get("/account/activity", params={"day": "", "kind": ""}).status_code == 200
    r = client.get("/account/activity", params={"day": "07-12-2026"})
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text

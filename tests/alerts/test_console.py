"""The console's alert pages as a browser drives them: the station house officer checks a text
(the part count is shown before saving), saves the draft, and cannot approve it; the district
chief opens it and approves it; a text that does not match is shown back with the reason."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from kotwal.alerts import publication
from kotwal.core.runtime import Runtime
from kotwal.core.uow import UnitOfWork
from tests.alerts.helpers import RAIN, RAIN_TELUGU, rain, rain_telugu
from tests.factories import Officer, World
from tests.helpers import console_login, csrf_token


def _form(page: str, template_id: str, text: str, areas: list[str]) -> dict[str, object]:
    return {
        "csrf_token": csrf_token(page),
        "template_id": template_id,
        "text": text,
        "areas": areas,
    }


def test_a_draft_is_checked_saved_and_approved_by_a_second_officer(
    app: FastAPI,
    client: TestClient,
    templates: dict[str, str],
    sho: Officer,
    dcp: Officer,
    world: World,
) -> None:
    console_login(client, sho)
    page = client.get("/alerts/new", params={"template_id": templates[RAIN_TELUGU]})
    assert page.status_code == 200 and "{#var#}" in page.text
    form = _form(page.text, templates[RAIN_TELUGU], rain_telugu(), [world.station_a])
    checked = client.post("/alerts/check", data=form)
    assert checked.status_code == 200
    assert "The text matches its template" in checked.text and "ucs-2" in checked.text
    saved = client.post(
        "/alerts/new",
        data=_form(checked.text, templates[RAIN_TELUGU], rain_telugu(), [world.station_a]),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    alert_url = saved.headers["location"]
    mine = client.get(alert_url).text
    assert "cannot" in mine and "Approve and queue" not in mine
    with TestClient(app, base_url="https://testserver") as chief:
        console_login(chief, dcp)
        listed = chief.get("/alerts").text
        assert alert_url in listed
        page = chief.get(alert_url).text
        assert "Approve and queue" in page
        r = chief.post(
            f"{alert_url}/approve", data={"csrf_token": csrf_token(page)}, follow_redirects=False
        )
        assert r.status_code == 303
        done = chief.get(alert_url).text
        assert "Public alert (queued)" in done and "being found among the subscribers" in done


def test_a_text_that_does_not_match_is_shown_back_with_the_reason(
    client: TestClient, templates: dict[str, str], sho: Officer, world: World
) -> None:
    console_login(client, sho)
    page = client.get("/alerts/new", params={"template_id": templates[RAIN]}).text
    bad = rain(phone="9848022338")
    r = client.post(
        "/alerts/new",
        data=_form(page, templates[RAIN], bad, [world.station_a]),
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "variable 3 (phone)" in r.text and "not on the allow-list" in r.text
    assert "9848022338" in r.text  # the officer's text is kept in the form to correct
    assert "No awaiting alerts" in client.get("/alerts").text


def test_the_registry_page_lists_templates_and_the_allow_list(
    client: TestClient, templates: dict[str, str], sho: Officer
) -> None:
    console_login(client, sho)
    page = client.get("/alerts/templates").text
    assert RAIN in page and "one-time passwords; locked" in page and "1930" in page


def test_the_draft_form_carries_the_public_documents_category_and_words(
    client: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
    sho: Officer,
    world: World,
) -> None:
    console_login(client, sho)
    page = client.get("/alerts/new", params={"template_id": templates[RAIN]})
    assert 'name="cap_category"' in page.text and 'name="cap_te_headline"' in page.text
    words = {
        "cap_category": "Met",
        "cap_urgency": "Expected",
        "cap_severity": "Severe",
        "cap_certainty": "Likely",
        "cap_hours": "12",
        "cap_wards": "33",
        "cap_en_event": "Heavy rain",
        "cap_en_headline": "Heavy rain in Malakpet",
        "cap_en_description": "Heavy rain is forecast.",
        "cap_te_event": "భారీ వర్షం",
        "cap_te_headline": "మలక్‌పేటలో భారీ వర్షం",
        "cap_te_description": "భారీ వర్షం కురిసే అవకాశం ఉంది.",
    }
    half = {k: v for k, v in words.items() if not k.startswith("cap_te_")}
    form = _form(page.text, templates[RAIN], rain(), [world.station_a])
    refused = client.post("/alerts/new", data=form | half, follow_redirects=False)
    error = refused.text.split('class="error" role="alert">')[1].split("<")[0]
    assert refused.status_code == 422 and "Telugu (te-IN)" in error, error
    assert 'value="Heavy rain in Malakpet"' in refused.text  # what was typed is kept
    saved = client.post("/alerts/new", data=form | words, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    alert_id = saved.headers["location"].rsplit("/", 1)[1]
    with UnitOfWork(runtime, write=False) as uow:
        content = publication.content_of(uow, alert_id)
    assert content is not None and content.category == "Met" and content.hours == 12
    assert content.wards == ["33"] and content.info[1].headline == "మలక్‌పేటలో భారీ వర్షం"

"""The console's labels in English and Telugu: the catalogue is complete and well formed, an
officer's choice of language is kept on their account and changes every label, and before
login the browser's language is followed."""

from __future__ import annotations

import re
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from kotwal.core.models import Account
from kotwal.core.policy import Role
from kotwal.core.runtime import Runtime
from kotwal.web import i18n
from tests.factories import World, issue_token, make_officer
from tests.helpers import audit_events, console_login, csrf_token
from tests.records_helpers import file_person

ROOT = Path(__file__).resolve().parents[2]
TELUGU_PO = ROOT / "src/kotwal/web/locale/te/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _i18n_script() -> ModuleType:
    """scripts/i18n as a module (in this process: the code it reads is imported already)."""
    loader = SourceFileLoader("kotwal_i18n_script", str(ROOT / "scripts/i18n"))
    module = ModuleType(loader.name)
    module.__file__ = loader.path
    loader.exec_module(module)
    return module


def test_every_console_message_has_a_telugu_entry() -> None:
    """What scripts/i18n --check says: no message of a template, of Python marked N_() or of
    a navigation link or role title is missing from the Telugu catalogue, or untranslated."""
    wanted = {m.id for m in _i18n_script().template() if m.id}
    with TELUGU_PO.open("rb") as handle:
        catalog = read_po(handle, locale="te")
    held = {m.id: m for m in catalog if m.id}
    assert sorted(map(str, wanted - held.keys())) == []
    untranslated = [i for i in wanted if held[i].fuzzy or not all(_strings(held[i]))]
    assert untranslated == []


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return string if isinstance(string, tuple) else (string,)


def test_each_translation_keeps_the_placeholders_of_its_english() -> None:
    with TELUGU_PO.open("rb") as handle:
        catalog = read_po(handle, locale="te")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in _strings(message):
            assert set(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


def test_the_catalogue_compiles_and_english_is_the_source() -> None:
    with i18n.page_language("te"):
        assert i18n.gettext("My activity") == "నా కార్యకలాపాలు"
        assert i18n.ngettext("Listed %(count)s station", "Listed %(count)s stations", 3) == (
            "%(count)s స్టేషన్లను జాబితాలో చూశారు"
        )
        assert i18n.gettext("a message no catalogue holds") == "a message no catalogue holds"
    with i18n.page_language("en"):
        assert i18n.gettext("My activity") == "My activity"
    with i18n.page_language("xx"):
        assert i18n.current() == "en"


def test_the_browsers_language_is_followed_before_login() -> None:
    assert i18n.from_accept_language("te-IN,te;q=0.9,en;q=0.8") == "te"
    assert i18n.from_accept_language("en-GB,en;q=0.9,te;q=0.8") == "en"
    assert i18n.from_accept_language("hi-IN,te;q=0.5") == "te"
    assert i18n.from_accept_language("fr, de;q=0.9") == "en"
    assert i18n.from_accept_language("te;q=0, en;q=0.1") == "en"
    assert i18n.from_accept_language("te;q=zz") == "en"
    assert i18n.from_accept_language(None) == "en"


def test_an_officer_chooses_telugu_and_every_label_follows(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    console_login(client, officer)
    page = client.get("/account")
    assert '<html lang="en">' in page.text and ">My activity<" in page.text
    r = client.post(
        "/account/language",
        data={"language": "te", "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert '<html lang="te">' in page.text
    assert "భాష భద్రపరచబడింది" in page.text  # "Language saved"
    for label in ("నా కార్యకలాపాలు", "నా ఖాతా", "లాగ్ అవుట్", "వ్యక్తులు"):
        assert label in page.text, label
    persons = client.get("/persons")
    assert "వ్యక్తిని వెతకండి" in persons.text and "పేర్లను వెతకండి" in persons.text
    writer = issue_token(
        runtime, make_officer(runtime, Role.SUB_INSPECTOR, posting=world.station_a)
    )
    person = file_person(client, writer, world.station_a, name="Telugu Reader Case")
    record = client.get(f"/persons/{person['id']}").text
    for heading in ("వివరాలు", "ఇతర పేర్లు", "హిస్టరీ షీట్లు", "కేసులు", "వెర్షన్ చరిత్ర"):
        assert f">{heading}</h2>" in record, heading
    assert "<dt>తండ్రి పేరు</dt>" in record and "Telugu Reader Case" in record
    assert "నేరస్థుడు" in record and "పురుషుడు" in record  # offender, male: words, not codes
    activity = client.get("/account/activity")
    assert "భాషను ఎంచుకున్నారు" in activity.text  # "Chose the console's language"
    events = audit_events(runtime, action="account.language")
    assert [e.detail for e in events] == ['{"language":"te"}']
    with runtime.db.transaction(write=False) as session:
        assert session.get(Account, officer.account_id).language == "te"  # type: ignore[union-attr]


def test_a_language_kotwal_does_not_speak_is_refused_and_nothing_changes(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    officer = make_officer(runtime, Role.CONSTABLE, posting=world.station_a)
    console_login(client, officer)
    page = client.get("/account")
    r = client.post(
        "/account/language", data={"language": "xx", "csrf_token": csrf_token(page.text)}
    )
    assert r.status_code == 422 and "choose one of: en, te" in r.text
    with runtime.db.transaction(write=False) as session:
        assert session.get(Account, officer.account_id).language == "en"  # type: ignore[union-attr]
    assert audit_events(runtime, action="account.language") == []


def test_the_login_page_follows_the_browser(client: TestClient, runtime: Runtime) -> None:
    page = client.get("/login", headers={"accept-language": "te-IN,te;q=0.9"})
    assert '<html lang="te">' in page.text and "వినియోగదారు పేరు" in page.text
    page = client.get("/login", headers={"accept-language": "en-IN"})
    assert '<html lang="en">' in page.text and "Username" in page.text

"""The scrub: a message matches its DLT template or is refused with the reason (which variable,
what was wrong). Templates are written as a police force registers them on DLT."""

from __future__ import annotations

import unicodedata

import pytest

from kotwal.alerts.scrub import (
    AllowList,
    Template,
    VariableType,
    match,
    parse,
    template_problems,
)

T, N, D, U, P = (
    VariableType.TEXT,
    VariableType.NUMBER,
    VariableType.DATE,
    VariableType.URL,
    VariableType.PHONE,
)

ALLOW = AllowList.of(
    urls=["https://tgp.example/a/", "https://tgp.example/otp"],
    phones=["100", "112", "1930", "+91 40 2785 2333"],
)

RAIN = parse(
    "Dear Citizen, heavy rain is forecast in {#var#} on {#var#}. Avoid low-lying areas and "
    "call {#var#} in an emergency. -TG Police",
    [T, D, P],
)
TRAFFIC = parse(
    "Traffic advisory: {#var#} will be closed from {#var#} to {#var#}. Use alternate routes. "
    "Details: {#var#}",
    [T, D, D, U],
)
OTP = parse(
    "{#var#} is your OTP to log in to TG Police citizen services. It is valid for 10 minutes. "
    "Do not share it with anyone.",
    [N],
)
TELUGU_RAIN = parse(
    "ప్రియమైన పౌరులారా, {#var#} ప్రాంతంలో {#var#} న భారీ వర్ష హెచ్చరిక. అత్యవసరమైతే {#var#} కు కాల్ చేయండి. -తెలంగాణ పోలీస్",
    [T, D, P],
)
#: Every regular-expression metacharacter in the fixed text.
CASE_STATUS = parse(
    "Case No. {#var#} (u/s 318(4) BNS) [PS {#var#}]: status *updated*? Fee ${#var#} + tax | "
    "^see^ {a,b} \\d.",
    [T, T, N],
)


def _ok(template: Template, text: str) -> tuple[str, ...]:
    verdict = match(template, text, ALLOW)
    assert verdict.ok, verdict.reason
    return verdict.values


def _refused(template: Template, text: str) -> str:
    verdict = match(template, text, ALLOW)
    assert not verdict.ok and verdict.values == ()
    assert verdict.reason is not None
    return verdict.reason


# --- matching texts ------------------------------------------------------------------------


def test_a_message_matching_its_template_gives_the_values_in_order() -> None:
    text = (
        "Dear Citizen, heavy rain is forecast in Malakpet and Saidabad on 14-08-2026. Avoid "
        "low-lying areas and call 100 in an emergency. -TG Police"
    )
    assert _ok(RAIN, text) == ("Malakpet and Saidabad", "14-08-2026", "100")


def test_a_telugu_message_matches_its_telugu_template() -> None:
    text = (
        "ప్రియమైన పౌరులారా, మలక్‌పేట ప్రాంతంలో 14/08/2026 న భారీ వర్ష హెచ్చరిక. అత్యవసరమైతే 112 కు కాల్ చేయండి. -తెలంగాణ పోలీస్"
    )
    assert _ok(TELUGU_RAIN, text) == ("మలక్‌పేట", "14/08/2026", "112")


def test_telugu_typed_in_decomposed_form_still_matches() -> None:
    template = parse("{#var#} గారికి, మీ ఫిర్యాదు నమోదైంది. -తెలంగాణ పోలీస్", [T])
    text = "రవి గారికి, మీ ఫిర్యాదు నమోదైంది. -తెలంగాణ పోలీస్"
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text  # the vowel sign ai (U+0C48) comes apart as U+0C46 U+0C56
    assert _ok(template, decomposed) == ("రవి",)


def test_a_variable_at_the_start() -> None:
    text = (
        "482913 is your OTP to log in to TG Police citizen services. It is valid for 10 "
        "minutes. Do not share it with anyone."
    )
    assert _ok(OTP, text) == ("482913",)


def test_a_variable_at_the_end() -> None:
    text = (
        "Traffic advisory: Tank Bund Road will be closed from 15-08-2026 to 16-08-2026. Use "
        "alternate routes. Details: https://tgp.example/a/tb15"
    )
    assert _ok(TRAFFIC, text)[-1] == "https://tgp.example/a/tb15"


def test_adjacent_variables_are_cut_where_their_types_fit() -> None:
    template = parse("Token {#var#}{#var#} issued at the help desk.", [T, N])
    assert _ok(template, "Token KA42 issued at the help desk.") == ("KA", "42")


def test_adjacent_variables_that_cannot_fit_name_the_variable() -> None:
    template = parse("Token {#var#}{#var#} issued at the help desk.", [T, N])
    reason = _refused(template, "Token KA issued at the help desk.")
    assert reason.startswith("variable 2 (number)")


def test_regex_metacharacters_in_the_template_are_plain_text() -> None:
    text = (
        "Case No. 112/2026 (u/s 318(4) BNS) [PS Abids]: status *updated*? Fee $500 + tax | "
        "^see^ {a,b} \\d."
    )
    assert _ok(CASE_STATUS, text) == ("112/2026", "Abids", "500")
    # Were "." a wildcard, "NoX" would pass; were "(4)" a group, "318 4" would.
    assert not match(CASE_STATUS, text.replace("No.", "NoX"), ALLOW).ok
    assert not match(CASE_STATUS, text.replace("318(4)", "3184"), ALLOW).ok
    assert not match(CASE_STATUS, text.replace("| ^see^", "^see^"), ALLOW).ok


def test_fixed_text_that_recurs_inside_a_value_is_found() -> None:
    template = parse("Missing: {#var#} at {#var#}. Call {#var#}.", [T, T, P])
    values = _ok(template, "Missing: boy, 9, last seen at school at Abids. Call 100.")
    assert values == ("boy, 9, last seen", "school at Abids", "100")


def test_windows_line_ends_match_a_template_with_line_breaks() -> None:
    template = parse("ALERT\nRoad closed: {#var#}\n-TG Police", [T])
    assert _ok(template, "ALERT\r\nRoad closed: Necklace Road\r\n-TG Police") == ("Necklace Road",)


@pytest.mark.parametrize(
    "day", ["14-08-2026", "14/08/2026", "14.08.2026", "2026-08-14", "14 Aug 2026", "14-Aug-2026"]
)
def test_dates_as_officers_write_them(day: str) -> None:
    template = parse("Camp on {#var#} at the station.", [D])
    assert _ok(template, f"Camp on {day} at the station.") == (day,)


@pytest.mark.parametrize("amount", ["500", "1,00,000", "1,000,000", "12.50", "2026"])
def test_numbers_with_grouping(amount: str) -> None:
    assert _ok(parse("Fine of Rs {#var#} is due.", [N]), f"Fine of Rs {amount} is due.") == (
        amount,
    )


def test_an_allowed_phone_matches_however_it_is_spaced() -> None:
    template = parse("Call the control room on {#var#}.", [P])
    assert _ok(template, "Call the control room on +91-40-2785-2333.") == ("+91-40-2785-2333",)


def test_an_exact_url_entry_allows_only_itself() -> None:
    template = parse("Log in at {#var#}", [U])
    assert _ok(template, "Log in at https://tgp.example/otp")
    reason = _refused(template, "Log in at https://tgp.example/otpx")
    assert "not on the allow-list of URLs" in reason


# --- refusals, with their reason -------------------------------------------------------------


def test_a_variable_value_over_30_characters_is_refused_naming_the_variable() -> None:
    place = "Malakpet, Saidabad and Chanchalguda"  # 35 characters
    text = (
        f"Dear Citizen, heavy rain is forecast in {place} on 14-08-2026. Avoid low-lying areas "
        "and call 100 in an emergency. -TG Police"
    )
    verdict = match(RAIN, text, ALLOW)
    assert not verdict.ok and verdict.variable == 1 and verdict.code == "too-long"
    assert verdict.reason == ("variable 1 (text) is 35 characters; a variable holds at most 30")


def test_exactly_30_characters_is_allowed() -> None:
    place = "M" * 30
    text = (
        f"Dear Citizen, heavy rain is forecast in {place} on 14-08-2026. Avoid low-lying areas "
        "and call 100 in an emergency. -TG Police"
    )
    assert _ok(RAIN, text)[0] == place


def test_a_url_not_on_the_allow_list_is_refused() -> None:
    text = (
        "Traffic advisory: Tank Bund Road will be closed from 15-08-2026 to 16-08-2026. Use "
        "alternate routes. Details: https://bit.ly/3xYz"
    )
    verdict = match(TRAFFIC, text, ALLOW)
    assert verdict.variable == 4 and verdict.code == "not-allowed"
    assert verdict.reason == (
        "variable 4 (url) 'https://bit.ly/3xYz' is not on the allow-list of URLs"
    )


def test_a_look_alike_host_is_not_under_an_allowed_prefix() -> None:
    template = parse("Details: {#var#}", [U])
    for fake in ("https://tgp.example.evil.cc/a/", "https://tgp.example@x.cc/a/"):
        assert "not on the allow-list" in _refused(template, f"Details: {fake}")


def test_a_phone_not_on_the_allow_list_is_refused() -> None:
    text = (
        "Dear Citizen, heavy rain is forecast in Malakpet on 14-08-2026. Avoid low-lying areas "
        "and call 9000012345 in an emergency. -TG Police"
    )
    verdict = match(RAIN, text, ALLOW)
    assert verdict.variable == 3 and verdict.code == "not-allowed"


def test_a_link_or_a_phone_number_in_a_text_variable_is_refused() -> None:
    template = parse("Road closed: {#var#}. -TG Police", [T])
    link = match(template, "Road closed: see bit.ly/abc. -TG Police", ALLOW)
    phone = match(template, "Road closed: call 98480 22338. -TG Police", ALLOW)
    assert link.code == "link-in-text" and "url variable" in (link.reason or "")
    assert phone.code == "phone-in-text" and "phone variable" in (phone.reason or "")
    assert _ok(template, "Road closed: NH 44 km 12 to 15. -TG Police")


def test_a_date_that_is_not_on_the_calendar_is_refused() -> None:
    template = parse("Camp on {#var#} at the station.", [D])
    reason = _refused(template, "Camp on 31-02-2026 at the station.")
    assert reason.startswith("variable 1 (date) '31-02-2026' is not a date")


def test_a_word_for_a_number_is_refused() -> None:
    reason = _refused(OTP, OTP.pieces[0] + "12a4" + OTP.pieces[1])
    assert reason == "variable 1 (number) '12a4' is not a number"


def test_an_empty_variable_is_refused() -> None:
    template = parse("Dear {#var#}, your complaint is registered.", [T])
    empty = "variable 1 (text) is empty"
    assert _refused(template, "Dear , your complaint is registered.") == empty
    assert _refused(template, "Dear   , your complaint is registered.") == (
        "variable 1 (text) is empty"
    )


def test_a_variable_cannot_run_over_a_line() -> None:
    template = parse("Road closed: {#var#}. -TG Police", [T])
    reason = _refused(template, "Road closed: NH 44\nCall 1930. -TG Police")
    assert "line" in reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dear Citizen, HEAVY rain is forecast in Malakpet on 14-08-2026. Avoid low-lying "
            "areas and call 100 in an emergency. -TG Police",
            "must begin with",
        ),
        (
            "Dear Citizen, heavy rain is forecast in Malakpet on 14-08-2026. Avoid low areas and "
            "call 100 in an emergency. -TG Police",
            "must go on with '. Avoid low-lying",
        ),
        (
            "Dear Citizen, heavy rain is forecast in Malakpet on 14-08-2026. Avoid low-lying "
            "areas and call 100 in an emergency. -TG Police. Click bit.ly/x",
            "must end with",
        ),
        (
            "URGENT: Dear Citizen, heavy rain is forecast in Malakpet on 14-08-2026. Avoid "
            "low-lying areas and call 100 in an emergency. -TG Police",
            "must begin with",
        ),
    ],
)
def test_fixed_text_that_differs_is_refused_saying_where(text: str, expected: str) -> None:
    verdict = match(RAIN, text, ALLOW)
    assert verdict.code == "fixed-text" and verdict.variable is None
    assert expected in (verdict.reason or "")


def test_a_template_without_variables_matches_only_itself() -> None:
    template = parse("Beware of fake police calls asking for money. -TG Police", [])
    assert _ok(template, "Beware of fake police calls asking for money. -TG Police") == ()
    assert _refused(template, "Beware of fake police calls asking for money. -TG Police!")


# --- templates ---------------------------------------------------------------------------------


def test_template_problems_name_what_is_wrong() -> None:
    assert template_problems("Rain in {#var#} on {#var#}.", [T, D]) == []
    assert any(
        "2 {#var#} placeholder(s) but 1" in p
        for p in template_problems("Rain in {#var#} on {#var#}.", [T])
    )
    assert any("exactly as {#var#}" in p for p in template_problems("Rain in {#VAR#}.", []))
    assert any("exactly as {#var#}" in p for p in template_problems("Rain in {# var #}.", []))
    assert any("fixed text" in p for p in template_problems("{#var#} {#var#}", [T, T]))
    assert any("2000" in p for p in template_problems("x" * 2001, []))
    assert any("no text" in p for p in template_problems("   ", []))


def test_an_allowed_url_is_still_held_to_30_characters() -> None:
    template = parse("Details: {#var#}", [U])
    verdict = match(template, "Details: https://tgp.example/a/" + "x" * 10, ALLOW)
    assert verdict.code == "too-long" and verdict.variable == 1

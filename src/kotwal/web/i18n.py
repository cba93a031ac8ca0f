"""The console's own labels in the officer's language: English, or Telugu.

One gettext catalogue for the whole console, ``locale/<language>/LC_MESSAGES/messages.po`` beside
this module, holding the messages of every template (the shell's and each domain's) and of the
navigation links and role titles, which come from Python. English is the source text and needs
no catalogue. The ``.po`` files are the only form committed: they are compiled in memory the
first time a language is asked for (Babel), so a fresh ``make install`` needs no build step and
nothing can run on a stale ``.mo``. ``scripts/i18n`` extracts and updates them; translators'
notes are in docs/languages.md.

A page's language is the account's choice (``accounts.language``) once logged in, else the
browser's ``Accept-Language`` when it names a language kotwal has, else English. It is held in a
context variable for the render, as the time zone is (:mod:`kotwal.web.timefmt`): macros
imported without context and one environment for every app read it from there.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

#: The languages the console speaks, by code, each named in itself (as a chooser shows them).
LANGUAGES: dict[str, str] = {"en": "English", "te": "తెలుగు"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The catalogue's domain (``messages.po``), as Babel and gettext name it.
DOMAIN = "messages"

_LANGUAGE: ContextVar[str] = ContextVar("kotwal_page_language", default=DEFAULT)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (English, or one without a file: the source)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries (guesses left by an update) are not used until a translator confirms them.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def supported(language: str | None) -> str | None:
    """``language`` if kotwal speaks it (``te-IN`` counts as ``te``), else None."""
    if not language:
        return None
    base = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in LANGUAGES else None


def from_accept_language(header: str | None) -> str:
    """The first language of an ``Accept-Language`` header that kotwal speaks, by weight."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if (code := supported(tag)) is not None and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else DEFAULT


@contextmanager
def page_language(language: str) -> Iterator[None]:
    """Render pages inside this to have their labels in ``language``."""
    token = _LANGUAGE.set(supported(language) or DEFAULT)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def current() -> str:
    """The language of the page being rendered."""
    return _LANGUAGE.get()


def gettext(message: str) -> str:
    """``message`` in the page's language."""
    return translations(_LANGUAGE.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message, in the page's language, for ``n``."""
    return translations(_LANGUAGE.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_LANGUAGE.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_LANGUAGE.get()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark ``message`` for the catalogue; it is translated later, where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - as N_
    """Mark a message and its plural for the catalogue (shown later with ngettext)."""
    return singular, plural


def term(value: object) -> object:
    """A stored value of a closed list ("in_custody", "rowdy_sheet") as words in the page's
    language ("in custody"); anything else (a masked value, None) passes through."""
    if not isinstance(value, str):
        return value
    return gettext(value.replace("_", " "))


def install(env: Environment) -> None:
    """Give ``env`` Jinja2's i18n extension (``{% trans %}``, ``_()``) bound to the page's
    language, the filter ``term`` and the globals ``page_language`` and ``LANGUAGES``."""
    env.add_extension("jinja2.ext.i18n")
    # newstyle: _("%(n)s results", n=3) formats after translating, and autoescapes.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.filters["term"] = term
    env.globals["page_language"] = current
    env.globals["LANGUAGES"] = LANGUAGES

"""The scrub: a message checked against its registered template before it is queued.

A DLT content template is fixed text with ``{#var#}`` placeholders; the operator's scrubber
refuses a message whose fixed text differs from the template's, or whose variable parts are
longer than 30 characters. kotwal does the same check first, locally, and more strictly: each
variable is typed when the template is registered, and a value must fit its type.

- ``text``: free words on one line, without anything that looks like a link or a phone number
  (a text variable is how a phishing link would slip into a registered template, so links and
  numbers to call must come through ``url`` and ``phone`` variables and their allow-list);
- ``number``: digits, with Indian or international grouping and a decimal part;
- ``date``: a real calendar date as officers write it (DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY,
  YYYY-MM-DD, 05 Jan 2026, 05-Jan-2026);
- ``url``: on the allow-list (an entry ending in "/" allows the addresses under it, any other
  entry only itself);
- ``phone``: on the allow-list (compared as digits, so "040-2785 2333" is "04027852333").

Both texts are compared in Unicode NFC and with CRLF line ends as LF: the same Telugu word
typed on two keyboards can differ in code points (U+0C48 or U+0C46 U+0C56 for the vowel sign
ai) but must not differ in meaning to the scrub.

Everything here is pure: the template, the text and the allow-list in, a verdict out, with the
reason a refusal gives (which variable, what was wrong).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

PLACEHOLDER = "{#var#}"
#: DLT's cap on what one variable may carry.
VARIABLE_MAX = 30
#: DLT's cap on a template's text.
TEMPLATE_MAX = 2000
#: More placeholders than this is not a template but a blank form.
VARIABLES_MAX = 20


class VariableType(enum.StrEnum):
    """What a template's variable may hold."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    URL = "url"
    PHONE = "phone"


DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%Y")
_NUMBER = re.compile(r"[0-9]+(?:[,.][0-9]+)*")
#: A scheme, "www." or a host name with a common top-level domain: a link, in any disguise
#: an SMS reader would still tap.
_LINKISH = re.compile(
    r"://|www\.|\b[\w-]+\.(?:com|in|org|net|gov|co|io|ly|me|info|xyz|link|app|site|online|top"
    r"|to|gl|cc|ws|biz|us|uk)\b",
    re.IGNORECASE,
)
#: Seven digits in a row, spaces and dashes allowed between them: a number to call.
_PHONEISH = re.compile(r"(?:[0-9][ -]?){7}")
#: Anything that starts like a placeholder, to catch misspelt ones ({#VAR#}, {#var}, {# var #}).
_PLACEHOLDERISH = re.compile(r"\{\s*#")


@dataclass(frozen=True)
class AllowList:
    """The URLs and phone numbers a message may carry in its ``url`` and ``phone`` variables."""

    urls: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    @classmethod
    def of(cls, urls: Sequence[str], phones: Sequence[str]) -> AllowList:
        """An allow-list from entries as registered (phones are kept as their digits)."""
        return cls(
            frozenset(u.strip().lower() for u in urls), frozenset(phone_digits(p) for p in phones)
        )


@dataclass(frozen=True)
class Verdict:
    """The scrub's answer: the variable values when the text matches, else why not.

    ``variable`` is the 1-based position of the variable at fault (None when the fixed text
    differs), ``code`` a stable word for the audit log (which never holds the text itself).
    """

    values: tuple[str, ...] = ()
    reason: str | None = None
    code: str | None = None
    variable: int | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Template:
    """A template's text cut into fixed pieces and variable slots: ``pieces`` has one more
    element than ``types`` (fixed text before, between and after the variables; maybe empty)."""

    pieces: tuple[str, ...]
    types: tuple[VariableType, ...]
    _shapes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The text's shape without the types, for telling a wrong variable from wrong fixed
        # text: first with every variable at least one character (so that adjacent variables
        # share the text), then allowing empty ones (so that an empty variable is named).
        object.__setattr__(self, "_shapes", (self._shape("+"), self._shape("*")))

    def _shape(self, repeat: str) -> re.Pattern[str]:
        groups = [f"(.{repeat}?)"] * len(self.types)
        if groups:
            groups[-1] = f"(.{repeat})"
        body = "".join(
            re.escape(piece) + (groups[i] if i < len(groups) else "")
            for i, piece in enumerate(self.pieces)
        )
        return re.compile(body, re.DOTALL)

    def cut(self, text: str) -> tuple[str, ...] | None:
        """The text cut into variable values by shape alone (types ignored), if it can be."""
        for shape in self._shapes:
            found = shape.fullmatch(text)
            if found is not None:
                return found.groups()
        return None


def normalise(text: str) -> str:
    """The form both a template and a message are compared in: NFC, LF line ends."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


def phone_digits(raw: str) -> str:
    """A phone number as its digits alone (country code, spaces and dashes as written)."""
    return "".join(ch for ch in raw if ch.isdigit())


def template_problems(text: str, types: Sequence[VariableType]) -> list[str]:
    """Why a template cannot be registered as given (none: it can)."""
    text = normalise(text)
    problems: list[str] = []
    if not text.strip():
        problems.append("the template has no text")
    if len(text) > TEMPLATE_MAX:
        problems.append(f"the template is {len(text)} characters; DLT allows {TEMPLATE_MAX}")
    count = text.count(PLACEHOLDER)
    if count != len(types):
        problems.append(
            f"the text has {count} {PLACEHOLDER} placeholder(s) but {len(types)} variable "
            "type(s) are given; give one type per placeholder, in order"
        )
    if count > VARIABLES_MAX:
        problems.append(f"a template has at most {VARIABLES_MAX} variables")
    stray = _PLACEHOLDERISH.findall(text.replace(PLACEHOLDER, ""))
    if stray:
        problems.append(f"write every variable exactly as {PLACEHOLDER}")
    if not text.replace(PLACEHOLDER, "").strip():
        problems.append("a template needs fixed text, not only variables")
    return problems


def parse(text: str, types: Sequence[VariableType]) -> Template:
    """A registered template ready to match messages (its problems must have been checked)."""
    pieces = tuple(normalise(text).split(PLACEHOLDER))
    if len(pieces) != len(types) + 1:
        raise ValueError("one type per placeholder")
    return Template(pieces, tuple(types))


# --- values --------------------------------------------------------------------------------


def _is_date(value: str) -> bool:
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return True
    return False


def _url_allowed(value: str, allow: AllowList) -> bool:
    wanted = value.lower()
    if any(ch.isspace() for ch in wanted):
        return False
    return any(
        wanted == entry or (entry.endswith("/") and wanted.startswith(entry))
        for entry in allow.urls
    )


def value_problem(kind: VariableType, value: str, allow: AllowList) -> tuple[str, str] | None:
    """Why ``value`` cannot fill a variable of ``kind`` as (code, reason), or None if it can."""
    if not value.strip():
        return "empty", "is empty"
    if len(value) > VARIABLE_MAX:
        return "too-long", (f"is {len(value)} characters; a variable holds at most {VARIABLE_MAX}")
    if "\n" in value or "\r" in value:
        return "type", "runs over a line end; a variable holds one line"
    check = _CHECKS[kind]
    return check(value, allow)


def _text(value: str, _allow: AllowList) -> tuple[str, str] | None:
    if _LINKISH.search(value):
        return "link-in-text", "looks like a link; links go in a url variable from the allow-list"
    if _PHONEISH.search(value):
        return "phone-in-text", (
            "looks like a phone number; numbers go in a phone variable from the allow-list"
        )
    if "{#" in value:
        return "type", "holds a placeholder"
    return None


def prose_problem(text: str, allow: AllowList) -> str | None:
    """Why free text (a CAP document's headline, description or instruction) cannot be
    published, or None: it may carry links and numbers to call only from the allow-list, the
    rule an SMS's variables follow, since the force's key signs it as the force's word."""
    for word in text.split():
        if _LINKISH.search(word) and not _url_allowed(word.rstrip(".,;:!?)\"'"), allow):
            return f"{_excerpt(word)!r} looks like a link that is not on the allow-list of URLs"
    for found in _PHONEISH.finditer(text):
        run = _PHONE_RUN.match(text, found.start())
        written = run.group(0) if run else found.group(0)
        if phone_digits(written) not in allow.phones:
            return f"{_excerpt(written)!r} looks like a phone number not on the allow-list"
    return None


#: A phone number as written from where a seven-digit run starts, to its last digit.
_PHONE_RUN = re.compile(r"[0-9][0-9 -]*[0-9]")


def _number(value: str, _allow: AllowList) -> tuple[str, str] | None:
    if _NUMBER.fullmatch(value):
        return None
    return "type", f"{value!r} is not a number"


def _date(value: str, _allow: AllowList) -> tuple[str, str] | None:
    if _is_date(value):
        return None
    return "type", f"{value!r} is not a date (DD-MM-YYYY, DD/MM/YYYY or YYYY-MM-DD)"


def _url(value: str, allow: AllowList) -> tuple[str, str] | None:
    if _url_allowed(value, allow):
        return None
    return "not-allowed", f"{value!r} is not on the allow-list of URLs"


def _phone(value: str, allow: AllowList) -> tuple[str, str] | None:
    digits = phone_digits(value)
    if not re.fullmatch(r"\+?[0-9][0-9 -]*", value.strip()):
        return "type", f"{value!r} is not a phone number"
    if digits in allow.phones:
        return None
    return "not-allowed", f"{value!r} is not on the allow-list of phone numbers"


_CHECKS: dict[VariableType, Callable[[str, AllowList], tuple[str, str] | None]] = {
    VariableType.TEXT: _text,
    VariableType.NUMBER: _number,
    VariableType.DATE: _date,
    VariableType.URL: _url,
    VariableType.PHONE: _phone,
}


# --- matching ------------------------------------------------------------------------------


def match(template: Template, text: str, allow: AllowList) -> Verdict:
    """Check ``text`` against ``template``: the values of its variables, or why it is refused.

    The search tries every way of cutting the text into fixed pieces and values (shortest
    values first, each at most 30 characters and of its type), so adjacent variables and fixed
    text that recurs inside a value are handled; it remembers the dead ends, so it stays linear
    in practice. When no cut fits, the text is cut by shape alone to say what is wrong.
    """
    text = normalise(text)
    values = _search(template, text, allow)
    if values is not None:
        return Verdict(values=values)
    return _diagnose(template, text, allow)


def _search(template: Template, text: str, allow: AllowList) -> tuple[str, ...] | None:
    pieces, types = template.pieces, template.types
    dead: set[tuple[int, int]] = set()

    def fill(slot: int, at: int) -> list[str] | None:
        # ``at`` is where variable ``slot`` begins (its fixed text before it already matched).
        if slot == len(types):
            return [] if at == len(text) else None
        if (slot, at) in dead:
            return None
        after = pieces[slot + 1]
        for end in range(at + 1, min(at + VARIABLE_MAX, len(text)) + 1):
            if not text.startswith(after, end):
                continue
            value = text[at:end]
            if value_problem(types[slot], value, allow) is not None:
                continue
            rest = fill(slot + 1, end + len(after))
            if rest is not None:
                return [value, *rest]
        dead.add((slot, at))
        return None

    if not text.startswith(pieces[0]):
        return None
    if not types:
        return () if text == pieces[0] else None
    found = fill(0, len(pieces[0]))
    return tuple(found) if found is not None else None


def _diagnose(template: Template, text: str, allow: AllowList) -> Verdict:
    values = template.cut(text)
    if values is None:
        return _fixed_text_differs(template, text)
    for slot, (kind, value) in enumerate(zip(template.types, values, strict=True)):
        problem = value_problem(kind, value, allow)
        if problem is not None:
            code, reason = problem
            return Verdict(
                reason=f"variable {slot + 1} ({kind}) {reason}", code=code, variable=slot + 1
            )
    # Every value fits when the text is cut one way, yet no cut fits all: adjacent variables
    # whose boundary cannot be told (e.g. two numbers side by side).
    return Verdict(
        reason="the variables cannot be told apart in a way that fits their types",
        code="ambiguous",
    )


def _fixed_text_differs(template: Template, text: str) -> Verdict:
    """Name the first fixed piece of the template that the text does not carry, in order."""
    pieces = template.pieces
    if not text.startswith(pieces[0]):
        return _differs("begin with", pieces[0])
    if len(pieces) == 1:
        return Verdict(reason="the message is not the template's text", code="fixed-text")
    at = len(pieces[0])
    for piece in pieces[1:-1]:
        found = text.find(piece, at)
        if found < 0:
            return _differs("go on with", piece)
        at = found + len(piece)
    last = pieces[-1]
    if not text.endswith(last) or len(text) - len(last) < at:
        return _differs("end with", last)
    return Verdict(reason="the message does not match the template", code="fixed-text")


def _differs(where: str, piece: str) -> Verdict:
    return Verdict(
        reason=f"the fixed text differs from the template: the message must {where} "
        f"{_excerpt(piece)}",
        code="fixed-text",
    )


def _excerpt(piece: str, limit: int = 60) -> str:
    shown = piece if len(piece) <= limit else piece[: limit - 1] + "…"
    return repr(shown)

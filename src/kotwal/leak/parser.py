"""Reading a leaked sample the way criminals post them: CSV (any delimiter, with or without a
header), JSON (a list, an object holding a list, or one object per line) or plain text
("Name: X | Mobile: Y", or just words and numbers on a line).

Columns are recognised by their header when it says what they are (in any of the usual
spellings) and otherwise by what their values look like: a ten-digit Indian mobile number in
any formatting, a year of birth or a date, a record id, a sex, Telugu script, an address (words
with house numbers) or a name. Nothing is trusted: every value is only evidence for the
matcher, which weighs it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kotwal.core.crypto import normalise_phone

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_CELL = 500

#: Header words → the field they name (compared lower-case, punctuation as spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "fullname",
        "accused",
        "accused name",
        "person",
        "person name",
        "offender",
        "offender name",
        "naam",
        "suspect",
        "suspect name",
    ),
    "father_name": (
        "father",
        "father name",
        "fathers name",
        "father s name",
        "s o",
        "so",
        "f o",
        "guardian",
        "relative",
        "fname",
        "f name",
        "father husband name",
    ),
    "aliases": (
        "alias",
        "aliases",
        "aka",
        "nick",
        "nickname",
        "nick name",
        "other names",
        "alias name",
    ),
    "phone": (
        "phone",
        "mobile",
        "mob",
        "mobile no",
        "mob no",
        "cell",
        "contact",
        "contact no",
        "phone no",
        "ph",
        "ph no",
        "tel",
        "telephone",
        "msisdn",
        "phone number",
        "mobile number",
        "number",
    ),
    "birth_year": ("birth year", "yob", "year of birth", "born", "dob", "date of birth"),
    "age": ("age",),
    "sex": ("sex", "gender"),
    "address": ("address", "addr", "residence", "r o", "ro", "house", "location"),
    "station_code": ("station", "ps", "station code", "police station", "ps code", "psname"),
    "name_te": ("name te", "telugu name", "name telugu", "name in telugu"),
    "id": ("id", "record id", "uuid", "person id", "record"),
    "other": (
        "category",
        "type",
        "status",
        "marks",
        "identification marks",
        "remarks",
        "crime",
        "case",
        "sections",
        "fir",
        "fir no",
    ),
}
_HEADER = {word: name for name, words in SYNONYMS.items() for word in words}

PHONE_RE = re.compile(r"(?<![\d])(?:\+?\s?91[\s.-]*|0)?[6-9](?:[\s.()-]{0,2}\d){9}(?![\d])")
YEAR_RE = re.compile(r"(?<!\d)(19[3-9]\d|200\d|201\d)(?!\d)")
ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
TELUGU_RE = re.compile(r"[\u0C00-\u0C7F]")
NAME_CHARS = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")
SEXES = {
    "male": "male",
    "m": "male",
    "female": "female",
    "f": "female",
    "transgender": "transgender",
    "t": "transgender",
}
ADDRESS_RE = re.compile(
    r"\b(h\.?\s?no|house|colony|nagar|road|street|plot|flat|village|mandal|basti|lane)\b", re.I
)
#: Values of the records' own vocabularies, which are nobody's name.
NOT_NAMES = {
    "offender",
    "suspect",
    "missing person",
    "missing_person",
    "unidentified body",
    "unidentified_body",
    "active",
    "absconding",
    "in custody",
    "in_custody",
    "deceased",
    "traced",
    "male",
    "female",
    "unknown",
    "transgender",
}
KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z _/'.]{0,30}?)\s*[:=]\s*")


@dataclass
class LeakRow:
    """What one leaked row says, as evidence: every value it holds, sorted by what it is."""

    line: int
    ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    #: The cell a header calls the name / the father's name, when there is a header.
    name: str | None = None
    father_name: str | None = None
    #: Name-like values nothing labels (the matcher tries each as name and as father's name).
    names: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    name_te: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    station: str | None = None
    #: Every value that could be a number of record (a licence number, UIN, weapon serial or
    #: belt number), as upper-case letters and digits only, however it was punctuated.
    codes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.ids or self.phones or self.name or self.names or self.father_name or self.codes
        )


@dataclass
class ParsedLeak:
    """The sample's format and its rows."""

    format: str
    rows: list[LeakRow]


def header_field(text: str) -> str | None:
    """The field a column header names, or None."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    return _HEADER.get(key)


def parse(data: bytes) -> ParsedLeak:
    """Read ``data`` (CSV, JSON or text, in any common encoding) into rows of evidence."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"a leaked sample is at most {MAX_BYTES // (1024 * 1024)} MB")
    text = _decode(data)
    stripped = text.strip()
    if stripped[:1] in "[{":
        records = _json_records(stripped)
        if records is not None:
            return ParsedLeak("json", _rows_from_records(records))
    lines = [line for line in text.splitlines() if line.strip()]
    labelled = sum(len(KEY_VALUE.findall(line)) >= 2 for line in lines)
    table = None if labelled >= len(lines) / 2 else _csv_table(text)
    if table is not None:
        return ParsedLeak("csv", table)
    return ParsedLeak("text", _text_rows(text))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _json_records(text: str) -> list[Any] | None:
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return [json.loads(line) for line in lines]
        except json.JSONDecodeError:
            return None
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        return lists[0] if lists else [value]
    return value if isinstance(value, list) else None


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str | None, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, str(key))
    elif isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            yield (prefix or None), "; ".join(str(v) for v in value)
        else:
            for inner in value:
                yield from _flatten(inner, prefix)
    elif value is not None:
        yield (prefix or None), str(value)


def _rows_from_records(records: list[Any]) -> list[LeakRow]:
    rows = []
    for n, record in enumerate(records[:MAX_ROWS], start=1):
        cells = list(_flatten(record))
        rows.append(_row(n, [(header_field(k) if k else None, v) for k, v in cells]))
    return [r for r in rows if not r.empty]


def _csv_table(text: str) -> list[LeakRow] | None:
    lines = [line for line in text.splitlines() if line.strip()]
    table = _best_split(lines)
    if table is None:
        return None
    widths = [len(r) for r in table[:50]]
    fields = [header_field(c) for c in table[0]]
    has_header = sum(f is not None for f in fields) >= max(1, len(fields) // 3) and not any(
        PHONE_RE.search(c) or YEAR_RE.fullmatch(c.strip()) for c in table[0]
    )
    body = table[1:] if has_header else table
    hints = fields if has_header else [None] * max(widths)
    rows = []
    for n, cells in enumerate(body[:MAX_ROWS], start=2 if has_header else 1):
        labelled = [(hints[i] if i < len(hints) else None, c) for i, c in enumerate(cells)]
        rows.append(_row(n, labelled))
    return [r for r in rows if not r.empty]


def _best_split(lines: list[str]) -> list[list[str]] | None:
    """The lines split by the delimiter that gives the most regular table (the sniffer of the
    standard library is fooled by commas inside addresses), or None if none gives a table."""
    best: tuple[float, int, list[list[str]]] | None = None
    head = lines[:50]
    for delimiter in (",", ";", "\t", "|"):
        rows = list(csv.reader(io.StringIO("\n".join(head)), delimiter=delimiter))
        widths = [len(r) for r in rows]
        if not widths or max(widths) < 2:
            continue
        mode = max(set(widths), key=widths.count)
        regular = widths.count(mode) / len(widths)
        if regular >= 0.8 and mode >= 2 and (best is None or (regular, mode) > best[:2]):
            best = (regular, mode, rows)
    if best is None:
        return None
    delimiter = next(
        d
        for d in (",", ";", "\t", "|")
        if list(csv.reader(io.StringIO("\n".join(head)), delimiter=d)) == best[2]
    )
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))


def _text_rows(text: str) -> list[LeakRow]:
    rows = []
    for n, line in enumerate(text.splitlines()[:MAX_ROWS], start=1):
        if not line.strip():
            continue
        cells: list[tuple[str | None, str]] = []
        parts = KEY_VALUE.split(line)
        if len(parts) >= 3:  # "Name: X  Mobile: Y": labels and values alternate
            if parts[0].strip(" |,;\t"):
                cells.append((None, parts[0]))
            for key, value in zip(parts[1::2], parts[2::2], strict=False):
                cells.append((header_field(key), value.strip(" |,;\t")))
        else:
            cells = [(None, c) for c in re.split(r"\s*[|\t;]\s*|\s{2,}|,\s*", line) if c.strip()]
        rows.append(_row(n, cells))
    return [r for r in rows if not r.empty]


def _row(line: int, cells: list[tuple[str | None, str]]) -> LeakRow:
    row = LeakRow(line=line)
    for hint, raw in cells:
        # Unlabelled text spaced into fields ("1981  Ravi Kommu  H.No. 1-2") is several values.
        parts = re.split(r"\s{2,}|\t", raw) if hint is None else [raw]
        for part in parts:
            value = " ".join(part.split())[:MAX_CELL].strip(" '\"")
            if value and value.lower() not in {"[masked]", "null", "none", "na", "n/a", "-"}:
                _take(row, hint, value)
    return row


def _codes(value: str) -> list[str]:
    """The value, and each of its words, as a possible number of record: letters and digits,
    at least five, with a digit among them."""
    found = []
    for part in [value, *value.split()]:
        code = re.sub(r"[^0-9A-Z]", "", part.upper())
        if len(code) >= 5 and any(ch.isdigit() for ch in code) and code not in found:
            found.append(code)
    return found


def _take(row: LeakRow, hint: str | None, value: str) -> None:
    """File one value under what it is: the header's word when there is one and the value
    fits it, else what the value looks like."""
    row.codes += _codes(value)
    ids = ID_RE.findall(value)
    if ids:
        row.ids += [i.lower() for i in ids]
        value = ID_RE.sub(" ", value).strip()
        if not value:
            return
    phones = [normalise_phone(p) for p in PHONE_RE.findall(value)]
    phones = [p for p in phones if len(p) == 10]
    if phones and hint in (None, "phone"):
        row.phones += phones
        value = PHONE_RE.sub(" ", value).strip(" ,;|")
        if not value:
            return
    if hint == "age" and value.isdigit():
        return  # an age dates nothing without the date of the leak
    year = YEAR_RE.search(value)
    if year and (hint == "birth_year" or (hint is None and len(value) <= 10)):
        row.birth_year = int(year.group(1))
        return
    if year and hint is None and row.birth_year is None:
        row.birth_year = int(year.group(1))  # a year inside free text
        value = YEAR_RE.sub(" ", value, count=1).strip()
    if hint == "sex" or (hint is None and value.lower() in SEXES):
        row.sex = SEXES.get(value.lower(), row.sex)
        return
    if hint == "station_code":
        row.station = value
        return
    if hint in ("address", "id", "birth_year", "phone", "other") or ADDRESS_RE.search(value):
        return  # nothing more to learn from it
    if value.lower() in NOT_NAMES:
        return
    if TELUGU_RE.search(value):
        row.name_te = row.name_te or value
        return
    if hint == "aliases":
        row.aliases += [a.strip() for a in re.split(r"[;,/]", value) if a.strip()]
    elif hint in ("name", "father_name"):
        setattr(row, hint, value)
    elif NAME_CHARS.match(value) and len(value) <= 80:
        row.names += _name_runs(value)
    elif hint is None:
        # Free text: the runs of words between numbers are names (or places; the matcher
        # finds out which).
        runs = re.split(r"[^A-Za-z .']+|\s{2,}", value)
        row.names += [" ".join(run.split()) for run in runs if _namelike(run)]


def _namelike(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 2 and bool(NAME_CHARS.match(text.strip()))


def _name_runs(value: str) -> list[str]:
    runs = (" ".join(run.split()).strip(" .") for run in re.split(r"\s{2,}", value))
    return [run for run in runs if _namelike(run)]

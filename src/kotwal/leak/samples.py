"""Synthetic leaked samples, made the way criminals post them, for testing the trace.

Given rows a copy really held (dicts in the export's column names), :func:`leaked_sample` picks
some, keeps a few columns in a shuffled order under header words of its own, changes case, cuts
names short or to initials, reformats phone numbers, alters some values, and writes CSV (any
delimiter, header or not), JSON (a list or one object per line) or text lines. Used by the
tests and by ``bench/leak.py``; nothing here touches a database.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from typing import Any

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "ACCUSED", "full_name", "Person Name", "name"),
    "father_name": ("Father", "S/O", "father name", "Fathers Name"),
    "phone": ("Mobile", "phone_no", "Contact", "MOBILE NUMBER", "phone"),
    "birth_year": ("YOB", "Birth Year", "born"),
    "sex": ("Gender", "sex"),
    "station_code": ("PS", "Station"),
    "address": ("Address", "R/O"),
    "category": ("Category", "type"),
}
#: Columns a sample may carry; it always keeps a name or a phone, or it would trace nothing.
COLUMNS = tuple(HEADERS)


def _phone(rng: random.Random, digits: str) -> str:
    d = "".join(ch for ch in digits if ch.isdigit())[-10:]
    if len(d) != 10:
        return digits
    return rng.choice(
        [
            d,
            f"+91 {d[:5]} {d[5:]}",
            f"0{d}",
            f"{d[:5]}-{d[5:]}",
            f"+91-{d}",
            f"{d[:3]} {d[3:6]} {d[6:]}",
            f"91{d}",
        ]
    )


def _case(rng: random.Random, text: str) -> str:
    return rng.choice([text, text.upper(), text.lower(), text.title()])


def _name(rng: random.Random, text: str) -> str:
    words = text.split()
    roll = rng.random()
    if roll < 0.25 and len(words[-1]) > 5:  # cut short, as a column width does
        words[-1] = words[-1][: rng.randint(4, len(words[-1]) - 1)]
    elif roll < 0.4 and len(words) > 1:  # the first word to an initial
        words[0] = words[0][0] + "."
    elif roll < 0.55 and len(words) > 1:  # the other order
        words = words[1:] + words[:1]
    return _case(rng, " ".join(words))


def _value(rng: random.Random, column: str, row: dict[str, Any]) -> str:
    value = str(row.get(column) or "")
    if not value or value == "[masked]":
        return ""
    if column in ("name", "father_name"):
        return _name(rng, value)
    if column == "phone":
        if rng.random() < 0.05:  # a changed digit: the phone no longer matches anything
            value = value[:-1] + str((int(value[-1]) + 1) % 10)
        return _phone(rng, value)
    if column == "birth_year" and value.isdigit() and rng.random() < 0.1:
        return str(int(value) + rng.choice([-1, 1]))
    return _case(rng, value)


def leaked_sample(
    rows: Sequence[dict[str, Any]], rng: random.Random, *, size: int = 20
) -> tuple[bytes, str]:
    """``size`` of ``rows``, reformatted as a leak would be; returns the bytes and the format."""
    chosen = rng.sample(list(rows), min(size, len(rows)))
    columns = [c for c in COLUMNS if c in ("name", "phone") or rng.random() < 0.55]
    if rng.random() < 0.3:  # some leaks carry only names, some only phones
        columns.remove(rng.choice(["name", "phone"]))
    rng.shuffle(columns)
    headers = {c: rng.choice(HEADERS[c]) for c in columns}
    records = [{headers[c]: _value(rng, c, r) for c in columns} for r in chosen]
    style = rng.choice(["csv", "csv-noheader", "json", "jsonl", "text", "text-labels"])
    if style.startswith("csv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=rng.choice([",", ";", "|", "\t"]))
        if style == "csv":
            writer.writerow(headers[c] for c in columns)
        for record in records:
            writer.writerow(record.values())
        return out.getvalue().encode(), style
    if style == "json":
        return json.dumps(records, ensure_ascii=False, indent=1).encode(), style
    if style == "jsonl":
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(), style
    if style == "text":
        lines = ["  ".join(v for v in r.values() if v) for r in records]
    else:
        lines = [" | ".join(f"{k}: {v}" for k, v in r.items() if v) for r in records]
    return "\n".join(lines).encode(), style

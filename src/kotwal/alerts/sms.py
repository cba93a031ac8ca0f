"""How a text travels by SMS: which alphabet carries it and how many parts it takes.

A text made only of characters of the GSM 03.38 default alphabet (and its extension table) is
sent as GSM-7: 160 septets in one message, 153 per part once it is split (the concatenation
header takes the rest). The extension table's characters (``^ { } \\ [ ~ ] |``, the euro sign
and form feed) are sent as an escape and the character, so they count twice, and a part never
ends between the two. Any other character (Telugu, a curly quote, the rupee sign) makes the
whole text UCS-2: 70 UTF-16 code units in one message, 67 per part; a character outside the
Basic Multilingual Plane takes two units, which are never split between parts either.

The part count is shown before an alert is approved (the approver sees what it will cost and
how it will arrive), so it is computed here exactly, part by part, not by dividing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Encoding(enum.StrEnum):
    """The alphabet a text is sent in."""

    GSM7 = "gsm-7"
    UCS2 = "ucs-2"


#: GSM 03.38 default alphabet, in table order (0x1B, the escape, is left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: each is sent as escape + character, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

#: (one message, per part when split) for each encoding, in septets or UTF-16 code units.
LIMITS: dict[Encoding, tuple[int, int]] = {
    Encoding.GSM7: (160, 153),
    Encoding.UCS2: (70, 67),
}


@dataclass(frozen=True)
class Shape:
    """What a text costs as SMS: its encoding, its length in the encoding's units, its parts,
    and the room left in the last part (for the console's counter)."""

    encoding: Encoding
    characters: int
    units: int
    parts: int
    per_part: int
    room_left: int


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the default alphabet or its extension, else UCS-2."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def unit_costs(text: str, encoding: Encoding) -> list[int]:
    """What each character costs in the encoding's units (septets, or UTF-16 code units)."""
    if encoding is Encoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def split_units(costs: list[int], per_part: int) -> list[int]:
    """The units in each part when characters of ``costs`` fill parts of ``per_part`` units in
    order, none split between two parts."""
    parts: list[int] = []
    filled = 0
    for cost in costs:
        if filled + cost > per_part:
            parts.append(filled)
            filled = 0
        filled += cost
    parts.append(filled)
    return parts


def shape(text: str) -> Shape:
    """How ``text`` is sent: encoding, units, parts (an empty text is one empty message)."""
    encoding = encoding_of(text)
    single, per_part = LIMITS[encoding]
    costs = unit_costs(text, encoding)
    units = sum(costs)
    if units <= single:
        return Shape(encoding, len(text), units, 1, single, single - units)
    parts = split_units(costs, per_part)
    return Shape(encoding, len(text), units, len(parts), per_part, per_part - parts[-1])

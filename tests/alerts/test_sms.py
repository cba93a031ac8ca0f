"""How many parts a message takes, in which alphabet: GSM-7 for Latin text (160 in one
message, 153 per part; the extension table counts twice and is never split), UCS-2 for Telugu
(70 in one message, 67 per part)."""

from __future__ import annotations

import pytest

from kotwal.alerts.sms import Encoding, encoding_of, shape

#: A Telugu line from a police advisory; its length in code points is what UCS-2 counts.
TELUGU = "భారీ వర్షాల కారణంగా లోతట్టు ప్రాంతాలకు వెళ్లవద్దు. "


def telugu(n: int) -> str:
    """Exactly ``n`` UTF-16 units of Telugu text."""
    text = TELUGU * (n // len(TELUGU) + 1)
    return text[:n]


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_latin_text_is_gsm7_160_in_one_message_and_153_per_part(length: int, parts: int) -> None:
    got = shape("a" * length)
    assert (got.encoding, got.units, got.parts) == (Encoding.GSM7, length, parts)


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3)])
def test_telugu_text_is_ucs2_70_in_one_message_and_67_per_part(length: int, parts: int) -> None:
    text = telugu(length)
    got = shape(text)
    assert (got.encoding, got.units, got.parts) == (Encoding.UCS2, length, parts)


def test_extension_characters_count_twice() -> None:
    assert shape("€" * 80).units == 160 and shape("€" * 80).parts == 1
    assert shape("a" * 159 + "[").parts == 2
    assert shape("{}[]~|^\\").units == 16


def test_an_escaped_character_is_never_split_between_parts() -> None:
    # 152 septets, then "[" (two) would end part one at 154 > 153: it opens part two.
    text = "a" * 152 + "[" + "b" * 152
    got = shape(text)
    assert got.units == 306
    assert got.parts == 3  # 152 | 2 + 151 | 1, where dividing 306 by 153 would say 2


def test_a_character_outside_the_gsm_alphabet_makes_the_whole_text_ucs2() -> None:
    for odd in ("₹", "\u2019", "\u201c", "\u2014", "త"):  # rupee, curly quotes, dash, Telugu
        assert encoding_of(f"Fine of Rs 500{odd} payable") is Encoding.UCS2, odd
    assert shape("a" * 69 + "₹").parts == 1
    assert shape("a" * 70 + "₹").parts == 2


def test_latin_accents_and_line_ends_of_the_gsm_alphabet_stay_gsm7() -> None:
    assert encoding_of("Café Ñoño Å\nÉ@£$¥§¿¡ù") is Encoding.GSM7
    assert encoding_of("Ñandú") is Encoding.UCS2  # ù is in the alphabet, ú is not


def test_a_character_beyond_the_basic_plane_takes_two_units_and_is_not_split() -> None:
    got = shape("అ" * 66 + "🚨" + "అ")
    assert got.encoding is Encoding.UCS2 and got.units == 69 and got.parts == 1
    split = shape("అ" * 66 + "🚨" + "అ" * 10)
    assert split.units == 78 and split.parts == 2  # 66 | 2 + 10: the pair moves whole


def test_room_left_in_the_last_part() -> None:
    assert shape("a" * 150).room_left == 10
    assert shape("a" * 200).room_left == 153 - 47
    assert shape(telugu(60)).room_left == 10


def test_an_empty_text_is_one_empty_message() -> None:
    got = shape("")
    assert (got.encoding, got.units, got.parts, got.characters) == (Encoding.GSM7, 0, 1, 0)

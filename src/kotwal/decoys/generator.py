"""Made-up persons that look like the real records around them.

A decoy must be indistinguishable from a record at a glance (a Telugu, Urdu or other Indian
name in the usual orders, a father's name, a birth year, a mobile number, a house number in a
colony) and must not be any real person. Names are drawn from common given names and surnames
in combinations, so a decoy's name may well belong to someone somewhere; what makes a decoy
recognisable in a leak is the whole of it (name with father's name, birth year and phone), and
the register keeps that whole.

Phones: a real deployment should give decoys numbers it controls (SIMs it holds), so that no
stranger's number is planted; ``phone_prefix`` takes that range. Without one, numbers are
random Indian mobile numbers, and the register's uniqueness check keeps them distinct.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

GIVEN_MALE = [
    "Srinivas",
    "Ramesh",
    "Suresh",
    "Mahesh",
    "Naresh",
    "Venkatesh",
    "Anil",
    "Sunil",
    "Kiran",
    "Prasad",
    "Raju",
    "Krishna",
    "Rajesh",
    "Srikanth",
    "Praveen",
    "Imran",
    "Yousuf",
    "Ravi Teja",
    "Nagaraju",
    "Sambaiah",
    "Yadagiri",
    "Mallesh",
    "Ramulu",
    "Shankar",
    "Balakrishna",
    "Gopal",
    "Harish",
    "Vamshi",
    "Sandeep",
    "Prashanth",
    "Chandrashekar",
    "Narsimha",
    "Anjaiah",
    "Saidulu",
    "Feroz",
    "Azeem",
    "Sameer",
    "Rafiq",
    "Jagadish",
    "Madhusudhan",
    "Upender",
    "Bhaskar",
    "Tirupathi",
    "Santosh",
    "Vinod",
    "Sathish",
    "Durga Prasad",
    "Sai Kumar",
    "Ravinder",
]
GIVEN_FEMALE = [
    "Lakshmi",
    "Sravani",
    "Swapna",
    "Madhavi",
    "Padma",
    "Salma",
    "Sunitha",
    "Anusha",
    "Bhavani",
    "Renuka",
    "Shirisha",
    "Manjula",
    "Kavitha",
    "Rajitha",
    "Nasreen",
    "Yasmeen",
    "Sujatha",
]
SURNAMES = [
    "Kommu",
    "Bandi",
    "Gollapudi",
    "Reddy",
    "Naidu",
    "Goud",
    "Yadav",
    "Chary",
    "Varma",
    "Pasupuleti",
    "Kandula",
    "Boddu",
    "Mekala",
    "Peddi",
    "Thota",
    "Chinthala",
    "Shaik",
    "Mohammed",
    "Gundeti",
    "Jakkula",
    "Burra",
    "Ponnam",
    "Dasari",
    "Kethavath",
    "Banoth",
    "Mudavath",
    "Erukala",
    "Madishetti",
    "Kasturi",
    "Vemula",
    "Nalla",
    "Pulla",
    "Allam",
    "Syed",
    "Gajula",
    "Rapolu",
    "Sirikonda",
    "Akula",
    "Edla",
    "Guguloth",
]
NICKNAMES = [
    "Chinna",
    "Pedda",
    "Bujji",
    "Chotu",
    "Kittu",
    "Pandu",
    "Tillu",
    "Munna",
    "Babu",
    "Raja",
    "Pappu",
    "Guddu",
]
MARKS = [
    "mole on left cheek",
    "scar above right eye",
    "tattoo of a trident on right forearm",
    "cut mark on chin",
    "burn mark on left hand",
    "mole near right ear",
    None,
    None,
    None,
    None,
]
COLONIES = [
    "Vinayak Nagar",
    "Indira Nagar",
    "Gandhi Nagar",
    "Shivaji Nagar",
    "Ambedkar Colony",
    "Ramnagar",
    "Balaji Nagar",
    "Sai Nagar",
    "Laxmi Nagar",
    "Teachers Colony",
    "Bhagat Singh Nagar",
    "Hanuman Basti",
    "Ganesh Nagar",
    "Srinivasa Colony",
]
#: The records schema's categories and statuses, weighted as real records run.
CATEGORIES = (
    ["offender"] * 70 + ["suspect"] * 20 + ["missing_person"] * 6 + ["unidentified_body"] * 4
)
STATUSES = (
    ["active"] * 70 + ["absconding"] * 8 + ["in_custody"] * 12 + ["deceased"] * 4 + ["traced"] * 6
)


@dataclass(frozen=True)
class FakePerson:
    """A made-up person record, in the importer's terms (``station_code`` by code)."""

    name: str
    father_name: str
    aliases: tuple[str, ...]
    sex: str
    birth_year: int
    marks: str | None
    category: str
    status: str
    phone: str
    address: str

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        return data


def fake_phone(rng: random.Random, prefix: str | None = None) -> str:
    """A ten-digit Indian mobile number, starting with ``prefix`` when one is given."""
    head = prefix if prefix else str(rng.choice("6789"))
    return head + "".join(str(rng.randrange(10)) for _ in range(10 - len(head)))


def fake_person(rng: random.Random, *, phone_prefix: str | None = None) -> FakePerson:
    """One made-up person; the same ``rng`` state gives the same person."""
    female = rng.random() < 0.15
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    surname = rng.choice(SURNAMES)
    father = rng.choice(GIVEN_MALE)
    # Telugu usage puts the family name first; records hold both orders.
    name = f"{surname} {given}" if rng.random() < 0.6 else f"{given} {surname}"
    aliases: list[str] = []
    if rng.random() < 0.3:
        aliases.append(rng.choice(NICKNAMES))
    address = (
        f"H.No. {rng.randint(1, 20)}-{rng.randint(1, 300)}"
        f"{'/' + str(rng.randint(1, 9)) if rng.random() < 0.3 else ''}, "
        f"{rng.choice(COLONIES)}"
    )
    return FakePerson(
        name=name,
        father_name=f"{father} {surname}",
        aliases=tuple(aliases),
        sex="female" if female else "male",
        birth_year=rng.randint(1960, 2005),
        marks=rng.choice(MARKS),
        category=rng.choice(CATEGORIES),
        status=rng.choice(STATUSES),
        phone=fake_phone(rng, phone_prefix),
        address=address,
    )

"""Matching leaked rows to records and to decoys.

Each row is compared with candidates found three ways: by record id, by phone (through the
phone's blind index, so no phone is decrypted) and by the phonetic keys of its names (those of
whole names and of single words, so that a truncated name still finds its record). A candidate's
score is the weighted share of the row's evidence it agrees with: a phone, the name (fuzzy and
phonetic, with truncation and initials allowed), the father's name, the birth year, the sex and
the station. Evidence the row does not carry is not held against anyone; a phone that matches
nothing anywhere is taken for a changed value and left out.

Decoys are candidates too: the register's made-up values, for the decoys of every copy, even
those (exports, backups) that exist only in their copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kotwal.core.crypto import blind_index, normalise_phone
from kotwal.core.keys import KeyRing
from kotwal.core.policy import Jurisdiction
from kotwal.leak.parser import LeakRow
from kotwal.records import names
from kotwal.records.models import Person, PersonAlias, PersonNameKey
from kotwal.records.service import PHONE_DOMAIN

W_PHONE, W_NAME, W_FATHER, W_YEAR, W_SEX, W_STATION = 0.6, 0.3, 0.15, 0.08, 0.03, 0.04
#: A row is taken to be a record from this score up; a decoy needs more (it names a copy).
MATCH_AT = 0.7
DECOY_AT = 0.8
#: Scores this close to the best are ties: the row cannot tell those records apart.
TIE = 0.02
CANDIDATES_MAX = 5000


@dataclass(frozen=True)
class Profile:
    """A record or a decoy as the matcher compares it."""

    key: str
    record_id: str
    name: str
    other_names: tuple[str, ...] = ()
    father_name: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    station: str | None = None
    phone_keys: frozenset[str] = frozenset()
    #: The register's entry when this is a decoy (copy_id, copy_kind, decoy_id, ...).
    decoy: dict[str, Any] | None = None


@dataclass
class RowMatch:
    """What one leaked row was found to be."""

    line: int
    record_id: str | None = None
    score: float = 0.0
    ties: int = 0
    basis: list[str] = field(default_factory=list)
    decoy: dict[str, Any] | None = None
    #: Every record scoring as a tie with the best (a name alone may fit several).
    tied_ids: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.record_id is not None


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z]+", text.lower()) if t]


def prefix_similarity(leaked: str, known: str) -> float:
    """How well ``leaked`` fits ``known`` when words were cut short or reduced to initials
    ("KOMMU SRINIV", "K. Srinivas"), in any order."""
    a, b = _tokens(leaked), _tokens(known)
    if not a or not b:
        return 0.0
    used: set[int] = set()
    total = 0.0
    for word in a:
        best, at = 0.0, None
        for i, other in enumerate(b):
            if i in used:
                continue
            if word == other:
                s = 1.0
            elif len(word) >= 3 and other.startswith(word):
                s = 0.92
            elif len(word) == 1 and other.startswith(word):
                s = 0.6
            else:
                s = 0.0
            if s > best:
                best, at = s, i
        if at is not None:
            used.add(at)
        total += best
    return (total / len(a)) * (0.7 + 0.3 * len(used) / len(b))


def name_similarity(leaked: str, known: str) -> float:
    """The better of the records' fuzzy and phonetic name score and the truncation score."""
    return max(names.score(leaked, known).score, prefix_similarity(leaked, known))


def _best_name(cells: Sequence[str], profile: Profile) -> tuple[float, str | None]:
    best, used = 0.0, None
    for cell in cells:
        for known in (profile.name, *profile.other_names):
            s = name_similarity(cell, known)
            if s > best:
                best, used = s, cell
    return best, used


def score(row: LeakRow, profile: Profile, phone_keys: frozenset[str]) -> tuple[float, list[str]]:
    """The share of the row's evidence ``profile`` agrees with, and which evidence it was.
    ``phone_keys`` are the blind indexes of the row's phones that match anything at all."""
    if profile.record_id in row.ids:
        return 1.0, ["record id"]
    num = den = 0.0
    basis: list[str] = []
    if phone_keys:
        den += W_PHONE
        if phone_keys & profile.phone_keys:
            num += W_PHONE
            basis.append("phone")
    cells = [row.name] if row.name else list(row.names)
    name_sim, used = _best_name(cells, profile) if cells else (0.0, None)
    if cells:
        den += W_NAME
        if name_sim >= 0.5:
            num += W_NAME * name_sim
            basis.append(f"name {name_sim:.2f}")
    if profile.father_name:
        if row.father_name:
            den += W_FATHER
            sim = name_similarity(row.father_name, profile.father_name)
            num += W_FATHER * sim
            basis.append(f"father {sim:.2f}")
        else:
            # An unlabelled second name counts only for: it may be a place or anything else.
            others = [c for c in row.names if c != used]
            sim = max((name_similarity(c, profile.father_name) for c in others), default=0.0)
            if sim >= 0.7:
                den += W_FATHER
                num += W_FATHER * sim
                basis.append(f"father {sim:.2f}")
    if row.birth_year and profile.birth_year:
        den += W_YEAR
        gap = abs(row.birth_year - profile.birth_year)
        num += W_YEAR * (1.0 if gap == 0 else 0.5 if gap == 1 else 0.0)
        if gap <= 1:
            basis.append("birth year")
    if row.sex and profile.sex:
        den += W_SEX
        num += W_SEX * (row.sex == profile.sex)
    if row.station and profile.station:
        den += W_STATION
        num += W_STATION * (row.station.strip().upper() == profile.station.upper())
    return (num / den if den else 0.0), basis


class Matcher:
    """Matches rows against this database's persons and the register's decoys."""

    def __init__(self, session: Session, keyring: KeyRing, decoys: Iterable[dict[str, Any]]):
        self.session = session
        self.keyring = keyring
        self.decoys = [_decoy_profile(keyring, d) for d in decoys if d["resource_type"] == "person"]
        self.decoy_ids = {p.record_id: p for p in self.decoys}
        self._decoy_keys = {p.key: _name_keys([p.name, *p.other_names]) for p in self.decoys}

    def phone_key(self, phone: str) -> str:
        return blind_index(self.keyring, PHONE_DOMAIN, normalise_phone(phone))

    def match(self, rows: Sequence[LeakRow]) -> list[RowMatch]:
        """The best record or decoy for each row (unmatched rows come back unmatched)."""
        wanted = {id(r): self._candidate_ids(r) for r in rows}
        profiles = self._profiles({i for ids in wanted.values() for i in ids})
        out = []
        for row in rows:
            keys = frozenset(self.phone_key(p) for p in row.phones)
            candidates = [profiles[i] for i in wanted[id(row)] if i in profiles]
            row_keys = _name_keys([c for c in (row.name, *row.names, *row.aliases) if c])
            candidates += [
                d
                for d in self.decoys
                if d.record_id in row.ids
                or keys & d.phone_keys
                or row_keys & self._decoy_keys[d.key]
            ]
            out.append(self._best(row, candidates, keys))
        return out

    def _best(self, row: LeakRow, candidates: list[Profile], keys: frozenset[str]) -> RowMatch:
        live = frozenset(k for k in keys if any(k in c.phone_keys for c in candidates))
        scored = sorted(
            ((*score(row, c, live), c) for c in candidates), key=lambda t: (-t[0], t[2].key)
        )
        if not scored or scored[0][0] < MATCH_AT:
            return RowMatch(line=row.line, score=scored[0][0] if scored else 0.0)
        best, basis, top = scored[0]
        tied = list(dict.fromkeys(c.record_id for s, _, c in scored if s >= best - TIE))
        decoy = top.decoy
        if decoy is None and top.record_id in self.decoy_ids:  # a decoy held in this database
            decoy = self.decoy_ids[top.record_id].decoy
        if decoy is not None and (best < DECOY_AT or len(tied) > 1 or not _decisive(basis)):
            decoy = None  # too weak (or too ambiguous) to name a copy on
        return RowMatch(
            line=row.line,
            record_id=top.record_id,
            score=round(best, 3),
            ties=len(tied),
            basis=basis,
            decoy=decoy,
            tied_ids=tied,
        )

    def _candidate_ids(self, row: LeakRow) -> list[str]:
        found: list[str] = []
        if row.ids:
            stmt = select(Person.id).where(Person.id.in_(row.ids))
            found += list(self.session.execute(stmt).scalars())
        if row.phones:
            keys = sorted({self.phone_key(p) for p in row.phones})
            stmt = select(Person.id).where(Person.phone_bidx.in_(keys)).limit(100)
            found += list(self.session.execute(stmt).scalars())
        keys_ = _name_keys([c for c in (row.name, *row.names, *row.aliases) if c])
        if keys_:
            stmt = (
                select(PersonNameKey.person_id)
                .where(PersonNameKey.key.in_(sorted(keys_)))
                .distinct()
                .limit(CANDIDATES_MAX)
            )
            found += list(self.session.execute(stmt).scalars())
        return list(dict.fromkeys(found))

    def _profiles(self, ids: set[str]) -> dict[str, Profile]:
        profiles: dict[str, Profile] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            aliases: dict[str, list[str]] = {}
            stmt = select(PersonAlias.person_id, PersonAlias.name).where(
                PersonAlias.person_id.in_(chunk)
            )
            for person_id, alias in self.session.execute(stmt):
                aliases.setdefault(person_id, []).append(alias)
            rows = self.session.execute(
                select(
                    Person.id,
                    Person.name,
                    Person.name_te,
                    Person.father_name,
                    Person.birth_year,
                    Person.sex,
                    Jurisdiction.code,
                    Person.phone_bidx,
                )
                .join(Jurisdiction, Jurisdiction.id == Person.station_id)
                .where(Person.id.in_(chunk))
            )
            for pid, name, name_te, father, year, sex, code, bidx in rows:
                others = tuple(a for a in (*aliases.get(pid, []), name_te) if a)
                profiles[pid] = Profile(
                    key=pid,
                    record_id=pid,
                    name=name,
                    other_names=others,
                    father_name=father,
                    birth_year=year,
                    sex=sex,
                    station=code,
                    phone_keys=frozenset({bidx}) if bidx else frozenset(),
                )
        return profiles


def _decisive(basis: list[str]) -> bool:
    """Whether the evidence could not fit a real person by chance: a phone or an id, or the
    name with the father's name and the birth year (a name alone is common enough)."""
    if "phone" in basis or "record id" in basis:
        return True
    sims = {
        word: float(value)
        for word, _, value in (b.partition(" ") for b in basis)
        if value.replace(".", "", 1).isdigit()
    }
    return sims.get("name", 0) >= 0.9 and sims.get("father", 0) >= 0.85 and "birth year" in basis


def _name_keys(cells: Sequence[str]) -> frozenset[str]:
    """Phonetic keys of whole names and of their single words (a cut name keeps its other
    words' keys)."""
    keys: set[str] = set()
    for cell in cells:
        keys |= names.name_keys(cell)
        for word in _tokens(cell):
            if len(word) >= 3:
                keys |= names.name_keys(word)
    return frozenset(keys)


def _decoy_profile(keyring: KeyRing, entry: dict[str, Any]) -> Profile:
    phone = entry.get("phone")
    return Profile(
        key=f"decoy:{entry['decoy_id']}",
        record_id=str(entry["record_id"]),
        name=str(entry.get("name", "")),
        other_names=tuple(entry.get("aliases") or ()),
        father_name=entry.get("father_name"),
        birth_year=entry.get("birth_year"),
        sex=entry.get("sex"),
        station=entry.get("station_code"),
        phone_keys=frozenset({blind_index(keyring, PHONE_DOMAIN, normalise_phone(str(phone)))})
        if phone
        else frozenset(),
        decoy=entry,
    )

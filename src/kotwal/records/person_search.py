"""Finding persons: by phone number (exact, through the blind index) and by name (phonetic
keys narrow the candidates, similarity ranks them); every search is audited, hits or not."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Subquery, bindparam, func, select, union_all
from sqlalchemy.sql import Executable

from kotwal.core.audit import Outcome, actor_event
from kotwal.core.crypto import blind_index, normalise_phone, open_field
from kotwal.core.errors import Forbidden, InvalidInput
from kotwal.core.gate import clean_purpose, disclose
from kotwal.core.policy import Actor, DataClass
from kotwal.core.uow import UnitOfWork
from kotwal.records import names
from kotwal.records.models import Person, PersonAlias, PersonNameKey
from kotwal.records.permissions import RecordsPermission
from kotwal.records.persons import phone_index

SEARCH_MAX_CANDIDATES = 200

SEARCH_MAX_RESULTS = 50

SEARCH_MAX_KEY_RUN = 2000


def find_by_phone(
    uow: UnitOfWork, actor: Actor, phone: str, purpose: str | None
) -> list[dict[str, Any]]:
    """Exact phone lookup through the blind index; false candidates are removed by opening.

    Only records whose phone the reader could see are matched (inside their jurisdiction with
    enough clearance, or anywhere with a declared purpose): otherwise the search would confirm
    who owns a number to someone not allowed to read it.
    """
    if not actor.can(RecordsPermission.PERSON_READ):
        raise Forbidden()
    if actor.clearance < DataClass.CONFIDENTIAL:
        raise Forbidden("your role cannot see phone numbers, so it cannot search by them")
    wanted = normalise_phone(phone)
    if len(wanted) < 6:
        raise InvalidInput("give at least six digits of the phone number")
    purpose = clean_purpose(purpose)
    if purpose is not None:
        uow.reach_through_gate()  # matches anywhere, through the gate, with a purpose
    candidates = uow.session.execute(
        select(Person).where(Person.phone_bidx == phone_index(uow, phone)).limit(100)
    ).scalars()
    visible = [p for p in candidates if purpose is not None or actor.covers(p.jurisdiction_path)]
    matches = [
        p for p in visible if normalise_phone(str(open_field(uow.session, p, "phone"))) == wanted
    ]
    _searched(uow, actor, "phone", wanted, purpose, len(matches))
    return disclose(uow, actor, purpose, matches, kind="list")


def _searched(
    uow: UnitOfWork,
    actor: Actor,
    kind: str,
    query: str,
    purpose: str | None,
    found: int,
    outside: int = 0,
) -> None:
    """Every search is an event, hits or not, so probing shows in the log. The query is kept
    as a keyed hash: investigators can test a suspected term, a log reader cannot read it."""
    digest = blind_index(uow.runtime.keyring, f"audit.search.{kind}", query.lower(), bits=64)
    uow.audit(
        actor_event(
            actor,
            "records.search",
            Outcome.SUCCESS,
            resource_type="person",
            purpose=purpose,
            detail={"kind": kind, "results": found, "outside": outside, "query_hash": digest},
        )
    )


@dataclass(frozen=True, slots=True)
class _Candidate:
    """What ranking needs of a person: their spellings, where the record is filed, and the
    other evidence a search may give (father's or guardian's name, year of birth)."""

    id: str
    spellings: tuple[str, ...]
    jurisdiction_path: str
    father_name: str | None = None
    birth_year: int | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What else the searching officer knows of the person, to rank the name's matches by.

    It never makes a match of a name that does not match, and it never hides one: it orders
    the matches, and says why (issue 23: a father's name or a year of birth tells two Srinivas
    Reddys apart)."""

    father_name: str | None = None
    birth_year: int | None = None

    def __bool__(self) -> bool:
        return bool(self.father_name) or self.birth_year is not None


# How far the other evidence moves a match: less than the gap between a name that agrees
# exactly and one that agrees only in spelling, more than the ties of a common name.
_FATHER_AGREES = 0.1
_FATHER_DIFFERS = -0.1
_BORN_NEAR = 0.05  # within _BORN_SPREAD years: records estimate ages
_BORN_FAR = -0.05
_BORN_SPREAD = 2


def _candidates(uow: UnitOfWork, query: str) -> list[_Candidate]:
    """About SEARCH_MAX_CANDIDATES persons to score for ``query``, the likeliest first.

    First the persons sharing the query's narrow keys (its pairs of names in either order, its
    joined names), ranked by how many they share; then, while there is room, persons sharing
    one of its broad keys (a single name). So a search for a common given name reads a page of
    the index, not every person who bears the name, and a full name is found among thousands
    who share only its first half. Only the columns that scoring needs are read: the records
    themselves are loaded for the page that is shown.
    """
    narrow, broad = names.name_key_tiers(query)
    if not narrow and not broad:
        raise InvalidInput("give a name of at least two letters")
    found: dict[str, _Candidate] = {}
    if narrow:
        statement = _read_candidates(_sharing_most(len(narrow)))
        found |= _candidates_of(uow, statement, _keys(narrow) | {"room": SEARCH_MAX_CANDIDATES})
    room = SEARCH_MAX_CANDIDATES - len(found)
    if room > 0 and broad:
        statement = _read_candidates(_sharing_any(len(broad)))
        more = _candidates_of(uow, statement, _keys(broad) | {"each": -(-room // len(broad))})
        found |= {i: c for i, c in more.items() if i not in found}
    return list(found.values())


def _keys(keys: frozenset[str]) -> dict[str, str]:
    """Bound parameters key0, key1, ... for the statements below, in a stable order."""
    return {f"key{n}": key for n, key in enumerate(sorted(keys))}


def _key_runs(count: int, limit: BindParameter[int] | int) -> list[Subquery]:
    """For bound keys key0..key{count-1}, the first ``limit`` holders of each in id order."""
    return [
        select(PersonNameKey.person_id)
        .where(PersonNameKey.key == bindparam(f"key{n}"))
        .order_by(PersonNameKey.person_id)
        .limit(limit)
        .subquery()
        for n in range(count)
    ]


# The statements are built once per number of keys, not on each search: building and caching a
# statement of a dozen subqueries took a few milliseconds of every search.
@lru_cache(maxsize=64)
def _sharing_most(count: int) -> Subquery:
    """Persons sharing any of ``count`` bound keys, those sharing the most first (at most the
    bound ``room`` of them).

    A narrow key can still be common (the pair of a compound given name, Sai Kiran, is shared
    by a hundredth of all records), so each key gives at most SEARCH_MAX_KEY_RUN rows, the
    first in id order: ids are random, so that is a fair sample of its holders, and the count
    stays bounded however many hold it. A rare key gives all of its holders."""
    runs = _key_runs(count, SEARCH_MAX_KEY_RUN)
    held = union_all(*(select(run.c.person_id) for run in runs)).subquery()
    shared = func.count().label("shared")
    return (
        select(held.c.person_id, shared)
        .group_by(held.c.person_id)
        # Ids are random, so the tie-break favours no station and no age of record.
        .order_by(shared.desc(), held.c.person_id)
        .limit(bindparam("room"))
        .subquery()
    )


@lru_cache(maxsize=64)
def _sharing_any(count: int) -> Subquery:
    """Persons sharing one of ``count`` bound keys, the bound ``each`` from each key's run of
    the index, so that no run is read further than the room needs (nothing is counted)."""
    runs = _key_runs(count, bindparam("each"))
    return union_all(*(select(run.c.person_id) for run in runs)).subquery()


@lru_cache(maxsize=128)
def _read_candidates(ids: Subquery) -> Executable:
    """Names, aliases and jurisdiction of the persons that ``ids`` selects, in one statement.

    The ids stay inside the database (joined, never sent back as hundreds of parameters)."""
    return (
        select(
            Person.id,
            Person.name,
            Person.name_te,
            Person.jurisdiction_path,
            PersonAlias.name,
            Person.father_name,
            Person.birth_year,
        )
        .join(ids, ids.c.person_id == Person.id)
        .outerjoin(PersonAlias, PersonAlias.person_id == Person.id)
    )


def _candidates_of(
    uow: UnitOfWork,
    statement: Executable,
    params: dict[str, Any],
) -> dict[str, _Candidate]:
    spellings: dict[str, dict[str, None]] = {}
    facts: dict[str, tuple[str, str | None, int | None]] = {}
    rows = uow.session.execute(statement, params)
    for person_id, name, name_te, path, alias, father, born in rows:
        known = spellings.setdefault(person_id, dict.fromkeys(s for s in (name, name_te) if s))
        if alias:
            known[alias] = None
        facts[person_id] = (path, father, born)
    return {i: _Candidate(i, tuple(known), *facts[i]) for i, known in spellings.items()}


def _weighed(evidence: Evidence, candidate: _Candidate) -> tuple[float, list[str]]:
    """How much the other evidence moves a candidate, and the reasons to show for it."""
    shift, reasons = 0.0, []
    if evidence.father_name and candidate.father_name:
        if names.is_match(evidence.father_name, candidate.father_name):
            shift += _FATHER_AGREES
            # The record's values are not quoted: the gate decides what of it the reader sees.
            reasons.append("father's name matches the one given")
        else:
            shift += _FATHER_DIFFERS
            reasons.append("father's name differs from the one given")
    if evidence.birth_year is not None and candidate.birth_year is not None:
        if abs(evidence.birth_year - candidate.birth_year) <= _BORN_SPREAD:
            shift += _BORN_NEAR
            reasons.append(f"year of birth within {_BORN_SPREAD} years of {evidence.birth_year}")
        else:
            shift += _BORN_FAR
            reasons.append(f"year of birth not near {evidence.birth_year}")
    return shift, reasons


def _spellings(query: str, candidate: _Candidate) -> list[str]:
    if len(query.split()) > 1:
        return list(candidate.spellings)
    # A one-word query ("Srinivas") asks for anyone with that name among theirs: compare it
    # with each word of the record's names too, not only with the whole name.
    words = [w for s in candidate.spellings for w in s.split() if len(w) > 1]
    return [*candidate.spellings, *words]


def _ranked(
    actor: Actor,
    query: str,
    candidates: list[_Candidate],
    limit: int,
    evidence: Evidence | None = None,
) -> list[tuple[_Candidate, names.Match]]:
    """The candidates that match, best first, cut to ``limit``. Many persons share a spelling
    (there are only so many ways to write Srinivas), so each spelling is scored once, and the
    reasons are written only for the results kept. The name alone decides what matches; the
    other ``evidence`` (father's name, year of birth) only orders the matches."""
    scores: dict[str, float] = {}
    scored: list[tuple[_Candidate, float, str]] = []
    for candidate in candidates:
        best: tuple[float, str] | None = None
        for spelling in _spellings(query, candidate):
            value = scores.get(spelling)
            if value is None:
                value = scores[spelling] = names.similarity(query, spelling)
            if best is None or value > best[0]:
                best = (value, spelling)
        if best is not None and best[0] >= names.DEFAULT_THRESHOLD:
            scored.append((candidate, *best))
    shifts = {c.id: _weighed(evidence, c) for c, _, _ in scored} if evidence else {}
    # Equal scores: the reader's own jurisdiction first, where they can act on the record.
    scored.sort(
        key=lambda cs: (
            -(cs[1] + shifts.get(cs[0].id, (0.0, []))[0]),
            not actor.covers(cs[0].jurisdiction_path),
            cs[0].id,
        )
    )
    ranked = []
    for candidate, _, spelling in scored[:limit]:
        match = names.score(query, spelling)
        extra = shifts.get(candidate.id, (0.0, []))[1]
        ranked.append((candidate, names.Match(match.score, (*match.reasons, *extra))))
    return ranked


def _persons(uow: UnitOfWork, ids: list[str]) -> list[Person]:
    """The records of ``ids``, in that order."""
    rows = uow.session.execute(select(Person).where(Person.id.in_(ids))).scalars()
    found = {person.id: person for person in rows}
    return [found[i] for i in ids]


@dataclass(frozen=True)
class NameSearch:
    """A name search's answer: the hits the reader may see, best first, and how many more
    match outside their jurisdiction (shown only as a number until a purpose is declared)."""

    hits: list[dict[str, Any]]
    outside: int = 0


def search_by_name(
    uow: UnitOfWork,
    actor: Actor,
    query: str,
    purpose: str | None,
    limit: int = 20,
    evidence: Evidence | None = None,
) -> NameSearch:
    """Persons whose name, Telugu name or alias matches ``query``, best first, through the
    gate. Without a purpose, matches outside the reader's jurisdiction are only counted: a
    masked row with its score confirmed a real person's full name to anyone who typed it
    (issue 18, finding 2), and a count of fuzzy matches does not. ``evidence`` (a father's
    name, a year of birth) orders the matches and adds its reasons; it matches nobody alone."""
    if not actor.can(RecordsPermission.PERSON_READ):
        raise Forbidden()
    query = " ".join(query.split())
    if not 2 <= len(query) <= 100:
        raise InvalidInput("a name to search is 2-100 characters")
    purpose = clean_purpose(purpose)
    # Matches outside are counted (without a purpose) or shown through the gate (with one).
    uow.reach_through_gate()
    if evidence is not None and evidence.father_name is not None:
        father = " ".join(evidence.father_name.split())
        if len(father) > 100:
            raise InvalidInput("a father's name to rank by is at most 100 characters")
        evidence = Evidence(father or None, evidence.birth_year)
    ranked = _ranked(actor, query, _candidates(uow, query), SEARCH_MAX_RESULTS, evidence)
    if purpose is None:
        inside = [h for h in ranked if actor.covers(h[0].jurisdiction_path)]
        outside = len(ranked) - len(inside)
    else:
        inside, outside = ranked, 0
    hits = inside[: min(limit, SEARCH_MAX_RESULTS)]
    _searched(uow, actor, "name", query, purpose, len(hits), outside)
    shown = disclose(uow, actor, purpose, _persons(uow, [c.id for c, _ in hits]), kind="list")
    return NameSearch(
        [
            {"person": record, "score": round(match.score, 3), "reasons": list(match.reasons)}
            for record, (_, match) in zip(shown, hits, strict=True)
        ],
        outside,
    )

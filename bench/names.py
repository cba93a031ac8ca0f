"""Name matching benchmark: quality on the labelled pairs and speed of scoring and keying.

For each labelled file under tests/records/ (name_pairs.csv, used while tuning, and
name_pairs_holdout.csv, never tuned against) it prints precision and recall of ``is_match`` at
``DEFAULT_THRESHOLD`` and the key recall: the share of matching pairs whose names share at least
one ``name_keys`` key, i.e. the share the search service can fetch at all.

Speed, on one core, three ways:

- *cold pairs/s*: every labelled pair scored with all of the module's caches emptied first, so
  every name is parsed and every token compared afresh (the worst case);
- *search pairs/s*: each distinct name of the files used as a query against every other distinct
  name, bypassing the cache of whole-pair scores but keeping the per-name and per-token caches
  warm, as when the search service ranks many candidates for one query;
- *keys/s*: names keyed per second with the caches emptied.


The outside list (tests/records/name_corpus/pairs.tsv.gz: real spellings from public
transliteration corpora and name lexicons, see SOURCES.md there) is measured too, each of its
tuning and held-out parts apart:

- *pairs*: precision and recall of ``is_match`` at ``DEFAULT_THRESHOLD`` per source and kind
  (``script``: Telugu script against Latin; ``latin``: two Latin spellings; ``multi``: two-token
  names in either order, with initials), the *key recall* (the share of the true pairs whose
  names share an index key: ``name_keys`` of the stored name against ``name_key_tiers`` of the
  query, the share the search can fetch at all) and the key recall of the pairs the scorer
  accepts (what the index loses of what the scorer would show);
- *live search*: persons are made of a house name (the demo's, both scripts) and a name of the
  list, every name group with three house names (over 6,000 persons); each person's record
  holds one spelling. A query is another spelling of one person's name (its house name written
  first or last, or as an initial) and is searched the way ``person_search`` searches:
  candidates by the same two tiers of keys with the same limits (narrow keys ranked by how many
  they share, each key's first SEARCH_MAX_KEY_RUN holders in id order; then the broad keys'
  first holders while there is room), scored by ``names.similarity``, kept at the threshold,
  best first. Counted: the right person in the top 10 (Telugu query for a Latin record, Latin
  query for a Telugu record, Latin for Latin), and how often a hard negative's person (the same
  house name, a name one or two letters from the query's) is in the top 10. The index is a
  Python dict, not the database: the selection rules are those of
  ``person_search._candidates``, without SQL, so that thousands of queries run in a minute.

The last line printed is one JSON object with the figures.

    .venv/bin/python bench/names.py [--queries 40] [--rounds 3] [--no-corpus]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kotwal import demo_names
from kotwal.records import names
from kotwal.records.names import DEFAULT_THRESHOLD, is_match, name_keys, score
from kotwal.records.person_search import SEARCH_MAX_CANDIDATES, SEARCH_MAX_KEY_RUN

PAIRS_DIR = Path(__file__).resolve().parent.parent / "tests" / "records"
FILES = {"tuning": "name_pairs.csv", "holdout": "name_pairs_holdout.csv"}


@dataclass(frozen=True)
class Pair:
    query: str
    candidate: str
    label: bool


@dataclass(frozen=True)
class Quality:
    pairs: int
    precision: float
    recall: float
    key_recall: float
    false_positives: int
    false_negatives: int


def load(filename: str) -> list[Pair]:
    with (PAIRS_DIR / filename).open(encoding="utf-8", newline="") as handle:
        return [
            Pair(row["query"], row["candidate"], row["label"] == "1")
            for row in csv.DictReader(handle)
        ]


def quality(pairs: list[Pair]) -> Quality:
    guesses = [(is_match(p.query, p.candidate), p.label) for p in pairs]
    tp = sum(1 for guess, label in guesses if guess and label)
    fp = sum(1 for guess, label in guesses if guess and not label)
    fn = sum(1 for guess, label in guesses if label and not guess)
    matching = [p for p in pairs if p.label]
    keyed = sum(1 for p in matching if name_keys(p.query) & name_keys(p.candidate))
    return Quality(
        pairs=len(pairs),
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        key_recall=keyed / len(matching) if matching else 0.0,
        false_positives=fp,
        false_negatives=fn,
    )


def clear_caches() -> None:
    # The module caches parsed names, token comparisons and whole scores; the cold figures must
    # not profit from an earlier pass.
    for cached in (
        names.score,
        names.name_keys,
        names._parse,
        names._canonical,
        names._token_similarity,
        names._romanise_run,
    ):
        cached.cache_clear()


def rate(work: Callable[[], int], rounds: int) -> float:
    """Best of ``rounds`` runs, in units of work per second."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        done = work()
        best = max(best, done / (time.perf_counter() - started))
    return best


CORPUS = (
    Path(__file__).resolve().parent.parent / "tests" / "records" / "name_corpus" / "pairs.tsv.gz"
)
NAME_SOURCES = ("te-names", "te-english", "hi-names", "ta-names", "cmu")
TOP = 10


@dataclass(frozen=True)
class Row:
    split: str
    kind: str
    source: str
    group: str
    query: str
    candidate: str
    label: bool


def load_corpus() -> list[Row]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(io.StringIO(handle.read()), delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Row(
                r["split"],
                r["kind"],
                r["source"],
                r["group"],
                r["query"],
                r["candidate"],
                r["label"] == "1",
            )
            for r in reader
        ]


def shares_key(query: str, candidate: str) -> bool:
    narrow, broad = names.name_key_tiers(query)
    return bool((narrow | broad) & names.name_keys(candidate))


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    keyed: int = 0
    keyed_accepted: int = 0

    def add(self, guess: bool, label: bool, keyed: bool) -> None:
        if label:
            self.tp += guess
            self.fn += not guess
            self.keyed += keyed
            self.keyed_accepted += keyed and guess
        else:
            self.fp += guess
            self.tn += not guess

    def figures(self) -> dict[str, float]:
        positives = self.tp + self.fn
        return {
            "positives": positives,
            "negatives": self.fp + self.tn,
            "precision": round(self.tp / (self.tp + self.fp), 4) if self.tp + self.fp else 0.0,
            "recall": round(self.tp / positives, 4) if positives else 0.0,
            "key_recall": round(self.keyed / positives, 4) if positives else 0.0,
            # of the true pairs the scorer accepts, the share the index can fetch
            "key_recall_of_accepted": round(self.keyed_accepted / self.tp, 4) if self.tp else 0.0,
            "false_positive_rate": round(self.fp / (self.fp + self.tn), 4)
            if self.fp + self.tn
            else 0.0,
        }


def pair_quality(rows: Iterable[Row]) -> dict[str, dict[str, float]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        guess = names.is_match(row.query, row.candidate)
        keyed = shares_key(row.query, row.candidate) if row.label else False
        names_only = row.source in NAME_SOURCES
        for key in (
            f"{row.split}/{row.source}/{row.kind}",
            f"{row.split}/all-names/{row.kind}" if names_only else None,
            f"{row.split}/all-names/all" if names_only else None,
        ):
            if key:
                tallies[key].add(guess, row.label, keyed)
    return {key: tally.figures() for key, tally in sorted(tallies.items())}


# --------------------------------------------------------------------------------------------
# Live search
# --------------------------------------------------------------------------------------------


@dataclass
class Index:
    """Person id -> spelling, and key -> ids in id order, as person_name_keys holds them."""

    spellings: dict[str, str] = field(default_factory=dict)
    holders: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person: str, spelling: str) -> None:
        self.spellings[person] = spelling
        for key in names.name_keys(spelling):
            self.holders[key].append(person)

    def freeze(self) -> None:
        for ids in self.holders.values():
            ids.sort()

    def candidates(self, query: str) -> list[str]:
        narrow, broad = names.name_key_tiers(query)
        shared: dict[str, int] = defaultdict(int)
        for key in narrow:
            for person in self.holders.get(key, [])[:SEARCH_MAX_KEY_RUN]:
                shared[person] += 1
        found = sorted(shared, key=lambda p: (-shared[p], p))[:SEARCH_MAX_CANDIDATES]
        room = SEARCH_MAX_CANDIDATES - len(found)
        if room > 0 and broad:
            each = -(-room // len(broad))
            seen = set(found)
            for key in sorted(broad):
                for person in self.holders.get(key, [])[:each]:
                    if person not in seen:
                        seen.add(person)
                        found.append(person)
        return found

    def search(self, query: str) -> list[str]:
        scored = []
        for person in self.candidates(query):
            value = names.similarity(query, self.spellings[person])
            if value >= names.DEFAULT_THRESHOLD:
                scored.append((-value, person))
        return [person for _, person in sorted(scored)[:TOP]]


def _pid(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Group:
    source: str
    split: str
    native: str | None  # Telugu script spelling, for the te-* sources
    latin: tuple[str, ...]


def groups(rows: list[Row]) -> dict[str, Group]:
    latin: dict[str, set[str]] = defaultdict(set)
    info: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row.source not in NAME_SOURCES or not row.label or row.kind == "multi":
            continue
        info[row.group] = (row.source, row.split)
        for text in (row.query, row.candidate):
            if text.isascii():
                latin[row.group].add(text)
    return {
        g: Group(src, split, g if src.startswith("te") else None, tuple(sorted(latin[g])))
        for g, (src, split) in info.items()
        if latin[g]
    }


def partners(rows: list[Row]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.label or row.kind != "latin" or row.source not in NAME_SOURCES:
            continue
        a, b = row.group.split("|")
        found[a].add(b)
        found[b].add(a)
    return found


HOUSES = demo_names.HOUSE
HOUSES_PER_NAME = 3


def _houses(group: str) -> list[tuple[str, str]]:
    start = int(hashlib.sha256(group.encode()).hexdigest(), 16) % len(HOUSES)
    return [HOUSES[(start + n * 17) % len(HOUSES)] for n in range(HOUSES_PER_NAME)]


def _written(house: str, given: str, form: int) -> str:
    """The query's house name first, last, or as an initial (form 0, 1, 2)."""
    if form == 1:
        return f"{given} {house}"
    if form == 2:
        return f"{house[0]}. {given}"
    return f"{house} {given}"


def live_search(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Top-10 recall per direction and split, and the hard-negative partner rate."""
    all_groups = groups(rows)
    near = partners(rows)
    results: dict[str, dict[str, float]] = {}
    for direction in ("telugu-to-latin", "latin-to-telugu", "latin-to-latin"):
        index = Index()
        for g, group in sorted(all_groups.items()):
            for house_latin, house_te in _houses(g):
                if direction == "latin-to-telugu" and group.native:
                    spelling = f"{house_te} {group.native}"
                else:
                    spelling = f"{house_latin} {group.latin[0]}"
                index.add(_pid(g, house_latin), spelling)
        # Each hard negative's name also lives in the house of the name it is near, so that
        # a query for one can find the other one letter away under the same house name.
        for g in sorted(all_groups):
            house_latin, house_te = _houses(g)[0]
            for b in sorted(near.get(g, ())):
                other = all_groups.get(b)
                if other is None:
                    continue
                if direction == "latin-to-telugu" and other.native:
                    spelling = f"{house_te} {other.native}"
                else:
                    spelling = f"{house_latin} {other.latin[0]}"
                index.add(_pid(b, house_latin), spelling)
        index.freeze()
        tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for n, (g, group) in enumerate(sorted(all_groups.items())):
            house_latin, house_te = _houses(g)[0]
            if direction == "telugu-to-latin":
                if not group.native:
                    continue
                query = f"{house_te} {group.native}"
            elif direction == "latin-to-telugu":
                if not group.native:
                    continue
                query = _written(house_latin, group.latin[-1], n % 3)
            else:
                if len(group.latin) < 2:
                    continue
                query = _written(house_latin, group.latin[-1], n % 3)
            top = index.search(query)
            tally = tallies[group.split]
            tally[0] += 1
            tally[1] += _pid(g, house_latin) in top
            others = {_pid(b, house_latin) for b in near.get(g, ()) if b in all_groups}
            others &= set(index.spellings)
            if others:
                tally[2] += 1
                tally[3] += bool(others & set(top))
        for split, (queries, found, with_partner, partner_found) in sorted(tallies.items()):
            results[f"{split}/{direction}"] = {
                "persons": len(index.spellings),
                "queries": queries,
                "top10_recall": round(found / queries, 4) if queries else 0.0,
                "queries_with_partner": with_partner,
                "partner_in_top10": round(partner_found / with_partner, 4) if with_partner else 0.0,
            }
    return results


def corpus_figures() -> dict[str, float]:
    """The outside list's figures, printed as a table and returned flat for the JSON line."""
    rows = load_corpus()
    flat: dict[str, float] = {}
    for key, figures in pair_quality(rows).items():
        print(
            f"{key:30} positives {figures['positives']:5.0f} negatives {figures['negatives']:5.0f}"
            f"  precision {figures['precision']:.3f}  recall {figures['recall']:.3f}"
            f"  key recall {figures['key_recall']:.3f}"
            f" (of accepted {figures['key_recall_of_accepted']:.3f})"
        )
        flat |= {f"corpus/{key}/{name}": value for name, value in figures.items()}
    for key, figures in live_search(rows).items():
        print(
            f"live {key:24} {figures['persons']:.0f} persons, {figures['queries']:.0f} queries:"
            f"  top-10 recall {figures['top10_recall']:.3f};"
            f"  hard negative in top 10 {figures['partner_in_top10']:.3f}"
            f" of {figures['queries_with_partner']:.0f}"
        )
        flat |= {f"live/{key}/{name}": value for name, value in figures.items()}
    return flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=40, help="queries in the search run")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--no-corpus", action="store_true", help="skip the outside list (about two minutes)"
    )
    args = parser.parse_args()

    sets = {name: load(filename) for name, filename in FILES.items()}
    results = {name: quality(pairs) for name, pairs in sets.items()}
    for name, result in results.items():
        print(
            f"{name:8} {result.pairs:4} pairs  precision {result.precision:.3f}  "
            f"recall {result.recall:.3f}  key recall {result.key_recall:.3f}  "
            f"(false positives {result.false_positives}, false negatives {result.false_negatives})"
        )

    all_pairs = [pair for pairs in sets.values() for pair in pairs]
    distinct = sorted({n for p in all_pairs for n in (p.query, p.candidate)})

    def cold_pairs() -> int:
        clear_caches()
        for pair in all_pairs:
            score(pair.query, pair.candidate)
        return len(all_pairs)

    uncached_score = score.__wrapped__

    def search_pairs() -> int:
        for query in distinct[: args.queries]:
            for candidate in distinct:
                uncached_score(query, candidate)
        return len(distinct[: args.queries]) * len(distinct)

    def cold_keys() -> int:
        clear_caches()
        for name in distinct:
            name_keys(name)
        return len(distinct)

    search_pairs()  # warm the per-name and per-token caches once
    speed = {
        "cold_pairs_per_s": rate(cold_pairs, args.rounds),
        "search_pairs_per_s": rate(search_pairs, args.rounds),
        "keys_per_s": rate(cold_keys, args.rounds),
    }
    key_counts = [len(name_keys(n)) for n in distinct]
    mean_keys = sum(key_counts) / len(key_counts)
    print(
        f"scoring: {speed['cold_pairs_per_s']:,.0f} pairs/s cold, "
        f"{speed['search_pairs_per_s']:,.0f} pairs/s ranking candidates; "
        f"keys: {speed['keys_per_s']:,.0f} names/s cold, "
        f"{mean_keys:.2f} keys per name (at most {max(key_counts)})"
    )
    corpus = {} if args.no_corpus else corpus_figures()
    print(
        json.dumps(
            {
                "threshold": DEFAULT_THRESHOLD,
                **corpus,
                **{
                    f"{name}_{field}": round(getattr(result, field), 4)
                    for name, result in results.items()
                    for field in ("pairs", "precision", "recall", "key_recall")
                },
                **{key: round(value) for key, value in speed.items()},
                "keys_per_name_mean": round(mean_keys, 2),
                "keys_per_name_max": max(key_counts),
            }
        )
    )


if __name__ == "__main__":
    main()

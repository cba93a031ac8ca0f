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

The last line printed is one JSON object with the figures.

    .venv/bin/python bench/names.py [--queries 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kotwal.records import names
from kotwal.records.names import DEFAULT_THRESHOLD, is_match, name_keys, score

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=40, help="queries in the search run")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
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
    print(
        json.dumps(
            {
                "threshold": DEFAULT_THRESHOLD,
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

"""The matcher on the outside name list (tests/records/name_corpus, real spellings from public
corpora; SOURCES.md there): learned spelling edits, keys that reach what the scorer accepts, and
floors for a sample of the held-out part. bench/names.py measures the whole list and the live
search; this test keeps a few seconds' worth of it so that a change that loses it shows here."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kotwal.core.migrate import upgrade
from kotwal.records.names import is_match, name_key_tiers, name_keys

CORPUS = Path(__file__).parent / "name_corpus" / "pairs.tsv.gz"
NAME_SOURCES = {"te-names", "te-english", "hi-names", "ta-names", "cmu"}
SAMPLE = 800  # held-out name pairs, every n-th, so the test takes a few seconds


def _shares_key(query: str, candidate: str) -> bool:
    narrow, broad = name_key_tiers(query)
    return bool((narrow | broad) & name_keys(candidate))


def _held_out_sample() -> list[tuple[str, str, bool]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read()), delimiter="\t"))
    held = [r for r in rows if r["split"] == "holdout" and r["source"] in NAME_SOURCES]
    step = max(1, len(held) // SAMPLE)
    return [(r["query"], r["candidate"], r["label"] == "1") for r in held[::step]]


# Spellings that the hand-set costs told apart and real typists do not: the anusvara typed m or
# n, c for k or s, g/j, an h left out, Telugu script against its Latin spelling.
LEARNED = [
    ("Amkita", "Ankita"),
    ("Hamsa", "Hansa"),
    ("Sumdar", "Sundar"),
    ("Victor", "Viktor"),
    ("Clark", "Klark"),
    ("Francis", "Fransis"),
    ("Yagna", "Yajna"),
    ("హంస", "Hamsa"),
    ("మైఖేల్", "Maikel"),
]


@pytest.mark.parametrize(("query", "candidate"), LEARNED)
def test_learned_spelling_edits_match_and_share_a_key(query: str, candidate: str) -> None:
    assert is_match(query, candidate)
    assert is_match(candidate, query)
    assert _shares_key(query, candidate)
    assert _shares_key(candidate, query)


@pytest.mark.parametrize(
    ("query", "candidate"),
    [("Eshvar", "Ishvar"), ("Cyril", "Siril"), ("Vicky", "Vikki"), ("Akkada", "Ekkada")],
)
def test_keys_fold_what_is_written_differently_for_one_sound(query: str, candidate: str) -> None:
    assert name_keys(query) & name_keys(candidate)


def test_different_names_one_letter_apart_stay_apart() -> None:
    # Hard negatives of the list's tuning part, and the examples.
    for query, candidate in [("Rajesh", "Rakesh"), ("Kiran", "Karan"), ("Anju", "Anu")]:
        assert not is_match(query, candidate)


def test_held_out_sample_keeps_its_precision_recall_and_key_recall() -> None:
    # Measured when written (bench/names.py, whole held-out names part): see docs/benchmarks.md.
    pairs = _held_out_sample()
    guesses = [(is_match(q, c), label, q, c) for q, c, label in pairs]
    tp = sum(1 for g, label, _, _ in guesses if g and label)
    fp = sum(1 for g, label, _, _ in guesses if g and not label)
    fn = sum(1 for g, label, _, _ in guesses if label and not g)
    accepted = [(q, c) for g, label, q, c in guesses if g and label]
    keyed = sum(1 for q, c in accepted if _shares_key(q, c))
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.82
    assert keyed / len(accepted) >= 0.97


def test_migration_0032_rebuilds_every_persons_keys(tmp_path: Path) -> None:
    """Stores made before the keys were folded hold keys the search no longer asks for; 0032
    recomputes them from each person's name, Telugu name and aliases."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0035")  # before 0032 and 0033 rebuild the keys
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for n, (name, name_te) in enumerate([("Amkita Kommu", None), ("Victor", "విక్టర్")]):
            conn.execute(
                text(
                    "INSERT INTO persons (id, name, name_te, category, status, station_id,"
                    " jurisdiction_path, created_at, updated_at, version) VALUES (:id, :name,"
                    " :te, 'offender', 'active', 's', 'ts/s', :now, :now, 1)"
                ),
                {"id": f"p{n}", "name": name, "te": name_te, "now": now},
            )
            conn.execute(
                text("INSERT INTO person_name_keys (person_id, key) VALUES (:id, 'stale')"),
                {"id": f"p{n}"},
            )
        conn.execute(
            text("INSERT INTO person_aliases (id, person_id, name) VALUES ('a0', 'p1', 'Vicky')")
        )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT person_id, key FROM person_name_keys")).all()
    keys: dict[str, set[str]] = {}
    for person_id, key in rows:
        keys.setdefault(person_id, set()).add(key)
    assert keys["p0"] == set(name_keys("Amkita Kommu"))
    assert keys["p1"] == set(name_keys("Victor") | name_keys("విక్టర్") | name_keys("Vicky"))
    assert name_key_tiers("Ankita")[1] & keys["p0"]

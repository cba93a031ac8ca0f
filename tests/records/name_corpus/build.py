"""Builds tests/records/name_corpus/pairs.tsv.gz from the public sources listed in SOURCES.md.

Not run by the tests: the sources are not shipped whole, only the pairs drawn from them. To
rebuild, put the raw files in one folder (names as in RAW below; SOURCES.md says where each
comes from, at which commit) and run

    .venv/bin/python tests/records/name_corpus/build.py RAW_DIR

Every pair is made by rule, never by hand, and no pair is scored by kotwal's matcher while it is
made (the list must not be shaped by what the matcher already does):

- *positive*: two spellings of one native word (a group): the native word itself (Telugu
  script) against each of its Latin romanisations, and two different romanisations of it
  against each other. For the name lexicon of CMU (English and Devanagari), two English
  spellings given for one Devanagari spelling.
- *hard negative*: two different native words whose Latin spellings are one edit apart (Modi/
  Mudi), or two for spellings of six letters or more (Ramakrishna/Radhakrishna). Words whose
  native spellings differ only in what Latin script cannot show (vowel length, retroflex or
  dental, aspiration, anusvara or n, sibilants, a final virama) are never made a negative:
  they may be one name.
- *multi-part*: two-token names made of two groups' spellings, in either order, one of them
  sometimes an initial; the negative differs from the positive in one token only, by a hard
  negative (Ramakrishna/Radhakrishna). These are constructed from real spellings and say so
  (kind ``multi``).

A group is a name when one of its Latin spellings is in a name lexicon (CMU's Indian first
names; US census first names, for English names written in Telugu script); Dakshina's other
words are kept as the ``te-words`` source for learning spelling, and reported apart. Groups
are split into a tuning part and a held-out part by a hash of the group, never by pair, so a
held-out name was never seen while tuning.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz.distance import Levenshtein

HERE = Path(__file__).resolve().parent
RAW = {
    "te": ["te_train_clean.tsv", "te_repeat_dev.tsv", "te_repeat_test.tsv"],
    "ta": ["ta_test.tsv"],
    "hi": ["hi_test.tsv"],
    "cmu": ["cmu_names.tsv"],
    "census": ["dist.male.first", "dist.female.first"],
}
# Per group at most this many Latin-Latin pairs, so that a word with many romanisations does
# not outweigh the rest.
MAX_LATIN_PAIRS = 6
HOLDOUT_SHARE = 3  # one group in three is held out
WORDS_SAMPLE = 48  # of 256: the share of Dakshina's non-name words kept


def split_of(source: str, group: str) -> str:
    digest = hashlib.sha256(f"{source}:{group}".encode()).digest()
    return "holdout" if digest[0] % HOLDOUT_SHARE == 0 else "tuning"


# What Latin script cannot tell apart, folded away before two native words are called different.
_FOLD_TE = str.maketrans(
    {
        "ా": "",
        "ీ": "ి",
        "ూ": "ు",
        "ే": "ె",
        "ో": "ొ",
        "ౌ": "ొ",
        "ఆ": "అ",
        "ఈ": "ఇ",
        "ఊ": "ఉ",
        "ఏ": "ఎ",
        "ఓ": "ఒ",
        "ణ": "న",
        "ళ": "ల",
        "ఱ": "ర",
        "శ": "స",
        "ష": "స",
        "ఖ": "క",
        "ఘ": "గ",
        "ఛ": "చ",
        "ఝ": "జ",
        "ఠ": "త",
        "ట": "త",
        "థ": "త",
        "ఢ": "ద",
        "డ": "ద",
        "ధ": "ద",
        "ఫ": "ప",
        "భ": "బ",
        "\u0c02": "న",  # the anusvara
        "్": "",
        "\u200c": "",
        "\u200d": "",
    }
)
_FOLD_HI = str.maketrans(
    {
        "ा": "",
        "ी": "ि",
        "ू": "ु",
        "आ": "अ",
        "ई": "इ",
        "ऊ": "उ",
        "ण": "न",
        "श": "स",
        "ष": "स",
        "ख": "क",
        "घ": "ग",
        "छ": "च",
        "झ": "ज",
        "ठ": "त",
        "ट": "त",
        "थ": "त",
        "ढ": "द",
        "ड": "द",
        "ध": "द",
        "फ": "प",
        "भ": "ब",
        "ं": "न",
        "ँ": "न",
        "्": "",
        "़": "",
    }
)
_FOLD_TA = str.maketrans(
    {
        "ா": "",
        "ீ": "ி",
        "ூ": "ு",
        "ே": "ெ",
        "ோ": "ொ",
        "ஆ": "அ",
        "ஈ": "இ",
        "ஊ": "உ",
        "ஏ": "எ",
        "ஓ": "ஒ",
        "ண": "ந",
        "ன": "ந",
        "ள": "ல",
        "ழ": "ல",
        "ற": "ர",
        "ட": "த",
        "ஷ": "ஸ",
        "ச": "ஸ",
        "்": "",
    }
)
FOLDS = {"te": _FOLD_TE, "hi": _FOLD_HI, "ta": _FOLD_TA, "cmu": _FOLD_HI}


def fold(source: str, native: str) -> str:
    return unicodedata.normalize("NFC", native).translate(FOLDS[source])


def clean_latin(text: str) -> str | None:
    text = text.strip().lower()
    return text if text.isascii() and text.isalpha() and len(text) >= 2 else None


def read_dakshina(raw: Path, files: list[str], columns: tuple[int, int]) -> dict[str, set[str]]:
    """Native word -> its Latin romanisations (Dakshina's lexicons, in either column order)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for name in files:
        for line in (raw / name).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or parts[0] in ("Input", "Latin Word"):
                continue
            native = unicodedata.normalize("NFC", parts[columns[0]].strip())
            latin = clean_latin(parts[columns[1]])
            if native and latin:
                groups[native].add(latin)
    return groups


def read_cmu(raw: Path) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for line in (raw / "cmu_names.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or parts[0] == "english" or line.startswith("#"):
            continue
        latin = clean_latin(parts[0].replace("-", "").replace(" ", ""))
        native = unicodedata.normalize("NFC", parts[1].strip().replace("-", "").replace(" ", ""))
        if latin and native:
            groups[native].add(latin)
    return groups


def read_census(raw: Path) -> set[str]:
    found = set()
    for name in RAW["census"]:
        for line in (raw / name).read_text(encoding="ascii").splitlines():
            word = clean_latin(line.split()[0]) if line.strip() else None
            if word and len(word) >= 4:
                found.add(word)
    return found


Row = tuple[str, str, str, str, str, str, int]  # split, kind, source, group, query, cand, label


def positives(source: str, groups: dict[str, set[str]], script: bool) -> list[Row]:
    rows: list[Row] = []
    for native, latins in sorted(groups.items()):
        split = split_of(source, native)
        ordered = sorted(latins)
        if script:
            rows += [(split, "script", source, native, native, latin, 1) for latin in ordered]
        pairs = list(itertools.combinations(ordered, 2))[:MAX_LATIN_PAIRS]
        rows += [(split, "latin", source, native, a, b, 1) for a, b in pairs]
    return rows


def hard_negatives(
    source: str, groups: dict[str, set[str]], script: bool, limit: int
) -> list[tuple[str, str, str, str]]:
    """(group a, group b, latin of a, latin of b) of two different words whose Latin spellings
    are one edit apart, or two when both are six letters or longer (Ramakrishna/Radhakrishna)."""
    natives = sorted(groups)
    by_bucket: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for native in natives:
        for latin in groups[native]:
            by_bucket[(latin[0], len(latin))].append((native, latin))
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for native in natives:
        for latin in sorted(groups[native]):
            if len(latin) < 4:
                continue
            reach = 1 if len(latin) < 6 else 2
            for length in range(len(latin) - reach, len(latin) + reach + 1):
                for other, other_latin in by_bucket.get((latin[0], length), []):
                    if other == native or fold(source, other) == fold(source, native):
                        continue
                    if other_latin in groups[native] or latin in groups[other]:
                        continue  # the two words share a spelling: not told apart in Latin
                    short = min(len(latin), len(other_latin)) < 6
                    reach_here = 1 if short else reach
                    if Levenshtein.distance(latin, other_latin) <= reach_here:
                        key = (min(native, other), max(native, other))
                        found.setdefault(
                            key, (latin, other_latin) if native < other else (other_latin, latin)
                        )
    items = sorted(found.items())
    return [(a, b, la, lb) for (a, b), (la, lb) in items[:limit]]


def negative_rows(source: str, found: list[tuple[str, str, str, str]], script: bool) -> list[Row]:
    rows: list[Row] = []
    for a, b, latin_a, latin_b in found:
        # A negative belongs to the held-out part if either of its words does: nothing in it
        # was tuned on.
        split = "holdout" if "holdout" in (split_of(source, a), split_of(source, b)) else "tuning"
        group = f"{a}|{b}"
        rows.append((split, "latin", source, group, latin_a, latin_b, 0))
        if script:
            rows.append((split, "script", source, group, a, latin_b, 0))
    return rows


def multi_rows(
    source: str, groups: dict[str, set[str]], negatives: list[tuple[str, str, str, str]]
) -> list[Row]:
    """Two-token names of real spellings: either order, initials; negatives differ in one token."""
    rows: list[Row] = []
    natives = sorted(n for n in groups if len(groups[n]) >= 2)
    for n, (a, b, _, latin_b) in enumerate(negatives):
        other = natives[(n * 7919) % len(natives)]
        if other in (a, b):
            continue
        spell = sorted(groups[other])
        split = "holdout" if "holdout" in {split_of(source, x) for x in (a, b, other)} else "tuning"
        a_spellings = sorted(groups[a])
        group = f"{a}|{other}"
        first = f"{a_spellings[0]} {spell[0]}"
        forms = [
            f"{spell[-1]} {a_spellings[-1]}",  # other order, other spellings
            f"{spell[-1][0]}. {a_spellings[-1]}",  # an initial for the other name
            f"{other} {a}",  # both in Telugu (or native) script
        ]
        for form in forms[: 3 if source.startswith("te") else 2]:
            rows.append((split, "multi", source, group, first, form, 1))
        rows.append(
            (split, "multi", source, f"{a}|{b}|{other}", first, f"{spell[-1]} {latin_b}", 0)
        )
    return rows


def main(raw: Path) -> None:
    te = read_dakshina(raw, RAW["te"], (0, 1))
    ta = read_dakshina(raw, RAW["ta"], (1, 0))
    hi = read_dakshina(raw, RAW["hi"], (1, 0))
    cmu = read_cmu(raw)
    census = read_census(raw)
    lexicon = {latin for latins in cmu.values() for latin in latins}
    is_name = lambda latins, names: bool(latins & names)  # noqa: E731
    sets = {
        "te-names": {n: v for n, v in te.items() if is_name(v, lexicon)},
        "te-english": {
            n: v for n, v in te.items() if is_name(v, census) and not is_name(v, lexicon)
        },
        "hi-names": {n: v for n, v in hi.items() if is_name(v, lexicon | census)},
        "ta-names": {n: v for n, v in ta.items() if is_name(v, lexicon | census)},
        "cmu": {n: v for n, v in cmu.items() if len(v) >= 2},
    }
    named = set(sets["te-names"]) | set(sets["te-english"])
    # Dakshina's other words, a sample of them (by hash, so the same on every build), for
    # learning how Telugu is spelt in Latin; reported apart from the names.
    sets["te-words"] = {
        n: v
        for n, v in te.items()
        if n not in named and hashlib.sha256(n.encode()).digest()[1] < WORDS_SAMPLE
    }
    rows: list[Row] = []
    for name, groups in sets.items():
        script = name.startswith("te")
        fold_source = name.split("-")[0] if name != "cmu" else "cmu"
        pos = positives(name, groups, script)
        found = hard_negatives(fold_source, groups, script, limit=len(pos))
        # hard_negatives folds by the script's rules; tag rows with the set's name
        neg = negative_rows(name, found, script)
        rows += pos + neg
        if name in ("te-names", "hi-names", "ta-names", "te-english"):
            rows += multi_rows(name, groups, found)
        print(f"{name:10} groups {len(groups):6} positives {len(pos):6} negatives {len(neg):6}")
    with gzip.open(HERE / "pairs.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        out.write("split\tkind\tsource\tgroup\tquery\tcandidate\tlabel\n")
        for row in rows:
            out.write("\t".join(str(x) for x in row) + "\n")
    print(f"{len(rows)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

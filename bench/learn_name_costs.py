"""Learns which spelling edits two spellings of one name make, from the outside list.

Writes src/kotwal/records/name_costs.py (a table of numbers; the package reads it, nothing is
fetched at run time). Only the tuning part of tests/records/name_corpus/pairs.tsv.gz is read:
the held-out part stays unseen.

Each pair of single-word spellings is read the way the matcher reads a name (Telugu script
romanised, the spelling folded to its canonical form) and the two canonical spellings are
aligned by the plain edit distance. Every substitution (a letter for another, either way) and
every gap (a letter one spelling has and the other lacks, at the end of the word or inside it)
is counted in the true pairs and in the hard negatives (two different words a letter or two
apart). An edit whose share among the true pairs' edits is far above its share among the
negatives' is one that spellings of one name make (c/k, d/t in Telugu typing, a doubled vowel)
and gets a cost below the hand-set one; edits seen too seldom (fewer than MIN_SEEN times among
the true pairs) keep the hand-set cost. The matcher takes the lower of the two costs, so what is
learned can only make a pair agree that the hand-set costs rejected, never the other way.

    .venv/bin/python bench/learn_name_costs.py

The last line printed is one JSON object: how many edits were counted and how many learned.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from kotwal.records import names

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "kotwal" / "records" / "name_costs.py"
MIN_SEEN = int(
    os.environ.get("NAME_COSTS_MIN_SEEN", "50")
)  # an edit seen fewer times among the true pairs keeps its hand-set cost
# The likelihood ratio (share among true pairs' edits over share among negatives' edits) at
# which an edit starts to cost less, and the cost it reaches at a ratio of FULL_RATIO or more.
START_RATIO = float(os.environ.get("NAME_COSTS_START", "2"))
FULL_RATIO = float(os.environ.get("NAME_COSTS_FULL", "8"))
FLOOR = float(os.environ.get("NAME_COSTS_FLOOR", "0.2"))
CEILING = float(os.environ.get("NAME_COSTS_CEILING", "0.7"))


def canon(text: str) -> str | None:
    parsed = names._parse(text)
    if len(parsed) != 1 or len(parsed[0].tokens) != 1 or parsed[0].tokens[0].initial:
        return None
    return parsed[0].tokens[0].canon


def edits(a: str, b: str) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for op in Levenshtein.editops(a, b):
        if op.tag == "replace":
            x, y = sorted((a[op.src_pos], b[op.dest_pos]))
            found.append(("sub", x, y))
        elif op.tag == "delete":
            found.append(("gap", a[op.src_pos], "end" if op.src_pos == len(a) - 1 else "in"))
        else:
            final = op.dest_pos == len(b) - 1
            found.append(("gap", b[op.dest_pos], "end" if final else "in"))
    return found


def main() -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_names", ROOT / "bench" / "names.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    rows = [r for r in module.load_corpus() if r.split == "tuning" and r.kind != "multi"]
    counts = {True: Counter[tuple[str, ...]](), False: Counter[tuple[str, ...]]()}
    for row in rows:
        a, b = canon(row.query), canon(row.candidate)
        if a is None or b is None or a == b:
            continue
        found = edits(a, b)
        if len(found) > 3:
            continue  # an alignment of many edits says little about any one of them
        counts[row.label].update(found)
    totals = {label: sum(c.values()) for label, c in counts.items()}
    learned: dict[tuple[str, ...], float] = {}
    for edit, seen in counts[True].items():
        if seen < MIN_SEEN:
            continue
        share_true = seen / totals[True]
        share_false = (counts[False][edit] + 1) / (totals[False] + 1)
        ratio = share_true / share_false
        if ratio < START_RATIO:
            continue
        t = min(1.0, math.log(ratio / START_RATIO) / math.log(FULL_RATIO / START_RATIO))
        learned[edit] = round(CEILING - t * (CEILING - FLOOR), 2)
    subs = {(e[1], e[2]): c for e, c in sorted(learned.items()) if e[0] == "sub"}
    gaps = {(e[1], e[2] == "end"): c for e, c in sorted(learned.items()) if e[0] == "gap"}
    lines = [
        '"""Spelling edits learned from real spellings of names (generated: do not edit).',
        "",
        "Written by bench/learn_name_costs.py from the tuning part of",
        "tests/records/name_corpus/pairs.tsv.gz; see there for how. names.py takes the lower of",
        'these costs and its own for an edit."""',
        "",
        "#: (letter, letter) in alphabetical order -> cost of one standing for the other",
        "SUBSTITUTIONS: dict[tuple[str, str], float] = {",
        *(f'    ("{a}", "{b}"): {c},' for (a, b), c in subs.items()),
        "}",
        "#: (letter, at the end of the word) -> cost of the letter missing from the other spelling",
        "GAPS: dict[tuple[str, bool], float] = {",
        *(f'    ("{a}", {end}): {c},' for (a, end), c in gaps.items()),
        "}",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    for edit, cost in sorted(learned.items(), key=lambda item: item[1]):
        print(edit, cost, counts[True][edit], counts[False][edit])
    print(
        json.dumps(
            {
                "pairs": len(rows),
                "edits_true": totals[True],
                "edits_negative": totals[False],
                "substitutions": len(subs),
                "gaps": len(gaps),
            }
        )
    )


if __name__ == "__main__":
    main()

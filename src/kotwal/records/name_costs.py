"""Spelling edits learned from real spellings of names (generated: do not edit).

Written by bench/learn_name_costs.py from the tuning part of
tests/records/name_corpus/pairs.tsv.gz; see there for how. names.py takes the lower of
these costs and its own for an edit."""

#: (letter, letter) in alphabetical order -> cost of one standing for the other
SUBSTITUTIONS: dict[tuple[str, str], float] = {
    ("a", "e"): 0.39,
    ("a", "o"): 0.58,
    ("c", "k"): 0.2,
    ("c", "s"): 0.2,
    ("d", "t"): 0.69,
    ("e", "i"): 0.27,
    ("g", "j"): 0.2,
    ("m", "n"): 0.2,
    ("o", "u"): 0.26,
}
#: (letter, at the end of the word) -> cost of the letter missing from the other spelling
GAPS: dict[tuple[str, bool], float] = {
    ("a", False): 0.56,
    ("c", False): 0.25,
    ("e", True): 0.2,
    ("e", False): 0.54,
    ("h", False): 0.28,
    ("o", False): 0.65,
}

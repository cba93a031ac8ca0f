"""Name matching for person search: what must match, what must not, and what the index keys give.

The engine is pure (no database), so these tests call it directly. The labelled pairs live in
name_pairs.csv (used while tuning) and name_pairs_holdout.csv (set aside before tuning and never
tuned against); both must clear the precision and recall targets of the records issue.
"""

from __future__ import annotations

import csv
import os
import string
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from kotwal.records.names import (
    DEFAULT_THRESHOLD,
    Match,
    is_match,
    name_keys,
    score,
    similarity,
    transliterate_telugu,
)

HERE = Path(__file__).parent
PAIR_FILES = ("name_pairs.csv", "name_pairs_holdout.csv")


def _pairs(filename: str) -> list[tuple[str, str, bool, str]]:
    with (HERE / filename).open(encoding="utf-8", newline="") as handle:
        return [
            (row["query"], row["candidate"], row["label"] == "1", row["kind"])
            for row in csv.DictReader(handle)
        ]


def _precision_recall(pairs: list[tuple[str, str, bool, str]]) -> tuple[float, float]:
    predicted = [(is_match(query, candidate), label) for query, candidate, label, _ in pairs]
    true_positives = sum(1 for guess, label in predicted if guess and label)
    predicted_positives = sum(1 for guess, _ in predicted if guess)
    positives = sum(1 for _, label in predicted if label)
    return true_positives / predicted_positives, true_positives / positives


def _key_recall(pairs: list[tuple[str, str, bool, str]]) -> float:
    matching = [(query, candidate) for query, candidate, label, _ in pairs if label]
    shared = sum(1 for query, candidate in matching if name_keys(query) & name_keys(candidate))
    return shared / len(matching)


# ----------------------------------------------------------------------------------------------
# Spelling variants
# ----------------------------------------------------------------------------------------------

VARIANT_FAMILIES = {
    "srinivas": ["Srinivas", "Shrinivas", "Sreenivas", "Sreenivaasa", "Srinivasa"],
    "mohammed": ["Mohammed", "Mohd", "Muhammad", "Mohamed", "Md."],
    "venkateswarlu": ["Venkateshwarlu", "Venkateswarlu"],
    "lakshmi": ["Lakshmi", "Laxmi"],
}

ALTERNATIONS = [
    ("v/w", "Pavan", "Pawan"),
    ("sh/s", "Shankar", "Sankar"),
    ("ee/i", "Naveen", "Navin"),
    ("oo/u", "Yakoob", "Yakub"),
    ("aa/a", "Naagaraju", "Nagaraju"),
    ("th/t", "Sampath", "Sampat"),
    ("dh/d", "Prasadh", "Prasad"),
    ("ph/f", "Phani", "Fani"),
    ("ksh/x", "Lakshman", "Laxman"),
    ("z/j", "Feroz", "Feroj"),
    ("double letters", "Reddy", "Redy"),
    ("trailing a", "Venkata Ramana", "Venkat Ramana"),
    ("y/i", "Vijay", "Vijai"),
    ("-aiah/-ayya", "Ramaiah", "Ramayya"),
    ("dropped short a", "Narsimha", "Narasimha"),
    ("Telugu final -u", "Obulesu", "Obulesh"),
    ("khw/kh", "Khwaja", "Khaja"),
]


@pytest.mark.parametrize("family", sorted(VARIANT_FAMILIES))
def test_every_spelling_in_a_variant_family_matches_every_other(family: str) -> None:
    spellings = VARIANT_FAMILIES[family]
    for query in spellings:
        for candidate in spellings:
            assert is_match(query, candidate), (query, candidate, score(query, candidate))


@pytest.mark.parametrize(("query", "candidate"), [(q, c) for _, q, c in ALTERNATIONS])
def test_common_spelling_alternation_matches(query: str, candidate: str) -> None:
    assert is_match(query, candidate), score(query, candidate)


def test_phonetic_match_names_the_shared_spelling() -> None:
    match = score("Sreenivas", "Srinivas")

    assert match.score == 1.0
    assert "phonetic match on 'srinivas' ('Sreenivas' ~ 'Srinivas')" in match.reasons


def test_mohammed_is_not_mahmood() -> None:
    assert not is_match("Mohammed", "Mahmood")


# ----------------------------------------------------------------------------------------------
# Non-matches
# ----------------------------------------------------------------------------------------------

HARD_NON_MATCHES = [
    ("Ravi Kumar", "Ravi Shankar"),
    ("Lakshmi", "Lakshman"),
    ("Srinivas Reddy", "Srinivas Rao"),
    ("Mohammed Ali", "Mohammed Aslam"),
    ("Suresh", "Ramesh"),
    ("Kommu Ravi", "Kommu Raju"),
    ("Rajesh", "Rakesh"),
    ("Kiran", "Karan"),
    ("Lakshmaiah", "Lakshmamma"),
    ("Parveen", "Praveen"),
]


@pytest.mark.parametrize(("query", "candidate"), HARD_NON_MATCHES)
def test_different_people_with_similar_names_stay_below_threshold(
    query: str, candidate: str
) -> None:
    assert score(query, candidate).score < DEFAULT_THRESHOLD


def test_disagreeing_token_is_named_in_the_reasons() -> None:
    match = score("Srinivas Reddy", "Srinivas Rao")

    assert "same name 'Srinivas'" in match.reasons
    assert "'Reddy' differs from 'Rao'" in match.reasons


def test_reddy_is_a_family_name_not_a_suffix_to_drop() -> None:
    assert not is_match("Srinivas Reddy", "Srinivas Goud")


def test_initial_of_another_family_name_is_a_non_match() -> None:
    assert not is_match("K. Ravi Kumar", "Bandi Ravi Kumar")


def test_different_lineage_names_are_different_families() -> None:
    assert not is_match("Shaik Rafi", "Syed Rafi")


def test_unrelated_names_score_near_zero() -> None:
    assert score("Ravi Kumar", "Mohammed Ali").score < 0.3


# ----------------------------------------------------------------------------------------------
# Initials, order, joined tokens, titles
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate", ["Ravi Kumar K.", "K. Ravi Kumar", "Ravikumar Kommu", "K.Ravi Kumar"]
)
def test_family_name_first_or_last_or_as_initial_matches(candidate: str) -> None:
    assert is_match("Kommu Ravi Kumar", candidate), score("Kommu Ravi Kumar", candidate)


def test_initial_is_reported_against_the_name_it_stands_for() -> None:
    match = score("K. Ravi Kumar", "Kommu Ravi Kumar")

    assert "initial K matches 'Kommu'" in match.reasons


def test_reordered_tokens_are_reported() -> None:
    assert "tokens reordered" in score("Kommu Ravi Kumar", "Ravi Kumar Kommu").reasons


def test_joined_name_matches_split_name() -> None:
    match = score("Ravikumar", "Ravi Kumar")

    assert match.score >= DEFAULT_THRESHOLD
    assert "joined name 'Ravikumar' matches 'Ravi Kumar'" in match.reasons


def test_three_part_compound_matches_its_joined_spelling_and_shares_a_key() -> None:
    split, joined = "Venkata Satya Narayana", "Venkatasatyanarayana"

    assert is_match(split, joined)
    assert name_keys(split) & name_keys(joined)


def test_omitted_family_name_still_matches_and_is_reported() -> None:
    match = score("Ravi Kumar", "Kommu Ravi Kumar")

    assert match.score >= DEFAULT_THRESHOLD
    assert "not in query: 'Kommu'" in match.reasons


@pytest.mark.parametrize(
    ("query", "candidate"),
    [
        ("Sri Ravi Kumar", "Ravi Kumar"),
        ("Smt. Lakshmi Devi", "Lakshmi Devi"),
        ("Md. Rafi", "Rafi"),
        ("Shaik Mahaboob Basha", "Mahaboob Basha"),
        ("Sheikh Rafi", "Shaik Rafi"),
        ("Ravi Kumar garu", "Ravi Kumar"),
    ],
)
def test_titles_and_prefixes_are_ignored(query: str, candidate: str) -> None:
    assert score(query, candidate).score == pytest.approx(1.0)


def test_sri_joined_to_a_name_still_matches_the_split_spelling() -> None:
    assert is_match("Sridevi", "Sri Devi")


def test_each_alias_is_compared() -> None:
    assert is_match("Ravi @ Pandu", "Pandu")


def test_relative_named_after_s_o_is_not_the_person() -> None:
    assert score("Ravi s/o Ramesh", "Ravi").score == 1.0


# ----------------------------------------------------------------------------------------------
# Telugu script
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("telugu", "latin"),
    [
        ("శ్రీనివాస్", "Shrinivas"),
        ("లక్ష్మి", "Lakshmi"),
        ("వెంకటేశ్వర్లు", "Venkateshvarlu"),
        ("రవి కుమార్", "Ravi Kumar"),
        ("అంజయ్య", "Anjayya"),
        ("గౌడ్", "Goud"),
        ("కె. రవి కుమార్", "K. Ravi Kumar"),
    ],
)
def test_telugu_is_romanised_as_names_are_written_in_english(telugu: str, latin: str) -> None:
    assert transliterate_telugu(telugu) == latin


def test_latin_text_passes_through_transliteration_unchanged() -> None:
    assert transliterate_telugu("Kommu Ravi Kumar") == "Kommu Ravi Kumar"


@pytest.mark.parametrize(
    ("telugu", "latin"),
    [
        ("శ్రీనివాస్", "Srinivas"),
        ("లక్ష్మి", "Lakshmi"),
        ("వెంకటేశ్వర్లు", "Venkateswarlu"),
        ("రవి కుమార్", "Ravi Kumar"),
        ("మహమ్మద్ అలీ", "Md. Ali"),
    ],
)
def test_name_typed_in_telugu_finds_the_latin_record_and_the_reverse(
    telugu: str, latin: str
) -> None:
    assert is_match(telugu, latin)
    assert is_match(latin, telugu)
    assert name_keys(telugu) & name_keys(latin)


def test_cross_script_match_says_how_the_telugu_was_read() -> None:
    match = score("శ్రీనివాస్", "Srinivas")

    assert match.reasons[0] == "Telugu script read as 'Shrinivas'"


def test_different_name_in_telugu_is_not_a_match() -> None:
    assert not is_match("లక్ష్మణ్", "Lakshmi")


# ----------------------------------------------------------------------------------------------
# Scores and the Match value
# ----------------------------------------------------------------------------------------------


def test_score_is_the_same_whichever_name_is_the_query() -> None:
    for query, candidate, _, _ in _pairs("name_pairs.csv"):
        assert score(query, candidate).score == score(candidate, query).score, (query, candidate)


def test_every_score_is_in_the_unit_interval_with_a_reason() -> None:
    for query, candidate, _, _ in _pairs("name_pairs.csv"):
        match = score(query, candidate)
        assert 0.0 <= match.score <= 1.0
        assert match.reasons


def test_is_match_is_score_at_the_default_threshold() -> None:
    for query, candidate, _, _ in _pairs("name_pairs.csv"):
        assert is_match(query, candidate) == (score(query, candidate).score >= DEFAULT_THRESHOLD)


def test_similarity_is_the_score_without_its_reasons() -> None:
    for filename in PAIR_FILES:
        for query, candidate, _, _ in _pairs(filename):
            assert similarity(query, candidate) == score(query, candidate).score, (query, candidate)


def test_spellings_scored_once_as_one_reading_keep_their_own_words_in_the_reasons() -> None:
    # Sreenivas Komu and Shrinivas Kommu fold to one canonical form, so the second is scored
    # from the memo of the first; its reasons must still quote its own spelling.
    first = score("Srinivas Kommu", "Sreenivas Komu")
    second = score("Srinivas Kommu", "Shrinivas Kommu")

    assert first.score == second.score
    assert any("Sreenivas" in reason for reason in first.reasons), first.reasons
    assert any("Shrinivas" in reason for reason in second.reasons), second.reasons
    assert not any("Sreenivas" in reason for reason in second.reasons), second.reasons


def test_an_initial_is_read_by_the_first_letter_of_the_name_as_written() -> None:
    # Phani and Fani fold to one canonical spelling, but P. is the initial of Phani only: the
    # one scored first must not lend its score to the other.
    assert not is_match("P. Ravi", "Fani Ravi")
    assert is_match("P. Ravi", "Phani Ravi")
    assert similarity("P. Ravi", "Fani Ravi") < DEFAULT_THRESHOLD


def test_match_is_immutable() -> None:
    match = score("Ravi", "Ravi")

    with pytest.raises(FrozenInstanceError):
        match.score = 0.0  # type: ignore[misc]


def test_empty_name_matches_nothing() -> None:
    assert score("", "Ravi") == Match(0.0, ("no name to compare",))
    assert score(" . , ", "Ravi").score == 0.0


def test_overlong_input_is_cut_not_refused() -> None:
    assert score("Ravi Kumar" + " " * 100_000, "Ravi Kumar").score == 1.0
    assert 0.0 <= score("Ravi " * 10_000, "Ravi Kumar").score <= 1.0


# ----------------------------------------------------------------------------------------------
# Index keys
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(VARIANT_FAMILIES))
def test_every_spelling_in_a_variant_family_shares_a_key(family: str) -> None:
    spellings = VARIANT_FAMILIES[family]
    shared = frozenset.intersection(*(name_keys(spelling) for spelling in spellings))

    assert shared


@pytest.mark.parametrize(
    "candidate", ["Ravi Kumar K.", "K. Ravi Kumar", "Ravikumar Kommu", "రవి కుమార్"]
)
def test_order_initials_joins_and_script_share_a_key(candidate: str) -> None:
    assert name_keys("Kommu Ravi Kumar") & name_keys(candidate)


def test_keys_are_short_lowercase_ascii() -> None:
    allowed = set(string.ascii_lowercase)
    for filename in PAIR_FILES:
        for query, candidate, _, _ in _pairs(filename):
            for key in name_keys(query) | name_keys(candidate):
                assert set(key) <= allowed and 2 <= len(key) <= 16, key


def test_a_name_has_a_handful_of_keys() -> None:
    counts = [
        len(name_keys(name))
        for query, candidate, _, _ in _pairs("name_pairs.csv")
        for name in (query, candidate)
    ]

    assert max(counts) <= 8
    assert sum(counts) / len(counts) <= 3


def test_keys_are_the_same_in_every_process() -> None:
    program = (
        "from kotwal.records.names import name_keys;"
        "print(sorted(name_keys('Shaik Mohammed Yusuf @ Kommu Ravikumar')))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }

    assert len(outputs) == 1
    assert outputs.pop().strip() == str(sorted(name_keys("Shaik Mohammed Yusuf @ Kommu Ravikumar")))


def test_initials_and_titles_carry_no_key_of_their_own() -> None:
    assert name_keys("Smt. K. Lakshmi") == name_keys("Lakshmi")
    assert name_keys("Md. Rafi") == name_keys("Mohammed Rafi")


def test_very_common_token_gives_no_key_of_its_own_beside_a_rarer_one() -> None:
    alone = name_keys("Kumar")

    assert alone
    assert not alone & name_keys("Ravi Kumar")


def test_short_token_does_not_become_a_two_letter_key_beside_a_longer_one() -> None:
    assert all(len(key) >= 3 for key in name_keys("Sai Srinivas"))


def test_empty_name_or_lone_initial_has_no_keys() -> None:
    assert name_keys("") == frozenset()
    assert name_keys("K.") == frozenset()


# ----------------------------------------------------------------------------------------------
# The labelled pairs
# ----------------------------------------------------------------------------------------------


def test_labelled_pairs_cover_every_variant_kind_with_a_balanced_label_mix() -> None:
    pairs = _pairs("name_pairs.csv")
    kinds = {kind for _, _, _, kind in pairs}
    share_matching = sum(1 for _, _, label, _ in pairs if label) / len(pairs)

    assert len(pairs) >= 300
    assert 0.5 <= share_matching <= 0.6
    assert {"srinivas", "mohammed", "telugu", "initials", "order", "joined"} <= kinds
    assert {"nonmatch_given", "nonmatch_family", "nonmatch_telugu"} <= kinds


def test_holdout_pairs_are_not_in_the_tuning_file() -> None:
    tuning = {(q, c) for q, c, _, _ in _pairs("name_pairs.csv")}
    holdout = {(q, c) for q, c, _, _ in _pairs("name_pairs_holdout.csv")}

    assert holdout
    assert not tuning & holdout


# Measured when this test was written: tuning file precision 0.996, recall 1.000, key recall
# 1.000; held-out file precision 0.992, recall 1.000, key recall 0.992 (bench/names.py prints the
# current figures). The asserted floors are the targets.
@pytest.mark.parametrize("filename", PAIR_FILES)
def test_precision_and_recall_at_default_threshold_meet_the_targets(filename: str) -> None:
    precision, recall = _precision_recall(_pairs(filename))

    assert precision >= 0.95
    assert recall >= 0.90


@pytest.mark.parametrize("filename", PAIR_FILES)
def test_matching_pairs_share_an_index_key(filename: str) -> None:
    assert _key_recall(_pairs(filename)) >= 0.95

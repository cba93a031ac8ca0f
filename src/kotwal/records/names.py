"""Name matching for person search, tuned to Telugu and Urdu names in Latin and Telugu script.

The records search service uses this module in two steps, and it holds no data of its own:

1. ``name_keys(name)`` gives a handful of short ASCII keys per name. The service stores them in an
   index table and fetches candidates whose keys are equal to one of the query's keys.
2. ``score(query, candidate)`` ranks those candidates: a number in [0, 1] and the reasons for it,
   which the officer sees next to each result. ``is_match`` applies ``DEFAULT_THRESHOLD``.
   ``similarity`` is the score alone: a search ranks its few hundred candidates by it and writes
   reasons only for the results it shows.

How a name is read (``_parse``):

- Telugu script is romanised first (``transliterate_telugu``) so that both scripts meet in the
  same Latin spelling rules; a Telugu initial such as "కె." becomes "K.".
- "A @ B" and "A alias B" are two names for one person (police records write aliases that way);
  "s/o ...", "d/o ...", "w/o ..." introduce a relative, who is not the person.
- Titles are dropped (Mr, Smt, Dr, Kum, -garu). Sri/Shri, the Md/Mohammed family and the
  Shaik/Sheikh family are *weak* tokens: they count when both names have them, cost little when
  one name lacks them, and never carry an index key alone, because a large share of all names
  begin with them. Reddy, Rao, Goud and the like are family or caste names and stay ordinary
  tokens: "Srinivas Reddy" is not "Srinivas Rao".
- Single letters, and two-letter tokens ending in a dot ("Ch."), are initials.

Each full token gets a *canonical* spelling (``_canonical``): the spelling alternations that
Indian names show in Latin script are folded one way (x/ksh, ph/f, w/v, z/j, aspirated consonants,
sh/s, ee/i, oo/ou/u, aa/a, -aiah/-ayya, y/i, doubled letters). Two tokens compare by a weighted
edit distance over canonical spellings in which the cheap edits are the ones that real spelling
variants make (an inserted or dropped short "a", o/u, a/e, e/i, a final inherent "a", a silent
"h") and consonant changes are dear, because Rajesh/Rakesh or Kiran/Karan are different people.
Besides the hand-set costs, ``name_costs.py`` holds costs learned from thousands of real
spellings (bench/learn_name_costs.py, on the tuning part of tests/records/name_corpus): the
anusvara typed m or n (Amkita/Ankita), c for k or s (Victor/Viktor, Francis/Fransis), g/j, a
missing h or final e, d/t as Telugu typists write them; an edit costs the lower of the two.

A name scores as a weighted agreement of its tokens, matched without regard to order (Telugu
names put the family name first, records often put it last, and either may be an initial), with
two or three adjacent tokens also tried joined ("Ravi Kumar" = "Ravikumar"). A token on one side
that disagrees with a token on the other (a *conflict*: Kumar vs Shankar) costs far more than a
token that the other name simply leaves out (an omitted family name or title).

Index keys are the token's consonant skeleton (canonical spelling without vowels after the first
letter: Srinivas, Sreenivaasa and Shrinivas all give "srnvs"), or, for short tokens whose
skeleton would be one or two letters, the canonical spelling with each vowel run written "a"
(Ravi -> "rava"). Keys fold what the scorer takes as one sound, so that every pair it would
accept shares a key: m is written n, c is s before e, i, y and k elsewhere, g is j, d is t, h
is left out, and a first vowel is "a" (Victor and Viktor give "vktr"; Eshvar and Ishvar
"asvr"). Each pair of adjacent tokens, and a three-token name as a whole, adds the key of its
joined spelling, so a joined and a split spelling still share a key.
Very common family and suffix tokens (Kumar, Rao, Reddy, Devi, ...) give no key of their own when
the name has a rarer token, so a query does not fetch every Kumar in the state; they still take
part in the joined keys and in the score. Initials and weak tokens give no key of their own.

Keys come in two tiers (``name_key_tiers``). *Broad* keys are the single tokens' keys: a given
name's key is shared by a large share of all records. *Narrow* keys say more: the joined keys; a
*pair key* for each two spelled-out tokens of one name, in either order ("kamaxsrnvs" for Kommu
Srinivas and for Srinivas Kommu alike), common tokens included; and an *initial pair* for a
token with another token's first letter ("gqmhs" for Gollapudi Mahesh, and for a query of
G. Mahesh). A search ranks the records sharing narrow keys first and takes from the
broad keys only what room is left, so at a million records it never has to count every
Srinivas to find the Srinivas Kommus.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from indic_transliteration import sanscript  # type: ignore[import-untyped]
from rapidfuzz.distance import Levenshtein

from kotwal.records import name_costs

__all__ = [
    "DEFAULT_THRESHOLD",
    "INITIAL_MARK",
    "PAIR_MARK",
    "Match",
    "is_match",
    "name_key_tiers",
    "name_keys",
    "score",
    "similarity",
    "transliterate_telugu",
]

#: Scores at or above this are reported as the same name. Chosen on tests/records/name_pairs.csv
#: (see tests/records/test_names.py for the precision and recall it gives).
DEFAULT_THRESHOLD = 0.8


@dataclass(frozen=True, slots=True)
class Match:
    """How alike two names are: a score in [0, 1] and the reasons an officer can read."""

    score: float
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Telugu script
# --------------------------------------------------------------------------------------------

# A run of Telugu letters, with the zero-width (non-)joiners that Telugu keyboards put inside words.
_TELUGU_RUN = re.compile(r"[\u0C00-\u0C7F][\u0C00-\u0C7F\u200C\u200D]*")

# Telugu writes an initial as the English letter's name ("కె." is K., "ఎం." is M.). Keys are the
# letter names as sanscript romanises them after _iast_to_latin.
_TELUGU_LETTER_NAMES = {
    "e": "A",
    "bi": "B",
    "si": "C",
    "di": "D",
    "i": "E",
    "ef": "F",
    "ji": "G",
    "hech": "H",
    "ai": "I",
    "je": "J",
    "ke": "K",
    "el": "L",
    "em": "M",
    "en": "N",
    "o": "O",
    "pi": "P",
    "kyu": "Q",
    "ar": "R",
    "es": "S",
    "ti": "T",
    "yu": "U",
    "vi": "V",
    "dablyu": "W",
    "eks": "X",
    "vai": "Y",
    "jed": "Z",
    "sihech": "Ch",
}

# IAST letters to the spelling Telugu speakers use in English records: retroflex and dental
# consonants are not told apart, long vowels are written short (the canonical form folds
# ee/aa anyway), palatal c is "ch", the syllabic r of Krishna is "ri", and ఔ is "ou" (Goud, Gouri).
_IAST_PLAIN = [
    ("jñ", "gn"),
    # IAST c is చ and ch is ఛ; in English records they are ch and chh. The third step undoes
    # what the second does to the first's output.
    ("ch", "chh"),
    ("c", "ch"),
    ("chhh", "chh"),
    ("ś", "sh"),
    ("ṣ", "sh"),
    ("ṭ", "t"),
    ("ḍ", "d"),
    ("ṇ", "n"),
    ("ṅ", "n"),
    ("ñ", "n"),
    ("ṛ", "ri"),
    ("ṝ", "ri"),
    ("ḷ", "l"),
    ("ṟ", "r"),
    ("ḥ", ""),
    ("ā", "a"),
    ("ī", "i"),
    ("ū", "u"),
    ("ē", "e"),
    ("ō", "o"),
    ("è", "e"),
    ("ò", "o"),
    ("au", "ou"),
]
# The anusvara is "m" before labials and h, v (Sampath, Narasimha) and at the end of a word
# (Saleem), and "n" elsewhere (Venkatesh, Anjaiah, Shankar).
_ANUSVARA_M = re.compile(r"ṃ(?=[pbmhv]|$|[^a-zāīūēōèòṛṝḷṭḍṇṅñśṣ])")


def _iast_to_latin(iast: str) -> str:
    text = _ANUSVARA_M.sub("m", iast).replace("ṃ", "n").replace("m̐", "n")
    for old, new in _IAST_PLAIN:
        text = text.replace(old, new)
    return text


@lru_cache(maxsize=4096)
def _romanise_run(run: str) -> str:
    letters = run.replace("\u200c", "").replace("\u200d", "")
    return _iast_to_latin(sanscript.transliterate(letters, sanscript.TELUGU, sanscript.IAST))


def transliterate_telugu(text: str) -> str:
    """Telugu script in ``text`` romanised as Telugu names are written in English records.

    Latin text passes through unchanged, so a mixed string is fine. The romanisation is the
    everyday one (శ్రీనివాస్ -> Shrinivas, లక్ష్మి -> Lakshmi, వెంకటేశ్వర్లు -> Venkateshvarlu),
    not a scholarly one, and a Telugu initial such as "కె." becomes "K.".
    """

    def romanise(match: re.Match[str]) -> str:
        latin = _romanise_run(match.group(0))
        followed_by_dot = text.startswith(".", match.end())
        if followed_by_dot and latin in _TELUGU_LETTER_NAMES:
            return _TELUGU_LETTER_NAMES[latin]
        return latin[:1].upper() + latin[1:]

    return _TELUGU_RUN.sub(romanise, text)


def _has_telugu(text: str) -> bool:
    return _TELUGU_RUN.search(text) is not None


# --------------------------------------------------------------------------------------------
# Spelling normalisation
# --------------------------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")

# Titles and address forms: not part of anyone's name.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "smt",
        "shrimati",
        "srimati",
        "sreemati",
        "srimathi",
        "shrimathi",
        "kum",
        "late",
        "garu",
        "ji",
    ]
)
# Honorific prefixes that are also the first half of names (Sri Lakshmi, Sridevi): weak tokens.
_SRI = frozenset(["sri", "shri", "sree", "shree", "sriman", "shriman"])
# Written abbreviations, expanded before normalisation.
_ABBREVIATIONS = {
    "md": "mohammed",
    "mhd": "mohammed",
    "mohd": "mohammed",
    "mohmd": "mohammed",
    "mahd": "mohammed",
    "sk": "shaik",
    "shk": "shaik",
}
_RELATIVE = re.compile(r"\b[sdwhc]\s*/\s*o\b.*$")
_ALIAS_SPLIT = re.compile(r"\s*(?:@|\balias\b|\baka\b|\ba/k/a\b)\s*")
_WORD = re.compile(r"([a-z]+)(\.?)")
# Names longer than this are cut: no real name has more tokens, and the comparison is exponential
# in the token count.
_MAX_TOKENS = 8
_MAX_LENGTH = 200

# Ordered rewrite rules on a lowercase token; each line is one documented alternation. Order
# matters: the digraphs go before the vowels they would otherwise split, and the doubled-letter
# collapse comes after every rule that may produce a double.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^ye", "e"),  # Yellaiah/Ellaiah, Yerra/Erra: Telugu initial ఎ is said "ye"
        (r"x", "ks"),  # Laxmi/Lakshmi
        (r"q", "k"),  # Farooq/Faruk
        (r"ph", "f"),  # Phani/Fani
        (r"ow(?=[^aeiou]|$)", "ou"),  # Gowd/Goud, Gowri/Gouri
        (r"khw", "kh"),  # Khwaja/Khaja: the Urdu w after kh is silent
        (r"w", "v"),  # Pawan/Pavan, Eswar/Eshvar
        (r"z", "j"),  # Feroz/Feroj, Zubair/Jubair
        (r"chh", "c"),
        (r"ch", "c"),  # Chary/Cari; a lone Latin c (rare in these names) is left alone
        (r"kh", "k"),  # Sekhar/Sekar, Shaikh/Shaik
        (r"gh", "g"),
        (r"jh", "j"),
        (r"th", "t"),  # Sampath/Sampat
        (r"dh", "d"),  # Prasadh/Prasad
        (r"bh", "b"),  # Bhaskar/Baskar
        (r"sh", "s"),  # Shankar/Sankar; ksh -> ks here too
        (r"ee|ii|ie", "i"),  # Naveen/Navin
        (r"oo|uu|ou", "u"),  # Yakoob/Yakub, Yousuf/Yusuf, Goud/Gud
        (r"aa", "a"),  # Sreenivaasa/Srinivasa
        (r"ei", "e"),  # Sheik/Shek
        (r"(?:aiah|ayyah|ayya|aiya|iah|aih)$", "aya"),  # Ramaiah/Ramayya/Ramiah
        (r"ravu$", "rao"),  # Telugu రావు is written Rao
        (r"nayudu$", "naidu"),  # Telugu నాయుడు is written Naidu
        (r"(?<=..)esu$", "es"),  # Obulesu/Obulesh, Mallesu/Mallesh: Telugu final -u
        (r"(?<=[aeiou])h$", ""),  # Abdullah/Abdulla: a final h after a vowel is silent
        # Vijay/Vijai, Reddy/Reddi, Swamy/Swami; but the -aya of Ramaiah keeps its y, which
        # tells the man's name from the woman's or the short one (Lakshmaiah/Lakshmi).
        (r"(?<=.)y(?!a$)", "i"),
        (r"(.)\1+", r"\1"),  # Reddy/Redy, Kommu/Komu
        (r"(?<=..[aeiou][^aeiou])e$", ""),  # Kishore/Kishor, Ghouse/Ghous: a silent final e
    )
)

_GARU = re.compile(r"(?<=...)garu$")  # Ravigaru: the Telugu respect suffix joined to a name
# Mohammed in its many spellings: m, vowels, h, vowels, m, vowels, d. Mahmood has no vowel
# between h and m and stays a different name.
_MOHAMMED = re.compile(r"^m[aeiou]+h[aeiou]+m[aeiou]+d$")
_MOHAMMED_MISSPELT = frozenset({"mohmad", "mohmed", "muhmad"})
# Lineage names that precede many Muslim names; Shaik Rafi and Syed Rafi are different people.
_SHAIK = frozenset({"saik", "sek", "saek", "seik", "seak"})
_SYED = frozenset({"sied", "saied", "saiad", "siad", "sed"})


@lru_cache(maxsize=65536)
def _canonical(word: str) -> str:
    """Fold the spelling alternations of Indian names written in Latin script one way."""
    for pattern, replacement in _RULES:
        word = pattern.sub(replacement, word)
    return word


def _skeleton(canon: str) -> str:
    """First letter and the consonants after it: the index key of a long enough token."""
    rest = "".join(ch for ch in canon[1:] if ch not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", canon[:1] + rest)


def _vowel_class(canon: str) -> str:
    """The canonical spelling with every vowel run after the first letter written "a"."""
    return re.sub(r"(.)\1+", r"\1", canon[:1] + re.sub(r"[aeiou]+", "a", canon[1:]))


# Keys fold what the scorer takes as one sound, so that the index reaches every pair the scorer
# would accept (name_costs.py makes m/n, c/k, g/j, d/t and a missing h cheap; an initial vowel
# may be written with any vowel letter: Eshvar/Ishvar, Akkada/Ekkada). A key only fetches
# candidates: folding more brings more of them to score, never a match the scorer rejects.
# A c is an s before e, i or y (Vincent/Vinsent, Cyril/Siril) and a k elsewhere (Victor/Viktor).
_KEY_FOLD = str.maketrans({"m": "n", "c": "k", "g": "j", "d": "t", "h": None})
_SOFT_C = re.compile(r"c(?=[eiy])")


def _key_form(canon: str) -> str:
    folded = _SOFT_C.sub("s", canon).translate(_KEY_FOLD)
    # The first letter after h is left out (Heth/Eth), any vowel written "a".
    folded = ("a" if folded[:1] in _VOWELS else folded[:1]) + folded[1:]
    return re.sub(r"(.)\1+", r"\1", folded)


@lru_cache(maxsize=65536)
def _token_key(canon: str) -> str:
    canon = _key_form(canon) or canon
    skeleton = _skeleton(canon)
    # A two-letter skeleton ("rv" for Ravi) would fetch too many unrelated names.
    return skeleton if len(skeleton) >= 3 else _vowel_class(canon)


def _weak_kind(canon: str) -> str | None:
    """For a weak token, which family of prefix it is; None for an ordinary token."""
    if canon == "sri":
        return "sri"
    if canon in _MOHAMMED_MISSPELT or _MOHAMMED.match(canon) is not None:
        return "mohammed"
    if canon in _SHAIK:
        return "shaik"
    if canon in _SYED:
        return "syed"
    return None


# Family, caste and suffix tokens so common that a key on them alone would swamp the index.
_COMMON = frozenset(
    _canonical(word)
    for word in [
        "kumar",
        "kumari",
        "rao",
        "reddy",
        "devi",
        "bai",
        "begum",
        "babu",
        "naidu",
        "goud",
        "yadav",
        "chary",
        "khan",
    ]
)


# --------------------------------------------------------------------------------------------
# Parsing a name into tokens
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # as written (romanised), for reasons
    canon: str  # canonical spelling; for an initial, its letter
    initial: bool
    weak_kind: str | None  # see _weak_kind

    @property
    def weak(self) -> bool:
        return self.weak_kind is not None


@dataclass(frozen=True, slots=True)
class _Readings:
    """What comparing needs of a name, made once per spelling (parsing is memoised) rather than
    on each comparison: its tokens as units, and for each run of tokens that may be read joined,
    the run and the units with it joined.

    Two readings are equal when everything a score depends on is (``key``: each unit's canonical
    spelling, kind and first letter, and each join's canonical spelling), so that spellings that
    differ only in what the canonical form folds away (Sreenivas Kommu, Shrinivas Komu) are
    scored once: the texts, which only the reasons quote, take no part."""

    key: tuple[object, ...]
    plain: tuple[_Unit, ...] = field(compare=False, repr=False)
    joins: tuple[tuple[tuple[int, int], tuple[_Unit, ...]], ...] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _Name:
    tokens: tuple[_Token, ...]
    telugu: bool
    readings: _Readings = field(compare=False, repr=False)


def _name(tokens: tuple[_Token, ...], telugu: bool) -> _Name:
    plain = _units(tokens)
    joins = tuple((join, _units(tokens, join)) for join in _joins(tokens))
    key = (
        tuple((u.positions, u.canon, u.initial, u.weak_kind, u.text[:1].lower()) for u in plain),
        tuple((join, units[join[0]].canon) for join, units in joins),
    )
    return _Name(tokens, telugu, _Readings(key, plain, joins))


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _tokens(text: str) -> tuple[_Token, ...]:
    cleaned = _RELATIVE.sub("", text)
    cleaned = re.sub(r"[^a-z.]+", " ", cleaned)
    tokens: list[_Token] = []
    for word, dot in _WORD.findall(cleaned):
        word = _GARU.sub("", word)
        if word in _TITLES:
            continue
        word = _ABBREVIATIONS.get(word, word)
        if len(word) == 1 or (dot and len(word) == 2):
            # An initial: "K", "K.", "Ch.". Compare on its canonical first letter.
            tokens.append(_Token(word.capitalize(), _canonical(word)[:1], True, None))
            continue
        canon = "sri" if word in _SRI else _canonical(word)
        tokens.append(_Token(word.capitalize(), canon, False, _weak_kind(canon)))
    return tuple(tokens[:_MAX_TOKENS])


@lru_cache(maxsize=65536)
def _parse(name: str) -> tuple[_Name, ...]:
    """The names (the person's name and aliases) written in ``name``."""
    # Whitespace runs are folded first so that no pattern below scans a long run more than once.
    name = " ".join(name.split())[:_MAX_LENGTH]
    telugu = _has_telugu(name)
    latin = _ascii_lower(transliterate_telugu(name)) if telugu else _ascii_lower(name)
    names = []
    for part in _ALIAS_SPLIT.split(latin):
        tokens = _tokens(part)
        if tokens:
            names.append(_name(tokens, telugu))
    return tuple(names)


# --------------------------------------------------------------------------------------------
# Comparing two tokens
# --------------------------------------------------------------------------------------------

# What a vowel swap costs. The cheap ones are the swaps that spellings of one name show
# (Mohammed/Muhammad/Mahammad, Ahmed/Ahmad, Mahender/Mahendar, Sheik/Shaik); i/a is dear
# because it is the difference between Kiran and Karan.
_VOWEL_SWAP = {
    frozenset("ou"): 0.25,
    frozenset("ao"): 0.4,
    frozenset("ae"): 0.4,
    frozenset("ei"): 0.4,
    frozenset("au"): 0.8,
    frozenset("eo"): 0.8,
    frozenset("eu"): 0.8,
}
# Token similarity from which two tokens are the same name: one consonant added or changed in a
# name of eight letters or fewer is a different name (1 - 1.2/8 = 0.85). Chosen on the outside
# list's tuning part with the learned costs (0.87 before them): 0.85 joined Lakshmaiah and
# Lakshmamma, 0.86 keeps them apart and gains most of the recall.
_AGREE = 0.86
_CONSONANT_SWAP = 1.2  # Lakshmaiah/Lakshmamma: one consonant is a different name
_CONSONANT_GAP = 1.2  # an added consonant changes the name: Sravani/Sravanthi, Prasanna/Prasanth
_VOWEL_TO_CONSONANT = 1.2


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    a_vowel, b_vowel = a in _VOWELS, b in _VOWELS
    if a_vowel and b_vowel:
        return _VOWEL_SWAP.get(frozenset((a, b)), 1.0)
    if a_vowel or b_vowel:
        return _VOWEL_TO_CONSONANT
    return _CONSONANT_SWAP


_SUBSTITUTION = {
    # The hand-set cost, or the cost learned from real spellings where that is lower
    # (name_costs.py, written by bench/learn_name_costs.py): c/k, g/j, m/n, o/u and the like.
    (a, b): min(_substitution(a, b), name_costs.SUBSTITUTIONS.get((min(a, b), max(a, b)), 9.0))
    for a in string.ascii_lowercase
    for b in string.ascii_lowercase
}


def _gap(word: str, index: int) -> float:
    """What it costs for ``word[index]`` to be missing from the other spelling."""
    ch = word[index]
    final = index == len(word) - 1
    if ch == "a":
        # The inherent vowel: Srinivasa/Srinivas at the end, Narasaiah/Narsaiah inside.
        return 0.3 if final else 0.5
    if ch in _VOWELS:
        # A final i or u is a different name as often as not (Kalyan/Kalyani, Ram/Ramu).
        return 1.2 if final else 0.6
    if ch == "h":
        return 0.6
    return _CONSONANT_GAP


@lru_cache(maxsize=65536)
def _gaps(word: str) -> tuple[float, ...]:
    last = len(word) - 1
    return tuple(
        min(_gap(word, index), name_costs.GAPS.get((word[index], index == last), 9.0))
        for index in range(len(word))
    )


_CHEAPEST_EDIT = min(
    *_VOWEL_SWAP.values(),
    0.3,
    *name_costs.SUBSTITUTIONS.values(),
    *name_costs.GAPS.values(),
)


@lru_cache(maxsize=131072)
def _token_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two canonical spellings by the weighted edit distance above."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    # Most candidate tokens share little with the query token. The plain edit distance (in C)
    # times the cheapest edit bounds the weighted distance from below, so when even that bound
    # rules out agreement the plain similarity stands in for the weighted one.
    plain = Levenshtein.distance(a, b)
    if plain * _CHEAPEST_EDIT / longest > 1.0 - _AGREE:
        return max(0.0, 1.0 - plain / longest)
    gaps_a, gaps_b = _gaps(a), _gaps(b)
    previous = [0.0]
    for j in range(len(b)):
        previous.append(previous[j] + gaps_b[j])
    for i, ch in enumerate(a):
        gap_a = gaps_a[i]
        current = [previous[0] + gap_a]
        for j, other in enumerate(b):
            current.append(
                min(
                    previous[j] + _SUBSTITUTION[(ch, other)],
                    previous[j + 1] + gap_a,
                    current[j] + gaps_b[j],
                )
            )
        previous = current
    return max(0.0, 1.0 - previous[-1] / longest)


# --------------------------------------------------------------------------------------------
# Comparing two names
# --------------------------------------------------------------------------------------------

_INITIAL_WEIGHT = 0.35  # an initial says less than a whole name
_INITIAL_CREDIT = 0.9  # and agreeing with one is less certain than a spelled-out match
_WEAK_WEIGHT = 0.3  # Sri, Mohammed, Shaik: shared by too many names to say much
_JOIN_CREDIT = 0.97  # Ravikumar = Ravi Kumar, a shade below an exact match so it ranks second
_CONFLICT_COST = 1.0  # a token that disagrees counts fully against
_INITIAL_CONFLICT_COST = 2.0  # K. vs Bandi: a different family
_OMITTED_COST = 0.25  # a token the other name leaves out counts a quarter against
_CONFLICT_CREDIT = 0.3  # near misses rank above far misses, but stay below the threshold


@dataclass(frozen=True, slots=True)
class _Unit:
    """One token of a name, or a run of adjacent tokens read as one joined token."""

    positions: tuple[int, ...]
    text: str
    canon: str
    initial: bool
    weak_kind: str | None
    # Derived from the above, stored rather than computed: a search reads them a million times.
    weak: bool = field(init=False, compare=False, repr=False)
    weight: float = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        weak = self.weak_kind is not None
        weight = _INITIAL_WEIGHT if self.initial else (_WEAK_WEIGHT if weak else 1.0)
        object.__setattr__(self, "weak", weak)
        object.__setattr__(self, "weight", weight)


@lru_cache(maxsize=65536)
def _units(tokens: tuple[_Token, ...], join: tuple[int, int] = (0, 1)) -> tuple[_Unit, ...]:
    """Tokens as units, the ``join[1]`` tokens from position ``join[0]`` fused into one."""
    start, length = join
    units = [
        _Unit((i,), token.text, token.canon, token.initial, token.weak_kind)
        for i, token in enumerate(tokens)
    ]
    if length > 1:
        fused = tokens[start : start + length]
        canon = _canonical("".join(token.text.lower() for token in fused))
        text = " ".join(token.text for token in fused)
        units[start : start + length] = [
            _Unit(tuple(range(start, start + length)), text, canon, False, None)
        ]
    return tuple(units)


# Telugu compound names are written whole or in parts: Venkatasatyanarayana is Venkata Satya
# Narayana. Runs of up to this many adjacent tokens are also read joined.
_MAX_JOIN = 3


def _joins(tokens: Sequence[_Token]) -> list[tuple[int, int]]:
    """Each run of two or three adjacent spelled-out tokens, as (start, length)."""
    return [
        (start, length)
        for length in range(2, _MAX_JOIN + 1)
        for start in range(len(tokens) - length + 1)
        if not any(token.initial for token in tokens[start : start + length])
        and not all(token.weak for token in tokens[start : start + length])
    ]


def _pair_similarity(q: _Unit, c: _Unit) -> float:
    if q.initial and c.initial:
        return 1.0 if q.canon == c.canon else 0.0
    if q.initial or c.initial:
        full = c if q.initial else q
        letter = q.canon if q.initial else c.canon
        first_letters = {full.canon[:1], full.text[:1].lower()}
        return _INITIAL_CREDIT if letter in first_letters else 0.0
    if q.weak_kind is not None and q.weak_kind == c.weak_kind:
        return 1.0  # Shaik/Sheikh/Shek, Md/Mohammed: spellings of one prefix, listed above
    return _token_similarity(q.canon, c.canon)


@dataclass(frozen=True, slots=True)
class _Assessment:
    """One reading of two names: the score, and which tokens agreed, disagreed or were left out.

    The reasons are written only for the reading that wins, since most readings are discarded.
    """

    score: float
    queries: tuple[_Unit, ...]
    candidates: tuple[_Unit, ...]
    agreed: tuple[tuple[int, int, float], ...]  # query index, candidate index, similarity
    conflicts: tuple[tuple[int, int], ...]
    omitted_from_candidate: tuple[int, ...]
    omitted_from_query: tuple[int, ...]

    def reasons(self) -> list[str]:
        reasons = [
            _agreement_reason(self.queries[i], self.candidates[j], sim) for i, j, sim in self.agreed
        ]
        if _reordered([(i, j) for i, j, _ in self.agreed]):
            reasons.append("tokens reordered")
        reasons.extend(
            f"'{self.queries[i].text}' differs from '{self.candidates[j].text}'"
            for i, j in self.conflicts
        )
        if self.omitted_from_candidate:
            texts = (self.queries[i].text for i in self.omitted_from_candidate)
            reasons.append("not in candidate: " + ", ".join(f"'{text}'" for text in texts))
        if self.omitted_from_query:
            texts = (self.candidates[j].text for j in self.omitted_from_query)
            reasons.append("not in query: " + ", ".join(f"'{text}'" for text in texts))
        return reasons


def _agrees(q: _Unit, c: _Unit, sim: float) -> bool:
    if q.initial or c.initial:
        return sim > 0.0
    return sim >= _AGREE


def _best_agreement(
    queries: Sequence[_Unit], candidates: Sequence[_Unit], sims: dict[tuple[int, int], float]
) -> list[tuple[int, int]]:
    """The agreeing (query, candidate) pairs with the largest total weighted credit.

    An exact search (dynamic programming over which candidate tokens are taken), because a greedy
    one can give an initial the token that a spelled-out name needed. Names are capped at
    _MAX_TOKENS tokens, so there are at most _MAX_TOKENS * 2**_MAX_TOKENS states.
    """
    edges = [
        [
            (j, min(q.weight, candidates[j].weight) * sims[(i, j)])
            for j in range(len(candidates))
            if _agrees(q, candidates[j], sims[(i, j)])
        ]
        for i, q in enumerate(queries)
    ]
    # Most readings have no choice to make: each query token agrees with at most one token, and
    # no two with the same one. Every agreement then adds credit, so taking them all is the
    # unique best, and the search below would find just that.
    taken_js = [j for row in edges for j, _ in row]
    if all(len(row) <= 1 for row in edges) and len(set(taken_js)) == len(taken_js):
        return [(i, row[0][0]) for i, row in enumerate(edges) if row]
    # Query tokens after the last one with an agreement add nothing: the search stops there.
    depth = max(i for i, row in enumerate(edges) if row) + 1
    # For each state (query token i, candidate tokens taken) its best value, and which candidate
    # token it gives token i (-1: none); the pairs are read back along the best path. A state is
    # one int, ``taken`` shifted past the token index (_MAX_TOKENS < 16).
    values: dict[int, float] = {}
    picks: dict[int, int] = {}

    def best_from(i: int, taken: int) -> float:
        if i == depth:
            return 0.0
        state = taken << 4 | i
        known = values.get(state)
        if known is not None:
            return known
        best, pick = best_from(i + 1, taken), -1
        for j, value in edges[i]:
            if taken >> j & 1:
                continue
            total = best_from(i + 1, taken | 1 << j) + value
            if total > best:
                best, pick = total, j
        values[state], picks[state] = best, pick
        return best

    best_from(0, 0)
    pairs: list[tuple[int, int]] = []
    taken = 0
    for i in range(depth):
        j = picks[taken << 4 | i]
        if j >= 0:
            pairs.append((i, j))
            taken |= 1 << j
    return pairs


def _assess(queries: tuple[_Unit, ...], candidates: tuple[_Unit, ...]) -> _Assessment:
    sims = {
        (i, j): _pair_similarity(q, c)
        for i, q in enumerate(queries)
        for j, c in enumerate(candidates)
    }
    agreed = _best_agreement(queries, candidates, sims)
    numerator = denominator = 0.0
    # Agreeing on Sri or Mohammed alone is no match, unless that is all either name has.
    weak_only = not all(any(not u.initial and not u.weak for u in s) for s in (queries, candidates))
    strong = False
    for i, j in agreed:
        q, c = queries[i], candidates[j]
        weight = min(q.weight, c.weight)
        credit = sims[(i, j)] * (_JOIN_CREDIT if len(q.positions) + len(c.positions) > 2 else 1.0)
        numerator += weight * credit
        denominator += weight
        strong = strong or not (q.initial or c.initial or (q.weak and not weak_only))
    agreed_q, agreed_c = {i for i, _ in agreed}, {j for _, j in agreed}
    left_q = [i for i in range(len(queries)) if i not in agreed_q]
    left_c = [j for j in range(len(candidates)) if j not in agreed_c]
    # Leftovers on both sides disagree; leftovers on one side only were left out by the other
    # name. A weak token that the other name lacks is no evidence either way (Md. Rafi = Rafi).
    conflicts = _pair_leftovers(left_q, left_c, sims, queries, candidates)
    for i, j in conflicts:
        q, c = queries[i], candidates[j]
        # Two lineage names (both weak) disagree as strongly as two given names.
        weight = 1.0 if q.weak and c.weak else min(q.weight, c.weight)
        cost = _INITIAL_CONFLICT_COST if q.initial or c.initial else _CONFLICT_COST
        numerator += weight * sims[(i, j)] * _CONFLICT_CREDIT
        denominator += weight * cost
    conflict_q, conflict_c = {i for i, _ in conflicts}, {j for _, j in conflicts}
    omitted_q = [i for i in left_q if i not in conflict_q and not queries[i].weak]
    omitted_c = [j for j in left_c if j not in conflict_c and not candidates[j].weak]
    for unit in (*(queries[i] for i in omitted_q), *(candidates[j] for j in omitted_c)):
        denominator += unit.weight * _OMITTED_COST
    value = numerator / denominator if denominator else 0.0
    if not strong:
        # Initials and titles alone never make a match.
        value = min(value, 0.5)
    return _Assessment(
        round(value, 4),
        queries,
        candidates,
        tuple((i, j, sims[(i, j)]) for i, j in agreed),
        tuple(conflicts),
        tuple(omitted_q),
        tuple(omitted_c),
    )


def _pair_leftovers(
    left_q: Sequence[int],
    left_c: Sequence[int],
    sims: dict[tuple[int, int], float],
    queries: Sequence[_Unit],
    candidates: Sequence[_Unit],
) -> list[tuple[int, int]]:
    """Leftover tokens on both sides, paired closest first: these are the disagreements."""
    ordered = sorted(
        ((i, j) for i in left_q for j in left_c if _can_conflict(queries[i], candidates[j])),
        key=lambda pair: -sims[pair],
    )
    pairs: list[tuple[int, int]] = []
    for i, j in ordered:
        if all(i != p and j != r for p, r in pairs):
            pairs.append((i, j))
    return pairs


def _can_conflict(q: _Unit, c: _Unit) -> bool:
    """Whether two leftover tokens are evidence of two different people.

    A weak token is usually a title that the other record left out, so it disagrees with nothing,
    except that two different lineage names (Shaik and Syed) are two different families.
    """
    if not (q.weak or c.weak):
        return True
    lineage = {"shaik", "syed"}
    return q.weak_kind in lineage and c.weak_kind in lineage


def _reordered(agreed: Sequence[tuple[int, int]]) -> bool:
    order = [j for _, j in sorted(agreed)]
    return order != sorted(order)


def _agreement_reason(q: _Unit, c: _Unit, sim: float) -> str:
    if q.initial and c.initial:
        return f"initial {q.text} matches {c.text}"
    if q.initial or c.initial:
        letter, full = (q, c) if q.initial else (c, q)
        return f"initial {letter.text} matches '{full.text}'"
    if len(q.positions) > 1 or len(c.positions) > 1:
        return f"joined name '{q.text}' matches '{c.text}'"
    if q.text.lower() == c.text.lower():
        return f"same name '{q.text}'"
    if q.weak_kind is not None and q.weak_kind == c.weak_kind:
        return f"'{q.text}' and '{c.text}' are spellings of one name"
    if q.canon == c.canon:
        return f"phonetic match on '{q.canon}' ('{q.text}' ~ '{c.text}')"
    return f"similar spelling '{q.text}' ~ '{c.text}' ({sim:.2f})"


def _compare(query: _Readings, candidate: _Readings) -> _Assessment:
    """The best reading of two names over the ways of joining adjacent tokens."""
    plain_q, plain_c = query.plain, candidate.plain
    best = _assess(plain_q, plain_c)
    # Joining on both sides at once only ever restates a one-sided join, and a join is worth
    # assessing only if the joined token agrees with some token of the other name.
    sides = ((query.joins, plain_c, True), (candidate.joins, plain_q, False))
    for joins, others, on_query in sides:
        for join, units in joins:
            joined = units[join[0]]
            if not any(_agrees(joined, other, _pair_similarity(joined, other)) for other in others):
                continue
            assessment = _assess(units, plain_c) if on_query else _assess(plain_q, units)
            if assessment.score > best.score:
                best = assessment
    return best


@lru_cache(maxsize=131072)
def _reading_score(query: _Readings, candidate: _Readings) -> float:
    return _compare(query, candidate).score


def _best_pair(query: str, candidate: str) -> tuple[float, tuple[_Name, _Name] | None]:
    """The best score over the two spellings' names (a name and its aliases), and which names
    gave it: the first pair to reach it, as the reasons are written for that pair."""
    best: tuple[float, tuple[_Name, _Name] | None] = (0.0, None)
    for q in _parse(query):
        for c in _parse(candidate):
            value = _reading_score(q.readings, c.readings)
            if best[1] is None or value > best[0]:
                best = (value, (q, c))
    return best


@lru_cache(maxsize=65536)
def similarity(query: str, candidate: str) -> float:
    """The score of ``score(query, candidate)`` without its reasons: what a search ranks its
    candidates by, writing the reasons only for the results it shows."""
    return _best_pair(query, candidate)[0]


@lru_cache(maxsize=65536)
def score(query: str, candidate: str) -> Match:
    """How alike the two names are, with the reasons, for ranking search results."""
    value, pair = _best_pair(query, candidate)
    if pair is None:
        return Match(0.0, ("no name to compare",))
    reasons = _compare(pair[0].readings, pair[1].readings).reasons()
    query_names, candidate_names = _parse(query), _parse(candidate)
    query_telugu = any(n.telugu for n in query_names)
    if query_telugu != any(n.telugu for n in candidate_names):
        telugu = query if query_telugu else candidate
        reasons.insert(0, f"Telugu script read as '{transliterate_telugu(telugu)}'")
    if len(query_names) > 1 or len(candidate_names) > 1:
        reasons.append("compared with each alias")
    return Match(value, tuple(reasons))


def is_match(query: str, candidate: str) -> bool:
    """Whether the two names are the same name at ``DEFAULT_THRESHOLD``."""
    return score(query, candidate).score >= DEFAULT_THRESHOLD


# --------------------------------------------------------------------------------------------
# Index keys
# --------------------------------------------------------------------------------------------


#: Joins the two token keys of a pair key. Canonical spellings have no x (it is written ks),
#: so no token key contains it, and keys stay plain lowercase letters.
PAIR_MARK = "x"
#: Joins an initial's letter to a token key ("gqmhs": G. Mahesh, and Gollapudi Mahesh, whose
#: house name begins with G). Canonical spellings have no q either (it is written k).
INITIAL_MARK = "q"
# Pair keys are made from at most this many tokens of a name (three pairs), and are no longer
# than this: a longer pair is of two long, rare names, each of which is selective alone.
_MAX_PAIRED_TOKENS = 3
_MAX_KEY_LENGTH = 16
# Keys stored for one name, at most: pair keys give way first, since they only narrow a
# search. A query's keys are not stored, so a query keeps all of its pairs.
_MAX_KEYS = 8


def _pair_keys(tokens: Sequence[_Token], stored: bool) -> list[str]:
    """Pair keys of the tokens, the likeliest to be needed first: of tokens apart in the name
    (two adjacent tokens in the query's order already share the joined key), then of adjacent
    ones, then initial pairs (a token with the first letter of another). A query's initials
    pair too ("K. Srinivas" asks for the Srinivases of a K house), but a stored initial carries
    no key: the spelled-out names of the same record, or of others, carry it."""
    spelled = [(i, t) for i, t in enumerate(tokens) if not t.initial and not t.weak]
    spelled = spelled[:_MAX_PAIRED_TOKENS]
    keyed = [(i, _token_key(t.canon)) for i, t in spelled]
    rank: dict[str, int] = {}
    for n, (i, a) in enumerate(keyed):
        for j, b in keyed[n + 1 :]:
            if a != b and len(a) + len(b) < _MAX_KEY_LENGTH:
                rank.setdefault(PAIR_MARK.join(sorted((a, b))), 0 if j - i > 1 else 1)
    letters = [(i, _key_form(t.canon)[:1]) for i, t in spelled]
    if not stored:
        letters += [(i, _key_form(t.canon)[:1]) for i, t in enumerate(tokens) if t.initial]
    for i, letter in letters:
        for j, key in keyed:
            if i != j and letter.isalpha() and len(key) + 2 <= _MAX_KEY_LENGTH:
                rank.setdefault(f"{letter}{INITIAL_MARK}{key}", 2)
    return sorted(rank, key=lambda key: (rank[key], key))


def _keys_of(tokens: Sequence[_Token], stored: bool) -> tuple[set[str], set[str]]:
    """The (broad, narrow) keys of one name: its tokens' keys, and its joined and pair keys
    (for a ``stored`` name, as many pair keys as there is room for)."""
    full = [t for t in tokens if not t.initial]
    strong = [t for t in full if not t.weak]
    rare = [t for t in strong if t.canon not in _COMMON]
    keyed = rare or strong or full
    keys = {_token_key(t.canon) for t in keyed}
    if rare:
        # A key of one or two letters would fetch thousands; the rare tokens carry the name.
        keys = {k for k in keys if len(k) >= 3} or keys
    narrow: set[str] = set()
    for start, length in _joins(tokens):
        # A name written wholly joined (Venkatasatyanarayana) shares only the key of the whole
        # name; in longer names another token carries a shared key, so the three-token joins,
        # of which a long name has many, are keyed only when they are the whole name.
        if length == 3 and len(tokens) > 3:
            continue
        joined = "".join(token.text.lower() for token in tokens[start : start + length])
        narrow.add(_token_key(_canonical(joined)))
    pairs = _pair_keys(tokens, stored)
    room = max(0, _MAX_KEYS - len(keys | narrow)) if stored else len(pairs)
    narrow |= set(pairs[:room])
    if not keys and not narrow and len(tokens) > 1:
        # Initials only: the best that can be done is the initials themselves. A lone initial
        # gets no key at all, which would fetch a twenty-sixth of the index.
        keys.add("".join(t.canon for t in tokens))
    # A joined key that is also a token's key (Ravikumar, Ravi Kumar) is as broad as that token.
    return keys, narrow - keys


@lru_cache(maxsize=65536)
def name_key_tiers(query: str) -> tuple[frozenset[str], frozenset[str]]:
    """The (narrow, broad) keys to search for ``query``; see the module's notes on the two
    tiers. A superset of ``name_keys(query)``: a stored name keeps only some of its pairs."""
    broad: set[str] = set()
    narrow: set[str] = set()
    for parsed in _parse(query):
        token_keys, more = _keys_of(parsed.tokens, stored=False)
        broad |= token_keys
        narrow |= more
    return frozenset(narrow - broad), frozenset(broad)


@lru_cache(maxsize=65536)
def name_keys(name: str) -> frozenset[str]:
    """The index keys of ``name``: two spellings of one name share at least one of them."""
    keys: set[str] = set()
    for parsed in _parse(name):
        token_keys, more = _keys_of(parsed.tokens, stored=True)
        keys |= token_keys | more
    return frozenset(keys)

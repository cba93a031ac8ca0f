"""Signals beyond volume and the budget configuration, as pure functions: which patterns raise
the score and by how much, and which settings stop start-up."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kotwal.core.config import Settings
from kotwal.core.gate import order_bucket
from kotwal.core.observers import Disclosure, DisclosureKind
from kotwal.core.policy import Actor, Role
from kotwal.watch import config
from kotwal.watch.service import BudgetObserver, Signal, score_signals
from kotwal.watch.window import Window, WindowRow

ACTOR = Actor(account_id="a", username="pc", roles=frozenset({Role.CONSTABLE}))
NOON_IST = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
MIDNIGHT_IST = datetime(2026, 11, 28, 18, 45, tzinfo=UTC)  # 00:15 in Asia/Kolkata


def _cfg(**overrides: object) -> config.WatchConfig:
    return config.load(Settings(data_dir=Path("unused"), **overrides))  # type: ignore[arg-type]


def _listing(ids: list[str], batch: str = "search-1") -> list[WindowRow]:
    return [WindowRow(rid, "list", batch, n, False) for n, rid in enumerate(ids)]


def _opens(ids: list[str]) -> list[WindowRow]:
    return [WindowRow(rid, "record", f"open-{rid}", 0, False) for rid in ids]


def _now(ids: list[str], kind: DisclosureKind = "record", **kw: tuple[str, ...]) -> Disclosure:
    return Disclosure(ACTOR, "person", tuple(ids), None, kind=kind, **kw)


def _signals(rows: list[WindowRow], d: Disclosure, now: datetime) -> list[Signal]:
    cfg = _cfg()
    return score_signals(cfg, Window.from_rows(rows, cfg.counted_kinds, d.record_ids), d, now)


def _names(signals: list[Signal]) -> set[str]:
    return {s.name for s in signals}


def test_opening_a_listing_one_after_another_is_sequential_enumeration() -> None:
    ids = [f"p{n:02d}" for n in range(12)]
    rows = _listing(ids) + _opens(ids[:11])
    signals = _signals(rows, _now([ids[11]]), NOON_IST)
    (signal,) = [s for s in signals if s.name == "sequential_enumeration"]
    assert signal.points == config.SEQUENTIAL_POINTS and signal.count == 11


def test_opening_a_few_hits_in_any_order_is_not_enumeration() -> None:
    ids = [f"p{n:02d}" for n in range(12)]
    picked = [ids[7], ids[2], ids[11], ids[0], ids[5], ids[9], ids[3], ids[10], ids[1], ids[8]]
    rows = _listing(ids) + _opens(picked)
    assert "sequential_enumeration" not in _names(_signals(rows, _now([ids[4]]), NOON_IST))


def test_many_searches_with_nothing_opened_raise_the_score() -> None:
    rows = [r for n in range(9) for r in _listing([f"q{n}"], batch=f"s{n}")]
    signals = _signals(rows, _now(["q9"], kind="list"), NOON_IST)
    assert "searches_without_opening" in _names(signals)
    opened = rows + _opens(["q1"])
    assert "searches_without_opening" not in _names(
        _signals(opened, _now(["q9"], kind="list"), NOON_IST)
    )


def test_reading_outside_ones_jurisdiction_with_a_purpose_counts_twice() -> None:
    outside = Disclosure(ACTOR, "person", ("x1", "x2"), "FIR 12/2026", ("x1", "x2"))
    (signal,) = [s for s in _signals([], outside, NOON_IST) if s.name == "out_of_jurisdiction"]
    assert signal.points == 2
    # Without a purpose only public fields left: nothing to charge, no signal.
    masked = Disclosure(ACTOR, "person", ("x1",), None, ("x1",), public_only=("x1",))
    assert "out_of_jurisdiction" not in _names(_signals([], masked, NOON_IST))


def test_unusual_local_hours_raise_the_score() -> None:
    assert "unusual_hours" in _names(_signals([], _now(["p"]), MIDNIGHT_IST))
    assert "unusual_hours" not in _names(_signals([], _now(["p"]), NOON_IST))


def test_photos_and_exports_raise_the_score() -> None:
    photos = [WindowRow(f"ph{n}", "photo", f"b{n}", 0, False) for n in range(9)]
    assert "photo_downloads" in _names(_signals(photos, _now(["ph9"], kind="photo"), NOON_IST))
    export = _signals([], _now(["e1", "e2"], kind="export"), NOON_IST)
    assert ("exports", config.EXPORT_POINTS) in {(s.name, s.points) for s in export}


def test_an_account_with_several_roles_gets_the_most_generous_budget() -> None:
    cfg = _cfg()
    both = cfg.budget_for(frozenset({Role.CONSTABLE, Role.STATION_HOUSE_OFFICER}))
    assert both == config.DEFAULT_BUDGETS[Role.STATION_HOUSE_OFFICER]
    assert cfg.budget_for(frozenset({Role.CONSTABLE})).hard_hour == 100


def test_budgets_are_configurable_per_role() -> None:
    cfg = _cfg(watch_budgets={"constable": [10, 20, 30, 40]})
    assert cfg.budget_for(frozenset({Role.CONSTABLE})) == config.Budget(10, 20, 30, 40)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"watch_budgets": {"constable": [50, 40, 100, 200]}}, "constable"),
        ({"watch_budgets": {"constable": [1, 2, 3]}}, "four numbers"),
        ({"watch_budgets": {"havildar": [1, 2, 3, 4]}}, "havildar"),
        ({"watch_budgets": {"constable": [10, 500, 20, 100]}}, "hourly hard limit"),
        ({"watch_counted_kinds": "record,telepathy"}, "COUNTED_KINDS"),
        ({"watch_quiet_hours": "late"}, "QUIET_HOURS"),
        ({"watch_quiet_hours": "22-25"}, "0-23"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        _cfg(**overrides)


def test_the_observer_is_registered_once_per_runtime() -> None:
    from kotwal.core.observers import Observers

    observers = Observers()
    observers.register(BudgetObserver(_cfg()))
    observers.register(BudgetObserver(_cfg()))
    assert len(observers.callbacks) == 1


def _opens_named(names: list[str]) -> list[WindowRow]:
    return [
        WindowRow(f"r{n}", "record", f"open-{n}", 0, False, False, order_bucket(name))
        for n, name in enumerate(names)
    ]


def _open_named(name: str) -> Disclosure:
    return Disclosure(ACTOR, "person", ("last",), None, order_buckets=(order_bucket(name),))


A_TO_Z = [
    "Abdul Rahim",
    "Anjaiah K",
    "Bhaskar Rao",
    "Chandra Kala",
    "Dasari Ravi",
    "Ella Reddy",
    "Gopal Varma",
    "Harish M",
    "Imran Khan",
    "Jagadish B",
    "Kommu Ravi",
    "Lakshmi P",
    "Mallesh T",
    "Narsimha G",
    "Praveen S",
]


def test_opening_records_in_alphabetical_order_is_alphabetical_enumeration() -> None:
    signals = _signals(_opens_named(A_TO_Z), _open_named("Ramulu Y"), NOON_IST)
    (signal,) = [s for s in signals if s.name == "alphabetical_enumeration"]
    assert signal.points == config.ALPHABETICAL_POINTS and signal.count == len(A_TO_Z)


def test_an_officers_honest_order_and_one_familys_records_are_not_enumeration() -> None:
    shuffled = A_TO_Z[:]
    random.Random(5).shuffle(shuffled)  # nosec B311 - test data order
    honest = _signals(_opens_named(shuffled), _open_named("Ramulu Y"), NOON_IST)
    assert "alphabetical_enumeration" not in _names(honest)
    family = [f"Kommu {given}" for given in sorted(A_TO_Z)]  # one bucket: "ko"
    same = _signals(_opens_named(family), _open_named("Kommu Zakir"), NOON_IST)
    assert "alphabetical_enumeration" not in _names(same)


def test_an_order_bucket_is_two_letters_and_never_the_name() -> None:
    assert order_bucket("aa") == 0 and order_bucket("Zz Top") == 675
    assert order_bucket("Ravi") == order_bucket("RAMESH") == (17 * 26 + 0)
    assert order_bucket("రవి") is None and order_bucket("") is None

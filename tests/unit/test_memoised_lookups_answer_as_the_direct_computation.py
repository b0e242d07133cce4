"""Lookups the hot loops keep for reuse (market hours inside a session, the sim's next close, its
hash of a book's parts, a symbol's hash) answer exactly what the computation they stand for
answers, at any instant and in any order of asking."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, datetime, timedelta

import pytest

from trader_cli import hours as market_hours
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.sim.engine import hours as sim_hours
from trader_cli.sim.engine import market

START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=6 * 365).total_seconds())


def _instants(seed: int, n: int) -> list[datetime]:
    rng = random.Random(seed)
    return [START + timedelta(seconds=rng.randrange(SPAN)) for _ in range(n)]


@pytest.mark.parametrize("cls", [InstrumentClass.ASX_EQUITY, InstrumentClass.FX])
def test_market_hours_kept_inside_a_session_equal_the_hours_computed_afresh(
    cls: InstrumentClass,
) -> None:
    # instants in clusters (a loop walking a session) and at random (a jump to another day)
    rng = random.Random(7)
    instants = []
    for at in _instants(3, 300):
        instants += [at + timedelta(minutes=rng.randrange(0, 600)) for _ in range(5)]
    for at in instants:
        kept = market_hours.market_hours(cls, at)
        market_hours._OPEN_NOW.clear()
        fresh = market_hours.market_hours(cls, at)
        assert kept == fresh, at


@pytest.mark.parametrize(("kind", "use_rth"), [("ASX", True), ("ASX", False), ("FX", True)])
def test_the_sims_next_close_is_the_first_session_close_after_the_instant(
    kind: str, use_rth: bool
) -> None:
    answered = 0
    for at in _instants(11, 3000):
        expected = next(
            (c for _, c in sim_hours.sessions(kind, at, at + timedelta(days=14), use_rth=use_rth)
             if c > at),
            None,
        )
        got = sim_hours.next_close(kind, at, use_rth=use_rth)
        if got is not None:  # None: not in the cached window, the caller looks further
            answered += 1
            assert got == expected, at
    assert answered > 2000  # the cached window answers nearly every instant


def _unit_direct(*parts: int) -> float:
    acc = 0
    for part in parts:
        acc = market._mix(acc ^ (part & market._MASK))
    return acc / float(1 << 64)


def test_the_sims_hash_of_a_books_parts_is_the_same_with_its_prefix_kept() -> None:
    rng = random.Random(5)
    for _ in range(5000):
        parts = [rng.randrange(-(2**70), 2**70) for _ in range(rng.choice([1, 2, 3, 3, 4]))]
        assert market._unit(*parts) == _unit_direct(*parts)
        assert market._unit(*parts) == _unit_direct(*parts)  # the second time, from the cache


def test_a_symbols_kept_hash_survives_copies_and_pickles_and_equals_a_parsed_ones() -> None:
    made = Symbol("BHP", "AUD")
    parsed = parse_symbol("bhp/aud")
    assert made == parsed and hash(made) == hash(parsed) == hash(("BHP", "AUD"))
    loaded = pickle.loads(pickle.dumps(made))
    assert loaded == made and hash(loaded) == hash(made)
    assert {made: 1}[loaded] == 1
    assert sorted([Symbol("CBA", "AUD"), made]) == [made, Symbol("CBA", "AUD")]
    assert repr(made) == "Symbol(base='BHP', quote='AUD')"

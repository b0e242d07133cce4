"""The sim keeps the bars it made: a bar asked again (kept, or evicted and made again) equals
the bar a fresh model makes, for random windows, in seed and CSV mode; a moved price is seen."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trader_cli.sim.engine import market as market_module
from trader_cli.sim.engine.catalogue import Catalogue, Instrument
from trader_cli.sim.engine.market import CsvBar, MarketModel

START = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
SYMBOLS = ("BHP", "AUD.USD", "CSL")
BAR_SIZES = (5, 60, 300, 3600, 86400)


def _inst(symbol: str) -> Instrument:
    found = Catalogue.load().by_local_symbol(symbol)
    assert found is not None
    return found


def _windows(seed: int, count: int) -> list[tuple[str, datetime, datetime]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        size = rng.choice(BAR_SIZES)
        start = START + timedelta(seconds=rng.randrange(0, 5 * 86400) // size * size)
        out.append((rng.choice(SYMBOLS), start, start + timedelta(seconds=size)))
    return out + out[: count // 2]  # half of them asked again


def _csv_bars() -> dict[str, list[CsvBar]]:
    rng = random.Random(3)
    bars, price = [], 45.0
    for minute in range(3 * 24 * 60):
        o = price
        c = max(1.0, o + rng.uniform(-0.2, 0.2))
        hi, lo = max(o, c) + rng.uniform(0, 0.1), min(o, c) - rng.uniform(0, 0.1)
        bars.append(CsvBar(START + timedelta(minutes=minute), o, hi, lo, c, rng.uniform(0, 900)))
        price = c
    return {"BHP": bars}


@pytest.mark.parametrize("mode", ["seed", "csv"])
def test_kept_bars_equal_fresh_ones_for_random_windows(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(market_module, "BAR_CACHE_PER_INSTRUMENT", 16)  # evictions too
    csv = _csv_bars() if mode == "csv" else None
    kept = MarketModel(seed=11, bars=csv)
    for symbol, start, end in _windows(seed=5, count=300):
        inst = _inst(symbol)
        fresh = MarketModel(seed=11, bars=csv).bar(inst, start, end, keep=False)
        assert kept.bar(inst, start, end) == fresh, (symbol, start, end)
    assert all(len(c) <= 16 for c in kept._bar_cache.values())


def test_csv_bars_aggregate_exactly_the_rows_inside_the_window() -> None:
    csv = _csv_bars()
    model = MarketModel(seed=0, bars=csv)
    bhp = _inst("BHP")
    rng = random.Random(9)
    for _ in range(100):
        start = START + timedelta(minutes=rng.randrange(0, 3 * 24 * 60 - 60))
        end = start + timedelta(minutes=rng.choice((1, 5, 15, 60)), seconds=rng.choice((0, 30)))
        inside = [b for b in csv["BHP"] if start <= b.ts < end]
        bar = model.bar(bhp, start, end)
        assert bar.count == len(inside)
        assert bar.volume == Decimal(repr(sum(b.volume for b in inside)))
        assert bar.open == model.bar(bhp, inside[0].ts, inside[0].ts + timedelta(minutes=1)).open


def test_a_moved_price_replaces_the_bars_kept_before_the_move() -> None:
    model = MarketModel(seed=11)
    bhp = _inst("BHP")
    start = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
    end = start + timedelta(minutes=1)
    before = model.bar(bhp, start, end)
    price = before.close + Decimal("1.00")

    model.move(bhp, price, since=start)

    moved = model.bar(bhp, start, end)
    assert (moved.open, moved.high, moved.low, moved.close) == (price, price, price, price)
    model.move(bhp, None, since=start)
    assert model.bar(bhp, start, end) == before


def test_the_model_price_is_its_formula_with_constants_computed_once() -> None:
    import math

    from trader_cli.sim.engine.market import _WAVES, _name_key, _unit

    model = MarketModel(seed=11)
    for symbol in SYMBOLS:
        inst = _inst(symbol)
        key = _name_key(inst.local_symbol) ^ 11
        for when in (START + timedelta(seconds=s * 977) for s in range(50)):
            t = when.timestamp()
            level = 1.0
            for n, (amplitude, period) in enumerate(_WAVES):
                phase = 2 * math.pi * _unit(key, n)
                level += amplitude * math.sin(2 * math.pi * t / period + phase)
            level += 0.0006 * (_unit(key, 99, int(t // 10)) - 0.5)
            assert model.raw_price(inst, when) == float(inst.base_price) * level

"""RSI and ATR are Wilder-smoothed: equal to the textbook recursion and to pandas' ewm."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from trader_cli.domain.models import Candle
from trader_cli.strategies.features import atr, atr_series, rsi, rsi_series

PERIOD = 14
T0 = datetime(2024, 7, 3, 0, 0, tzinfo=UTC)
# pandas' ewm starts from the first value, Wilder from the mean of the first PERIOD: the two
# differ by a factor (1 - 1/PERIOD) less each bar; after this many bars it is below 1e-6
EWM_WARM_UP = 400


def random_walk(seed: int, n: int = 600) -> list[float]:
    rng = random.Random(seed)
    out = [100.0]
    for _ in range(n - 1):
        out.append(max(1.0, out[-1] * (1 + rng.gauss(0, 0.01))))
    return out


SERIES = {
    "random-7": random_walk(7),
    "random-2024": random_walk(2024),
    "flat": [42.0] * 200,
    "rising": [10.0 + 0.25 * i for i in range(200)],
    "falling": [90.0 - 0.25 * i for i in range(200)],
}


def candles(closes: list[float], seed: int = 1) -> list[Candle]:
    """Bars around ``closes`` with gaps (so the true range is not just high - low)."""
    rng = random.Random(seed)
    out = []
    for i, c in enumerate(closes):
        o = c * (1 + rng.uniform(-0.01, 0.01))
        hi, lo = max(o, c) * (1 + rng.uniform(0, 0.01)), min(o, c) * (1 - rng.uniform(0, 0.01))
        out.append(
            Candle(
                T0 + timedelta(minutes=i),
                *(Decimal(repr(x)) for x in (o, hi, lo, c)),
                Decimal(100),
            )
        )
    return out


# -- the references: written from the textbook, sharing no code with trader_cli ---------------
def wilder_reference(xs: list[float], n: int) -> list[float]:
    """Wilder (1978): the first average is the mean of the first n, then (prev*(n-1) + x)/n."""
    avgs = [sum(xs[:n]) / n]
    for x in xs[n:]:
        avgs.append((avgs[-1] * (n - 1) + x) / n)
    return avgs


def rsi_reference(closes: list[float], n: int) -> list[float]:
    """RSI for closes[n:], one per close (50 where there is neither gain nor loss)."""
    deltas = [closes[i] - closes[i - 1] for i in range(1, len(closes))]
    up = wilder_reference([d if d > 0 else 0.0 for d in deltas], n)
    down = wilder_reference([-d if d < 0 else 0.0 for d in deltas], n)
    out = []
    for u, d in zip(up, down, strict=True):
        if u == d == 0:
            out.append(50.0)
        elif d == 0:
            out.append(100.0)
        else:
            out.append(100.0 - 100.0 / (1.0 + u / d))
    return out


def atr_reference(bars: list[Candle], n: int) -> list[float]:
    """ATR for bars[n:]: Wilder's average of the true range (which starts at the second bar)."""
    trs = []
    for i in range(1, len(bars)):
        h, lo, pc = float(bars[i].high), float(bars[i].low), float(bars[i - 1].close)
        trs.append(max(h - lo, abs(h - pc), abs(lo - pc)))
    return wilder_reference(trs, n)


@pytest.mark.parametrize("name", SERIES)
def test_rsi_equals_wilders_recursion_from_the_first_value(name: str) -> None:
    closes = SERIES[name]
    ours = rsi_series(closes, PERIOD)
    assert ours[:PERIOD] == [None] * PERIOD  # warm-up: period + 1 closes for the first value
    assert ours[PERIOD:] == pytest.approx(rsi_reference(closes, PERIOD), abs=1e-6)
    assert rsi(closes, PERIOD) == pytest.approx(rsi_reference(closes, PERIOD)[-1], abs=1e-6)


@pytest.mark.parametrize("name", SERIES)
def test_atr_equals_wilders_recursion_from_the_first_value(name: str) -> None:
    bars = candles(SERIES[name])
    ours = atr_series(bars, PERIOD)
    assert ours[:PERIOD] == [None] * PERIOD
    assert ours[PERIOD:] == pytest.approx(atr_reference(bars, PERIOD), abs=1e-6)
    assert atr(bars, PERIOD) == pytest.approx(atr_reference(bars, PERIOD)[-1], abs=1e-6)


@pytest.mark.parametrize("name", ["random-7", "random-2024"])
def test_rsi_and_atr_agree_with_pandas_ewm_after_the_warm_up(name: str) -> None:
    closes = SERIES[name]
    delta = pd.Series(closes).diff()
    up = delta.clip(lower=0).ewm(alpha=1 / PERIOD, adjust=False).mean()
    down = (-delta).clip(lower=0).ewm(alpha=1 / PERIOD, adjust=False).mean()
    expected_rsi = 100 - 100 / (1 + up / down)
    ours_rsi = rsi_series(closes, PERIOD)
    assert ours_rsi[EWM_WARM_UP:] == pytest.approx(list(expected_rsi[EWM_WARM_UP:]), abs=1e-6)

    bars = candles(closes)
    columns = ("high", "low", "close")
    frame = pd.DataFrame({k: [float(getattr(b, k)) for b in bars] for k in columns})
    prev = frame["close"].shift()
    tr = pd.concat(
        [frame["high"] - frame["low"], (frame["high"] - prev).abs(), (frame["low"] - prev).abs()],
        axis=1,
    ).max(axis=1, skipna=False)
    expected_atr = tr.ewm(alpha=1 / PERIOD, adjust=False, ignore_na=True).mean()
    ours_atr = atr_series(bars, PERIOD)
    assert ours_atr[EWM_WARM_UP:] == pytest.approx(list(expected_atr[EWM_WARM_UP:]), abs=1e-6)


def test_flat_and_monotonic_series_give_the_textbook_extremes() -> None:
    assert rsi(SERIES["flat"]) == 50.0
    assert rsi(SERIES["rising"]) == 100.0
    assert rsi(SERIES["falling"]) == 0.0
    assert atr(candles(SERIES["flat"], seed=3)) == pytest.approx(
        atr_reference(candles(SERIES["flat"], seed=3), PERIOD)[-1], abs=1e-9
    )


def test_too_little_history_is_none_not_a_number() -> None:
    assert rsi([1.0] * PERIOD) is None  # PERIOD closes: only PERIOD - 1 changes
    assert rsi([1.0] * (PERIOD + 1)) == 50.0
    assert atr(candles([1.0] * PERIOD)) is None
    assert atr(candles([1.0] * (PERIOD + 1))) is not None
    assert rsi_series([]) == [] and atr_series([]) == []


def test_the_warm_up_documented_in_the_docstring_holds() -> None:
    """The first values depend on where the series starts; after 10 * period bars, hardly."""
    full = [x for x in rsi_series(SERIES["random-2024"]) if x is not None]
    for start in (1, 50, 123):
        late = [x for x in rsi_series(SERIES["random-2024"][start:]) if x is not None]
        aligned = full[start:]  # the same bars, seen from a history `start` bars longer
        gaps = [abs(a - b) for a, b in zip(aligned, late, strict=True)]
        assert max(gaps[:PERIOD]) > 0.5  # the warm-up: not to be traded on
        assert max(gaps[10 * PERIOD :]) < 0.01

"""Technical features over candles (pure): EMA, SMA, Wilder RSI and ATR, z-score."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from trader_cli.domain.models import Candle


def ema(values: Sequence[float], period: int) -> list[float]:
    """Exponential moving average, seeded with the first value."""
    if not values:
        return []
    k = 2 / (period + 1)
    out = [values[0]]
    for v in values[1:]:
        out.append(v * k + out[-1] * (1 - k))
    return out


def sma(values: Sequence[float], period: int) -> float:
    """Simple average of the last ``period`` values (of all of them when there are fewer)."""
    window = values[-period:]
    return sum(window) / len(window)


def wilder_average(values: Sequence[float], period: int) -> list[float | None]:
    """Wilder's running average of ``values``, aligned with them (Wilder 1978).

    The first ``period - 1`` entries are None (warm-up); entry ``period - 1`` is the simple mean
    of the first ``period`` values; after it, ``avg = (prev * (period - 1) + x) / period`` (an
    exponential average with ``alpha = 1 / period``).
    """
    if period < 1:
        raise ValueError(f"period must be at least 1, not {period}")
    out: list[float | None] = [None] * min(len(values), period - 1)
    if len(values) < period:
        return out
    avg = sum(values[:period]) / period
    out.append(avg)
    for x in values[period:]:
        avg = (avg * (period - 1) + x) / period
        out.append(avg)
    return out


def rsi_series(closes: Sequence[float], period: int = 14) -> list[float | None]:
    """Wilder's relative strength index, one value per close (None during the warm-up).

    Gains and losses of the close-to-close changes are Wilder-averaged (:func:`wilder_average`),
    so the first value needs ``period + 1`` closes (entries ``0..period-1`` are None). RSI is
    50 where both averages are zero (a flat series) and 100 where only losses are.
    Warm-up: the first values depend on where the series starts (by several points), less
    every bar (by a factor ``1 - 1/period``): after ``5 * period`` bars they are within about
    0.1 of what a much longer history gives, after ``10 * period`` within 0.01 (ATR likewise,
    relatively). Ask for ``10 * period`` bars more than you need values.
    """
    changes = [b - a for a, b in itertools.pairwise(closes)]
    gains = wilder_average([max(c, 0.0) for c in changes], period)
    losses = wilder_average([max(-c, 0.0) for c in changes], period)
    out: list[float | None] = [None] * min(len(closes), 1)
    for gain, loss in zip(gains, losses, strict=True):
        if gain is None or loss is None:
            out.append(None)
        elif loss == 0:
            out.append(50.0 if gain == 0 else 100.0)
        else:
            out.append(100 - 100 / (1 + gain / loss))
    return out


def rsi(closes: Sequence[float], period: int = 14) -> float | None:
    """Wilder's RSI at the last close (see :func:`rsi_series`); None with fewer than
    ``period + 1`` closes."""
    values = rsi_series(closes, period)
    return values[-1] if values else None


def true_ranges(candles: Sequence[Candle]) -> list[float]:
    """True range of each bar after the first: max(high - low, |high - prev close|,
    |low - prev close|)."""
    out = []
    for prev, bar in itertools.pairwise(candles):
        high, low, close = float(bar.high), float(bar.low), float(prev.close)
        out.append(max(high - low, abs(high - close), abs(low - close)))
    return out


def atr_series(candles: Sequence[Candle], period: int = 14) -> list[float | None]:
    """Wilder's average true range, one value per candle (None during the warm-up).

    The first bar has no true range (no previous close), so the first value needs
    ``period + 1`` candles: the simple mean of the first ``period`` true ranges, then
    Wilder's recursion (as TA-Lib's ATR). See :func:`rsi_series` for how the warm-up fades.
    """
    out: list[float | None] = [None] * min(len(candles), 1)
    out.extend(wilder_average(true_ranges(candles), period))
    return out


def atr(candles: Sequence[Candle], period: int = 14) -> float | None:
    """Wilder's ATR at the last candle (see :func:`atr_series`); None with fewer than
    ``period + 1`` candles."""
    values = atr_series(candles, period)
    return values[-1] if values else None


def zscore(values: Sequence[float], period: int = 20) -> float:
    """How many standard deviations the last value sits from its ``period`` mean."""
    window = values[-period:]
    mean = sum(window) / len(window)
    var = sum((v - mean) ** 2 for v in window) / len(window)
    return 0.0 if var == 0 else (window[-1] - mean) / var**0.5


@dataclass(frozen=True, slots=True)
class Features:
    """The features the rules strategy reads, from one candle series."""

    close: Decimal
    ema_fast: float
    ema_slow: float
    rsi: float
    atr: float
    zscore: float

    @property
    def trend(self) -> int:
        """+1 up, -1 down, 0 none (fast EMA vs slow EMA, with the close on the same side)."""
        c = float(self.close)
        if self.ema_fast > self.ema_slow and c > self.ema_slow:
            return 1
        if self.ema_fast < self.ema_slow and c < self.ema_slow:
            return -1
        return 0


def features(candles: Sequence[Candle], *, fast: int = 12, slow: int = 26) -> Features | None:
    """Features of ``candles`` (oldest first), or None with too little history."""
    if len(candles) < slow + 2:
        return None
    closes = [float(c.close) for c in candles]
    rsi_now, atr_now = rsi(closes), atr(candles)
    if rsi_now is None or atr_now is None:
        return None
    return Features(
        close=candles[-1].close,
        ema_fast=ema(closes, fast)[-1],
        ema_slow=ema(closes, slow)[-1],
        rsi=rsi_now,
        atr=atr_now,
        zscore=zscore(closes),
    )

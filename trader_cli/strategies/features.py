"""Technical features over candles (pure): EMA, SMA, RSI, ATR, z-score."""

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
    """Simple average of the last ``period`` values."""
    window = values[-period:]
    return sum(window) / len(window)


def rsi(closes: Sequence[float], period: int = 14) -> float:
    """Wilder's relative strength index of the last ``period`` changes (50 when flat)."""
    changes = [b - a for a, b in itertools.pairwise(closes)][-period:]
    gains = sum(c for c in changes if c > 0)
    losses = -sum(c for c in changes if c < 0)
    if gains == losses == 0:
        return 50.0
    if losses == 0:
        return 100.0
    return 100 - 100 / (1 + gains / losses)


def atr(candles: Sequence[Candle], period: int = 14) -> float:
    """Average true range over the last ``period`` bars."""
    trs = []
    for prev, bar in itertools.pairwise(candles):
        high, low, close = float(bar.high), float(bar.low), float(prev.close)
        trs.append(max(high - low, abs(high - close), abs(low - close)))
    window = trs[-period:]
    return sum(window) / len(window) if window else 0.0


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
    return Features(
        close=candles[-1].close,
        ema_fast=ema(closes, fast)[-1],
        ema_slow=ema(closes, slow)[-1],
        rsi=rsi(closes),
        atr=atr(candles),
        zscore=zscore(closes),
    )

"""Bars for backtests: one-minute ASX bars inside real XASX sessions, seeded, on the tick."""

from __future__ import annotations

import random
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trader_cli.hours import Market, sessions

SMA = "trader_cli.strategies.examples.sma:SmaCrossover"
SMA_1M = "sma_1m:SmaOneMinute"


def write_bars(
    path: Path,
    count: int,
    *,
    seed: int = 7,
    start: datetime = datetime(2024, 7, 3, tzinfo=UTC),
    price: float = 45.0,
    vol: float = 0.0009,
) -> list[str]:
    """``count`` one-minute bars (``ts,open,high,low,close,volume``) from ``start``, only inside
    ASX sessions, a seeded random walk on the 0.01 step; returns the rows written."""
    rng = random.Random(seed)
    rows: list[str] = []
    day = start
    after = start  # the next free minute: a session that spans two windows is written once
    while len(rows) < count:
        for opens, closes in sessions(Market.ASX, day, day + timedelta(days=7)):
            t = max(opens, after)
            while t < closes and len(rows) < count:
                o = price
                walk = [o]
                for _ in range(4):
                    price = max(price * (1 + rng.gauss(0, vol)), 1.0)
                    walk.append(price)
                o, h, lo, c = (round(round(v / 0.01) * 0.01, 2)
                               for v in (walk[0], max(walk), min(walk), walk[-1]))
                h, lo = max(h, o, c), min(lo, o, c)
                stamp = t.isoformat().replace("+00:00", "Z")
                rows.append(f"{stamp},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{rng.randint(500, 5000)}")
                t += timedelta(minutes=1)
            after = max(after, t)
            if len(rows) >= count:
                break
        day += timedelta(days=7)
    path_text = "ts,open,high,low,close,volume\n" + "\n".join(rows) + "\n"
    path.write_text(path_text)
    return rows


@pytest.fixture
def sma_1m(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SMA example on one-minute bars, importable as a plug-in (``sma_1m:SmaOneMinute``)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "sma_1m.py").write_text(textwrap.dedent("""
        from trader_cli.strategies.api import Timeframe
        from trader_cli.strategies.examples.sma import SmaCrossover

        class SmaOneMinute(SmaCrossover):
            timeframe = Timeframe.M1
    """))
    monkeypatch.syspath_prepend(str(plugins))
    return SMA_1M

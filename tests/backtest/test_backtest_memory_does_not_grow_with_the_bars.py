"""Bars are streamed and what a backtest keeps is bounded: four times the bars, the same peak."""

from __future__ import annotations

import asyncio
import tracemalloc
from decimal import Decimal

from tests.backtest.conftest import write_bars
from trader_cli.backtest.engine import Backtest
from trader_cli.backtest.feed import BarFile
from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.strategies.plugins import load_plugin


def peak(tmp_path, count: int) -> tuple[int, int]:
    path = tmp_path / f"bars-{count}.csv"
    write_bars(path, count, seed=5)
    settings = load_settings()
    strategy = load_plugin("sma_1m:SmaOneMinute")
    bt = Backtest(settings, strategy, [BarFile(path, parse_symbol("BHP/AUD"))],
                  cash=Decimal(1_000_000))
    tracemalloc.start()
    try:
        run = asyncio.run(bt.run())
        return tracemalloc.get_traced_memory()[1], run.trades.total.trades
    finally:
        tracemalloc.stop()


def test_four_times_the_bars_keep_the_same_peak(tmp_path, clean_env, sma_1m, monkeypatch):
    # the bounded parts (a strategy's history, the plotted curve, kept conversions) are made
    # small here, so that both runs fill them: what still grows with the bars is what must not
    monkeypatch.setattr("trader_cli.backtest.history.HISTORY_KEEP", 100)
    monkeypatch.setattr("trader_cli.backtest.metrics.MAX_POINTS", 100)
    # and the kept conversions: prices on the step, bid/ask pairs by raw price
    monkeypatch.setattr("trader_cli.backtest.history._STEPS_MAX", 64)
    monkeypatch.setattr("trader_cli.sim.engine.market.TOUCHES_KEPT", 64)
    small, small_trades = peak(tmp_path, 1_200)
    large, large_trades = peak(tmp_path, 4_800)
    assert large_trades > 3 * small_trades > 0  # it did four times the work
    # what a trade leaves behind (its orders, fills, a Trade) is a few KB: keeping every one of
    # 150 more trades, or every bar, would show here
    assert large - small < 300_000, (small, large)

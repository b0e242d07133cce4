"""Intraday bars are asked for over the span that holds them while the market trades (2 D for
120 5-minute FX bars, 3 D of ASX sessions), and over the span with room for a weekend only when
that falls short. Either way the bars are the latest ``limit`` of the weekend-proof span: what a
runner asks every cycle, and so what it and the sim keep, is no longer than it needs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ib_async import Forex, Stock

from trader_cli.domain.models import Candle
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.sim import SimClock
from trader_cli.venues.ib import mapping
from trader_cli.venues.sim.venue import SimTrader

AUDUSD = parse_symbol("AUD/USD")
BHP = parse_symbol("BHP/AUD")
WEDNESDAY = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # 11:00 in Sydney: the ASX is open
MONDAY = datetime(2024, 7, 8, 1, 0, tzinfo=UTC)  # IDEALPRO opened 4 hours ago (Sunday 17:15 NY)


def asked(trader: SimTrader) -> set[str]:
    """The durations of the history requests up to now the trader sent (its request cache)."""
    return {key[2] for key in trader.bar_cache if key[1] == ""}


async def weekend_proof(trader: SimTrader, contract: object, duration: str, rth: bool,
                        what: str, limit: int) -> list[Candle]:  # fmt: skip
    """The latest ``limit`` bars of one request over the span with room for a weekend."""
    (qualified,) = await trader.ib.qualifyContractsAsync(contract)
    bars = await trader.ib.reqHistoricalDataAsync(
        qualified, "", duration, "5 mins", what, rth, formatDate=2
    )
    return [mapping.candle_from_bar(b) for b in bars][-limit:]


@pytest.mark.parametrize("clock", [SimClock.pinned(WEDNESDAY)])
async def test_fx_bars_on_a_weekday_come_from_the_two_day_span_alone(trader: SimTrader) -> None:
    steps: list[tuple[int, int]] = []
    bars = await trader.fetch_ohlcv(
        AUDUSD, Timeframe.M5, 120, progress=lambda done, of, _s: steps.append((done, of))
    )
    assert asked(trader) == {"2 D"}
    assert steps[-1] == (1, 1)  # a progress bar ends full
    assert mapping.days_needed(Timeframe.M5, 120, "CASH") == 4
    assert bars == await weekend_proof(trader, Forex("AUDUSD"), "4 D", False, "MIDPOINT", 120)


@pytest.mark.parametrize("clock", [SimClock.pinned(MONDAY)])
async def test_fx_bars_with_the_weekend_in_reach_are_asked_again_over_the_longer_span(
    trader: SimTrader,
) -> None:
    steps: list[tuple[int, int]] = []
    bars = await trader.fetch_ohlcv(
        AUDUSD, Timeframe.M5, 120, progress=lambda done, of, _s: steps.append((done, of))
    )
    assert asked(trader) == {"2 D", "4 D"}  # 2 D since Saturday holds 4 hours of bars
    assert steps == [(0, 1), (1, 2), (2, 2)]
    assert len(bars) == 120
    assert bars[0].ts < datetime(2024, 7, 6, tzinfo=UTC) < bars[-1].ts  # Friday's, then Monday's
    assert bars == await weekend_proof(trader, Forex("AUDUSD"), "4 D", False, "MIDPOINT", 120)


@pytest.mark.parametrize("clock", [SimClock.pinned(WEDNESDAY)])
async def test_asx_bars_come_from_three_sessions(trader: SimTrader) -> None:
    bars = await trader.fetch_ohlcv(BHP, Timeframe.M5, 120)
    assert asked(trader) == {"3 D"}
    assert bars == await weekend_proof(trader, Stock("BHP", "ASX", "AUD"), "5 D", True, "TRADES",
                                       120)  # fmt: skip


@pytest.mark.parametrize("clock", [SimClock.pinned(WEDNESDAY)])
async def test_daily_bars_keep_their_one_span(trader: SimTrader) -> None:
    bars = await trader.fetch_ohlcv(BHP, Timeframe.D1, 30)
    assert len(bars) == 30
    assert asked(trader) == {mapping.duration_string(mapping.days_needed(Timeframe.D1, 30, "STK"))}

"""The rules strategy's TA features and signals (pure), and its decisions on a fixed context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trader_cli.domain.models import Candle, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.strategies.base import Hold, StrategyContext, TradePlan
from trader_cli.strategies.features import atr, ema, features, rsi, zscore
from trader_cli.strategies.rules import RulesConfig, RulesStrategy, signal

T0 = datetime(2024, 7, 3, 0, 0, tzinfo=UTC)


def bars(closes: list[float], spread: float = 0.1) -> list[Candle]:
    out = []
    for i, c in enumerate(closes):
        d = Decimal(str(round(c, 4)))
        s = Decimal(str(spread))
        out.append(Candle(T0 + timedelta(minutes=5 * i), d, d + s, d - s, d, Decimal(1000)))
    return out


def test_indicator_arithmetic() -> None:
    assert ema([1, 1, 1, 1], 3) == [1, 1, 1, 1]
    assert ema([0, 10], 1)[-1] == 10
    assert rsi([float(x) for x in range(1, 17)]) == 100
    assert rsi([float(x) for x in range(16, 0, -1)]) == 0
    assert rsi([1.0] * 15) == 50
    assert rsi([1.0] * 14) is None  # Wilder's RSI needs period + 1 closes
    assert atr(bars([10.0] * 15, spread=0.5)) == pytest.approx(1.0)
    assert zscore([1, 1, 1, 1]) == 0
    assert zscore([0, 0, 0, 10]) > 1.5
    assert features(bars([10.0] * 20)) is None  # too little history


def test_uptrend_signals_a_long_with_stop_below_and_target_above() -> None:
    closes = [40 + 0.05 * i + (0.15 if i % 2 else -0.15) for i in range(120)]
    f = features(bars(closes))
    assert f is not None
    assert f.trend == 1
    found = signal(f, RulesConfig())
    assert found is not None
    assert found[0] is Side.BUY


def test_flat_market_gives_no_signal() -> None:
    closes = [40 + (0.1 if i % 2 else -0.1) for i in range(120)]
    f = features(bars(closes))
    assert f is not None
    assert signal(f, RulesConfig()) is None


class BarsDouble:
    """MarketData serving fixed candles (a test double for the DataFetchCoordinator)."""

    def __init__(self, candles: list[Candle]) -> None:
        self.candles_served = candles
        self.calls = 0

    async def candles(self, symbol, timeframe, limit):
        self.calls += 1
        return self.candles_served[-limit:]

    async def quote(self, symbol):
        raise AssertionError("the rules strategy needs no quote")


def context(data, **overrides) -> StrategyContext:
    base = dict(
        now=T0,
        venue="sim",
        simulated=True,
        base_currency="AUD",
        universe=[parse_symbol("BHP/AUD")],
        data=data,
        positions=[],
        open_plans=[],
        account=None,
        market_open={"BHP/AUD": True},
        limits={},
        costs={},
    )
    base.update(overrides)
    return StrategyContext(**base)


async def test_plan_has_atr_stop_target_budget_and_expiry() -> None:
    closes = [40 + 0.05 * i + (0.15 if i % 2 else -0.15) for i in range(120)]
    data = BarsDouble(bars(closes))
    (plan,) = await RulesStrategy().decide(context(data))
    assert isinstance(plan, TradePlan)
    assert plan.side is Side.BUY
    assert plan.stop < Decimal(str(closes[-1])) < plan.target
    assert plan.risk_budget is not None
    assert plan.risk_budget.currency == "AUD"
    assert plan.expiry == T0 + Timeframe.M5.delta * 12


async def test_holds_when_closed_or_already_positioned() -> None:
    data = BarsDouble(bars([40.0] * 120))
    (hold,) = await RulesStrategy().decide(context(data, market_open={"BHP/AUD": False}))
    assert isinstance(hold, Hold)
    assert hold.reason == "market closed"
    (hold,) = await RulesStrategy().decide(context(data, open_plans=[{"symbol": "BHP/AUD"}]))
    assert hold.reason == "position or plan already open"
    assert data.calls == 0  # no data fetched for symbols it will not trade

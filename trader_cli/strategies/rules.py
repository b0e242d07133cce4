"""The built-in rules strategy: trend-following and mean-reversion on TA features, ATR stops."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader_cli.domain.models import Side
from trader_cli.domain.money import Money, to_decimal
from trader_cli.domain.timeframes import Timeframe
from trader_cli.strategies.base import Decision, Hold, StrategyContext, TradePlan
from trader_cli.strategies.features import Features, features


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """Knobs of the rules strategy (defaults suit 5-minute bars on ASX stocks and majors)."""

    timeframe: Timeframe = Timeframe.M5
    bars: int = 120
    atr_stop: Decimal = Decimal("2.0")
    atr_target: Decimal = Decimal("3.0")
    hold_bars: int = 12
    risk_per_trade: Decimal = Decimal("100")
    allow_short: bool = True
    trend_rsi: tuple[float, float] = (50.0, 70.0)
    # a trend counts only when the EMAs are at least this many ATRs apart (not noise)
    trend_min_atr: float = 0.25
    reversion_z: float = 2.0


def signal(f: Features, cfg: RulesConfig) -> tuple[Side, str] | None:
    """Which side to enter and why, or None: trend first, then mean reversion."""
    lo, hi = cfg.trend_rsi
    strong = abs(f.ema_fast - f.ema_slow) >= cfg.trend_min_atr * f.atr
    if strong and f.trend > 0 and lo <= f.rsi <= hi:
        return Side.BUY, f"uptrend (EMA fast > slow), RSI {f.rsi:.0f} not overbought"
    if strong and f.trend < 0 and 100 - hi <= f.rsi <= 100 - lo:
        return Side.SELL, f"downtrend (EMA fast < slow), RSI {f.rsi:.0f} not oversold"
    if f.zscore <= -cfg.reversion_z and f.rsi < 100 - hi + 5:
        return Side.BUY, f"stretched {f.zscore:.1f} sd below the mean, RSI {f.rsi:.0f}"
    if f.zscore >= cfg.reversion_z and f.rsi > hi - 5:
        return Side.SELL, f"stretched {f.zscore:.1f} sd above the mean, RSI {f.rsi:.0f}"
    return None


class RulesStrategy:
    """Plans one trade per symbol at most; never while a position or plan is open there."""

    name = "rules"

    def __init__(self, config: RulesConfig | None = None) -> None:
        self.config = config or RulesConfig()

    async def decide(self, ctx: StrategyContext) -> list[Decision]:
        """One decision per symbol of the universe."""
        cfg = self.config
        held = {p.symbol for p in ctx.positions if p.quantity != 0}
        planned = {str(p["symbol"]) for p in ctx.open_plans}
        # a sell entry opens a short: not where the venue has none (spot crypto)
        shorts = cfg.allow_short and (ctx.capabilities is None or ctx.capabilities.short_selling)
        out: list[Decision] = []
        for symbol in ctx.universe:
            key = str(symbol)
            if not ctx.market_open.get(key, False):
                out.append(Hold(symbol, "market closed", self.name))
                continue
            if key in held or key in planned:
                out.append(Hold(symbol, "position or plan already open", self.name))
                continue
            f = features(await ctx.data.candles(symbol, cfg.timeframe, cfg.bars))
            if f is None or f.atr <= 0:
                out.append(Hold(symbol, "not enough history", self.name))
                continue
            found = signal(f, cfg)
            if found is None or (found[0] is Side.SELL and not shorts):
                why_not = "no signal" if found is None else "sell signal, but no shorts here"
                out.append(
                    Hold(
                        symbol,
                        f"{why_not} (trend {f.trend:+d}, RSI {f.rsi:.0f}, z {f.zscore:+.1f})",
                        self.name,
                    )
                )
                continue
            side, why = found
            atr = to_decimal(round(f.atr, 8))
            stop = f.close - side.sign * cfg.atr_stop * atr
            target = f.close + side.sign * cfg.atr_target * atr
            if stop <= 0:
                out.append(Hold(symbol, "stop would be at or below zero", self.name))
                continue
            out.append(
                TradePlan(
                    symbol=symbol,
                    side=side,
                    stop=stop,
                    target=target,
                    rationale=why,
                    strategy=self.name,
                    risk_budget=Money(cfg.risk_per_trade, ctx.base_currency),
                    expiry=ctx.now + cfg.timeframe.delta * cfg.hold_bars,
                )
            )
        return out

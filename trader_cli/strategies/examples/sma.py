"""SMA(10/30) crossover: the complete plug-in example of docs/strategies.md."""

from decimal import Decimal

from trader_cli.strategies import api


class SmaCrossover:
    """Enters on the bar the 10-bar SMA crosses the 30-bar SMA; stop 2 ATR away, target 3 ATR."""

    name = "sma-crossover"
    fast, slow, timeframe = 10, 30, api.Timeframe.M5

    async def decide(self, ctx: api.StrategyContext) -> list[api.Decision]:
        """A plan on each symbol whose SMAs crossed on the last bar; a hold elsewhere."""
        busy = {str(p.symbol) for p in ctx.positions if p.quantity}
        busy |= {str(p["symbol"]) for p in ctx.open_plans}
        out: list[api.Decision] = []
        for symbol in ctx.universe:
            if not ctx.market_open.get(str(symbol)) or str(symbol) in busy:
                out.append(api.Hold(symbol, "market closed, or a position is open", self.name))
                continue
            bars = await ctx.data.candles(symbol, self.timeframe, self.slow + 20)
            if len(bars) < self.slow + 15:  # the SMAs, and ATR(14) past its warm-up
                out.append(api.Hold(symbol, "not enough history", self.name))
                continue
            closes = [float(b.close) for b in bars[-self.slow - 1:]]
            now = api.sma(closes, self.fast) - api.sma(closes, self.slow)
            before = api.sma(closes[:-1], self.fast) - api.sma(closes[:-1], self.slow)
            if (now > 0) == (before > 0) or not (atr := api.atr(bars)):  # ATR only on a cross
                out.append(api.Hold(symbol, "no crossover", self.name))
                continue
            side = api.Side.BUY if now > 0 else api.Side.SELL
            step, close = Decimal(str(round(atr, 8))) * side.sign, bars[-1].close
            why = f"SMA{self.fast} crossed {'above' if now > 0 else 'below'} SMA{self.slow}"
            budget = api.Money(Decimal(100), ctx.base_currency)  # lost if the stop is hit
            out.append(api.TradePlan(symbol, side, close - 2 * step, why, self.name,
                                     risk_budget=budget, target=close + 3 * step))
        return out

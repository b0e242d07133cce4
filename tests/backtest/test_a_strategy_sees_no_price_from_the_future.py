"""What a strategy sees at a step is what ``trader run`` would see at that moment: the bars
that ended before it, the quote at it, and its positions marked at that quote — never the
close of the bar that starts at that moment (it is known only a bar later)."""

from __future__ import annotations

import importlib
import json
import textwrap
from datetime import datetime, timedelta
from decimal import Decimal

from tests.backtest.conftest import write_bars

SEEN = """
from decimal import Decimal
from trader_cli.strategies import api

class Watcher:
    name = "watcher"
    seen = []

    async def decide(self, ctx):
        for symbol in ctx.universe:
            quote = await ctx.data.quote(symbol)
            bars = await ctx.data.candles(symbol, api.Timeframe.M1, 3)
            marks = [str(p.current_price) for p in ctx.positions if str(p.symbol) == str(symbol)]
            Watcher.seen.append({
                "now": ctx.now.isoformat(), "bid": str(quote.bid), "ask": str(quote.ask),
                "last_bar": bars[-1].ts.isoformat() if bars else None, "marks": marks,
            })
        if len(Watcher.seen) == 3:
            return [api.TradePlan(api.Symbol("BHP", "AUD"), api.Side.BUY, Decimal("30"), "in",
                                  self.name, size=Decimal(100))]
        return []
"""


def test_positions_bars_and_quotes_are_those_of_the_step_not_of_its_bar(trader, tmp_path,
                                                                        monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "watcher.py").write_text(textwrap.dedent(SEEN))
    monkeypatch.syspath_prepend(str(plugins))
    rows = write_bars(tmp_path / "BHP_AUD.csv", 60)
    closes = {r.split(",")[0].replace("Z", "+00:00"): Decimal(r.split(",")[4]) for r in rows}
    r = trader("backtest", "--bars", str(tmp_path / "BHP_AUD.csv"), "--strategy",
               "watcher:Watcher", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["entries"] == 1
    seen = importlib.import_module("watcher").Watcher.seen
    held = [s for s in seen if s["marks"]]
    assert len(held) > 20, "the position is held for the rest of the file"
    for s in seen:
        now = datetime.fromisoformat(s["now"])
        if s["last_bar"] is not None:  # the last bar shown ended at or before now
            assert datetime.fromisoformat(s["last_bar"]) + timedelta(minutes=1) <= now, s
    marked_at_own_close = 0
    for s in held:
        (mark,) = s["marks"]
        # marked where the market is now (within the quote), as the venue marks it
        assert Decimal(s["bid"]) <= Decimal(mark) <= Decimal(s["ask"]), s
        marked_at_own_close += Decimal(mark) == closes[s["now"]]
    assert marked_at_own_close < len(held) // 2, "marks follow the bar that has not ended"

"""A backtest trades only on the bars it was given: a plan (or a quote) for a symbol with no
bars in the files — or none yet — is refused with the reason, never filled at the simulator's
invented prices (which the equity could not value either)."""

from __future__ import annotations

import json
import textwrap

from tests.backtest.conftest import write_bars

ELSEWHERE = """
from decimal import Decimal
from trader_cli.strategies import api

class Elsewhere:
    name = "elsewhere"
    steps = 0
    quote_errors = []

    async def decide(self, ctx):
        Elsewhere.steps += 1
        cba = api.Symbol("CBA", "AUD")
        if Elsewhere.steps == 4:
            try:
                await ctx.data.quote(cba)
            except Exception as e:
                Elsewhere.quote_errors.append(str(e))
        if Elsewhere.steps == 5:
            return [api.TradePlan(cba, api.Side.BUY, Decimal("80"), "no bars", self.name,
                                  size=Decimal(10))]
        return []
"""


def test_a_plan_on_a_symbol_without_bars_is_refused(trader, tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "elsewhere.py").write_text(textwrap.dedent(ELSEWHERE))
    monkeypatch.syspath_prepend(str(plugins))
    write_bars(tmp_path / "BHP_AUD.csv", 30)
    r = trader("backtest", "--bars", str(tmp_path / "BHP_AUD.csv"), "--strategy",
               "elsewhere:Elsewhere", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["entries"] == 0 and data["openTrades"] == [], data["openTrades"]
    assert data["endingEquity"] == data["startingCash"]
    assert any("CBA/AUD" in e for e in data["errors"]), data["errors"]
    import elsewhere

    assert elsewhere.Elsewhere.quote_errors, "a quote for it is refused too"
    assert "no bars for CBA/AUD" in elsewhere.Elsewhere.quote_errors[0]

"""IDEALPRO charges its commission in USD whatever the pair: the report counts it in the base
currency (AUD) at the simulated rate, never as if a US dollar were an Australian one."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

from tests.backtest.conftest import write_bars

AUD_USD = Decimal("0.65")  # the AUD/USD file trades flat here: USD 1 is AUD 1/0.65
IB_FX_MINIMUM_USD = Decimal("2.00")  # IBKR FX: 0.20 bp, at least USD 2.00 an order


def test_an_eur_aud_trade_pays_its_usd_commission_in_aud(trader, tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "one_fx_trade.py").write_text(textwrap.dedent("""
        from decimal import Decimal
        from trader_cli.strategies import api

        class OneTrade:
            name = "one-fx-trade"
            steps = 0

            async def decide(self, ctx):
                OneTrade.steps += 1
                if OneTrade.steps != 5:
                    return []
                sym = api.Symbol("EUR", "AUD")
                return [api.TradePlan(sym, api.Side.BUY, Decimal("1.5"), "one", self.name,
                                      size=Decimal(1000))]
    """))
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("ALLOWED_SYMBOLS", "EUR/AUD,AUD/USD")
    write_bars(tmp_path / "EUR_AUD.csv", 30, price=1.6, vol=0.0002)
    aud_usd = tmp_path / "AUD_USD.csv"
    write_bars(aud_usd, 30, price=1.0, vol=0.0)  # flat at 1.00 (the helper's floor), then:
    aud_usd.write_text(aud_usd.read_text().replace(",1.00", f",{AUD_USD:.2f}"))
    r = trader("backtest", "--bars", str(tmp_path / "EUR_AUD.csv"), "--bars",
               str(aud_usd), "--strategy", "one_fx_trade:OneTrade", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["currency"] == "AUD" and data["entries"] == 1, data
    (held,) = data["openTrades"]
    expected = IB_FX_MINIMUM_USD / AUD_USD  # AUD 3.08, not 2.00
    assert abs(Decimal(data["fees"]) - expected) <= Decimal("0.02"), data["fees"]
    assert abs(Decimal(held["fees"]) - expected) <= Decimal("0.02"), held

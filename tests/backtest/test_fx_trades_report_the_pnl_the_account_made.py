"""An FX round trip's PnL in the report is what the account made: the quote currency's PnL at
the average price, in the base currency at the rate of the closing fill. Converting each leg at
its own moment's rate instead books the quote currency's move against AUD as trading PnL — on
AUD/USD, whose USD is worth 1/price AUD, a winning long then shows almost nothing."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

from tests.backtest.conftest import write_bars

SIZE = 20_000  # AUD bought with USD
STEP = Decimal("0.0002")  # AUD/USD rises this much a minute: 0.0140 over the 70-minute trade
FLAT_FROM = 74  # then holds (the USD the trade made keeps its AUD value to the end)


def _rising_aud_usd(path) -> None:
    write_bars(path, 120, price=1.0, vol=0.0)  # the times; the prices are set below
    head, *rows = path.read_text().splitlines()
    out = [head]
    for i, row in enumerate(rows):
        ts, *_, volume = row.split(",")
        px = f"{Decimal('0.6500') + STEP * min(i, FLAT_FROM):.4f}"
        out.append(",".join([ts, px, px, px, px, volume]))
    path.write_text("\n".join(out) + "\n")


def test_a_long_aud_usd_over_an_hour_reports_what_the_equity_made(trader, tmp_path,
                                                                   monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hold_aud.py").write_text(textwrap.dedent(f"""
        from datetime import timedelta
        from decimal import Decimal
        from trader_cli.strategies import api

        class HoldAud:
            name = "hold-aud"
            steps = 0

            async def decide(self, ctx):
                HoldAud.steps += 1
                if HoldAud.steps != 5:
                    return []
                return [api.TradePlan(api.Symbol("AUD", "USD"), api.Side.BUY, Decimal("0.60"),
                                      "hold", self.name, size=Decimal({SIZE}),
                                      expiry=ctx.now + timedelta(minutes=70))]
    """))
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("ALLOWED_SYMBOLS", "AUD/USD")
    monkeypatch.setenv("MAX_ORDER_VALUE", "100000")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")
    bars = tmp_path / "AUD_USD.csv"
    _rising_aud_usd(bars)
    r = trader("backtest", "--bars", str(bars), "--strategy", "hold_aud:HoldAud", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["openTrades"] == [] and data["trades"] == 1, data
    (trade,) = data["tradeList"]
    entry, exit_ = Decimal(trade["entry"]), Decimal(trade["exit"])
    assert exit_ - entry > Decimal("0.0130"), trade  # held for the rise
    usd = SIZE * (exit_ - entry)
    # the USD made, in AUD at the rate of the exit (USD 1 = AUD 1/price)
    assert abs(Decimal(trade["gross"]) - usd / exit_) <= Decimal("0.50"), trade
    # and the trades add up to what the account made (fees included; the price holds after
    # the exit, so the USD it left is worth the same at the end)
    assert abs(Decimal(data["net"]) - Decimal(data["netPnl"])) <= Decimal("0.50"), data


def test_the_equity_of_an_fx_position_follows_its_price_within_the_hour(trader, tmp_path,
                                                                       monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "dip_aud.py").write_text(textwrap.dedent(f"""
        from datetime import timedelta
        from decimal import Decimal
        from trader_cli.strategies import api

        class DipAud:
            name = "dip-aud"
            steps = 0

            async def decide(self, ctx):
                DipAud.steps += 1
                if DipAud.steps != 5:
                    return []
                return [api.TradePlan(api.Symbol("AUD", "USD"), api.Side.BUY, Decimal("0.60"),
                                      "dip", self.name, size=Decimal({SIZE}),
                                      expiry=ctx.now + timedelta(minutes=30))]
    """))
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("ALLOWED_SYMBOLS", "AUD/USD")
    monkeypatch.setenv("MAX_ORDER_VALUE", "100000")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")
    bars = tmp_path / "AUD_USD.csv"
    write_bars(bars, 50, price=1.0, vol=0.0)
    head, *rows = bars.read_text().splitlines()
    # flat at 0.6500, down 0.0010 a minute to 0.6400, back up to 0.6550: all in one hour
    path = [Decimal("0.6500")] * 6 + [Decimal("0.6500") - Decimal("0.0010") * k
                                      for k in range(1, 11)]
    path += [Decimal("0.6400") + Decimal("0.0005") * k for k in range(1, 31)]
    path += [path[-1]] * (len(rows) - len(path))
    out = [head]
    for row, px in zip(rows, path, strict=True):
        ts, *_, volume = row.split(",")
        out.append(",".join([ts, *[f"{px:.4f}"] * 4, volume]))
    bars.write_text("\n".join(out) + "\n")
    r = trader("backtest", "--bars", str(bars), "--strategy", "dip_aud:DipAud", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["trades"] == 1, data
    # at the bottom the long has lost USD 20,000 x ~0.0100 = USD 200, about AUD 310
    assert Decimal(data["maxDrawdown"]) >= 250, data["maxDrawdown"]

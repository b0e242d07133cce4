"""``trader backtest`` end to end: a plug-in strategy over a CSV of bars, on the sim's engine;
the report adds up, fees are the published schedule's, exits happen where they should."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.backtest.conftest import SMA, write_bars


def report(r) -> dict:
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_the_sma_example_trades_and_the_report_adds_up(trader, tmp_path, sma_1m):
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 2000)
    data = report(trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json",
                         "--trades", "10000"))
    assert data["bars"] == 2000 and data["symbols"] == ["BHP/AUD"]
    assert data["trades"] >= 10, "a crossover strategy on 2,000 random minutes trades"
    trades = data["tradeList"]
    assert len(trades) == data["trades"]
    net = sum(Decimal(t["net"]) for t in trades)
    fees = sum(Decimal(t["fees"]) for t in trades)
    assert abs(net - Decimal(data["net"])) <= Decimal("0.01") * len(trades)
    assert abs(fees - Decimal(data["closedFees"])) <= Decimal("0.01") * len(trades)
    # ASX: 0.08% of value, at least AUD 6 an order; these orders are small, so 6 a side
    for t in trades:
        assert Decimal(t["fees"]) >= 12, t
        assert Decimal(t["gross"]) - Decimal(t["fees"]) == Decimal(t["net"])
    # the equity's change is every trade's net plus what is still open, in AUD
    change = Decimal(data["endingEquity"]) - Decimal(data["startingCash"])
    assert Decimal(data["netPnl"]) == change
    if not data["openTrades"]:
        assert abs(change - Decimal(data["net"])) <= Decimal("0.05")
    assert data["perSymbol"]["BHP/AUD"]["trades"] == data["trades"]
    assert Decimal(data["maxDrawdown"]) >= 0 and data["exposurePct"] is not None
    assert data["errorCount"] == 0, data["errors"]


def test_no_position_is_held_into_the_close(trader, tmp_path, sma_1m):
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 1500)  # four sessions and a bit
    data = report(trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json",
                         "--trades", "10000"))
    from datetime import datetime, timedelta

    from trader_cli.domain.symbols import InstrumentClass
    from trader_cli.hours import market_hours

    for t in data["tradeList"]:
        closed = datetime.fromisoformat(t["closed"].replace("Z", "+00:00"))
        opened = datetime.fromisoformat(t["opened"].replace("Z", "+00:00"))
        h = market_hours(InstrumentClass.ASX_EQUITY, opened)
        assert h.is_open and h.session_close is not None
        # out by the pre-close buffer: 10 minutes before the close, never overnight
        assert closed <= h.session_close - timedelta(minutes=10) + timedelta(seconds=59), t
        assert opened < h.session_close - timedelta(minutes=10), t


def test_the_m5_example_runs_on_one_minute_bars(trader, tmp_path):
    bars = tmp_path / "BHP.csv"  # the sim's local symbol names the file's instrument
    write_bars(bars, 3000, seed=3)
    data = report(trader("backtest", "--bars", str(bars), "--strategy", SMA, "--json"))
    assert data["symbols"] == ["BHP/AUD"]
    assert data["bars"] == 3000
    assert data["trades"] >= 1


def test_a_plot_is_written_as_png_and_as_html(trader, tmp_path, sma_1m):
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 800)
    png, page = tmp_path / "equity.png", tmp_path / "equity.html"
    data = report(trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json",
                         "--plot", str(png)))
    assert data["plot"] == str(png)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert width >= 800 and height >= 500
    report(trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json",
                  "--plot", str(page)))
    text = page.read_text()
    assert "<polyline" in text and "drawdown" in text and "BHP/AUD" in text


def test_what_trader_bars_csv_writes_is_what_backtest_reads(trader, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T05:00:00Z")
    r = trader("bars", "BHP/AUD", "-t", "1m", "-n", "300", "--csv", "--venue", "sim")
    assert r.code == 0, r.err
    bars = tmp_path / "from-bars.csv"
    bars.write_text(r.out)
    monkeypatch.delenv("SIM_CLOCK")
    data = report(trader("backtest", "--bars", str(bars), "--symbol", "BHP/AUD",
                         "--strategy", SMA, "--json"))
    assert data["bars"] == 300 and data["symbols"] == ["BHP/AUD"]


def test_a_recording_is_backtested_from_its_bars(trader):
    recording = Path(__file__).resolve().parents[2] / "fixtures" / "ib" / "sim-basic"
    data = report(trader("backtest", "--replay", str(recording), "--strategy", "rules",
                         "--json"))
    # the recording holds 40 bars a symbol at its shortest size (5m) for BHP/AUD and AUD/USD
    assert sorted(data["symbols"]) == ["AUD/USD", "BHP/AUD"]
    assert data["bars"] == 80
    assert data["errorCount"] == 0, data["errors"]
    r = trader("backtest", "--replay", str(recording), "-t", "1h", "--strategy", SMA)
    assert r.code == 2 and "5m bars cannot be made" in r.err.replace("\n", " ")


def test_the_accounts_kill_switch_does_not_stop_a_backtest(trader, tmp_path, sma_1m, clean_env,
                                                           monkeypatch):
    from trader_cli.risk.killswitch import KILL_SWITCH_FILE

    clean_env.mkdir(parents=True, exist_ok=True)
    switch = clean_env / KILL_SWITCH_FILE
    switch.write_text("incident on the live account\n")
    monkeypatch.setenv("KILL_SWITCH", "true")
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 600)
    data = report(trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json"))
    assert data["trades"] > 0 and not any("kill" in k.lower() for k in data["refusals"])
    assert switch.read_text() == "incident on the live account\n"  # left as it was

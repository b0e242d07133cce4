"""Parity: the same strategy on the same bars makes the same trades through ``trader
backtest`` (in-process engine, in-memory plans) and through ``trader run`` on the sim
(``SIM_BARS``, a pinned clock, one cycle a minute: the TWS socket, the database, the plan
monitor)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal

from tests.backtest.conftest import write_bars
from trader_cli.backtest.metrics import RoundTrips
from trader_cli.domain.models import Side
from trader_cli.services.pnl import FillRecord

# the SMA example reads 50 bars: from here on every one of them is the file's (before it the sim
# would fill the window with its seeded model's bars, which the backtest does not have)
WARM_UP = 50


def run_trades(home) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        rows = conn.execute(
            "select symbol, side, amount, price, timestamp, commission from fills "
            "order by timestamp, id").fetchall()
    trips = RoundTrips(keep=10_000)
    for symbol, side, amount, price, ts, fee in rows:
        when = datetime.fromisoformat(ts)
        trips.add(FillRecord(symbol, Side(side), Decimal(amount), Decimal(price), when,
                             Decimal(1), Decimal(fee or 0)))
    return [_key(t.to_dict()) for t in trips.last]


def _key(t: dict) -> tuple:
    return (t["side"], t["opened"][:19], t["closed"][:19], t["quantity"],
            f"{Decimal(t['entry']):.4f}", f"{Decimal(t['exit']):.4f}")


def test_backtest_and_run_on_the_sim_make_the_same_trades(trader, tmp_path, sma_1m,
                                                          monkeypatch, clean_env):
    bars = tmp_path / "BHP_AUD.csv"
    rows = write_bars(bars, 360, seed=11)  # one session, 10:00 to 16:00: the pre-close exit too
    start = rows[WARM_UP].split(",")[0]
    cycles = len(rows) - WARM_UP  # a cycle a minute, to the last bar
    end = datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(minutes=cycles)

    monkeypatch.setenv("SIM_BARS", str(bars))
    monkeypatch.setenv("SIM_CLOCK", start)
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BHP/AUD")
    r = trader("run", "--venue", "sim", "--strategy", sma_1m, "--cycles", str(cycles),
               "--interval", "1m", "--json")
    assert r.code == 0, r.err
    ran = run_trades(clean_env)

    monkeypatch.delenv("SIM_BARS")
    monkeypatch.delenv("SIM_CLOCK")
    b = trader("backtest", "--bars", str(bars), "--strategy", sma_1m, "--json",
               "--trades", "10000", "--from", start,
               "--to", end.isoformat())
    assert b.code == 0, b.err
    tested = [_key(t) for t in json.loads(b.out)["tradeList"]]

    assert len(ran) >= 5, "the series should give the SMA example a few round trips"
    assert tested == ran

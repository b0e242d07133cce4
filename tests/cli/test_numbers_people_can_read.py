"""Every command writes numbers people can read: prices at the tick, whole shares, money in
cents, percentages at three significant digits, times to the second, camelCase JSON keys."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.domain.models import Position
from trader_cli.domain.money import Money

CENTS = re.compile(r"^-?\d+\.\d{2}$")
# a decimal with six or more places: what an unrounded average or ratio looks like
LONG_DECIMAL = re.compile(r"\d\.\d{6,}")
ISO_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
GEMINI = ("--venue", "gemini", "--sim")


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def keys(data: Any) -> list[str]:
    """Every key of every object in a JSON document."""
    if isinstance(data, dict):
        return [k for k, v in data.items() for k in (k, *keys(v))]
    if isinstance(data, list):
        return [k for v in data for k in keys(v)]
    return []


def run_events(trader: Any) -> list[dict[str, Any]]:
    r = trader("run", "--venue", "sim", "--cycles", "3", "--interval", "5m", "--json")
    assert r.code == 0, r.err
    return [json.loads(line) for line in r.out.splitlines() if line.strip()]


def test_run_json_positions_equity_and_pnl_at_the_tick_and_in_cents(trader) -> None:
    events = run_events(trader)
    cycles = [e for e in events if e["event"] == "cycle"]
    positions = [p for c in cycles for p in c["positions"]]
    assert positions, "the seeded sim run should open positions for this test to mean anything"
    for p in positions:
        # BHP is bought and sold at cents; IB's average cost is a long float (42.654054…)
        if p["symbol"] == "BHP/AUD":
            assert CENTS.match(p["avg_price"]), p
        if p["symbol"] == "AUD/USD":
            assert re.fullmatch(r"0\.\d{5}", p["avg_price"]), p  # the half pip
        assert re.fullmatch(r"-?\d+", p["quantity"]), p
        assert ISO_SECOND.match(p["timestamp"]), p
    for c in cycles:
        assert CENTS.match(c["equity"]), c["equity"]
        assert all(CENTS.match(v) for v in c["pnl"].values()), c["pnl"]
        assert ISO_SECOND.match(c["at"]), c["at"]
        for d in c["decisions"]:
            if "price" in d:
                assert not LONG_DECIMAL.search(d["price"]), d
    summary = events[-1]
    assert summary["event"] == "summary"
    assert {"plansOpen", "plansClosed"} <= set(summary)
    assert [k for e in events for k in keys(e) if " " in k] == []


def test_run_table_and_live_view_write_the_average_at_the_tick(trader) -> None:
    from rich.console import Console

    from trader_cli.cli.live import render
    from trader_cli.services.runner import CycleReport

    at = datetime(2024, 7, 3, 1, 0, 0, 250_000, tzinfo=UTC)
    report = CycleReport(1, at, "sim", "sim", "AUD", equity=Money(Decimal("156998.1945"), "AUD"),
                         pnl={"net": "-12.5", "realised": "0", "unrealised": "-3.456",
                              "fees": "9.044"})  # fmt: skip
    report.positions = [
        Position("BHP/AUD", Decimal(1100), Decimal("142.09181818181818"), Decimal("142.105"),
                 at, "AUD"),
        Position("AUD/USD", Decimal(-25000), Decimal("0.663451234"), None, at, "USD"),
    ]  # fmt: skip
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(render(report))
    view = console.export_text()
    assert "142.09 " in view and "142.0918" not in view
    assert "142.105" in view  # the mid between two ticks keeps its half tick
    assert "0.66345" in view and "0.663451" not in view
    assert "1,100" in view and "-25,000" in view
    assert "equity 156,998.19 AUD" in view
    assert "PnL net -12.50 AUD (realised 0.00 AUD, unrealised -3.46 AUD, fees 9.04 AUD)" in view
    assert "2024-07-03 01:00:00 UTC" in view and ".25" not in view
    # the summary table of a real run names its fields in words
    r = trader("run", "--venue", "sim", "--cycles", "2", "--interval", "5m")
    assert r.code == 0, r.err
    assert re.search(r"plans open\s+\d", r.out)
    assert not LONG_DECIMAL.search(r.out)


def test_quote_spread_and_imbalance_at_three_significant_digits(trader) -> None:
    r = trader("quote", "BHP/AUD", "AUD/USD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    quotes = {q["symbol"]: q for q in r.json()["quotes"]}
    for q in quotes.values():
        for key in ("spread_pct", "ob_imbalance"):
            digits = q[key].lstrip("-0.")
            assert len(digits) <= 3, (key, q[key])
        assert ISO_SECOND.match(q["timestamp"]), q["timestamp"]
    bhp = quotes["BHP/AUD"]
    spread = (Decimal(bhp["ask"]) - Decimal(bhp["bid"])) / Decimal(bhp["price"]) * 100
    assert Decimal(bhp["spread_pct"]) == spread.quantize(Decimal("0.0001"))  # 0.0235
    assert CENTS.match(bhp["bid"]) and CENTS.match(bhp["ask"])
    assert re.fullmatch(r"0\.\d{5}", quotes["AUD/USD"]["bid"])
    table = trader("quote", "BHP/AUD", "--venue", "sim")
    assert table.code == 0, table.err
    row = next(line.split() for line in table.out.splitlines() if line.strip().startswith("BHP"))
    assert row[-2:] == [bhp["spread_pct"], bhp["ob_imbalance"]]
    assert row[2] == bhp["bid"]  # 42.60, never 42.6 beside 42.61


def test_crypto_volume_and_sizes_without_trailing_zeros(trader) -> None:
    r = trader("quote", "BTC/USD", *GEMINI, "--json")
    assert r.code == 0, r.err
    (q,) = r.json()["quotes"]
    assert re.fullmatch(r"\d+", q["volume"]) or not q["volume"].endswith("0"), q["volume"]
    assert not q["bid_size"].endswith("0")
    assert CENTS.match(q["bid"])


def test_hours_to_the_second_and_closed_said_once(trader, monkeypatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-12-25T01:00:00.123456Z")  # Christmas, mid-second
    r = trader("hours", "BHP/AUD", "--venue", "sim")
    assert r.code == 0, r.err
    assert "CLOSED: Christmas" in r.out
    assert "closed: closed" not in r.out.lower()
    assert ".123456" not in r.out and "2024-12-25 01:00:00 UTC" in r.out
    data = trader("hours", "BHP/AUD", "--venue", "sim", "--json").json()
    assert ISO_SECOND.match(data["at"]), data["at"]
    assert data["localTime"] == "2024-12-25T12:00:00+11:00"
    given = trader("hours", "BHP/AUD", "--at", "2024-07-03T01:00:00.654321Z", "--json").json()
    assert given["at"] == "2024-07-03T01:00:00Z"
    open_now = trader("hours", "BHP/AUD", "--at", "2024-07-03T01:00:00Z")
    assert "OPEN until Wed 16:00 AEST" in open_now.out


def test_bars_keep_trailing_zeros_in_table_json_and_csv(trader) -> None:
    args = ("bars", "BHP/AUD", "-t", "5m", "-n", "100", "--venue", "sim")
    rows = list(csv.DictReader(io.StringIO(trader(*args, "--csv").out)))
    prices = [row[k] for row in rows for k in ("open", "high", "low", "close")]
    assert any(p.endswith("0") for p in prices), "no price ends in a zero: the test means nothing"
    assert all(CENTS.match(p) for p in prices), [p for p in prices if not CENTS.match(p)]
    assert all(re.fullmatch(r"\d+", row["volume"]) for row in rows)
    data = trader(*args, "--json").json()
    assert [str(v) for bar in data["bars"] for v in bar[1:5]] == prices
    table = trader(*args).out
    cells = [line.split()[2:6] for line in table.splitlines() if re.match(r"\s*2024-", line)]
    assert [c for row in cells for c in row] == prices


def test_money_in_cents_in_the_preview_and_the_order(trader) -> None:
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--dry-run", "--venue", "sim")
    assert r.code == 0, r.err
    assert re.search(r"commission \(est\.\)\s+6\.00 AUD", r.out)
    data = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--dry-run", "--venue",
                  "sim", "--json").json()  # fmt: skip
    assert data["commission"]["cost"] == "6.00"
    assert data["notional"] == {"amount": "4261.00", "currency": "AUD"}
    limits = [c["limit"] for c in data["checks"] if isinstance(c["limit"], dict)]
    assert limits and all(CENTS.match(m["amount"]) for m in limits)
    assert data["quote"]["bid"] == "42.60"
    assert not LONG_DECIMAL.search(json.dumps(data))
    placed = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--venue", "sim")
    assert placed.code == 0, placed.err
    assert re.search(r"commission\s+6\.00 AUD", placed.out)
    assert re.search(r"\s6\.00 AUD\s", placed.out.split("fills")[1])  # the fills table


def test_online_resolve_symbol_is_the_same_field_value_table_as_offline(trader) -> None:
    online = trader("resolve-symbol", "BHP/AUD", "--venue", "sim")
    offline = trader("resolve-symbol", "BHP/AUD", "--venue", "sim", "--offline")
    for r in (online, offline):
        assert r.code == 0, r.err
        header = next(line.split() for line in r.out.splitlines() if "value" in line.split())
        assert header == ["field", "value"]
        assert re.search(r"^\s*symbol\s+BHP/AUD\s*$", r.out, re.M)
        assert re.search(r"^\s*currency\s+AUD\s*$", r.out, re.M)
    assert re.search(r"^\s*minTick\s+0\.01\s*$", online.out, re.M)
    gemini = trader("resolve-symbol", "BTC/USD", *GEMINI)
    assert gemini.code == 0, gemini.err
    assert "E-" not in gemini.out  # 0.00000001, never 1E-8
    assert trader("resolve-symbol", "BTC/USD", *GEMINI, "--json").json()["contract"][
        "sizeIncrement"
    ] == "0.00000001"


def test_no_json_key_has_a_space(trader) -> None:
    outputs = [
        trader("quote", "BHP/AUD", "--venue", "sim", "--json", "--depth", "2"),
        trader("bars", "BHP/AUD", "-n", "3", "--venue", "sim", "--json"),
        trader("hours", "AUD/USD", "--venue", "sim", "--json"),
        trader("resolve-symbol", "BHP/AUD", "--venue", "sim", "--json"),
        trader("place", "BHP/AUD", "buy", "10", "--limit", "42.61", "--dry-run", "--venue",
               "sim", "--json"),
        trader("place", "BHP/AUD", "buy", "100", "--limit", "42.61", "--venue", "sim", "--json"),
        trader("resync", "--venue", "sim", "--json"),
        trader("baseline", "--venue", "sim", "--json"),
        trader("flatten", "--all", "--venue", "sim", "--json"),
        trader("config", "--json"),
    ]
    documents = [r.json() for r in outputs if r.code in (0, 3)]
    assert len(documents) == len(outputs), [r.err for r in outputs if r.code not in (0, 3)]
    run = trader("run", "--venue", "sim", "--cycles", "1", "--interval", "5m", "--json")
    assert run.code == 0, run.err
    documents += [json.loads(line) for line in run.out.splitlines() if line.strip()]
    spaced = [k for d in documents for k in keys(d) if " " in k]
    assert spaced == []  # "plans open" was one

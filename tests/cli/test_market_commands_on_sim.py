"""``trader quote``, ``bars`` and online ``resolve-symbol`` end to end on the in-process sim."""

from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def test_quote_table_is_labelled_simulated(trader) -> None:
    r = trader("quote", "BHP/AUD", "AUD/USD", "--venue", "sim")
    assert r.code == 0, r.err
    assert "SIMULATED" in r.out
    assert "2024-07-03 01:00:00 UTC" in r.out
    assert "BHP/AUD" in r.out
    assert "AUD/USD" in r.out


def test_quote_json_has_every_field(trader) -> None:
    r = trader("quote", "BHP/AUD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["simulated"] is True
    (q,) = data["quotes"]
    for key in (
        "price",
        "bid",
        "ask",
        "bid_size",
        "ask_size",
        "volume",
        "spread_pct",
        "ob_imbalance",
        "timestamp",
    ):
        assert q[key] is not None, key
    assert Decimal(q["bid"]) < Decimal(q["ask"])
    assert q["timestamp"].startswith("2024-07-03T0")


def test_same_seed_same_prices(trader) -> None:
    first = trader("quote", "BHP/AUD", "--venue", "sim", "--json").json()["quotes"][0]
    second = trader("quote", "BHP/AUD", "--venue", "sim", "--json").json()["quotes"][0]
    assert (first["bid"], first["ask"]) == (second["bid"], second["ask"])


def test_bars_table_csv_and_json(trader) -> None:
    r = trader("bars", "BHP/AUD", "--timeframe", "5m", "--limit", "50", "--venue", "sim")
    assert r.code == 0, r.err
    assert "50 bars" in r.out
    r = trader("bars", "BHP/AUD", "-t", "5m", "-n", "20", "--venue", "sim", "--csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 20
    assert list(rows[0]) == ["timestamp", "open", "high", "low", "close", "volume"]
    assert rows[0]["timestamp"] < rows[-1]["timestamp"]
    r = trader("bars", "AUD/USD", "--timeframe", "1h", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["timeframe"] == "1h"
    assert data["columns"] == ["ts", "open", "high", "low", "close", "volume"]
    assert len(data["bars"]) == 100
    stamps = [row[0] for row in data["bars"]]
    assert stamps == sorted(stamps)
    assert all(b - a >= 3_600_000 for a, b in itertools.pairwise(stamps))


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("bars", "BHP/AUD", "--timeframe", "7m"), 2, "unsupported timeframe '7m'"),
        (("bars", "BHP/AUD", "--timeframe", "6h"), 2, "IB has no 6h bars"),
        (("bars", "BHP/AUD", "--limit", "0"), 2, "--limit must be at least 1"),
        (("bars", "BHP.AX"), 2, "BHP/AUD"),
        (("quote", "ZZZ/AUD"), 2, "IB knows no contract for ZZZ/AUD"),
        (("quote", "BTC/USD"), 2, "--venue gemini"),
    ],
)
def test_bad_input_exits_2_and_says_why(trader, args, code, fragment) -> None:
    r = trader(*args, "--venue", "sim")
    assert r.code == code, r.err
    assert fragment in r.err
    assert "Traceback" not in r.err


def test_online_resolve_adds_con_id_min_tick_and_hours(trader) -> None:
    r = trader("resolve-symbol", "BHP/AUD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    c = r.json()["contract"]
    assert r.json()["resolved"] == "venue"
    assert c["conId"] > 0
    assert c["minTick"] == "0.01"
    assert c["tradingHours"].startswith("20240703:1000")
    assert c["primaryExchange"] == "ASX"


def test_unreachable_gateway_exits_1_with_a_hint(trader, monkeypatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("IB_PORT", str(port))
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "1")
    r = trader("quote", "BHP/AUD", "--venue", "ib")
    assert r.code == 1
    assert f"127.0.0.1:{port}" in r.err
    assert "hint" in r.err
    assert "Traceback" not in r.err

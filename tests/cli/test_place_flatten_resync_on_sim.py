"""``place`` (live), ``flatten`` and ``resync`` end to end on the sim venue, one paper world."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def db_rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "trader-ib-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


def test_place_fills_and_records_order_and_fills(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "40", "--market", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    data = r.json()
    order = data["order"]
    assert order["status"] == "closed"
    assert order["filled"] == "40"
    assert order["fee"]["currency"] == "AUD"
    assert data["fills"]
    assert data["preview"]["allowed"] is True
    rows = db_rows(clean_env, "select client_order_id, status, filled from orders")
    assert rows == [(order["clientOrderId"], "closed", "40")]
    (fills,) = db_rows(clean_env, "select count(*) from fills")
    assert fills == (len(data["fills"]),)


def test_place_refused_by_risk_sends_and_records_nothing(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "1000", "--limit", "44.50", "--venue", "sim")
    assert r.code == 3
    assert "MAX_ORDER_VALUE" in r.err
    assert db_rows(clean_env, "select count(*) from orders") == [(0,)]


def test_place_with_client_order_id_is_idempotent(trader, clean_env) -> None:
    args = (
        "place",
        "BHP/AUD",
        "buy",
        "20",
        "--limit",
        "30.00",
        "--allow-far-limit",  # rests well below the market
        "--venue",
        "sim",
        "--client-order-id",
        "trd-mine-1",
        "--timeout",
        "1",
        "--json",
    )
    first = trader(*args)
    assert first.code == 0, first.err
    assert first.json()["order"]["status"] == "open"
    second = trader(*args)
    assert second.code == 0, second.err
    assert second.json()["resumed"] is True
    assert second.json()["order"]["id"] == first.json()["order"]["id"]
    world = json.loads((clean_env / "sim" / "ib-world.json").read_text())["world"]
    refs = [o["order_ref"] for o in world["orders"].values()]
    assert refs.count("trd-mine-1") == 1


def test_client_order_id_without_our_prefix_is_refused(trader) -> None:
    r = trader(
        "place",
        "BHP/AUD",
        "buy",
        "10",
        "--limit",
        "30",
        "--venue",
        "sim",
        "--client-order-id",
        "mine-1",
    )
    assert r.code == 2
    assert "must start with 'trd-'" in r.err


def test_flatten_closes_what_place_opened_and_resync_agrees(trader, clean_env) -> None:
    assert trader("place", "CBA/AUD", "sell", "20", "--market", "--venue", "sim").code == 0
    assert trader("resync", "--venue", "sim").code == 0
    r = trader("flatten", "CBA/AUD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    (line,) = r.json()["positions"]
    assert (line["symbol"], line["before"], line["side"], line["left"]) == (
        "CBA/AUD",
        "-20",
        "buy",
        "0",
    )
    r = trader("resync", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    report = r.json()
    assert report["unexplained"] == []
    again = trader("resync", "--venue", "sim", "--json").json()
    assert again["changes"] == 0


def test_flatten_needs_symbols_or_all(trader) -> None:
    assert trader("flatten", "--venue", "sim").code == 2
    assert trader("flatten", "BHP/AUD", "--all", "--venue", "sim").code == 2


def test_flatten_all_with_nothing_held_is_ok(trader) -> None:
    r = trader("flatten", "--all", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    assert r.json()["flat"] is True


def test_resync_is_quiet_and_one_line(trader) -> None:
    r = trader("resync", "--venue", "sim")
    assert r.code == 0, r.err
    assert len(r.out.strip().splitlines()) == 1
    assert r.out.startswith("resync sim:")


def test_resync_unreachable_venue_exits_1(trader, monkeypatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("IB_PORT", str(port))
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "1")
    r = trader("resync", "--venue", "ib")
    assert r.code == 1
    assert "cannot connect" in r.err


def test_money_in_the_database_is_exact(trader, clean_env) -> None:
    assert trader("place", "AUD/USD", "buy", "4000", "--market", "--venue", "sim").code == 0
    ((commission, currency, rate),) = db_rows(
        clean_env, "select commission, commission_currency, fx_rate_to_base from fills"
    )
    assert currency == "USD"
    assert Decimal(commission) == Decimal("2")
    assert Decimal(rate) > 1  # AUD per USD

"""``--venue gemini --sim`` end to end: the Gemini simulator in-process, clock pinned."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_gemini_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BTC/USD,ETH/USD")
    # the sim account starts with USD 100,000 and 1 BTC: limits sized for it
    monkeypatch.setenv("MIN_TRADE_SIZE", "10")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")


G = ("--venue", "gemini", "--sim")


def test_quote_is_simulated_on_the_sim_clock(trader) -> None:
    r = trader("quote", "BTC/USD", *G, "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["simulated"] is True
    (q,) = data["quotes"] if "quotes" in data else [data["quote"]]
    assert Decimal(q["bid"]) < Decimal(q["ask"])
    human = trader("quote", "BTC/USD", *G)
    assert "SIMULATED market (sim clock 2024-07-03 01:00:00 UTC)" in human.out


def test_bars_are_gemini_frames(trader) -> None:
    r = trader("bars", "BTC/USD", "-t", "1h", "-n", "10", *G, "--json")
    assert r.code == 0, r.err
    bars = r.json()["bars"]
    assert len(bars) == 10
    refused = trader("bars", "BTC/USD", "-t", "4h", "-n", "10", *G)
    assert refused.code == 2 and "1h" in refused.err


def test_hours_of_a_crypto_pair_are_24_7(trader) -> None:
    r = trader("hours", "BTC/USD", *G)
    assert r.code == 0, r.err
    assert "24/7" in r.out


def _ask(trader) -> str:
    data = trader("quote", "BTC/USD", *G, "--json").json()
    q = data["quotes"][0] if "quotes" in data else data["quote"]
    return str(q["ask"])


def test_place_dry_run_then_live_then_flatten_and_resync(trader, clean_env: Path) -> None:
    ask = _ask(trader)
    dry = trader("place", "BTC/USD", "buy", "0.001", "--limit", ask, *G, "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert dry.json()["dryRun"] is True
    placed = trader("place", "BTC/USD", "buy", "0.001", "--limit", ask, *G, "--json")
    assert placed.code == 0, placed.err
    order = placed.json()["order"]
    assert order["status"] == "closed" and order["filled"] == "0.001"
    assert placed.json()["fills"]
    assert (clean_env / "trader-gemini-sim.sqlite").exists()
    assert (clean_env / "sim" / "gemini-world.json").exists()
    flat = trader("flatten", "--all", *G, "--json")
    assert flat.code == 0, flat.err
    resync = trader("resync", *G, "--json")
    assert resync.code == 0, resync.err
    assert resync.json()["unexplained"] == [], resync.out
    again = trader("resync", *G, "--json")
    assert again.json()["changes"] == 0, again.out
    world = json.loads((clean_env / "sim" / "gemini-world.json").read_text())
    # the bot's 0.001 is closed; the sim account's starting 1 BTC is its baseline, kept
    assert Decimal(world["world"]["cash"].get("BTC", "0")) == 1


def test_run_five_cycles_then_resync_finds_nothing_to_change(trader) -> None:
    r = trader("run", *G, "--cycles", "5", "--json")
    assert r.code == 0, r.err
    events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
    cycles = [e for e in events if e.get("event") == "cycle"]
    assert len(cycles) == 5
    assert cycles[-1]["at"] > cycles[0]["at"]  # the pinned sim clock advanced on the waits
    assert all(c["mode"] == "sim" for c in cycles)
    resync = trader("resync", *G, "--json")
    assert resync.code == 0, resync.err
    assert resync.json()["changes"] == 0, resync.out


def _db(home: Path, sql: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(home / "trader-gemini-sim.sqlite") as conn:
        return conn.execute(sql).fetchall()


# the engine's order states as ccxt reports them
_STATUS = {"Filled": "closed", "Cancelled": "canceled", "Submitted": "open"}


@pytest.mark.parametrize("seed", ["0", "7"])
def test_run_on_the_default_crypto_universe_trades_and_the_books_agree(
    trader, clean_env: Path, monkeypatch: pytest.MonkeyPatch, seed: str
) -> None:
    monkeypatch.delenv("ALLOWED_SYMBOLS")  # Gemini's default universe: BTC, ETH and SOL in USD
    monkeypatch.setenv("SIM_SEED", seed)
    r = trader("run", *G, "--cycles", "5", "--json")
    assert r.code == 0, r.err
    events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
    (summary,) = [e for e in events if e.get("event") == "summary"]
    assert summary["orders"] >= 1 and summary["fills"] >= 1, events
    universe = {d["symbol"] for e in events if e.get("event") == "cycle" for d in e["decisions"]}
    assert universe == {"BTC/USD", "ETH/USD", "SOL/USD"}
    resync = trader("resync", *G, "--json")
    assert resync.code == 0, resync.err
    assert resync.json()["changes"] == 0, resync.out
    assert resync.json()["unexplained"] == []

    world = json.loads((clean_env / "sim" / "gemini-world.json").read_text())["world"]
    # orders: every order the bot recorded is the simulator's, in the same state and fill
    venue_orders = {o["order_ref"]: o for o in world["orders"].values()}
    db_orders = _db(clean_env, "select client_order_id, status, filled, venue_order_id from orders")
    assert {cid for cid, *_ in db_orders} == set(venue_orders)
    for cid, status, filled, venue_id in db_orders:
        o = venue_orders[cid]
        assert (status, Decimal(filled), venue_id) == (
            _STATUS[o["status"]], Decimal(o["filled"]), str(o["perm_id"])
        )
    assert any(status == "closed" for _, status, *_ in db_orders)  # at least one filled
    # fills: one row per execution, same amount, price and fee
    db_fills = _db(
        clean_env, "select client_order_id, symbol, side, amount, price, commission from fills"
    )
    venue_fills = [
        (x["order_ref"], Decimal(x["shares"]), Decimal(x["price"]), Decimal(x["commission"]))
        for x in world["executions"]
    ]
    assert sorted((c, Decimal(a), Decimal(p), Decimal(f)) for c, _, _, a, p, f in db_fills) == (
        sorted(venue_fills)
    )
    # positions: what the recorded fills add up to is what the balances moved by
    start = {"BTC": Decimal(1)}  # the sim account's holding before the bot ran
    moved: dict[str, Decimal] = {}
    for _, symbol, side, amount, _, _ in db_fills:
        base = symbol.split("/")[0]
        moved[base] = moved.get(base, Decimal(0)) + Decimal(amount) * (1 if side == "buy" else -1)
    for base, qty in moved.items():
        assert Decimal(world["cash"].get(base, "0")) - start.get(base, Decimal(0)) == qty

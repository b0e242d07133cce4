"""``place --tif`` and ``--post-only`` on both sims, and the order's commission in its output."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

G = ("--venue", "gemini", "--sim")
IB = ("--venue", "sim")


@pytest.fixture(autouse=True)
def pinned(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")  # the ASX is open
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BTC/USD,BHP/AUD")
    monkeypatch.setenv("MIN_TRADE_SIZE", "10")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")  # the sim account holds 1 BTC


def orders(home: Path, venue: str) -> list[tuple]:
    with sqlite3.connect(home / f"trader-{venue}-sim.sqlite") as conn:
        return conn.execute("select status, filled, last_error from orders").fetchall()


def gemini_world(home: Path) -> dict:
    return json.loads((home / "sim" / "gemini-world.json").read_text())["world"]


def touch(trader, symbol: str, *venue: str) -> tuple[str, str]:
    q = trader("quote", symbol, *venue, "--json").json()["quotes"][0]
    return q["bid"], q["ask"]


def test_gemini_post_only_that_would_take_is_cancelled_unfilled(trader, clean_env) -> None:
    _, ask = touch(trader, "BTC/USD", *G)
    dry = trader("place", "BTC/USD", "buy", "0.001", "--limit", ask, "--post-only", *G,
                 "--dry-run")
    assert dry.code == 0, dry.err
    assert "post-only" in dry.out and "crosses the touch" in dry.err
    r = trader("place", "BTC/USD", "buy", "0.001", "--limit", ask, "--post-only", *G)
    assert r.code == 0, r.err
    assert "canceled" in r.out
    assert "cancelled by Gemini: MakerOrCancelWouldTake" in r.out
    assert orders(clean_env, "gemini") == [
        ("canceled", "0", "cancelled by Gemini: MakerOrCancelWouldTake")
    ]
    assert gemini_world(clean_env)["executions"] == []


def test_gemini_post_only_below_the_ask_rests_as_a_maker(trader, clean_env) -> None:
    bid, _ = touch(trader, "BTC/USD", *G)
    r = trader("place", "BTC/USD", "buy", "0.001", "--limit", bid, "--post-only", *G,
               "--timeout", "0", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["order"]["status"] == "open"
    assert data["preview"]["postOnly"] is True and data["preview"]["timeInForce"] == "GTC"
    (order,) = gemini_world(clean_env)["orders"].values()
    assert order["tif"] == "MOC" and order["status"] == "Submitted"


def test_gemini_ioc_below_the_ask_is_cancelled_unfilled(trader, clean_env) -> None:
    bid, _ = touch(trader, "BTC/USD", *G)
    r = trader("place", "BTC/USD", "buy", "0.001", "--limit", bid, "--tif", "ioc", *G)
    assert r.code == 0, r.err
    assert "cancelled by Gemini: ImmediateOrCancelWouldPost" in r.out
    assert [row[:2] for row in orders(clean_env, "gemini")] == [("canceled", "0")]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--tif", "day"), "Gemini has no DAY orders"),
        (("--market", "--post-only"), "a market order cannot be post-only"),
        (("--tif", "ioc", "--post-only"), "a post-only order cannot be IOC"),
        (("--tif", "fok"), "Invalid value for '--tif'"),
    ],
)
def test_gemini_refuses_what_it_cannot_do_and_sends_nothing(
    trader, clean_env, flags, message
) -> None:
    limit = () if "--market" in flags else ("--limit", "60000")
    r = trader("place", "BTC/USD", "buy", "0.001", *limit, *flags, *G)
    assert r.code == 2, r.out + r.err
    assert message in r.err
    world = clean_env / "sim" / "gemini-world.json"
    assert not world.exists() or gemini_world(clean_env)["orders"] == {}


def test_gemini_place_shows_the_fee_with_currency_and_liquidity(trader, clean_env) -> None:
    r = trader("place", "BTC/USD", "buy", "0.001", "--market", *G, "--json")
    assert r.code == 0, r.err
    data = r.json()
    total = sum(Decimal(f["commission"]) for f in data["fills"])
    assert total > 0
    assert data["order"]["fee"]["cost"] == str(total)
    assert data["order"]["fee"]["currency"] == "USD"
    assert data["commission"] == {
        "cost": str(total), "currency": "USD", "source": "venue", "liquidity": "taker"
    }
    # Gemini's taker rate on the notional it filled at
    filled = Decimal(data["order"]["filled"]) * Decimal(data["order"]["average"])
    assert total == (filled * Decimal("0.004")).quantize(Decimal("0.00000001"))
    human = trader("place", "BTC/USD", "buy", "0.001", "--market", *G)
    assert human.code == 0, human.err
    (line,) = [ln for ln in human.out.splitlines() if ln.strip().startswith("commission ")]
    assert line.split()[-2:] == ["USD", "(taker)"]


def test_ib_refuses_post_only_before_sending(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "20", "--limit", "42.60", "--post-only", *IB)
    assert r.code == 2, r.out + r.err
    assert "IB takes no post-only orders" in r.err
    assert orders(clean_env, "ib") == []


def test_ib_ioc_below_the_ask_is_cancelled_and_commission_says_taker(trader, clean_env) -> None:
    bid, _ = touch(trader, "BHP/AUD", *IB)
    r = trader("place", "BHP/AUD", "buy", "20", "--limit", bid, "--tif", "ioc", *IB, "--json")
    assert r.code == 0, r.err
    assert r.json()["order"]["status"] == "canceled"
    assert r.json()["order"]["filled"] == "0"
    filled = trader("place", "BHP/AUD", "buy", "20", "--market", "--tif", "ioc", *IB)
    assert filled.code == 0, filled.err
    (line,) = [ln for ln in filled.out.splitlines() if ln.strip().startswith("commission ")]
    assert line.split()[-3:] == ["6.00", "AUD", "(taker)"]

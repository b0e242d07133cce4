"""``trader place``: risk values an order at the price it executes at, and bands far limits."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open (BHP bid 42.6 / ask 42.61, seed 7)
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def checks(data: dict) -> dict[str, dict]:
    return {c["name"]: c for c in data["checks"]}


def flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


def sent_to_the_sim(home: Path) -> list[dict]:
    """Orders the simulated venue has seen (its persisted paper world)."""
    path = home / "sim" / "ib-world.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["world"]["orders"].values())


def recorded_orders(home: Path) -> int:
    db = home / "trader-ib-sim.sqlite"
    assert db.exists(), "the command should have opened the sim's database"
    with sqlite3.connect(db) as conn:
        ((count,),) = conn.execute("select count(*) from orders").fetchall()
    return int(count)


def test_sell_of_50000_bhp_limited_at_a_cent_is_refused_and_nothing_is_sent(
    trader, clean_env
) -> None:
    r = trader("place", "BHP/AUD", "sell", "50000", "--limit", "0.01", "--venue", "sim")
    assert r.code == 3, (r.out, r.err)
    assert "below the bid 42.60, beyond MAX_PRICE_DEVIATION_PCT_EQUITY 5%" in flat(r.err)
    # at the bid it is worth AUD 2.13 M, not the AUD 500 its limit says
    assert "order value 2,130,000.00 AUD exceeds MAX_ORDER_VALUE" in flat(r.err)
    assert recorded_orders(clean_env) == 0
    assert sent_to_the_sim(clean_env) == []


def test_the_same_sell_with_allow_far_limit_is_still_refused_by_its_value(trader) -> None:
    r = trader(
        "place", "BHP/AUD", "sell", "50000", "--limit", "0.01", "--allow-far-limit",
        "--dry-run", "--json", "--venue", "sim",
    )  # fmt: skip
    assert r.code == 3, r.err
    data = r.json()
    c = checks(data)
    assert c["MAX_PRICE_DEVIATION_PCT_EQUITY"]["passed"] is True
    assert c["MAX_PRICE_DEVIATION_PCT_EQUITY"]["waived"] is True
    assert c["MAX_ORDER_VALUE"]["passed"] is False
    assert c["MAX_ORDER_VALUE"]["value"] == {"amount": "2130000.00", "currency": "AUD"}
    assert data["valuation"]["price"] == "42.60"
    assert data["valuation"]["basis"] == "bid"
    assert data["notional"] == {"amount": "2130000.00", "currency": "AUD"}
    first_failed = next(x for x in data["checks"] if not x["passed"])
    assert first_failed["name"] == "MAX_ORDER_VALUE"


def test_aud_usd_sell_of_ten_million_at_a_hundredth_of_a_cent_is_refused(trader) -> None:
    args = ("place", "AUD/USD", "sell", "10000000", "--limit", "0.0001", "--dry-run")
    r = trader(*args, "--venue", "sim")
    assert r.code == 3, r.err
    assert "beyond MAX_PRICE_DEVIATION_PCT_FX 1%" in flat(r.err)
    r = trader(*args, "--venue", "sim", "--json")
    assert r.code == 3
    data = r.json()
    assert data["ok"] is False
    assert checks(data)["MAX_PRICE_DEVIATION_PCT_FX"]["passed"] is False
    assert checks(data)["MAX_ORDER_VALUE"]["passed"] is False
    bid = Decimal(data["quote"]["bid"])
    assert Decimal(data["valuation"]["price"]) == bid
    assert Decimal(data["notional"]["amount"]) == 10000000 * bid


def test_allow_far_limit_lets_a_far_limit_through_to_the_other_checks(trader) -> None:
    args = ("place", "BHP/AUD", "sell", "50", "--limit", "30", "--dry-run", "--venue", "sim")
    refused = trader(*args)
    assert refused.code == 3
    assert "MAX_PRICE_DEVIATION_PCT_EQUITY" in refused.err
    r = trader(*args, "--allow-far-limit")
    assert r.code == 0, r.err
    out = flat(r.out)
    assert "valued at 42.60 (bid; your limit 30.00 is below it, a sell executes at the bid" in out
    assert "2,130.00 AUD" in out  # 50 x the bid, not 50 x 30
    assert "allowed by --allow-far-limit" in out


def test_a_far_limit_allowed_is_sent_and_fills_at_the_bid(trader, clean_env) -> None:
    r = trader(
        "place", "BHP/AUD", "sell", "50", "--limit", "30", "--allow-far-limit",
        "--venue", "sim", "--json", "--timeout", "5",
    )  # fmt: skip
    assert r.code == 0, r.err
    data = r.json()
    assert data["order"]["filled"] == "50"
    assert all(Decimal(f["price"]) > 40 for f in data["fills"])  # the bid, not the limit
    assert data["preview"]["valuation"]["price"] == "42.60"
    assert recorded_orders(clean_env) == 1


@pytest.mark.parametrize(
    ("side", "limit", "price", "basis", "notional"),
    [
        ("buy", "41.00", "42.61", "ask", "4261.00"),  # rests below the ask: valued at the ask
        ("buy", "43.50", "43.50", "limit", "4350.00"),  # through the ask: at its limit
        ("sell", "42.00", "42.60", "bid", "4260.00"),  # through the bid: executes at the bid
        ("sell", "43.00", "43.00", "limit", "4300.00"),  # rests above the bid: at its limit
    ],
)
def test_preview_json_shows_the_valuation_price_and_why(
    trader, side: str, limit: str, price: str, basis: str, notional: str
) -> None:
    r = trader(
        "place", "BHP/AUD", side, "100", "--limit", limit, "--dry-run", "--json", "--venue", "sim"
    )
    assert r.code == 0, r.err
    data = r.json()
    assert (data["valuation"]["price"], data["valuation"]["basis"]) == (price, basis)
    assert data["valuation"]["note"].startswith(f"valued at {price} (")
    assert data["notional"] == {"amount": notional, "currency": "AUD"}
    assert checks(data)["MAX_ORDER_VALUE"]["value"]["amount"] == f"{Decimal(notional):.2f}"

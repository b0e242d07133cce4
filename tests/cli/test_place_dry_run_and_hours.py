"""``trader place --dry-run`` and ``trader hours`` end to end on the in-process sim."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open (BHP trades near 42.6 on seed 7)
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def checks(data: dict) -> dict[str, dict]:
    return {c["name"]: c for c in data["checks"]}


def test_typed_off_tick_limit_is_refused_naming_the_steps_either_side(trader) -> None:
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.623", "--dry-run", "--venue", "sim")
    assert r.code == 2, r.out
    assert "42.623 is not on BHP/AUD's price step" in r.err
    assert "use 42.62 or 42.63" in r.err
    assert "DRY RUN" not in r.out
    # below 2.00 the ASX step is half a cent
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "1.997", "--dry-run", "--venue", "sim")
    assert r.code == 2
    assert "use 1.995 or 2.00" in r.err or "use 1.995 or 2.000" in r.err


def test_dry_run_shows_price_and_commission(trader) -> None:
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.62", "--dry-run", "--venue", "sim")
    assert r.code == 0, r.err
    assert "DRY RUN" in r.out
    assert "SIMULATED" in r.out
    assert "42.62 is on the tick" in r.out
    assert "4,262.00 AUD" in r.out
    assert "6.00 AUD" in r.out  # IBKR fixed minimum
    assert "MAX_ORDER_VALUE" in r.out
    assert "FAIL" not in r.out
    assert "nothing was sent" in r.err


def test_dry_run_json_has_the_whole_preview(trader) -> None:
    r = trader(
        "place",
        "bhp/aud",
        "buy",
        "100",
        "--limit",
        "42.62",
        "--dry-run",
        "--venue",
        "sim",
        "--json",
    )
    assert r.code == 0, r.err
    data = r.json()
    assert data["ok"] is True
    assert data["dryRun"] is True
    assert data["symbol"] == "BHP/AUD"
    assert data["orderType"] == "limit"
    assert (data["requestedPrice"], data["price"]) == ("42.62", "42.62")
    assert data["notional"] == {"amount": "4262.00", "currency": "AUD"}
    assert data["notionalBase"]["currency"] == "AUD"
    assert data["commission"] == {"cost": "6.00", "currency": "AUD", "source": "estimate"}
    assert data["market"]["open"] is True
    assert data["position"] == {"before": "0", "after": "100"}
    assert all(c["passed"] for c in data["checks"])
    assert {"MAX_ORDER_VALUE", "MAX_TOTAL_EXPOSURE", "MIN_TRADE_SIZE", "KILL_SWITCH"} <= set(
        checks(data)
    )
    assert {"quote_fresh", "book_not_crossed", "MAX_SPREAD_BPS_ASX_EQUITY", "market_open"} <= set(
        checks(data)
    )


def test_order_over_max_order_value_exits_3_naming_the_limit(trader) -> None:
    args = ("place", "BHP/AUD", "buy", "150", "--limit", "44.60", "--dry-run", "--venue", "sim")
    r = trader(*args)
    assert r.code == 3, r.err
    assert "order value 6,690.00 AUD exceeds MAX_ORDER_VALUE 5,000.00 AUD" in r.err
    assert "FAIL" in r.out
    r = trader(*args, "--json")
    assert r.code == 3
    data = r.json()
    assert data["ok"] is False
    c = checks(data)["MAX_ORDER_VALUE"]
    assert c["passed"] is False
    assert c["value"] == {"amount": "6690.00", "currency": "AUD"}
    assert c["limit"] == {"amount": "5000.00", "currency": "AUD"}


def test_max_order_value_follows_the_setting(trader, monkeypatch) -> None:
    monkeypatch.setenv("MAX_ORDER_VALUE", "4000")
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.62", "--dry-run", "--venue", "sim")
    assert r.code == 3
    assert "exceeds MAX_ORDER_VALUE 4,000.00 AUD" in r.err


def test_market_order_and_fx_limit(trader) -> None:
    r = trader(
        "place", "BHP/AUD", "sell", "100", "--market", "--dry-run", "--json", "--venue", "sim"
    )
    assert r.code == 0, r.err
    data = r.json()
    assert data["orderType"] == "market"
    assert data["price"] is None
    assert Decimal(data["notional"]["amount"]) == 100 * Decimal(data["quote"]["bid"])
    r = trader(
        "place",
        "AUD/USD",
        "buy",
        "4000",
        "--limit",
        "0.64845",
        "--dry-run",
        "--json",
        "--venue",
        "sim",
    )
    assert r.code == 0, r.err
    data = r.json()
    assert data["price"] == "0.64845"  # on IDEALPRO's half-pip step
    assert data["commission"] == {"cost": "2.00", "currency": "USD", "source": "estimate"}
    assert data["notional"]["currency"] == "USD"
    assert data["notionalBase"]["currency"] == "AUD"
    assert Decimal(data["commissionBase"]["amount"]) > 2  # USD 2 in AUD


def test_kill_switch_file_refuses_new_risk(trader, clean_env) -> None:
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "KILL_SWITCH").write_text("manual stop\n")
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.50", "--dry-run", "--venue", "sim")
    assert r.code == 3
    assert "kill switch is engaged (manual stop)" in r.err


def test_closed_market_is_refused(trader, monkeypatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-12-25T01:00:00Z")  # Christmas Day in Sydney
    r = trader(
        "place",
        "BHP/AUD",
        "buy",
        "100",
        "--limit",
        "42.50",
        "--dry-run",
        "--json",
        "--venue",
        "sim",
    )
    assert r.code == 3, r.err
    c = checks(r.json())["market_open"]
    assert c["passed"] is False
    assert "Christmas" in c["message"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("BHP/AUD", "buy", "0", "--limit", "42"), "quantity must be positive"),
        (("--limit", "42", "--", "BHP/AUD", "buy", "-5"), "quantity must be positive"),
        (("BHP/AUD", "buy", "1.5", "--limit", "42"), "whole shares"),
        (("BHP/AUD", "buy", "ten", "--limit", "42"), "is not a number"),
        (("BHP/AUD", "buy", "10", "--limit", "42", "--market"), "not both"),
        (("BHP/AUD", "buy", "10", "--limit", "4x2"), "limit price '4x2' is not a number"),
        (("BHP/AUD", "buy", "10", "--limit", "-1"), "limit price must be positive"),
        (("BHP/AUD", "buy", "10"), "no price given"),
        (("BHP/AUD", "hold", "10", "--limit", "42"), "'hold' is not one of"),
        (("BHP.AX", "buy", "10", "--limit", "42"), "BHP/AUD"),
        (("ZZZ/AUD", "buy", "10", "--limit", "42"), "ZZZ/AUD"),
    ],
)
def test_bad_input_exits_2(trader, args, fragment) -> None:
    r = trader("place", "--dry-run", "--venue", "sim", *args)
    assert r.code == 2, (r.out, r.err)
    assert fragment in r.err
    assert "Traceback" not in r.err


def test_hours_on_the_sim_clock_and_at_a_given_time(trader) -> None:
    r = trader("hours", "BHP/AUD", "--venue", "sim")
    assert r.code == 0, r.err
    assert "OPEN" in r.out
    assert "sim venue clock" in r.out
    r = trader("hours", "BHP/AUD", "--at", "2024-12-24T03:30:00Z", "--json", "--venue", "sim")
    data = r.json()
    assert data["open"] is False
    assert "early close at 14:10" in data["note"]
    assert data["nextOpen"] == "2024-12-26T23:00:00Z"
    r = trader("hours", "AUD/USD", "--at", "2024-07-06T12:00:00Z", "--json")
    assert r.json()["open"] is False
    assert "weekend" in r.json()["note"]
    r = trader("hours", "BTC/USD", "--json")
    assert r.json()["open"] is True
    assert r.json()["nextClose"] is None


@pytest.mark.parametrize("at", ["2024-07-03T11:00:00", "yesterday"])
def test_hours_refuses_a_time_without_zone_or_format(trader, at) -> None:
    r = trader("hours", "BHP/AUD", "--at", at)
    assert r.code == 2
    assert "--at" in r.err

"""``--venue gemini --sim``: the account's starting 1 BTC (the sandbox airdrop) is the baseline.

End to end through the CLI, the real ccxt client against the Gemini simulator, clock pinned:
``trader baseline`` shows it, ``flatten --all`` closes the bot's part only, resync explains the
venue as baseline + our fills, ``--include-baseline`` closes it, ``run`` sees only the bot's.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

G = ("--venue", "gemini", "--sim")


@pytest.fixture(autouse=True)
def pinned_gemini_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BTC/USD,ETH/USD")
    monkeypatch.setenv("MIN_TRADE_SIZE", "10")
    # room for the bot's trades, but not for the airdrop's ~95,000 AUD on top of them
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "20000")
    monkeypatch.setenv("MAX_ORDER_VALUE", "5000")


def _btc(home: Path) -> Decimal:
    world = json.loads((home / "sim" / "gemini-world.json").read_text())
    return Decimal(world["world"]["cash"].get("BTC", "0"))


def _ask(trader) -> str:
    data = trader("quote", "BTC/USD", *G, "--json").json()
    q = data["quotes"][0] if "quotes" in data else data["quote"]
    return str(q["ask"])


def test_the_airdrop_is_shown_as_the_baseline(trader) -> None:
    r = trader("baseline", *G, "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["mode"] == "SIMULATED"
    b = data["baseline"]
    (btc,) = b["positions"]
    assert (btc["symbol"], btc["quantity"], btc["value"]["currency"]) == ("BTC/USD", "1", "AUD")
    assert Decimal(btc["value"]["amount"]) > 0
    assert b["cash"] == [{"amount": "100000.00", "currency": "USD"}]  # money in cents
    human = trader("baseline", *G)
    assert human.out.startswith("baseline from 2024-07-03 01:00 UTC: BTC 1 (≈ ")
    assert "AUD) kept out of PnL and exposure" in human.out


def test_exposure_leaves_the_airdrop_out(trader) -> None:
    # 0.05 BTC (~4,800 AUD) passes MAX_TOTAL_EXPOSURE 20,000 only without the airdrop's ~95,000
    r = trader("place", "BTC/USD", "buy", "0.05", "--limit", _ask(trader), *G, "--dry-run",
               "--json")
    assert r.code == 0, r.out
    preview = r.json()
    assert preview["position"] == {"before": "0", "after": "0.05"}
    exposure = next(c for c in preview["checks"] if c["name"] == "MAX_TOTAL_EXPOSURE")
    assert exposure["passed"] is True
    assert any("kept out of PnL and exposure" in n for n in preview["notes"])


def test_the_no_short_check_reads_what_the_venue_holds_baseline_included(trader) -> None:
    """Gemini refuses a sell of more than the balance; the airdrop is in that balance."""
    bid = trader("quote", "BTC/USD", *G, "--json").json()["quotes"][0]["bid"]
    within = trader("place", "BTC/USD", "sell", "0.05", "--limit", bid, *G, "--dry-run", "--json")
    check = next(c for c in within.json()["checks"] if c["name"] == "no_short_selling")
    assert check["passed"] is True, check
    beyond = trader("place", "BTC/USD", "sell", "1.05", "--limit", bid, *G, "--dry-run", "--json")
    check = next(c for c in beyond.json()["checks"] if c["name"] == "no_short_selling")
    assert check["passed"] is False, check
    assert beyond.code == 3


def test_a_sell_counts_what_working_sells_already_offer(trader, monkeypatch) -> None:
    """1 BTC held, 0.8 already offered by a resting sell: a further sell of 0.5 is refused
    before it is sent (Gemini would refuse it: insufficient funds)."""
    monkeypatch.setenv("MAX_ORDER_VALUE", "1000000")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "1000000")
    ask = Decimal(trader("quote", "BTC/USD", *G, "--json").json()["quotes"][0]["ask"])
    rest = str((ask * Decimal("1.04")).quantize(Decimal("0.01")))
    r = trader("place", "BTC/USD", "sell", "0.8", "--limit", rest, *G, "--timeout", "0")
    assert r.code == 0, r.err
    again = trader("place", "BTC/USD", "sell", "0.5", "--limit", rest, *G, "--dry-run", "--json")
    assert again.code == 3, again.out
    check = next(c for c in again.json()["checks"] if c["name"] == "no_short_selling")
    assert check["passed"] is False
    assert "0.2 held and not already offered" in check["message"], check


def test_flatten_all_keeps_the_airdrop_and_include_baseline_closes_it(
    trader, clean_env: Path
) -> None:
    placed = trader("place", "BTC/USD", "buy", "0.001", "--limit", _ask(trader), *G, "--json")
    assert placed.code == 0, placed.err
    assert _btc(clean_env) == Decimal("1.001")

    flat = trader("flatten", "--all", *G, "--json")
    assert flat.code == 0, flat.out
    report = flat.json()
    (line,) = report["positions"]
    assert line["symbol"] == "BTC/USD"
    assert [Decimal(line[k]) for k in ("before", "filled", "left")] == [
        Decimal("1.001"), Decimal("0.001"), 1
    ]
    assert report["flat"] is True
    assert report["baselineKept"] == {"BTC/USD": "1"}
    assert report["baseline"]["positions"][0]["quantity"] == "1"
    assert _btc(clean_env) == 1

    resync = trader("resync", *G, "--json")
    assert resync.code == 0, resync.out
    data = resync.json()
    assert data["unexplained"] == []
    (btc,) = data["positions"]
    assert (Decimal(btc["venue"]), btc["baseline"]) == (1, "1")
    assert btc["explanation"] == "baseline 1 plus 2 recorded fill(s)"
    assert "baseline from 2024-07-03 01:00 UTC: BTC 1" in data["summary"]

    human = trader("flatten", "--all", *G)
    assert human.code == 0, human.out
    assert "baseline 1 kept (--include-baseline closes it)" in human.out

    gone = trader("flatten", "--all", "--include-baseline", *G, "--json")
    assert gone.code == 0, gone.out
    (line,) = gone.json()["positions"]
    assert [Decimal(line[k]) for k in ("filled", "left", "baselineKept")] == [1, 0, 0]
    assert _btc(clean_env) == 0
    after = trader("baseline", *G, "--json").json()["baseline"]
    assert after["positions"] == [] and after["generation"] == 2
    assert trader("resync", *G, "--json").json()["unexplained"] == []
    # nothing left that flatten --all would buy back as a short
    again = trader("flatten", "--all", *G, "--json").json()
    assert again["positions"] == [] and _btc(clean_env) == 0


def test_a_reset_takes_what_the_account_holds_now(trader, clean_env: Path) -> None:
    assert trader("place", "BTC/USD", "buy", "0.001", "--limit", _ask(trader), *G).code == 0
    r = trader("baseline", "--reset", *G, "--json")
    assert r.code == 0, r.out
    b = r.json()["baseline"]
    assert (b["generation"], b["positions"][0]["quantity"]) == (2, "1.001")
    flat = trader("flatten", "--all", *G, "--json").json()
    assert flat["positions"][0]["orders"] == []
    assert _btc(clean_env) == Decimal("1.001")


@pytest.mark.parametrize("include", [False, True])
def test_run_sees_the_bots_positions_only_unless_asked(trader, include: bool) -> None:
    extra = ("--include-baseline",) if include else ()
    r = trader("run", *G, "--cycles", "2", "--json", *extra)
    assert r.code == 0, r.err
    cycles = [json.loads(x) for x in r.out.splitlines() if x.startswith('{"event":"cycle"')]
    assert len(cycles) == 2
    btc = [Decimal(p["quantity"]) for p in cycles[0]["positions"] if p["symbol"] == "BTC/USD"]
    if include:
        assert btc and btc[0] >= 1
        assert cycles[0]["baseline"] is None
    else:
        assert all(q < 1 for q in btc)  # whatever the bot bought, never the airdrop
        assert cycles[0]["baseline"].startswith("baseline from 2024-07-03 01:00 UTC: BTC 1")

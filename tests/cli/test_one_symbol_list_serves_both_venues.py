"""One ``ALLOWED_SYMBOLS`` serves both venues: each run trades the symbols its venue offers."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def pinned(clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")  # the ASX is open
    monkeypatch.setenv("SIM_SEED", "7")


def cycle_symbols(out: str) -> set[str]:
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    (cycle,) = [e for e in events if e.get("event") == "cycle"]
    return {d["symbol"] for d in cycle["decisions"]}


def test_default_list_runs_the_crypto_pairs_on_gemini(trader) -> None:
    r = trader("run", "--venue", "gemini", "--sim", "--cycles", "1", "--json")
    assert r.code == 0, r.err
    assert cycle_symbols(r.out) == {"BTC/USD", "ETH/USD", "SOL/USD"}


def test_default_list_runs_stocks_and_fx_on_ib(trader) -> None:
    r = trader("run", "--venue", "sim", "--cycles", "1", "--json")
    assert r.code == 0, r.err
    assert cycle_symbols(r.out) == {"BHP/AUD", "CBA/AUD", "CSL/AUD", "VAS/AUD", "AUD/USD"}


def test_a_list_with_nothing_the_venue_trades_is_a_config_error(trader, monkeypatch) -> None:
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BHP/AUD,AUD/USD")
    r = trader("run", "--venue", "gemini", "--sim", "--cycles", "1")
    assert r.code == 2, r.out
    err = " ".join(r.err.split())
    assert "ALLOWED_SYMBOLS lists nothing Gemini trades (it lists BHP/AUD, AUD/USD)" in err
    assert "crypto" in err


def test_gemini_minimum_order_size_is_refused_before_the_preview(trader, monkeypatch) -> None:
    """A dry run must not pass an amount the venue would refuse: Gemini's minimum is 0.00001."""
    for args in (("--dry-run",), ()):
        r = trader("place", "BTC/USD", "buy", "0.000001", "--limit", "63500", *args,
                   "--venue", "gemini", "--sim")
        assert r.code == 2, r.out
        assert "below the venue's minimum order size 0.00001 for BTC/USD" in " ".join(r.err.split())
        assert "DRY RUN" not in r.out

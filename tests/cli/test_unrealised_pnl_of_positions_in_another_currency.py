"""The bot's unrealised PnL marks every open position, also those quoted in another currency
than the base (USD crypto on Gemini for an AUD account), converted at the venue's rate."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def pinned(clean_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def test_a_usd_position_of_an_aud_account_is_marked(trader) -> None:
    r = trader("run", "--venue", "gemini", "--sim", "--cycles", "5", "--json")
    assert r.code == 0, r.err
    cycles = [
        e for e in (json.loads(line) for line in r.out.splitlines() if line.startswith("{"))
        if e.get("event") == "cycle"
    ]
    assert cycles[0]["baseCurrency"] == "AUD"
    held = [c for c in cycles if any(p["currency"] == "USD" for p in c["positions"])]
    assert held, "the run entered no USD position: nothing to mark"
    marked = [Decimal(c["pnl"]["unrealised"]) for c in held]
    assert any(m != 0 for m in marked), marked
    for c in held:  # net is realised + unrealised - fees, whatever the currency of the position
        p = {k: Decimal(v) for k, v in c["pnl"].items()}
        assert p["net"] == p["realised"] + p["unrealised"] - p["fees"]

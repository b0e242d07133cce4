"""A change in the adapter's normalisation makes `trader replay` exit 1 with a readable diff."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.replay.fixture import FIXTURE
from trader_cli.venues.ib import mapping


def test_a_changed_bar_mapping_fails_replay_with_a_diff(
    trader, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = mapping.candle_from_bar

    def off_by_a_cent(bar: Any) -> Any:
        candle = original(bar)
        return replace(candle, close=candle.close + Decimal("0.01"))

    monkeypatch.setattr(mapping, "candle_from_bar", off_by_a_cent)
    r = trader("replay", str(FIXTURE))
    assert r.code == 1, r.out + r.err
    assert "1 of 8 steps differ from the golden files (bars)" in " ".join(r.out.split())
    assert "--- golden/bars.json (recorded)" in " ".join(r.out.split())
    assert "+++ bars (this adapter)" in " ".join(r.out.split())
    removed = [line for line in r.out.splitlines() if line.startswith('-      "close"')]
    added = [line for line in r.out.splitlines() if line.startswith('+      "close"')]
    assert removed and len(removed) == len(added)


def test_json_names_the_differing_step(trader, monkeypatch: pytest.MonkeyPatch) -> None:
    original = mapping.quote_from_ticker

    def no_bid_size(*args: Any) -> Any:
        return replace(original(*args), bid_size=None)

    monkeypatch.setattr(mapping, "quote_from_ticker", no_bid_size)
    r = trader("replay", str(FIXTURE), "--json")
    assert r.code == 1
    data = r.json()
    assert data["ok"] is False
    assert "quotes" in data["different"]
    assert '"bid_size"' in data["diffs"]["quotes"]

"""A change in the Gemini adapter's normalisation makes `trader replay` exit 1 with a diff."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.replay.gemini_fixture import GEMINI_FIXTURE
from trader_cli.venues.gemini import mapping


def test_a_changed_candle_mapping_fails_replay_with_a_diff(
    trader, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = mapping.candles

    def off_by_a_cent(rows: Any) -> Any:
        return [replace(c, close=c.close + Decimal("0.01")) for c in original(rows)]

    monkeypatch.setattr(mapping, "candles", off_by_a_cent)
    r = trader("replay", str(GEMINI_FIXTURE))
    assert r.code == 1, r.out + r.err
    out = " ".join(r.out.split())
    assert "1 of 8 steps differ from the golden files (bars)" in out
    assert "--- golden/bars.json (recorded)" in out and "+++ bars (this adapter)" in out
    removed = [line for line in r.out.splitlines() if line.startswith('-      "close"')]
    added = [line for line in r.out.splitlines() if line.startswith('+      "close"')]
    assert removed and len(removed) == len(added)


def test_json_names_the_differing_step(trader, monkeypatch: pytest.MonkeyPatch) -> None:
    original = mapping.quote_from_book

    def no_bid_size(*args: Any) -> Any:
        return replace(original(*args), bid_size=None)

    monkeypatch.setattr(mapping, "quote_from_book", no_bid_size)
    r = trader("replay", str(GEMINI_FIXTURE), "--json")
    assert r.code == 1
    data = r.json()
    assert data["ok"] is False and "quotes" in data["different"]
    assert '"bid_size"' in data["diffs"]["quotes"]

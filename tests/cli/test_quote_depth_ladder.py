"""``trader quote --depth N``: the venue's book as a ladder at tick precision, and in --json."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BHP/AUD,AUD/USD,BTC/USD")


def test_depth_ladder_shows_n_levels_a_side_at_tick_precision(trader) -> None:
    r = trader("quote", "BHP/AUD", "AUD/USD", "--venue", "sim", "--depth", "3")
    assert r.code == 0, r.err
    assert "BHP/AUD depth" in r.out and "AUD/USD depth" in r.out
    assert "top of book only" not in r.out
    lines = r.out.splitlines()
    start = next(i for i, line in enumerate(lines) if "BHP/AUD depth" in line)
    ladder = [line.split() for line in lines[start:] if line.split()[:1] in (["1"], ["2"], ["3"])]
    levels, bid_sizes, bids, asks, ask_sizes = zip(*ladder[:3], strict=True)
    assert levels == ("1", "2", "3")
    assert all(len(p.split(".")[1]) == 2 for p in bids + asks)  # ASX cents: 45.60, not 45.6
    assert all("." not in s for s in bid_sizes + ask_sizes)  # whole shares
    assert [Decimal(b) for b in bids] == sorted((Decimal(b) for b in bids), reverse=True)
    assert Decimal(bids[0]) < Decimal(asks[0])


def test_depth_in_json_is_ccxt_shaped_books_beside_the_quotes(trader) -> None:
    r = trader("quote", "BHP/AUD", "--venue", "sim", "--depth", "4", "--json")
    assert r.code == 0, r.err
    data = r.json()
    (q,) = data["quotes"]
    (book,) = data["books"]
    assert book["symbol"] == "BHP/AUD" and book["source"] == "depth"
    assert len(book["bids"]) == 4 and len(book["asks"]) == 4
    best = [Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])]
    assert best == [Decimal(q["bid"]), Decimal(q["ask"])]
    assert book["datetime"] == "2024-07-03T01:00:00Z"


def test_quote_without_depth_has_no_books(trader) -> None:
    r = trader("quote", "BHP/AUD", "--venue", "sim", "--json")
    assert r.code == 0, r.err
    assert "books" not in r.json()


def test_depth_on_the_gemini_sim(trader) -> None:
    r = trader("quote", "BTC/USD", "--venue", "gemini", "--sim", "--depth", "5", "--json")
    assert r.code == 0, r.err
    (book,) = r.json()["books"]
    assert book["source"] == "depth"
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5


@pytest.mark.parametrize("depth", ["0", "51", "x"])
def test_bad_depth_is_exit_2_and_nothing_asked(trader, depth: str) -> None:
    r = trader("quote", "BHP/AUD", "--venue", "sim", "--depth", depth)
    assert r.code == 2
    assert "--depth" in r.err

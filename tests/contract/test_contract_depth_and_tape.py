"""Contract: depth of book and the public tape, through ``BaseTrader`` on every backend."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.domain.book import BookSource, TapeKind
from trader_cli.errors import InputError

from .backends import Harness
from .helpers import is_aware_utc

NEAR = Decimal("0.02")  # a print within 2% of the mid is "near the quote"


async def test_capabilities_declare_depth_and_tape(venue: Harness) -> None:
    caps = venue.trader.capabilities
    assert caps.market_depth
    assert caps.public_tape


async def test_depth_is_several_sorted_levels_a_side_around_the_quote(venue: Harness) -> None:
    book = await venue.trader.fetch_order_book(venue.symbol, 5)
    assert book.symbol == str(venue.symbol)
    assert book.source is BookSource.DEPTH
    assert 1 < len(book.bids) <= 5 and 1 < len(book.asks) <= 5
    bids = [lv.price for lv in book.bids]
    asks = [lv.price for lv in book.asks]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == len(bids)
    assert asks == sorted(asks) and len(set(asks)) == len(asks)
    assert 0 < bids[0] < asks[0]
    for level in book.bids + book.asks:
        assert isinstance(level.price, Decimal) and isinstance(level.size, Decimal)
        assert level.size > 0
    assert is_aware_utc(book.timestamp) and book.timestamp <= venue.now()
    q = await venue.trader.get_market_data(venue.symbol)
    assert (bids[0], asks[0]) == (q.bid, q.ask)


async def test_depth_is_ccxt_shaped(venue: Harness) -> None:
    book = (await venue.trader.fetch_order_book(venue.symbol, 3)).to_ccxt()
    assert book["symbol"] == str(venue.symbol)
    assert all(len(row) == 2 for row in book["bids"] + book["asks"])
    assert isinstance(book["timestamp"], int)
    assert book["source"] == "depth"


async def test_depth_out_of_range_is_refused_before_asking(venue: Harness) -> None:
    with pytest.raises(InputError):
        await venue.trader.fetch_order_book(venue.symbol, 0)


async def test_tape_rows_are_utc_oldest_first_and_priced_near_the_quote(venue: Harness) -> None:
    prints = await venue.trader.fetch_public_trades(venue.symbol, 20)
    assert 0 < len(prints) <= 20
    stamps = [p.timestamp for p in prints]
    assert stamps == sorted(stamps)
    assert all(is_aware_utc(ts) and ts <= venue.now() for ts in stamps)
    q = await venue.trader.get_market_data(venue.symbol)
    assert q.price is not None
    for p in prints:
        assert p.symbol == str(venue.symbol)
        assert p.kind is TapeKind.TRADE  # both backends' symbols trade (FX would be midpoints)
        assert abs(p.price - q.price) / q.price < NEAR
        assert p.amount is not None and p.amount > 0


async def test_tape_limit_out_of_range_is_refused_before_asking(venue: Harness) -> None:
    with pytest.raises(InputError):
        await venue.trader.fetch_public_trades(venue.symbol, 0)

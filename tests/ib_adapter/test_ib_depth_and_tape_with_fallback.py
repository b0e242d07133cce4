"""IB depth (reqMktDepth) and tape (historical ticks) through the adapter, and the fallback to
top of book / last price when the account lacks the subscription."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from trader_cli.domain.book import BookSource, TapeKind
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import DataUnavailableError, InputError
from trader_cli.services.data import DataFetchCoordinator
from trader_cli.sim import SimGateway

from .conftest import until

BHP = parse_symbol("BHP/AUD")
AUDUSD = parse_symbol("AUD/USD")
GUARD = 3.0  # seconds: a refused request must end well before this, never hang


async def test_depth_is_five_sorted_levels_a_side_from_the_listing_exchange(
    trader, gw: SimGateway
) -> None:
    book = await trader.fetch_order_book(BHP, 5)
    assert book.source is BookSource.DEPTH and book.note == ""
    assert len(book.bids) == 5 and len(book.asks) == 5
    bids = [lv.price for lv in book.bids]
    asks = [lv.price for lv in book.asks]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert all(isinstance(lv.price, Decimal) and lv.size > 0 for lv in book.bids + book.asks)
    q = gw.market.quote(gw.catalogue.by_local_symbol("BHP"), gw.clock.now())
    assert (book.best_bid.price, book.best_ask.price) == (q.bid, q.ask)
    assert book.timestamp == gw.clock.now()
    # the depth line is cancelled once read: IB allows only a few at a time
    await until(lambda: all(not s.depth for s in gw.all_sessions()))


async def test_fewer_levels_than_asked_are_returned_without_waiting_out_the_timeout(
    trader,
) -> None:
    trader.market_data_timeout = 30.0
    book = await asyncio.wait_for(trader.fetch_order_book(BHP, 10), GUARD)
    assert len(book.bids) == 5 and len(book.asks) == 5  # all the sim's book has


@pytest.mark.parametrize("code", [354, 10092, 10089, 309])
async def test_refused_depth_is_a_named_error_at_once(trader, gw: SimGateway, code: int) -> None:
    trader.market_data_timeout = 30.0
    gw.refuse_depth(code)
    with pytest.raises(DataUnavailableError) as raised:
        await asyncio.wait_for(trader.fetch_order_book(BHP, 5), GUARD)
    assert raised.value.code == code
    assert "BHP/AUD" in raised.value.message
    assert raised.value.hint and "subscription" in raised.value.hint.lower()


async def test_depth_rows_out_of_range_are_refused_before_asking(trader) -> None:
    with pytest.raises(InputError, match="depth must be between 1 and 50"):
        await trader.fetch_order_book(BHP, 0)


async def test_tape_is_trade_ticks_oldest_first_near_the_quote(trader, gw: SimGateway) -> None:
    prints = await trader.fetch_public_trades(BHP, 30)
    assert len(prints) == 30
    stamps = [p.timestamp for p in prints]
    assert stamps == sorted(stamps) and stamps[-1] <= gw.clock.now()
    assert all(p.kind is TapeKind.TRADE and p.amount and p.amount > 0 for p in prints)
    q = await trader.get_market_data(BHP)
    assert all(abs(p.price - q.price) / q.price < Decimal("0.01") for p in prints)


async def test_fx_tape_is_midpoints_labelled_so(trader) -> None:
    prints = await trader.fetch_public_trades(AUDUSD, 10)
    assert len(prints) == 10
    assert {p.kind for p in prints} == {TapeKind.MIDPOINT}
    assert all(p.amount is None and p.side is None for p in prints)
    q = await trader.get_market_data(AUDUSD)
    assert all(abs(p.price - q.price) / q.price < Decimal("0.005") for p in prints)


async def test_tape_without_permissions_is_a_named_error(trader, gw: SimGateway) -> None:
    gw.refuse_ticks()
    with pytest.raises(DataUnavailableError) as raised:
        await asyncio.wait_for(trader.fetch_public_trades(BHP, 10), GUARD)
    assert raised.value.code == 162


async def test_coordinator_gives_real_depth_and_tape(trader) -> None:
    data = DataFetchCoordinator(trader)
    book = await data.order_book(BHP, depth=5)
    assert book["source"] == "depth" and len(book["bids"]) == 5 and len(book["asks"]) == 5
    assert book["bids"][0][0] < book["asks"][0][0]
    assert await data.order_book(BHP, depth=5) == book
    assert data.requests == 1  # cached within the cycle
    trades = await data.trades(BHP, limit=20)
    assert len(trades) == 20 and {t["kind"] for t in trades} == {"trade"}
    assert data.notes == []


async def test_coordinator_falls_back_to_top_of_book_and_last_and_says_so(
    trader, gw: SimGateway
) -> None:
    gw.refuse_depth(10092)
    gw.refuse_ticks()
    data = DataFetchCoordinator(trader)
    book = await data.order_book(BHP, depth=5)
    assert book["source"] == "top_of_book"
    assert len(book["bids"]) == 1 and len(book["asks"]) == 1
    assert "Deep market data is not supported" in book["note"]
    [last] = await data.trades(BHP)
    assert last["kind"] == "last" and last["amount"] is None
    assert last["price"] == (await data.quote(BHP)).last
    assert any("BHP/AUD: no depth" in n for n in data.notes)
    assert any("BHP/AUD: no public trades" in n for n in data.notes)
    # the refusal is remembered: the next cycle does not ask IB again
    data.new_cycle()
    asked = data.requests
    await data.order_book(BHP, depth=5)
    await data.trades(BHP)
    assert data.requests == asked + 1  # the quote only
    assert len(data.notes) == 2


async def test_concurrent_depth_requests_for_one_symbol_each_get_the_book(
    trader, gw: SimGateway
) -> None:
    first, second = await asyncio.wait_for(
        asyncio.gather(trader.fetch_order_book(BHP, 3), trader.fetch_order_book(BHP, 3)), GUARD
    )
    assert len(first.bids) == len(second.bids) == 3
    assert first.bids == second.bids and first.asks == second.asks
    await until(lambda: all(not s.depth for s in gw.all_sessions()))

"""Bid and ask arrive as separate messages: the adapter waits for both and never prices half a book.

The sim's split-book fault sends a new line's bid at once and its ask only after some sim time,
as a busy Gateway can. The sim clock is pinned: the test moves it, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal

from trader_cli.domain.models import Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.liquidity import quote_sanity_checks
from trader_cli.services.preview import preview_order

from .conftest import until

BHP = parse_symbol("BHP/AUD")


def _bid_arrived(trader) -> bool:
    return any(not math.isnan(t.bid) for t in trader._tickers.values())


async def test_quote_waits_for_the_ask_that_comes_after_the_bid(trader, gw) -> None:
    gw.split_book(2)
    task = asyncio.create_task(trader.get_market_data(BHP))
    await until(lambda: _bid_arrived(trader))
    for _ in range(20):  # give a premature answer every chance to show itself
        await asyncio.sleep(0)
    assert not task.done(), "answered from the bid alone"
    await gw.advance(2)  # the ask is due 2 s of sim time after the bid
    q = await task
    assert q.bid is not None and q.ask is not None and q.bid < q.ask
    assert not q.half_book
    checks = {c.name: c for c in quote_sanity_checks(q, Side.BUY, gw.clock.now(), Decimal(10))}
    assert checks["book_not_empty"].passed


async def test_market_order_is_valued_at_the_ask_once_it_arrives(trader, gw) -> None:
    gw.split_book(2)
    task = asyncio.create_task(
        preview_order(trader, trader.settings, BHP, Side.BUY, Decimal(20), OrderSpec.market())
    )
    await until(lambda: _bid_arrived(trader))
    await gw.advance(2)
    preview = await task
    assert preview.quote.ask is not None
    assert not [c for c in preview.checks if c.name == "book_not_empty" and not c.passed]
    assert preview.allowed, [c.message for c in preview.checks if not c.passed]
    assert preview.notional is not None
    assert preview.notional.amount == 20 * preview.quote.ask  # valued at the ask, not a guess


async def test_a_side_that_never_comes_is_flagged_and_refused(trader, gw) -> None:
    gw.split_book(3600)  # the ask is an hour of sim time away; the clock does not move
    trader.market_data_timeout = 0.2
    q = await trader.get_market_data(BHP)
    assert q.half_book
    assert q.bid is not None and q.ask is None
    (check,) = [
        c
        for c in quote_sanity_checks(q, Side.SELL, gw.clock.now(), Decimal(10))
        if c.name == "book_not_empty"
    ]
    assert not check.passed  # even on the side that did arrive
    assert "half a book" in check.message
    preview = await preview_order(
        trader, trader.settings, BHP, Side.SELL, Decimal(10), OrderSpec.market()
    )
    refusals = [c.message for c in preview.checks if not c.passed]
    assert any("half a book" in m for m in refusals), refusals


async def test_the_wait_is_paid_once_per_line_not_on_every_quote(trader, gw) -> None:
    gw.split_book(3600)
    trader.market_data_timeout = 0.2
    await trader.get_market_data(BHP)
    loop = asyncio.get_running_loop()
    started = loop.time()
    q = await trader.get_market_data(BHP)
    assert q.half_book
    assert loop.time() - started < 0.2
    await gw.advance(3600, step=3600)  # the ask turns up: the line is two-sided again
    await until(lambda: not math.isnan(next(iter(trader._tickers.values())).ask))
    q = await trader.get_market_data(BHP)
    assert not q.half_book and q.ask is not None

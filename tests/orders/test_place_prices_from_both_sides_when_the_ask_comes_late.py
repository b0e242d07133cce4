"""``place`` with bid and ask arriving as separate messages, the ask later: it waits for the ask,
values and sends the order on the whole book, and the order fills.

The sim's split-book fault sends a new market data line's bid at once and its ask two seconds of
sim time later, as a busy Gateway can. The sim clock is pinned; the test moves it.
"""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from typing import Any

from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.services.place import place
from trader_cli.sim import SimGateway

from .conftest import until


def _bid_only(venue: Any) -> bool:
    return any(
        not math.isnan(t.bid) and math.isnan(t.ask) for t in venue._tickers.values()
    )


async def test_a_market_buy_waits_for_the_ask_and_is_valued_at_it(
    ctx: Any, gw: SimGateway
) -> None:
    gw.split_book(2)
    placing = asyncio.create_task(
        place(ctx, "BHP/AUD", Side.BUY, "20", OrderSpec.market(), wait_seconds=5)
    )
    await until(lambda: _bid_only(ctx.venue))
    for _ in range(20):  # a premature answer from the bid alone would show itself here
        await asyncio.sleep(0)
    assert not placing.done()
    assert ctx.venue.ib.trades() == []  # nothing sent on half a book
    await gw.advance(2)  # the ask arrives
    result = await asyncio.wait_for(placing, 5)
    assert result.preview is not None
    ask = result.preview.quote.ask
    assert ask is not None and result.preview.quote.bid is not None
    assert not result.preview.quote.half_book
    assert result.preview.notional is not None
    assert result.preview.notional.amount == 20 * ask  # valued at the ask, the side it buys
    assert result.order.status is OrderStatus.CLOSED
    assert result.order.filled == Decimal(20)

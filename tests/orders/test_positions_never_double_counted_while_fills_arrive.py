"""A position read while the venue streams position updates (TWS keeps sending them after the
first ``reqPositions``) counts each contract once, at its latest quantity: a duplicate row would
double what flatten and the plan monitor sell, and a stale row beside a zero one would show a
position already closed — both sell into a short.

On the SIMULATED gateway with the real IB adapter (real ib_async over loopback).
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent

BHP = parse_symbol("BHP/AUD")


async def test_fills_arriving_during_a_position_read_are_not_counted_twice(
    venue, orders, gw
) -> None:
    assert await venue.get_positions() == []  # the first read: TWS streams updates from now
    q = await venue.get_market_data(BHP)
    entry = q.bid - Decimal("0.50")
    resting = await orders.submit(
        OrderIntent(BHP, Side.BUY, Decimal(3000), OrderType.LIMIT, entry)
    )

    await gw.move_market(BHP.base, entry - Decimal("0.01"))  # a part fills: updates are sent
    rows = [p for p in await venue.get_positions() if p.symbol == str(BHP)]

    filled = (await orders.wait(resting.client_order_id, within=0.5, poll=0.05)).filled
    assert 0 < filled < 3000
    assert [p.quantity for p in rows] == [filled]


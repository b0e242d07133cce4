"""A stop limit held at the broker that the market gapped through (triggered, its limit never
reached) leaves the position unprotected: the plan monitor takes over and gets out.

On the SIMULATED gateway with the real IB adapter and SQLite; NDQ is the sim's contract without
plain stops, so its bracket's stop is a stop limit.
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db import store
from trader_cli.db.models import Plan
from trader_cli.domain.models import OrderStatus, OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.plans import PlanMonitor

from .conftest import bracket_plan

NDQ = parse_symbol("NDQ/AUD")
CENT = Decimal("0.01")


async def _filled_bracket(ctx: TradingContext, gw) -> tuple[Plan, str, Decimal]:
    plan, entry = await bracket_plan(ctx, gw, NDQ, qty=30)
    return plan, plan.entry_client_order_id.removesuffix("-E"), entry


async def _held(ctx: TradingContext) -> Decimal:
    return sum((p.quantity for p in await ctx.venue.get_positions() if p.symbol == str(NDQ)),
               Decimal(0))


async def test_a_stop_limit_the_market_gapped_through_is_replaced_by_an_exit(ctx, gw) -> None:
    plan, stem, entry = await _filled_bracket(ctx, gw)
    stop_row = store.find_order_by_client_id(f"{stem}-S")
    assert stop_row.type is OrderType.STOP_LIMIT and stop_row.price is not None
    assert await _held(ctx) == 30

    await gw.move_market(NDQ.base, entry - 3)  # gaps through the trigger and the limit
    await gw.advance(2)
    assert await _held(ctx) == 30  # the triggered stop limit rests under the market

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "exit"
    assert "stop" in event.detail
    for leg in ("S", "T"):
        assert store.find_order_by_client_id(f"{stem}-{leg}").status is OrderStatus.CANCELED
    exit_cid = Plan.get_by_id(plan.id).exit_client_order_id
    exit_row = store.find_order_by_client_id(exit_cid)
    assert (exit_row.side, exit_row.amount) == (Side.SELL, 30)
    await ctx.orders.wait(exit_cid, within=5, poll=0.05)
    assert await _held(ctx) == 0


async def test_a_stop_limit_still_above_its_limit_is_left_to_the_broker(ctx, gw) -> None:
    _plan, stem, entry = await _filled_bracket(ctx, gw)
    await gw.move_market(NDQ.base, entry - Decimal("0.50"))  # nearer the stop, not through it

    assert await PlanMonitor(ctx).check_all() == []
    assert store.find_order_by_client_id(f"{stem}-S").status is OrderStatus.OPEN
    assert await _held(ctx) == 30

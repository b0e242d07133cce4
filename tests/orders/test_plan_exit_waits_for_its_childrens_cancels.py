"""A bracket plan's own exit (expiry, the pre-close buffer) goes out only once the venue has
confirmed the cancels of its stop and target: a child whose cancel is unanswered may still
fill, and an exit beside it would sell the position twice (a short).

On the SIMULATED gateway with the real IB adapter and SQLite.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trader_cli.db import store
from trader_cli.db.models import Plan
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.plans import PlanMonitor
from trader_cli.sim.tws.requests import In

from .conftest import bracket_plan, held

BHP = parse_symbol("BHP/AUD")
CENT = Decimal("0.01")


async def _expired_bracket(ctx: TradingContext, gw) -> tuple[Plan, str]:
    """A long bracket plan of 100 BHP, filled, its stop and target working, its expiry passed."""
    plan, _ = await bracket_plan(ctx, gw)
    Plan.update(expiry=gw.clock.now() - timedelta(minutes=1)).where(Plan.id == plan.id).execute()
    return Plan.get_by_id(plan.id), plan.entry_client_order_id.removesuffix("-E")


async def test_an_expired_bracket_plan_sends_no_exit_beside_an_unanswered_cancel(
    ctx, gw
) -> None:
    plan, stem = await _expired_bracket(ctx, gw)
    entry = plan.entry
    ctx.venue.order_ack_timeout = 0.2
    gw.swallow_next(In.CANCEL_ORDER, count=2)  # the venue has not acted on either cancel yet

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "deferred", event
    assert "not confirmed" in event.detail
    assert Plan.get_by_id(plan.id).exit_client_order_id is None  # no exit beside the children
    # the stop still works at the venue: had an exit sold the 100, this would sell 100 more
    await gw.move_market(BHP.base, entry - 1 - CENT)
    await ctx.orders.wait(f"{stem}-S", within=5, poll=0.05)
    assert await held(ctx) == 0  # the stop closed it, once: no short

    (event,) = await PlanMonitor(ctx).check_all()
    assert event.action == "closed"
    assert store.find_order_by_client_id(f"{stem}-S").status is OrderStatus.CLOSED
    assert store.find_order_by_client_id(f"{stem}-T").status is OrderStatus.CANCELED
    assert await held(ctx) == 0


async def test_the_exit_goes_once_the_cancels_are_answered(ctx, gw) -> None:
    plan, stem = await _expired_bracket(ctx, gw)

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "exit"
    for leg in ("S", "T"):
        assert store.find_order_by_client_id(f"{stem}-{leg}").status is OrderStatus.CANCELED
    exit_row = store.find_order_by_client_id(Plan.get_by_id(plan.id).exit_client_order_id)
    assert (exit_row.side, exit_row.amount) == (Side.SELL, 100)

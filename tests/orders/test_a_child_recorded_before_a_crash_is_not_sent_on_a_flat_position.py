"""A re-created child recorded just before the bot died, and never sent, is sent on restart only
if the plan still holds its position: a position closed (by hand) while the bot was down leaves
nothing to protect, and a stop sent now for the old quantity would open a short when triggered.

On the SIMULATED gateway with the real IB adapter and SQLite. The bot "dies" at the order
service's crash point right after the child's intent is written (the same point the
process-kill tests use with SIGKILL), here as an exception nothing catches.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_cli.db import store
from trader_cli.db.models import Plan, PlanStatus
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services import orders as orders_module
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.plans import PlanMonitor
from trader_cli.services.protection import FLAT_GRACE

from .conftest import SCOPE, bracket_plan, held

BHP = parse_symbol("BHP/AUD")
CENT = Decimal("0.01")


class Killed(BaseException):
    """The process dying at a crash point (nothing of ours handles it)."""


async def test_an_unsent_stop_is_not_sent_after_the_position_was_closed_by_hand(
    ctx, gw, monkeypatch
) -> None:
    plan, entry = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    await ctx.venue.cancel_order(f"{stem}-S")  # cancelled in TWS by hand

    def die_after_the_intent(name: str) -> None:
        if name == "after-bracket-intent":
            raise Killed(name)

    monkeypatch.setattr(orders_module, "crash_point", die_after_the_intent)
    with pytest.raises(Killed):
        await PlanMonitor(ctx).check_all()  # S2 is written, then the bot dies
    monkeypatch.undo()
    s2 = store.find_order_by_client_id(f"{stem}-S2")
    assert s2 is not None and s2.submitted_at is None
    # while it is down the position is closed by hand (in TWS, say)
    q = await ctx.venue.get_market_data(BHP)
    sold = await ctx.orders.submit(OrderIntent(BHP, Side.SELL, Decimal(100), price=q.bid - 1))
    await ctx.orders.wait(sold.client_order_id, within=5, poll=0.05)
    await gw.advance(FLAT_GRACE.total_seconds())
    assert await held(ctx) == 0

    restarted = TradingContext(ctx.settings, ctx.venue, ctx.session,
                               OrderService(ctx.venue, ctx.settings, ctx.session), SCOPE)
    await PlanMonitor(restarted).check_all()

    working = {o.client_order_id for o in await ctx.venue.get_open_orders()}
    assert f"{stem}-S2" not in working
    assert store.find_order_by_client_id(f"{stem}-S2").status.is_final
    await gw.move_market(BHP.base, entry - 2)  # through the stop that was never sent
    assert await held(ctx) == 0  # no short
    await PlanMonitor(restarted).check_all()
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED
    assert store.find_order_by_client_id(f"{stem}-T").status is OrderStatus.CANCELED

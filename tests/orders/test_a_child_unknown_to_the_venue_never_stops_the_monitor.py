"""A re-created child whose sending died on the wire (recorded, unknown to the venue) must not
stop the plan monitor when the position goes flat: the children the venue holds are cancelled,
the plan stays open until resync settles the unknown one, and the other plans are still checked.

On the SIMULATED gateway with the real IB adapter and SQLite.
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db import store
from trader_cli.db.models import Plan, PlanStatus
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent
from trader_cli.services.plans import PlanMonitor
from trader_cli.services.protection import FLAT_GRACE
from trader_cli.sim.tws.requests import In

from .conftest import bracket_plan

BHP = parse_symbol("BHP/AUD")
CBA = parse_symbol("CBA/AUD")
CENT = Decimal("0.01")


async def test_a_flat_plan_with_a_child_lost_on_the_wire_is_handled_and_others_go_on(
    ctx, gw
) -> None:
    plan, _ = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    # the stop is cancelled in TWS; its re-creation dies on the wire: recorded, never placed
    await ctx.venue.cancel_order(f"{stem}-S")
    gw.drop_link_on_next(In.PLACE_ORDER)
    await PlanMonitor(ctx).check_all()
    await ctx.venue.maybe_reconnect()
    assert store.find_order_by_client_id(f"{stem}-S2").status is OrderStatus.PENDING
    # then the BHP position is closed by hand
    q = await ctx.venue.get_market_data(BHP)
    sold = await ctx.orders.submit(OrderIntent(BHP, Side.SELL, Decimal(100), price=q.bid - 1))
    await ctx.orders.wait(sold.client_order_id, within=5, poll=0.05)
    await gw.advance(FLAT_GRACE.total_seconds())

    # a later plan, on another symbol, whose stop the monitor watches itself (a plain entry)
    c = await ctx.venue.get_market_data(CBA)
    other = store.create_plan(
        symbol=str(CBA), side=Side.BUY, size=Decimal(10), entry=c.ask, stop=c.bid + 1,
        target=None, session=ctx.session,
    )
    bought = await ctx.orders.submit(OrderIntent(CBA, Side.BUY, Decimal(10), price=c.ask,
                                                 plan_id=other.id))
    store.set_plan_entry(other, bought.client_order_id)
    await ctx.orders.wait(bought.client_order_id, within=5, poll=0.05)


    events = {e.plan_id: e for e in await PlanMonitor(ctx).check_all()}

    # the target the venue holds is cancelled: it would open a short when the market rose
    assert store.find_order_by_client_id(f"{stem}-T").status is OrderStatus.CANCELED
    assert f"{stem}-S2" in events[plan.id].detail
    assert Plan.get_by_id(plan.id).status is PlanStatus.OPEN  # until resync settles S2
    # the other plan was still checked: its stop (above the bid) is hit and it exits
    assert events[other.id].action == "exit"

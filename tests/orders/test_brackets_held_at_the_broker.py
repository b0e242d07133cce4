"""Brackets at the broker, on the SIMULATED gateway with the real IB adapter and SQLite.

A plan's entry goes as a bracket: a plain ib_async client (another client id) sees its stop and
target at the venue, children of the entry in one OCA group, carrying our client order ids. The
plan monitor then reconciles them: a restarted monitor adopts what is there and sends nothing;
a child cancelled at the venue is re-created once; the children of a flat position are
cancelled; a child's fill closes the plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from ib_async import IB

from trader_cli.db import store
from trader_cli.db.models import Plan, PlanStatus
from trader_cli.domain.models import OrderStatus, OrderType, Side
from trader_cli.domain.orders import OrderSpec, Protection
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.plans import PlanMonitor
from trader_cli.services.protection import FLAT_GRACE, broker_protects, submit_bracket_entry
from trader_cli.sim import SimGateway

from .conftest import SCOPE, bracket_plan, until

BHP = parse_symbol("BHP/AUD")
NDQ = parse_symbol("NDQ/AUD")  # the sim's contract that refuses market orders
CENT = Decimal("0.01")


@pytest.fixture
async def observer(gw: SimGateway) -> AsyncIterator[IB]:
    """Another API client (client id 9): the orders as the venue holds them."""
    client = IB()
    client.RequestTimeout = 3.0
    await client.connectAsync("127.0.0.1", gw.port, clientId=9, timeout=3.0)
    try:
        yield client
    finally:
        client.disconnect()


async def venue_orders(observer: IB) -> dict[str, object]:
    """Working orders at the venue by orderRef (every client's)."""
    trades = await observer.reqAllOpenOrdersAsync()
    return {t.order.orderRef: t.order for t in trades if not t.isDone()}




def restarted(ctx: TradingContext) -> TradingContext:
    """The same scope, database and venue link behind a new order service and monitor state,
    as a bot restarted in the same world would have."""
    orders = OrderService(ctx.venue, ctx.settings, ctx.session)
    return TradingContext(ctx.settings, ctx.venue, ctx.session, orders, SCOPE)


async def test_a_plain_client_sees_the_stop_and_target_in_one_oca_group(
    ctx, gw, observer
) -> None:
    plan, entry = await bracket_plan(ctx, gw, fill=False)
    stem = plan.entry_client_order_id.removesuffix("-E")

    held = await venue_orders(observer)
    parent, stop, target = held[f"{stem}-E"], held[f"{stem}-S"], held[f"{stem}-T"]
    assert (parent.orderType, Decimal(str(parent.lmtPrice))) == ("LMT", entry)
    assert (stop.orderType, Decimal(str(stop.auxPrice))) == ("STP", entry - 1)
    assert (target.orderType, Decimal(str(target.lmtPrice))) == ("LMT", entry + 1)
    assert stop.parentId == target.parentId == parent.orderId != 0
    assert stop.ocaGroup == target.ocaGroup == f"{stem}-OCA"
    assert stop.ocaType == target.ocaType == 2  # a partial fill reduces, never cancels, the other
    assert (stop.action, target.action) == ("SELL", "SELL")
    assert stop.tif == target.tif == "GTC"
    # all three were recorded before they were sent, with their bracket links
    rows = {r.client_order_id: r for r in store.plan_orders(plan)}
    assert set(rows) == {f"{stem}-E", f"{stem}-S", f"{stem}-T"}
    assert all(r.submitted_at is not None for r in rows.values())
    assert rows[f"{stem}-S"].parent_client_order_id == f"{stem}-E"
    assert rows[f"{stem}-S"].oca_group == rows[f"{stem}-T"].oca_group == f"{stem}-OCA"
    assert rows[f"{stem}-E"].oca_group is None
    assert rows[f"{stem}-S"].type is OrderType.STOP
    assert rows[f"{stem}-S"].stop_price == entry - 1


async def test_a_contract_without_plain_stops_gets_a_stop_limit(ctx, gw, observer) -> None:
    plan, entry = await bracket_plan(ctx, gw, NDQ, qty=30, fill=False)
    stem = plan.entry_client_order_id.removesuffix("-E")

    stop = (await venue_orders(observer))[f"{stem}-S"]
    assert stop.orderType == "STP LMT"
    assert Decimal(str(stop.auxPrice)) == entry - 1
    # the limit sits MARKETABLE_LIMIT_SLIPPAGE_BPS under the trigger, on the tick
    bump = (entry - 1) * ctx.settings.risk.marketable_limit_slippage_bps / Decimal(10_000)
    limit = Decimal(str(stop.lmtPrice)).quantize(CENT)
    assert entry - 1 - bump - CENT < limit <= entry - 1 - bump


async def test_a_retry_of_the_same_bracket_sends_nothing(ctx, gw, observer) -> None:
    plan, entry = await bracket_plan(ctx, gw, fill=False)
    stem = plan.entry_client_order_id.removesuffix("-E")
    before = await venue_orders(observer)

    again = await submit_bracket_entry(
        ctx, BHP, Side.BUY, Decimal(100), OrderSpec.limit(entry), entry - 1, entry + 1,
        stem=stem, plan_id=plan.id,
    )

    assert [o.client_order_id for o in again] == [f"{stem}-E", f"{stem}-S", f"{stem}-T"]
    assert await venue_orders(observer) == before
    assert len(store.plan_orders(plan)) == 3


async def test_a_restarted_monitor_adopts_the_children_and_sends_nothing(
    ctx, gw, observer
) -> None:
    plan, _ = await bracket_plan(ctx, gw)
    before = await venue_orders(observer)
    assert len(before) == 2  # the entry filled: its stop and target work

    events = await PlanMonitor(restarted(ctx)).check_all()
    events += await PlanMonitor(restarted(ctx)).check_all()

    assert events == []
    assert await venue_orders(observer) == before
    assert len(store.plan_orders(plan)) == 3
    assert Plan.get_by_id(plan.id).status is PlanStatus.OPEN


async def test_a_child_cancelled_at_the_venue_is_re_created_once(ctx, gw, observer) -> None:
    plan, entry = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    await ctx.venue.cancel_order(f"{stem}-S")  # at the venue only: the database still says open
    assert set(await venue_orders(observer)) == {f"{stem}-T"}

    (event,) = await PlanMonitor(ctx).check_all()
    assert event.action == "protect"
    again = await PlanMonitor(restarted(ctx)).check_all()

    assert again == []
    held = await venue_orders(observer)
    assert set(held) == {f"{stem}-T", f"{stem}-S2"}
    assert held[f"{stem}-S2"].ocaGroup == held[f"{stem}-T"].ocaGroup  # still one OCA pair
    assert Decimal(str(held[f"{stem}-S2"].auxPrice)) == entry - 1
    assert held[f"{stem}-S2"].totalQuantity == 100
    assert store.find_order_by_client_id(f"{stem}-S").status is OrderStatus.CANCELED


async def test_both_children_gone_come_back_as_a_new_oca_pair(ctx, gw, observer) -> None:
    plan, _ = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    for leg in ("S", "T"):
        await ctx.venue.cancel_order(f"{stem}-{leg}")

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "protect"
    held = await venue_orders(observer)
    assert set(held) == {f"{stem}-S2", f"{stem}-T2"}
    assert held[f"{stem}-S2"].ocaGroup == held[f"{stem}-T2"].ocaGroup == f"{stem}-OCA2"
    assert held[f"{stem}-S2"].parentId == 0  # no parent: the position is already held
    assert await PlanMonitor(restarted(ctx)).check_all() == []


async def test_the_children_of_a_flat_position_are_cancelled(ctx, gw, observer) -> None:
    plan, _ = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    q = await ctx.venue.get_market_data(BHP)
    # closed outside the plan (by hand, say): a marketable sell of the whole position
    sold = await ctx.orders.submit(OrderIntent(BHP, Side.SELL, Decimal(100), price=q.bid - 1))
    await ctx.orders.wait(sold.client_order_id, within=5, poll=0.05)
    # flat this soon after the entry's fill may be the venue's positions lagging: not yet
    assert await PlanMonitor(ctx).check_all() == []
    assert set(await venue_orders(observer)) == {f"{stem}-S", f"{stem}-T"}
    await gw.advance(FLAT_GRACE.total_seconds())

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "closed"
    assert "no position left" in event.detail
    assert await venue_orders(observer) == {}
    for leg in ("S", "T"):
        assert store.find_order_by_client_id(f"{stem}-{leg}").status is OrderStatus.CANCELED
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED


async def test_the_stop_filling_at_the_venue_closes_the_plan(ctx, gw, observer) -> None:
    plan, entry = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")

    await gw.move_market("BHP", entry - 1 - CENT)
    await until(lambda: any(
        t.order.orderRef == f"{stem}-T" and t.orderStatus.status == "Cancelled"
        for t in ctx.venue.ib.trades()
    ))
    (event,) = await PlanMonitor(restarted(ctx)).check_all()

    assert event.action == "closed"
    assert store.find_order_by_client_id(f"{stem}-S").status is OrderStatus.CLOSED
    assert store.find_order_by_client_id(f"{stem}-T").status is OrderStatus.CANCELED
    assert await venue_orders(observer) == {}
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED


async def test_protection_local_keeps_the_plan_entry_plain(ctx, monkeypatch) -> None:
    assert broker_protects(ctx, Decimal(1), Decimal(2))
    assert not broker_protects(ctx, None, None)  # nothing to protect: a plain entry
    monkeypatch.setattr(ctx.settings.risk, "protection", Protection.LOCAL)
    assert not broker_protects(ctx, Decimal(1), Decimal(2))


async def test_an_entry_that_never_fills_is_withdrawn_with_its_children(
    ctx, gw, observer
) -> None:
    plan, _ = await bracket_plan(ctx, gw, fill=False)
    stem = plan.entry_client_order_id.removesuffix("-E")

    (event,) = await PlanMonitor(ctx, entry_timeout=timedelta(seconds=-1)).check_all()

    assert event.action == "cancelled"
    assert await venue_orders(observer) == {}
    statuses = {r.client_order_id: r.status for r in store.plan_orders(plan)}
    assert statuses == dict.fromkeys([f"{stem}-E", f"{stem}-S", f"{stem}-T"], OrderStatus.CANCELED)


async def test_an_expired_plan_cancels_its_children_before_its_own_exit(
    ctx, gw, observer
) -> None:
    plan, _ = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    Plan.update(expiry=gw.clock.now() - timedelta(minutes=1)).where(Plan.id == plan.id).execute()

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "exit"
    assert "expired" in event.detail
    exit_row = store.find_order_by_client_id(Plan.get_by_id(plan.id).exit_client_order_id)
    assert (exit_row.side, exit_row.amount, exit_row.oca_group) == (Side.SELL, 100, None)
    for leg in ("S", "T"):
        row = store.find_order_by_client_id(f"{stem}-{leg}")
        assert row.status is OrderStatus.CANCELED
        assert row.updated_at <= exit_row.created_at  # cancelled before the exit was written
    await gw.advance(2)
    (closed,) = await PlanMonitor(ctx).check_all()
    assert closed.action == "closed"
    assert await venue_orders(observer) == {}


async def test_children_bigger_than_the_position_are_sent_again_at_its_size(
    ctx, gw, observer
) -> None:
    plan, entry = await bracket_plan(ctx, gw)
    stem = plan.entry_client_order_id.removesuffix("-E")
    q = await ctx.venue.get_market_data(BHP)
    # 40 of the 100 sold by hand: a stop for 100 would sell 40 the plan does not hold
    sold = await ctx.orders.submit(OrderIntent(BHP, Side.SELL, Decimal(40), price=q.bid - 1))
    await ctx.orders.wait(sold.client_order_id, within=5, poll=0.05)

    (event,) = await PlanMonitor(ctx).check_all()

    assert event.action == "protect"
    held = await venue_orders(observer)
    assert set(held) == {f"{stem}-S2", f"{stem}-T2"}
    assert held[f"{stem}-S2"].totalQuantity == held[f"{stem}-T2"].totalQuantity == 60
    assert held[f"{stem}-S2"].ocaGroup == held[f"{stem}-T2"].ocaGroup == f"{stem}-OCA2"
    assert Decimal(str(held[f"{stem}-S2"].auxPrice)) == entry - 1
    assert await PlanMonitor(restarted(ctx)).check_all() == []


async def test_a_target_filled_in_part_leaves_a_stop_for_the_rest(ctx, gw, observer) -> None:
    """The children's OCA group reduces, never cancels: a target filled in part leaves the stop
    working for exactly what is still held (with ocaType 1 it would cancel the whole stop)."""
    qty = 3000  # bigger than the sim's top of book: the target fills in parts
    plan, entry = await bracket_plan(ctx, gw, qty=qty, fill=False)
    stem = plan.entry_client_order_id.removesuffix("-E")
    await gw.move_market(BHP.base, entry - CENT)
    await gw.advance(5)  # the entry fills over a few book refreshes
    await ctx.orders.wait(f"{stem}-E", within=10, poll=0.05)
    assert store.find_order_by_client_id(f"{stem}-E").status is OrderStatus.CLOSED

    await gw.move_market(BHP.base, entry + 1 + 2 * CENT)  # through the target, once
    trades = {t.order.orderRef: t for t in await observer.reqAllOpenOrdersAsync()}
    target = trades[f"{stem}-T"]
    await until(lambda: 0 < target.orderStatus.filled < qty)
    filled = Decimal(str(target.orderStatus.filled))
    stop = (await venue_orders(observer))[f"{stem}-S"]  # still working
    await until(lambda: trades[f"{stem}-S"].orderStatus.remaining == float(qty - filled))
    assert stop.orderType == "STP"

"""PlanMonitor: stop, target, expiry exits through the marketable-limit path."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest

from trader_cli.db import store
from trader_cli.db.models import OrderRow, Plan, PlanStatus
from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent
from trader_cli.services.plans import PlanMonitor, exit_tag

from .conftest import SCOPE

NDQ = parse_symbol("NDQ/AUD")  # the sim's contract that refuses market orders
BHP = parse_symbol("BHP/AUD")


@pytest.fixture
def ctx(settings, venue, session, orders) -> TradingContext:
    return TradingContext(settings, venue, session, orders, SCOPE)


async def open_plan(ctx, symbol, side, qty, *, stop, target=None, expiry=None) -> Plan:
    q = await ctx.venue.get_market_data(symbol)
    price = q.ask if side is Side.BUY else q.bid
    plan = store.create_plan(
        symbol=str(symbol),
        side=side,
        size=Decimal(qty),
        entry=price,
        stop=stop(q),
        target=target(q) if target else None,
        expiry=expiry,
        session=ctx.session,
    )
    order = await ctx.orders.submit(
        OrderIntent(
            symbol,
            side,
            Decimal(qty),
            OrderType.LIMIT,
            price,
            reason=f"entry plan {plan.id}: test",
            plan_id=plan.id,
        )
    )
    await ctx.orders.wait(order.client_order_id, within=10)
    Plan.update(entry_client_order_id=order.client_order_id).where(Plan.id == plan.id).execute()
    return Plan.get_by_id(plan.id)


async def test_stop_on_a_no_market_contract_exits_with_a_bumped_sell_limit(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    plan = await open_plan(ctx, NDQ, Side.BUY, 30, stop=lambda q: q.bid + Decimal("1.00"))
    q = await ctx.venue.get_market_data(NDQ)
    (event,) = await monitor.check_all()
    assert event.action == "exit"
    assert "stop" in event.detail
    exit_row = store.find_order_by_client_id(Plan.get_by_id(plan.id).exit_client_order_id)
    assert exit_row.side is Side.SELL
    assert exit_row.type is OrderType.LIMIT
    assert exit_row.reason.startswith(exit_tag(plan.id))
    assert exit_row.plan_id == plan.id
    assert store.find_order_by_client_id(plan.entry_client_order_id).plan_id == plan.id
    bump = ctx.settings.risk.marketable_limit_slippage_bps / Decimal(10_000)
    assert exit_row.price == (q.bid * (1 - bump) / Decimal("0.01")).to_integral_value(
        ROUND_FLOOR
    ) * Decimal("0.01")
    await gw.advance(2)
    (closed,) = await monitor.check_all()
    assert closed.action == "closed"
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED


async def test_a_plan_finds_its_exits_by_plan_id_whatever_their_reason_says(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    plan = await open_plan(ctx, NDQ, Side.BUY, 30, stop=lambda q: q.bid + Decimal("1.00"))
    (event,) = await monitor.check_all()
    assert event.action == "exit"
    exit_cid = Plan.get_by_id(plan.id).exit_client_order_id
    # the reason is a description for people: rewording it must not lose the exit
    OrderRow.update(reason="stop hit (reworded)").where(
        OrderRow.client_order_id == exit_cid
    ).execute()
    assert [r.client_order_id for r in store.plan_exit_orders(plan)] == [exit_cid]
    await gw.advance(2)
    (closed,) = await monitor.check_all()
    assert closed.action == "closed"
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED


async def test_target_on_a_short_buys_back(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    plan = await open_plan(
        ctx,
        BHP,
        Side.SELL,
        20,
        stop=lambda q: q.ask + Decimal(5),
        target=lambda q: q.ask + Decimal("0.50"),
    )
    (event,) = await monitor.check_all()
    assert "target" in event.detail
    exit_row = store.find_order_by_client_id(Plan.get_by_id(plan.id).exit_client_order_id)
    assert exit_row.side is Side.BUY


async def test_expiry_exits_and_a_quiet_plan_waits(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    now = gw.clock.now()
    plan = await open_plan(
        ctx,
        BHP,
        Side.BUY,
        20,
        stop=lambda q: q.bid - Decimal(5),
        target=lambda q: q.ask + Decimal(5),
        expiry=now + timedelta(minutes=30),
    )
    assert await monitor.check_all() == []  # nothing to do yet
    await gw.advance(31 * 60, step=60)
    (event,) = await monitor.check_all()
    assert event.detail.startswith("plan expired")
    assert Plan.get_by_id(plan.id).exit_client_order_id


async def test_entry_that_never_fills_is_cancelled(ctx, gw) -> None:
    q = await ctx.venue.get_market_data(BHP)
    plan = store.create_plan(
        symbol="BHP/AUD", side=Side.BUY, size=Decimal(20), stop=Decimal(1), session=ctx.session
    )
    far = (q.bid * Decimal("0.8")).quantize(Decimal("0.01"))
    order = await ctx.orders.submit(
        OrderIntent(
            BHP, Side.BUY, Decimal(20), OrderType.LIMIT, far, reason=f"entry plan {plan.id}: test"
        )
    )
    Plan.update(entry_client_order_id=order.client_order_id).where(Plan.id == plan.id).execute()
    monitor = PlanMonitor(ctx, entry_timeout=timedelta(minutes=5))
    assert await monitor.check_all() == []
    await gw.advance(6 * 60, step=60)
    (event,) = await monitor.check_all()
    assert event.action == "cancelled"
    assert Plan.get_by_id(plan.id).status is PlanStatus.CANCELLED


async def test_a_plan_held_into_the_pre_close_buffer_exits_with_the_same_reason(ctx, gw) -> None:
    # 15:45 Sydney: outside the buffer the plan stays; at 15:51 the monitor takes it out, with
    # the wording the runner uses to refuse a new entry there
    monitor = PlanMonitor(ctx)
    await gw.advance(4 * 3600 + 45 * 60, step=900)  # 01:00 → 05:45 UTC
    plan = await open_plan(
        ctx, BHP, Side.BUY, 20, stop=lambda q: q.bid - Decimal(5), target=lambda q: q.ask + 5
    )
    assert await monitor.check_all() == []
    await gw.advance(6 * 60, step=60)
    (event,) = await monitor.check_all()
    assert event.action == "exit"
    assert event.detail.startswith("market closes in 9 min, inside the 10-min pre-close buffer")
    assert Plan.get_by_id(plan.id).exit_client_order_id


async def test_a_resting_entry_is_withdrawn_when_the_pre_close_buffer_starts(ctx, gw) -> None:
    # a limit entry still working when the buffer starts would only fill to be exited next
    # cycle: the monitor cancels it on the same rule instead of waiting out its entry timeout
    await gw.advance(4 * 3600 + 45 * 60, step=900)  # 01:00 → 05:45 UTC
    q = await ctx.venue.get_market_data(BHP)
    plan = store.create_plan(
        symbol="BHP/AUD", side=Side.BUY, size=Decimal(20), stop=Decimal(1), session=ctx.session
    )
    far = (q.bid * Decimal("0.8")).quantize(Decimal("0.01"))
    order = await ctx.orders.submit(
        OrderIntent(
            BHP, Side.BUY, Decimal(20), OrderType.LIMIT, far, reason=f"entry plan {plan.id}: test"
        )
    )
    Plan.update(entry_client_order_id=order.client_order_id).where(Plan.id == plan.id).execute()
    monitor = PlanMonitor(ctx, entry_timeout=timedelta(hours=1))
    assert await monitor.check_all() == []
    await gw.advance(6 * 60, step=60)
    (event,) = await monitor.check_all()
    assert event.action == "cancelled"
    assert event.detail.endswith("market closes in 9 min, inside the 10-min pre-close buffer")
    assert Plan.get_by_id(plan.id).status is PlanStatus.CANCELLED
    assert store.find_order_by_client_id(order.client_order_id).status.is_final


async def close_by_hand(ctx, symbol, side, qty) -> None:
    """Close (part of) a position outside any plan, as a person in TWS would."""
    q = await ctx.venue.get_market_data(symbol)
    price = q.bid - Decimal("0.05") if side is Side.SELL else q.ask + Decimal("0.05")
    order = await ctx.orders.submit(
        OrderIntent(symbol, side, Decimal(qty), OrderType.LIMIT, price, reason="by hand")
    )
    await ctx.orders.wait(order.client_order_id, within=10)


async def position(ctx, symbol) -> Decimal:
    return sum((p.quantity for p in await ctx.venue.get_positions() if p.symbol == str(symbol)),
               Decimal(0))


async def test_an_exit_never_sells_more_than_the_venue_still_holds(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    plan = await open_plan(ctx, BHP, Side.BUY, 30, stop=lambda q: q.bid + Decimal("1.00"))
    await close_by_hand(ctx, BHP, Side.SELL, 20)
    assert await position(ctx, BHP) == 10
    (event,) = await monitor.check_all()
    assert event.action == "exit"
    exit_row = store.find_order_by_client_id(Plan.get_by_id(plan.id).exit_client_order_id)
    assert exit_row.amount == 10  # not the plan's 30: that would leave the account short 20
    await gw.advance(2)
    await monitor.check_all()
    assert await position(ctx, BHP) == 0


async def test_a_plan_whose_position_was_closed_elsewhere_is_closed_not_exited(ctx, gw) -> None:
    monitor = PlanMonitor(ctx)
    plan = await open_plan(ctx, BHP, Side.BUY, 30, stop=lambda q: q.bid + Decimal("1.00"))
    await close_by_hand(ctx, BHP, Side.SELL, 30)
    orders_before = len(store.open_orders())
    (event,) = await monitor.check_all()
    assert event.action == "closed"
    assert "closed outside this plan" in event.detail
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED
    assert Plan.get_by_id(plan.id).exit_client_order_id is None
    assert len(store.open_orders()) == orders_before
    assert await position(ctx, BHP) == 0  # never re-opened the other way

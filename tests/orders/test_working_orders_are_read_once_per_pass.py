"""The plan monitor and resync read each order row once per pass: the runner makes both passes
every cycle (resync every few), so a row read again per order per cycle was most of the loop's
SQL.

The plan monitor reads every open plan's entry and exits in one query and hands each row to
the order service, which records what the venue says against it (no second read of the same
row); resync finds which working orders are recorded in one query and records each against its
row. What they write is unchanged: a change the venue reports is written, and decided on the
row read inside the write. The venue's positions, which a bracket plan's check reads, are read
once for the plans of a pass, and again after any plan's check sent, cancelled or saw a fill.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.sql_log import statements
from trader_cli.db import store
from trader_cli.db.models import PlanStatus
from trader_cli.domain.models import OrderStatus, Position, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.plans import PlanMonitor
from trader_cli.services.resync import ResyncService
from trader_cli.sim import SimGateway
from trader_cli.venues.sim.venue import SimTrader

from .conftest import BHP, bracket_plan

CBA = parse_symbol("CBA/AUD")


def by_client_id(sql: list[str]) -> list[str]:
    """The statements that look one order up by its client order id."""
    return [s for s in sql if 'FROM "orders"' in s and '"client_order_id" = ' in s]


def order_reads(sql: list[str]) -> list[str]:
    return [s for s in sql if s.startswith("SELECT") and 'FROM "orders"' in s]


async def test_the_monitor_reads_every_plans_orders_in_one_query(
    ctx: Any, gw: SimGateway
) -> None:
    plans = [(await bracket_plan(ctx, gw, symbol))[0] for symbol in (BHP, CBA)]
    monitor = PlanMonitor(ctx)
    await monitor.check_all()  # the first pass may record what the fills changed
    with statements() as sql:
        events = await monitor.check_all()
    assert events == []  # filled entries, their stops and targets working: nothing to do
    assert by_client_id(sql) == []  # not once per order: the rows read are handed on
    assert len(order_reads(sql)) == 1  # both entries and their four children, one query
    for plan in plans:
        rows = store.plan_orders(plan)
        assert [r.status for r in rows] == [OrderStatus.CLOSED, OrderStatus.OPEN,
                                            OrderStatus.OPEN]  # fmt: skip
    assert [p.status for p in store.open_plans()] == [PlanStatus.OPEN, PlanStatus.OPEN]


def count_position_reads(venue: SimTrader) -> list[int]:
    reads: list[int] = []
    real = venue.get_positions

    async def counting() -> list[Position]:
        reads.append(1)
        return await real()

    venue.get_positions = counting  # type: ignore[method-assign]
    return reads


async def test_a_quiet_pass_reads_the_venues_positions_once_for_all_its_plans(
    ctx: Any, gw: SimGateway
) -> None:
    for symbol in (BHP, CBA):
        await bracket_plan(ctx, gw, symbol)
    monitor = PlanMonitor(ctx)
    await monitor.check_all()
    reads = count_position_reads(ctx.venue)
    assert await monitor.check_all() == []
    assert len(reads) == 1  # not once per plan: nothing happened between them


async def test_a_plan_checked_after_another_acted_reads_the_positions_again(
    ctx: Any, gw: SimGateway
) -> None:
    plans = [(await bracket_plan(ctx, gw, symbol))[0] for symbol in (BHP, CBA)]
    monitor = PlanMonitor(ctx)
    await monitor.check_all()
    stem = plans[0].entry_client_order_id.removesuffix("-E")
    await ctx.venue.cancel_order(f"{stem}-S")  # at the venue only: the monitor re-creates it
    reads = count_position_reads(ctx.venue)
    events = await monitor.check_all()
    assert [(e.plan_id, e.action) for e in events] == [(plans[0].id, "protect")]
    assert len(reads) == 2  # the first plan's, then afresh for the second: it sent an order
    assert await monitor.check_all() == []  # the re-created stop is there: nothing more


async def test_a_child_that_filled_is_recorded_and_closes_the_plan(
    ctx: Any, gw: SimGateway
) -> None:
    plan, entry = await bracket_plan(ctx, gw)
    monitor = PlanMonitor(ctx)
    await monitor.check_all()
    await gw.move_market("BHP", entry + 1 + Decimal("0.01"))  # through the target
    events = await monitor.check_all()  # the target's fill is read from the rows handed on
    assert [(e.action, e.plan_id) for e in events] == [("closed", plan.id)]
    target = next(r for r in store.plan_orders(plan) if r.client_order_id.endswith("-T"))
    assert target.status is OrderStatus.CLOSED and target.filled == 100
    assert sum(f.amount for f in store.fills_for_order(target.client_order_id)) == 100


async def test_resync_reads_the_working_orders_it_knows_without_one_lookup_each(
    orders: OrderService, venue: SimTrader, resync: ResyncService
) -> None:
    q = await venue.get_market_data(BHP)
    for cents in (100, 110, 120):
        await orders.submit(OrderIntent.of(
            BHP, Side.BUY, Decimal(10), OrderSpec.limit(q.bid - Decimal(cents) / 100)))
    await resync.run()
    with statements() as sql:
        report = await resync.run()
    assert report.adopted == [] and report.updated == []
    assert by_client_id(sql) == []
    assert len(store.open_orders()) == 3


async def test_a_row_handed_in_decides_no_write_the_database_would_not_make(
    orders: OrderService, venue: SimTrader, gw: SimGateway
) -> None:
    q = await venue.get_market_data(BHP)
    order = await orders.submit(
        OrderIntent.of(BHP, Side.BUY, Decimal(10), OrderSpec.limit(q.bid - Decimal("1.00")))
    )
    cid = order.client_order_id
    stale = store.find_order_by_client_id(cid)
    assert stale is not None and stale.status is OrderStatus.OPEN
    found = await venue.get_order(cid)
    assert found is not None
    with statements() as sql:
        row = await orders.record_row(found, before=stale)
    assert sql == [] and row is stale  # nothing new: no read, no write
    await orders.cancel(cid)  # recorded by this process meanwhile: the row handed in is stale
    found = await venue.get_order(cid)
    assert found is not None and found.status is OrderStatus.CANCELED
    gw.clock.advance(30)
    row = await orders.record_row(found, before=stale)
    assert row.status is OrderStatus.CANCELED
    # the write was decided on the row read inside it: already cancelled, nothing rewritten
    fresh = store.find_order_by_client_id(cid)
    assert fresh is not None and fresh.updated_at < gw.clock.now()


async def test_a_brackets_answer_is_recorded_against_the_rows_marked_sending(
    ctx: Any, gw: SimGateway
) -> None:
    with statements() as sql:
        await bracket_plan(ctx, gw, fill=False)
    # per leg: is it recorded already (a retry resumes), marked sending, its answer written;
    # not read once more to record the answer
    assert len(by_client_id(sql)) == 3 * 3
    legs = store.open_orders()
    assert len(legs) == 3 and all(r.submitted_at is not None for r in legs)
    assert all(r.venue_order_id for r in legs)

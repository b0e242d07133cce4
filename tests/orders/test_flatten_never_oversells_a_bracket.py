"""``flatten`` beside broker-held brackets never sells what a child already sold, and leaves no
entry working that would open a position after it reported flat.

On the SIMULATED gateway with the real IB adapter and SQLite. The market is moved at the exact
point where flatten is between reading the positions and cancelling the children (the race a
live market runs every time), by wrapping the adapter's open-orders call.
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db import store
from trader_cli.db.models import Plan, PlanStatus
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.flatten import flatten
from trader_cli.services.protection import submit_bracket_entry

from .conftest import bracket_plan

BHP = parse_symbol("BHP/AUD")
CENT = Decimal("0.01")


async def _bracket(ctx: TradingContext, gw, *, fill: bool) -> tuple[Plan, str, Decimal]:
    """A long bracket of 100 BHP 50 cents under the bid, stop 1.00 under, target 1.00 over."""
    plan, entry = await bracket_plan(ctx, gw, fill=fill)
    return plan, plan.entry_client_order_id.removesuffix("-E"), entry


async def _bhp_position(ctx: TradingContext) -> Decimal:
    return sum((p.quantity for p in await ctx.venue.get_positions() if p.symbol == str(BHP)),
               Decimal(0))


async def test_a_target_filling_while_flatten_cancels_it_is_not_sold_again(
    ctx, gw, monkeypatch
) -> None:
    plan, stem, entry = await _bracket(ctx, gw, fill=True)
    assert await _bhp_position(ctx) == 100
    original = ctx.venue.get_open_orders

    async def market_runs_through_the_target(**kwargs):
        working = await original(**kwargs)  # flatten saw the stop and target working...
        await gw.move_market(BHP.base, entry + 1 + 2 * CENT)  # ...and the target fills now
        return working

    monkeypatch.setattr(ctx.venue, "get_open_orders", market_runs_through_the_target)

    report = await flatten(ctx, [BHP], wait_seconds=5)

    # the target sold the 100: flatten must not sell 100 more into a short
    assert await _bhp_position(ctx) == 0
    assert store.find_order_by_client_id(f"{stem}-T").status is OrderStatus.CLOSED
    assert [line.orders for line in report.lines] == [[]]
    assert not report.remaining
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED


async def test_flatten_all_withdraws_a_resting_bracket_entry(ctx, gw) -> None:
    plan, stem, entry = await _bracket(ctx, gw, fill=False)
    assert await _bhp_position(ctx) == 0

    report = await flatten(ctx, None, wait_seconds=5)

    assert f"{stem}-E" in report.cancelled
    statuses = {r.client_order_id: r.status for r in store.plan_orders(plan)}
    assert statuses == dict.fromkeys([f"{stem}-E", f"{stem}-S", f"{stem}-T"], OrderStatus.CANCELED)
    assert Plan.get_by_id(plan.id).status is PlanStatus.CLOSED
    # the market coming down to the entry afterwards opens nothing
    await gw.move_market(BHP.base, entry - CENT)
    assert await _bhp_position(ctx) == 0


async def test_nothing_is_sent_beside_a_child_whose_cancel_is_unconfirmed(ctx, gw) -> None:
    plan, _stem, _ = await _bracket(ctx, gw, fill=True)
    ctx.venue.order_ack_timeout = 0.2
    gw.delay_replies(0.5)  # the venue's answers to the cancels come after flatten stops waiting
    try:
        report = await flatten(ctx, [BHP], wait_seconds=5)
    finally:
        gw.delay_replies(0)

    (line,) = report.lines
    assert line.orders == []
    assert "not confirmed" in line.note
    assert report.remaining  # not flat: the command says so (and exits non-zero)
    assert not [r for r in store.plan_orders(plan) if r.reason == "flatten"]

    again = await flatten(ctx, [BHP], wait_seconds=5)  # once the cancels are answered
    assert not again.remaining
    assert await _bhp_position(ctx) == 0


async def test_flatten_with_a_bracket_entry_half_filled_closes_what_filled_and_leaves_nothing(
    ctx, gw
) -> None:
    q = await ctx.venue.get_market_data(BHP)
    entry = q.bid - Decimal("0.50")
    legs = await submit_bracket_entry(
        ctx, BHP, Side.BUY, Decimal(3000), OrderSpec.limit(entry), entry - 1, entry + 1,
    )
    stem = legs[0].client_order_id.removesuffix("-E")
    await gw.move_market(BHP.base, entry - CENT)  # one book's worth fills, the rest works
    held = await _bhp_position(ctx)
    assert 0 < held < 3000

    report = await flatten(ctx, [BHP], wait_seconds=5)

    assert not report.remaining
    assert await _bhp_position(ctx) == 0
    assert {o.client_order_id for o in await ctx.venue.get_open_orders()} == set()
    for leg in ("E", "S", "T"):
        assert f"{stem}-{leg}" in report.cancelled
    # nothing left that could trade later: the market through the old stop sells nothing
    await gw.move_market(BHP.base, entry - 2)
    assert await _bhp_position(ctx) == 0

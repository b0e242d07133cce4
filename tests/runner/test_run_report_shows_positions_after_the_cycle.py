"""The run report's positions are the ones left at the end of the cycle, after its exits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import Plan, SessionMode
from trader_cli.db.scope import use_scope
from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent, OrderService
from trader_cli.services.runner import StrategyRunner
from trader_cli.sim import SimClock, SimGateway
from trader_cli.strategies.base import Hold
from trader_cli.venues.sim.venue import SimTrader

BHP = parse_symbol("BHP/AUD")
# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


class HoldEverything:
    """A strategy that never enters: the cycle's only orders are the plan monitor's."""

    name = "hold"

    async def decide(self, ctx):
        return [Hold(s, "holding", self.name) for s in ctx.universe]


@pytest.fixture
async def ctx(clean_env: Path) -> AsyncIterator[TradingContext]:
    settings = load_settings()
    scope = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
    with use_database(f"sqlite:///{clean_env / 'bot.sqlite'}"), use_scope(scope):
        async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gw:
            venue = SimTrader(settings, gw)
            await venue.connect()
            session = store.open_session(
                venue="sim", mode=SessionMode.SIM, base_currency="AUD", started_at=gw.clock.now()
            )
            try:
                yield TradingContext(
                    settings, venue, session, OrderService(venue, settings, session), scope
                )
            finally:
                await venue.close()


async def open_plan_with_its_stop_hit(ctx: TradingContext) -> Plan:
    """A bought BHP plan whose stop is above the bid: the monitor exits it at once."""
    q = await ctx.venue.get_market_data(BHP)
    plan = store.create_plan(
        symbol=str(BHP), side=Side.BUY, size=Decimal(30), entry=q.ask,
        stop=q.bid + Decimal("1.00"), target=None, expiry=None, session=ctx.session,
    )  # fmt: skip
    order = await ctx.orders.submit(
        OrderIntent(BHP, Side.BUY, Decimal(30), OrderType.LIMIT, q.ask,
                    reason=f"entry plan {plan.id}: test", plan_id=plan.id)
    )  # fmt: skip
    await ctx.orders.wait(order.client_order_id, within=10)
    store.set_plan_entry(plan, order.client_order_id)
    return Plan.get_by_id(plan.id)


async def test_a_plan_exit_in_the_cycle_leaves_the_position_out_of_the_report(ctx) -> None:
    await open_plan_with_its_stop_hit(ctx)
    held = {p.symbol: p.quantity for p in await ctx.venue.get_positions()}
    assert held.get("BHP/AUD") == 30  # the entry filled: the cycle starts with the position
    runner = StrategyRunner(ctx, HoldEverything(), universe=[BHP])
    report = await runner.cycle()
    assert [e.action for e in report.plan_events] == ["exit"]
    assert "stop" in report.plan_events[0].detail
    # the exit sold the 30 shares inside this cycle: the report shows what is left, not
    # what the cycle started with
    assert {p.symbol: p.quantity for p in await ctx.venue.get_positions()}.get("BHP/AUD") is None
    assert [p.symbol for p in report.positions] == []
    assert report.to_dict()["positions"] == []

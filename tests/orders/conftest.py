"""Order service and resync against the SIMULATED gateway and a real database (SQLite file)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import Plan, SessionMode, TradingSession
from trader_cli.db.scope import use_scope
from trader_cli.domain.models import Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import OrderService
from trader_cli.services.protection import submit_bracket_entry
from trader_cli.services.resync import ResyncService
from trader_cli.sim import SimClock, SimGateway
from trader_cli.venues.sim.venue import SimTrader

# The sim's scope: venue ib, backend sim, mode sim, the sim's paper account.
SCOPE = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open.
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


async def until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait (bounded) for messages the sim already sent to be processed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met before timeout")
        await asyncio.sleep(0.005)


@pytest.fixture
def settings(clean_env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "2")
    return load_settings()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[None]:
    with use_database(f"sqlite:///{tmp_path / 'trader.sqlite'}"), use_scope(SCOPE):
        yield


@pytest.fixture
async def gw() -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gateway:
        yield gateway


@pytest.fixture
async def venue(gw: SimGateway, settings) -> AsyncIterator[SimTrader]:
    t = SimTrader(settings, gw)
    t.market_data_timeout = 1.0
    t.order_ack_timeout = 2.0
    t.conn.config.reconnect_initial = 0.5
    await t.connect()
    try:
        yield t
    finally:
        await t.close()


@pytest.fixture
def session(db: None, gw: SimGateway) -> TradingSession:
    return store.open_session(
        venue="sim",
        mode=SessionMode.SIM,
        base_currency="aud",
        account_id="DU1234567",
        started_at=gw.clock.now(),
    )


@pytest.fixture
def orders(venue: SimTrader, settings, session: TradingSession) -> OrderService:
    return OrderService(venue, settings, session)


@pytest.fixture
def resync(orders: OrderService) -> ResyncService:
    return ResyncService(orders)


# -- brackets -------------------------------------------------------------------------------
BHP = parse_symbol("BHP/AUD")
CENT = Decimal("0.01")


@pytest.fixture
def ctx(settings: Any, venue: SimTrader, session: TradingSession, orders: OrderService) -> Any:
    """The trading context of the sim venue, as a command has it."""
    from trader_cli.services.context import TradingContext

    return TradingContext(settings, venue, session, orders, SCOPE)

async def bracket_plan(
    ctx: Any, gw: SimGateway, symbol: Any = BHP, *, qty: int = 100, fill: bool = True
) -> tuple[Any, Decimal]:
    """A long plan entered as a bracket 50 cents under the bid (stop 1.00 under the entry,
    target 1.00 over); ``fill`` brings the market down to the entry so that it fills."""
    q = await ctx.venue.get_market_data(symbol)
    entry = q.bid - Decimal("0.50")
    plan = store.create_plan(
        symbol=str(symbol), side=Side.BUY, size=Decimal(qty), entry=entry,
        stop=entry - 1, target=entry + 1, session=ctx.session,
    )
    legs = await submit_bracket_entry(
        ctx, symbol, Side.BUY, Decimal(qty), OrderSpec.limit(entry), entry - 1, entry + 1,
        reason=f"entry plan {plan.id}: test", plan_id=plan.id,
    )
    store.set_plan_entry(plan, legs[0].client_order_id)
    if fill:
        await gw.move_market(symbol.base, entry - CENT)
        await ctx.orders.wait(legs[0].client_order_id, within=5, poll=0.05)
    return Plan.get_by_id(plan.id), entry


async def held(ctx: Any, symbol: Any = BHP) -> Decimal:
    """What the venue says is held of ``symbol`` (signed)."""
    return sum((p.quantity for p in await ctx.venue.get_positions() if p.symbol == str(symbol)),
               Decimal(0))

"""``trader run`` with PROTECTION=broker: a plan's entry goes as a bracket, its stop and target
put on the price step towards the entry and sized so the stop fits MAX_ORDER_VALUE at its
trigger; with PROTECTION=local the entry goes alone."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trader_cli.db import store
from trader_cli.db.models import OrderRow, Plan
from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.runner import StrategyRunner

from .test_run_bands_strategy_limits import ctx, llm

__all__ = ["ctx"]
BHP = parse_symbol("BHP/AUD")


async def _enter(ctx: TradingContext, **decision: object) -> dict[str, str]:
    report = await StrategyRunner(ctx, llm(ctx, **decision)).cycle()
    (bhp,) = [d for d in report.decisions if d["symbol"] == "BHP/AUD"]
    return bhp


async def test_a_long_entry_goes_with_its_stop_and_target_on_the_tick(ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    stop, target = q.bid - Decimal("1.2345"), q.ask + Decimal("1.2345")
    bhp = await _enter(ctx, side="buy", size=50, stop=str(stop), target=str(target))
    assert bhp["result"].startswith("sent "), bhp

    (plan,) = Plan.select()
    # towards the entry: the stop never risks more, the target is never further, than planned
    assert plan.stop == stop.quantize(Decimal("0.01"), rounding="ROUND_CEILING")
    assert plan.target == target.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
    stem = plan.entry_client_order_id.removesuffix("-E")
    rows = {r.client_order_id: r for r in store.plan_orders(plan)}
    assert set(rows) == {f"{stem}-E", f"{stem}-S", f"{stem}-T"}
    assert (rows[f"{stem}-S"].type, rows[f"{stem}-S"].stop_price) == (OrderType.STOP, plan.stop)
    assert (rows[f"{stem}-T"].side, rows[f"{stem}-T"].price) == (Side.SELL, plan.target)
    working = {o.client_order_id for o in await ctx.venue.get_open_orders()}
    assert {f"{stem}-S", f"{stem}-T"} <= working


async def test_a_short_is_sized_so_its_stop_fits_max_order_value_at_the_trigger(ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    stop = (q.ask * Decimal("1.08")).quantize(Decimal("0.01"))
    bhp = await _enter(ctx, side="sell", risk_budget=100000, stop=str(stop))
    assert bhp["result"].startswith("sent "), bhp

    qty = Decimal(bhp["quantity"])
    assert qty * stop <= ctx.settings.risk.max_order_value
    (plan,) = Plan.select()
    stem = plan.entry_client_order_id.removesuffix("-E")
    assert store.find_order_by_client_id(f"{stem}-S").amount == qty


@pytest.fixture
def local(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTECTION", "local")


async def test_protection_local_sends_the_entry_alone(local, ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    bhp = await _enter(ctx, side="buy", size=50, stop=str(q.bid - 1), target=str(q.ask + 1))
    assert bhp["result"].startswith("sent "), bhp
    (only,) = OrderRow.select()
    assert only.side is Side.BUY and only.oca_group is None
    assert not only.client_order_id.endswith("-E")

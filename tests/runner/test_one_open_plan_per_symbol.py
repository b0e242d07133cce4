"""``trader run`` keeps one open plan per symbol: a second entry while one is open is refused.

The plan monitor and the broker-held children size every exit by what the account holds on the
symbol; two plans on one symbol would each protect (and exit) that whole holding, so a stop or
exit of one, beside the other's, could sell more than is held and open a short.
"""

from __future__ import annotations

from decimal import Decimal

from trader_cli.db.models import Plan
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.runner import StrategyRunner

from .test_run_bands_strategy_limits import ctx, llm

__all__ = ["ctx"]
BHP = parse_symbol("BHP/AUD")


async def test_a_second_entry_on_a_symbol_with_an_open_plan_is_refused(ctx) -> None:
    q = await ctx.venue.get_market_data(BHP)
    decision = {"side": "buy", "size": 50, "stop": str(q.bid - 1), "target": str(q.ask + 1)}
    first = await StrategyRunner(ctx, llm(ctx, **decision)).cycle()
    (bhp,) = [d for d in first.decisions if d["symbol"] == "BHP/AUD"]
    assert bhp["result"].startswith("sent "), bhp

    second = await StrategyRunner(ctx, llm(ctx, **decision)).cycle()

    (again,) = [d for d in second.decisions if d["symbol"] == "BHP/AUD"]
    assert not again["result"].startswith("sent "), again
    assert "open plan" in again["result"]
    assert Plan.select().count() == 1
    sent = [o for o in await ctx.venue.get_open_orders() if o.client_order_id.endswith("-E")]
    assert len(sent) <= 1
    assert sum((o.amount for o in sent), Decimal(0)) <= 50

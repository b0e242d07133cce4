"""``trader run``: a strategy's entry far from the market is refused by the price band."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import OrderRow, Plan, SessionMode
from trader_cli.db.scope import use_scope
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderService
from trader_cli.services.runner import StrategyRunner
from trader_cli.sim import SimClock, SimGateway
from trader_cli.strategies.llm import LLMStrategy
from trader_cli.venues.sim.venue import SimTrader

# Wednesday 3 July 2024, 10:30 in Sydney: the ASX is open
MORNING = datetime(2024, 7, 3, 0, 30, tzinfo=UTC)


class ScriptedChat:
    """Stands in for the chat endpoint: every call answers with the same decisions."""

    def __init__(self, *decisions: dict[str, Any]) -> None:
        self.content = json.dumps({"decisions": list(decisions)})

    async def complete(self, messages: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        message = {"role": "assistant", "content": self.content}
        return {"choices": [{"index": 0, "finish_reason": "stop", "message": message}]}


SCOPE = Scope("ib", Backend.SIM, Mode.SIM)

@pytest.fixture
async def ctx(clean_env: Path) -> AsyncIterator[TradingContext]:
    settings = load_settings()
    with use_database(f"sqlite:///{clean_env / 'bot.sqlite'}"), use_scope(SCOPE):
        async with SimGateway.start(seed=0, clock=SimClock.pinned(MORNING)) as gw:
            venue = SimTrader(settings, gw)
            await venue.connect()
            session = store.open_session(
                venue="sim", mode=SessionMode.SIM, base_currency="AUD", started_at=MORNING
            )
            try:
                yield TradingContext(
                    settings, venue, session, OrderService(venue, settings, session), SCOPE
                )
            finally:
                await venue.close()


def llm(ctx: TradingContext, **decision: Any) -> LLMStrategy:
    answer = {"action": "enter", "symbol": "BHP/AUD", "rationale": "test", **decision}
    chat: Any = ScriptedChat(answer)
    return LLMStrategy(ctx.settings, clock=ctx.venue.clock, client=chat)


async def test_llm_sell_entry_at_a_cent_is_refused_and_nothing_is_sent(
    ctx: TradingContext,
) -> None:
    # 60,000 BHP at 0.01 is "AUD 600" by its limit: inside every value limit; at the bid it
    # is a short of over AUD 2.5 M
    strategy = llm(ctx, side="sell", size=60000, entry=0.01, stop=60)
    report = await StrategyRunner(ctx, strategy).cycle()
    (bhp,) = [d for d in report.decisions if d["symbol"] == "BHP/AUD"]
    assert bhp["result"].startswith("refused: limit 0.010 is ")
    assert "beyond MAX_PRICE_DEVIATION_PCT_EQUITY 5%" in bhp["result"]
    assert OrderRow.select().count() == 0
    assert Plan.select().count() == 0
    assert await ctx.venue.get_open_orders() == []
    assert await ctx.venue.get_positions() == []


@pytest.fixture
def wide_band(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_PRICE_DEVIATION_PCT_EQUITY", "50")


async def test_a_risk_budget_entry_is_capped_at_the_executable_price(
    wide_band: None, ctx: TradingContext
) -> None:
    # a wide band lets a sell limited 30% under the bid through; MAX_ORDER_VALUE still caps its
    # size, and must divide by the bid it executes at, not by the lower limit
    quote = await ctx.venue.get_market_data(parse_symbol("BHP/AUD"))
    assert quote.bid is not None
    entry = (quote.bid * Decimal("0.7")).quantize(Decimal("0.01"))
    assert quote.ask is not None
    # the stop sits above the market: a short whose stop already holds is never entered
    strategy = llm(ctx, side="sell", risk_budget=100000, entry=str(entry), stop=str(quote.ask + 1))
    report = await StrategyRunner(ctx, strategy).cycle()
    (bhp,) = [d for d in report.decisions if d["symbol"] == "BHP/AUD"]
    assert bhp["result"].startswith("sent "), bhp
    assert Decimal(bhp["quantity"]) * quote.bid <= ctx.settings.risk.max_order_value
    # one entry sent; with PROTECTION=broker its stop goes with it, held by the venue
    assert OrderRow.select().where(OrderRow.oca_group.is_null()).count() == 1

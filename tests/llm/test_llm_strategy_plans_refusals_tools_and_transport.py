"""LLM strategy against a local stub chat server: valid plans pass, anything invalid is refused
(never traded), tool calls go through IB guardrails, the API key never leaks, transport
failures are TemporaryError."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import Settings, load_settings
from trader_cli.domain.models import Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import ConfigError, RateLimitError, TemporaryError, VenueError
from trader_cli.strategies.base import Hold, StrategyContext, TradePlan
from trader_cli.strategies.llm import LLMStrategy
from trader_cli.strategies.prompt import build_messages

API_KEY = "sk-test-4f1c9a7e2b6d8053"
BHP = Symbol("BHP", "AUD")
CBA = Symbol("CBA", "AUD")
AUDUSD = Symbol("AUD", "USD")


def by_symbol(decisions: list[Any]) -> dict[Symbol, Any]:
    return {d.symbol: d for d in decisions}


def enter(**kw: Any) -> dict[str, Any]:
    base = {
        "action": "enter",
        "symbol": "BHP/AUD",
        "side": "buy",
        "risk_budget": "100",
        "entry": "45.10",
        "stop": "44.20",
        "target": "47.00",
        "expiry_minutes": 30,
        "rationale": "higher lows on 5m",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


async def test_valid_plan_becomes_trade_plan_and_every_symbol_gets_a_decision(
    llm_settings: Settings, stub_chat_server: Any, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(
        reply.decisions(
            enter(),
            {"action": "hold", "symbol": "CBA/AUD", "rationale": "range-bound"},
        )
    )
    decisions = by_symbol(await LLMStrategy(llm_settings).decide(ctx))
    plan = decisions[BHP]
    assert isinstance(plan, TradePlan)
    assert plan.side is Side.BUY
    assert plan.entry == Decimal("45.10")
    assert plan.stop == Decimal("44.20")
    assert plan.target == Decimal("47.00")
    assert plan.risk_budget == Money(Decimal("100"), "AUD")
    assert plan.size is None
    assert plan.expiry == ctx.now + timedelta(minutes=30)
    assert plan.strategy == "llm"
    assert decisions[CBA] == Hold(CBA, "range-bound", "llm")
    assert decisions[AUDUSD] == Hold(AUDUSD, "no decision from the model", "llm")
    (request,) = stub_chat_server.requests
    assert request["path"] == "/v1/chat/completions"
    body = request["body"]
    assert body["model"] == "stub-model"
    assert {t["function"]["name"] for t in body["tools"]} == {
        "get_candles", "get_quote", "get_order_book", "get_trades",
    }  # fmt: skip
    system = body["messages"][0]["content"]
    assert "NO crypto" in system
    assert "Interactive Brokers Australia" in system
    assert "BHP/AUD, CBA/AUD, AUD/USD" in system
    assert "ONLY with one JSON object" in system


async def test_answer_in_code_fences_and_entry_at_market_uses_the_quote(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    market_data: Any,
) -> None:
    answer = json.dumps({"decisions": [enter(entry=None, size="100", risk_budget=None)]})
    stub_chat_server.script(reply.content(f"```json\n{answer}\n```"))
    plan = by_symbol(await LLMStrategy(llm_settings).decide(ctx))[BHP]
    assert isinstance(plan, TradePlan)
    assert plan.entry is None
    assert plan.size == Decimal("100")
    assert market_data.quote_calls == [BHP]


@pytest.mark.parametrize(
    "content",
    [
        "I would buy BHP here.",
        '{"decisions": [',
        '{"decisions": [], "confidence": 0.9}',
        '[{"action": "enter"}]',
        "",
    ],
)
async def test_invalid_answer_is_refused_for_every_symbol(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    content: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub_chat_server.script(reply.content(content))
    with caplog.at_level(logging.WARNING, logger="trader_cli.strategies.llm"):
        decisions = await LLMStrategy(llm_settings).decide(ctx)
    assert [d.symbol for d in decisions] == [BHP, CBA, AUDUSD]
    assert all(isinstance(d, Hold) and d.reason.startswith("refused: ") for d in decisions)
    assert "llm answer refused" in caplog.text


@pytest.mark.parametrize(
    ("decision", "symbol", "fragment"),
    [
        (enter(symbol="CSL/AUD"), Symbol("CSL", "AUD"), "CSL/AUD is not in the universe"),
        (enter(symbol="BTC/USD"), Symbol("BTC", "USD"), "crypto"),
        (enter(symbol="BHP.AX"), Symbol("BHP.AX", ""), "not a canonical symbol"),
        (enter(stop="46.00"), BHP, "buy stop 46.00 is not below entry 45.10"),
        (enter(side="sell", stop="44.00", target="43"), BHP, "sell stop 44.00 is not above"),
        (enter(target="44.00"), BHP, "target 44.00 is on the wrong side"),
        (enter(size="-5", risk_budget=None), BHP, "size: Input should be greater than 0"),
        (enter(size="0", risk_budget=None), BHP, "greater than 0"),
        (enter(size="10.5", risk_budget=None), BHP, "not whole shares"),
        (enter(size="10", risk_budget="50"), BHP, "exactly one of size or risk_budget"),
        (enter(stop=None), BHP, "an entry needs side and stop"),
        (enter(leverage=10), BHP, "leverage: Extra inputs are not permitted"),
        (enter(action="short"), BHP, "action"),
    ],
)
async def test_invalid_decision_is_refused_and_never_traded(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    decision: dict[str, Any],
    symbol: Symbol,
    fragment: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub_chat_server.script(reply.decisions(decision))
    strategy = LLMStrategy(llm_settings)
    with caplog.at_level(logging.WARNING, logger="trader_cli.strategies.llm"):
        decisions = await strategy.decide(ctx)
    assert not any(isinstance(d, TradePlan) for d in decisions)
    refused = by_symbol(decisions)[symbol]
    assert isinstance(refused, Hold)
    assert refused.reason.startswith("refused: ")
    assert fragment in refused.reason
    assert "refused" in caplog.text
    assert strategy.last_refusals


async def test_entry_on_a_closed_market_is_refused(
    llm_settings: Settings, stub_chat_server: Any, reply: Any, market_data: Any, make_ctx: Any
) -> None:
    ctx = make_ctx(market_data, market_open={"BHP/AUD": False, "CBA/AUD": False, "AUD/USD": True})
    stub_chat_server.script(reply.decisions(enter()))
    hold = by_symbol(await LLMStrategy(llm_settings).decide(ctx))[BHP]
    assert isinstance(hold, Hold)
    assert "market for BHP/AUD is closed" in hold.reason
    system = stub_chat_server.requests[0]["body"]["messages"][1]["content"]
    assert '"symbol":"BHP/AUD"' in system
    assert '"marketOpen":false' in system


async def test_tool_call_round_trip_clamps_limit_and_feeds_results_back(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    market_data: Any,
) -> None:
    stub_chat_server.script(
        reply.tools(
            ("call_1", "get_candles", {"symbol": "BHP/AUD", "timeframe": "5m", "limit": 5000}),
            ("call_2", "get_quote", {"symbol": "bhp/aud"}),
        ),
        reply.decisions(enter()),
    )
    decisions = by_symbol(await LLMStrategy(llm_settings).decide(ctx))
    assert isinstance(decisions[BHP], TradePlan)
    assert market_data.candle_calls == [(BHP, Timeframe.M5, 500)]
    assert market_data.quote_calls == [BHP]
    second = stub_chat_server.requests[1]["body"]["messages"]
    assistant, candles, quote = second[-3:]
    assert assistant["role"] == "assistant"
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_1", "call_2"]
    assert candles["role"] == "tool"
    assert candles["tool_call_id"] == "call_1"
    result = json.loads(candles["content"])
    assert result["limit"] == 500
    assert result["candles"][0][4] == "45.10"
    assert json.loads(quote["content"])["bid"] == "45.09"


async def test_book_and_tape_tools_clamp_and_return_the_venues_data(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    market_data: Any,
) -> None:
    stub_chat_server.script(
        reply.tools(
            ("b", "get_order_book", {"symbol": "BHP/AUD", "depth": 99}),
            ("t", "get_trades", {"symbol": "bhp/aud"}),
            ("x", "get_order_book", {"symbol": "BTC/USD"}),
            ("y", "get_trades", {"symbol": "BHP/AUD", "limit": "many"}),
        ),
        reply.decisions({"action": "hold", "symbol": "BHP/AUD", "rationale": "thin book"}),
    )
    await LLMStrategy(llm_settings).decide(ctx)
    assert market_data.book_calls == [(BHP, 10)]  # clamped to the tool's maximum
    assert market_data.trade_calls == [(BHP, 50)]
    tool = {
        m["tool_call_id"]: json.loads(m["content"])
        for m in stub_chat_server.requests[1]["body"]["messages"]
        if m["role"] == "tool"
    }
    assert len(tool["b"]["bids"]) == 10 and tool["b"]["bids"][0] == ["45.09", "100"]
    assert tool["b"]["source"] == "depth"
    assert [t["price"] for t in tool["t"]["trades"]] == ["45.10", "45.10"]
    assert tool["t"]["trades"][0]["side"] == "buy"
    assert "crypto" in tool["x"]["error"]
    assert "limit must be an integer" in tool["y"]["error"]
    system = stub_chat_server.requests[0]["body"]["messages"][0]["content"]
    assert "get_order_book(symbol, depth<=10)" in system
    assert "get_trades(symbol, limit<=50)" in system


async def test_tool_guardrails_return_errors_to_the_model_not_exceptions(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    market_data: Any,
) -> None:
    stub_chat_server.script(
        reply.tools(
            ("c1", "get_candles", {"symbol": "XYZ/AUD", "timeframe": "5m", "limit": 10}),
            ("c2", "get_quote", {"symbol": "BTC/USD"}),
            ("c3", "get_candles", {"symbol": "BHP/AUD", "timeframe": "6h", "limit": 10}),
            ("c4", "get_candles", {"symbol": "BHP/AUD", "timeframe": "7m", "limit": 10}),
            ("c5", "place_order", {"symbol": "BHP/AUD"}),
            ("c6", "get_quote", "{not json"),
            ("c7", "get_quote", {"symbol": "BHP/AUD", "depth": 5}),
            ("c8", "get_candles", {"symbol": "BHP/AUD", "timeframe": "1h", "limit": "lots"}),
        ),
        reply.decisions({"action": "hold", "symbol": "BHP/AUD", "rationale": "no data"}),
    )
    decisions = by_symbol(await LLMStrategy(llm_settings).decide(ctx))
    assert decisions[BHP] == Hold(BHP, "no data", "llm")
    assert market_data.candle_calls == []
    assert market_data.quote_calls == []
    tool_messages = [
        m for m in stub_chat_server.requests[1]["body"]["messages"] if m["role"] == "tool"
    ]
    errors = {m["tool_call_id"]: json.loads(m["content"])["error"] for m in tool_messages}
    assert set(errors) == {"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"}
    assert "XYZ/AUD is not in the universe" in errors["c1"]
    assert "crypto" in errors["c2"]
    assert "IB has no 6h bars" in errors["c3"]
    assert "unsupported timeframe '7m'" in errors["c4"]
    assert "unknown tool 'place_order'" in errors["c5"]
    assert "not a JSON object" in errors["c6"]
    assert "bad arguments" in errors["c7"]
    assert "limit must be an integer" in errors["c8"]


async def test_tool_rounds_are_capped_then_the_model_must_answer(
    llm_settings: Settings, stub_chat_server: Any, reply: Any, ctx: StrategyContext
) -> None:
    quote_call = ("c", "get_quote", {"symbol": "BHP/AUD"})
    stub_chat_server.script(
        reply.tools(quote_call), reply.tools(quote_call), reply.tools(quote_call)
    )
    decisions = await LLMStrategy(llm_settings).decide(ctx)  # LLM_MAX_TOOL_CALLS=2
    assert all(isinstance(d, Hold) and "kept calling tools" in d.reason for d in decisions)
    bodies = [r["body"] for r in stub_chat_server.requests]
    assert len(bodies) == 3
    assert "tool_choice" not in bodies[0]
    assert bodies[2]["tool_choice"] == "none"


async def test_api_key_is_a_bearer_header_and_never_logged(
    llm_settings: Settings,
    stub_chat_server: Any,
    reply: Any,
    ctx: StrategyContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub_chat_server.script(reply.content("not json"), (401, {"error": f"bad key {API_KEY}"}))
    strategy = LLMStrategy(llm_settings)
    with caplog.at_level(logging.DEBUG):
        await strategy.decide(ctx)
        with pytest.raises(VenueError) as info:
            await strategy.decide(ctx)
    assert stub_chat_server.requests[0]["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert info.value.code == 401
    assert "LLM_API_KEY" in str(info.value)
    assert API_KEY not in str(info.value)
    assert API_KEY not in repr(info.value)
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(strategy)
    assert API_KEY not in str(llm_settings.public_dict())
    assert API_KEY not in json.dumps(stub_chat_server.requests[0]["body"])


async def test_unreachable_endpoint_is_a_temporary_error(
    llm_env: Path, ctx: StrategyContext, stub_chat_server: Any
) -> None:
    url = stub_chat_server.base_url
    stub_chat_server.stop()
    settings = load_settings(LLM_BASE_URL=url, LLM_MODEL="m", LLM_API_KEY=API_KEY, LLM_TIMEOUT=1)
    with pytest.raises(TemporaryError, match="did not answer") as info:
        await LLMStrategy(settings).decide(ctx)
    assert API_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("scripted", "error", "fragment"),
    [
        ((503, {"error": "overloaded"}), TemporaryError, "HTTP 503"),
        ((429, {"error": "slow down"}), RateLimitError, "HTTP 429"),
        ((200, "<html>gateway</html>"), TemporaryError, "not JSON"),
        (("sleep", 1.5), TemporaryError, "did not answer"),
    ],
)
async def test_transport_failures_raise_temporary_error(
    llm_env: Path,
    stub_chat_server: Any,
    ctx: StrategyContext,
    scripted: tuple[Any, Any],
    error: type[Exception],
    fragment: str,
) -> None:
    settings = load_settings(
        LLM_BASE_URL=stub_chat_server.base_url, LLM_MODEL="m", LLM_TIMEOUT=0.5, LLM_MAX_RETRIES=0
    )
    stub_chat_server.script(scripted)
    with pytest.raises(error, match=fragment):
        await LLMStrategy(settings).decide(ctx)
    assert "Authorization" not in stub_chat_server.requests[0]["headers"]  # no key configured


def test_llm_model_is_required(llm_env: Path) -> None:
    with pytest.raises(ConfigError, match="LLM_MODEL"):
        LLMStrategy(load_settings())


def test_prompt_describes_venue_universe_hours_and_schema(market_data: Any, make_ctx: Any) -> None:
    ib = build_messages(make_ctx(market_data), max_tool_calls=3)
    system, user = ib[0]["content"], ib[1]["content"]
    assert "Interactive Brokers Australia" in system
    assert "ASX equities and ETFs" in system
    assert "IDEALPRO FX" in system
    assert "never propose BTC" in system
    assert "in at most 3 rounds" in system
    assert '"risk_budget"' in system and '"expiry_minutes"' in system
    context = json.loads(user.split("\n", 1)[1])
    assert context["baseCurrency"] == "AUD"
    assert [u["symbol"] for u in context["universe"]] == ["BHP/AUD", "CBA/AUD", "AUD/USD"]
    assert context["universe"][0]["class"] == "ASX equity"
    assert context["universe"][2]["class"] == "FX pair"
    assert context["limits"]["MAX_ORDER_VALUE"] == "5000"
    sim = build_messages(make_ctx(market_data, venue="sim"), max_tool_calls=0)
    assert "SIMULATED" in sim[0]["content"]
    assert "No tools are available" in sim[0]["content"]

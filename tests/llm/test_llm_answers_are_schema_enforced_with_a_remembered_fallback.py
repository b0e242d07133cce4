"""Answers are asked for as strict ``json_schema`` where the server supports it; a server that
refuses it gets ``json_object``, then plain text, remembered for the session (the refused mode
is not tried again every cycle); every answer is validated whatever the mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import API_KEY, StubChatServer
from trader_cli.config import Settings, load_settings
from trader_cli.errors import VenueError
from trader_cli.strategies.base import Hold, StrategyContext, TradePlan
from trader_cli.strategies.llm import LLMStrategy
from trader_cli.strategies.prompt import LLMDecision

ENTER = {
    "action": "enter", "symbol": "BHP/AUD", "side": "buy", "size": None, "risk_budget": 100,
    "entry": 45.10, "stop": 44.20, "target": 47.00, "expiry_minutes": 30,
    "rationale": "higher lows",
}


def settings_for(stub: StubChatServer, **extra: Any) -> Settings:
    return load_settings(
        LLM_BASE_URL=stub.base_url, LLM_MODEL="stub-model", LLM_API_KEY=API_KEY,
        LLM_TIMEOUT=2, LLM_MAX_TOOL_CALLS=0, **extra,
    )


def formats(stub: StubChatServer) -> list[str | None]:
    return [(r["body"].get("response_format") or {}).get("type") for r in stub.requests]


async def test_a_server_with_structured_outputs_gets_the_strict_schema(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(reply.decisions(ENTER))
    decisions = await LLMStrategy(settings_for(stub_chat_server)).decide(ctx)
    (plan,) = [d for d in decisions if isinstance(d, TradePlan)]
    assert str(plan.symbol) == "BHP/AUD" and str(plan.stop) == "44.2"
    fmt = stub_chat_server.requests[0]["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    item = schema["properties"]["decisions"]["items"]
    # strict mode: every field required, nothing else allowed, symbols from the universe only
    assert item["additionalProperties"] is False
    assert sorted(item["required"]) == sorted(LLMDecision.model_fields)
    assert item["properties"]["symbol"]["enum"] == ["BHP/AUD", "CBA/AUD", "AUD/USD"]


async def test_refused_json_schema_falls_back_once_and_is_remembered(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.json_schema = False
    stub_chat_server.script(reply.decisions(ENTER), reply.decisions(ENTER))
    strategy = LLMStrategy(settings_for(stub_chat_server))
    first = await strategy.decide(ctx)
    second = await strategy.decide(ctx)
    assert formats(stub_chat_server) == ["json_schema", "json_object", "json_object"]
    assert [type(d) for d in first] == [type(d) for d in second]
    assert any(isinstance(d, TradePlan) for d in second)
    assert strategy.last_usage is not None
    assert strategy.last_usage.response_format == "json_object"


async def test_a_server_without_json_modes_gets_plain_text_and_the_answer_is_still_validated(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.json_schema = stub_chat_server.json_object = False
    stub_chat_server.script(
        reply.content("Sure! I would buy BHP."), reply.decisions({**ENTER, "stop": 46.0})
    )
    strategy = LLMStrategy(settings_for(stub_chat_server))
    prose = await strategy.decide(ctx)
    wrong_stop = await strategy.decide(ctx)
    assert formats(stub_chat_server) == ["json_schema", "json_object", None, None]
    assert all(isinstance(d, Hold) and d.reason.startswith("refused:") for d in prose)
    bhp = next(d for d in wrong_stop if str(d.symbol) == "BHP/AUD")
    assert isinstance(bhp, Hold) and "not below entry" in bhp.reason


async def test_a_fixed_format_the_server_refuses_is_a_clear_final_error(
    llm_env: Path, stub_chat_server: StubChatServer, ctx: StrategyContext
) -> None:
    stub_chat_server.json_schema = False
    settings = settings_for(stub_chat_server, LLM_RESPONSE_FORMAT="json_schema")
    with pytest.raises(VenueError) as info:
        await LLMStrategy(settings).decide(ctx)
    assert info.value.code == 400
    assert "LLM_RESPONSE_FORMAT" in str(info.value)
    assert formats(stub_chat_server) == ["json_schema"]


async def test_an_unrelated_400_is_not_taken_for_a_format_refusal(
    llm_env: Path, stub_chat_server: StubChatServer, ctx: StrategyContext
) -> None:
    stub_chat_server.script((400, {"error": {"message": "context length exceeded"}}))
    strategy = LLMStrategy(settings_for(stub_chat_server))
    with pytest.raises(VenueError, match="context length exceeded"):
        await strategy.decide(ctx)
    assert formats(stub_chat_server) == ["json_schema"]
    assert strategy.client.response_format == "json_schema"


async def test_temperature_is_sent_only_when_set(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(reply.decisions(), reply.decisions())
    await LLMStrategy(settings_for(stub_chat_server)).decide(ctx)
    await LLMStrategy(settings_for(stub_chat_server, LLM_TEMPERATURE="0.3")).decide(ctx)
    default, chosen = (r["body"] for r in stub_chat_server.requests)
    assert "temperature" not in default  # GPT-5 and o-series reject any but their own
    assert chosen["temperature"] == 0.3

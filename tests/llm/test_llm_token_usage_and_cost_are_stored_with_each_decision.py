"""Each LLM decision round's tokens (from the server's ``usage``) and cost (at
``LLM_PRICE_*_PER_MTOK``, USD) are stored with its decisions in the DB and in telemetry."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import API_KEY, StubChatServer
from trader_cli.config import load_settings
from trader_cli.domain.money import Money
from trader_cli.strategies.base import StrategyContext
from trader_cli.strategies.llm import LLMStrategy

G = ("--venue", "gemini", "--sim")


async def test_usage_of_every_request_of_a_round_is_summed_and_priced(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(
        reply.tools(("c1", "get_quote", {"symbol": "BHP/AUD"}), usage=(1200, 20)),
        reply.decisions({"action": "hold", "symbol": "BHP/AUD", "rationale": "x"},
                        usage=(1350, 75)),
        reply.decisions(),  # a server that reports no usage
    )
    settings = load_settings(
        LLM_BASE_URL=stub_chat_server.base_url, LLM_MODEL="stub-model", LLM_API_KEY=API_KEY,
        LLM_PRICE_INPUT_PER_MTOK="2.50", LLM_PRICE_OUTPUT_PER_MTOK="10",
    )
    strategy = LLMStrategy(settings)
    await strategy.decide(ctx)
    usage = strategy.last_usage
    assert usage is not None
    assert (usage.requests, usage.prompt_tokens, usage.completion_tokens) == (2, 2550, 95)
    # 2550 * 2.50 / 1e6 + 95 * 10 / 1e6, exactly
    assert usage.cost == Money(Decimal("0.007325"), "USD")
    assert usage.model == "stub-model"

    await strategy.decide(ctx)
    assert strategy.last_usage is not None
    assert strategy.last_usage.prompt_tokens == 0
    assert strategy.last_usage.round_id != usage.round_id

    unpriced = LLMStrategy(load_settings(LLM_BASE_URL=stub_chat_server.base_url, LLM_MODEL="m"))
    stub_chat_server.script(reply.decisions(usage=(10, 5)))
    await unpriced.decide(ctx)
    assert unpriced.last_usage is not None and unpriced.last_usage.cost is None


@pytest.fixture
def priced_llm_env(
    llm_env: Path, stub_chat_server: StubChatServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for name, value in {
        "LLM_BASE_URL": stub_chat_server.base_url,
        "LLM_MODEL": "stub-model",
        "LLM_API_KEY": API_KEY,
        "LLM_TIMEOUT": "5",
        "LLM_PRICE_INPUT_PER_MTOK": "1.25",
        "LLM_PRICE_OUTPUT_PER_MTOK": "10.00",
        "SIM_CLOCK": "2024-07-03T01:00:00Z",
        "SIM_SEED": "7",
        "MIN_TRADE_SIZE": "10",
        "MAX_TOTAL_EXPOSURE": "1000000",
    }.items():
        monkeypatch.setenv(name, value)
    return llm_env


def test_run_stores_the_rounds_usage_with_its_entry_and_its_holds(
    trader: Any, priced_llm_env: Path, stub_chat_server: StubChatServer
) -> None:
    from tests.llm.conftest import decisions_reply

    stub_chat_server.script(
        decisions_reply(
            {"action": "enter", "symbol": "SOL/USD", "side": "buy", "risk_budget": "50",
             "stop": "150", "target": "160", "rationale": "uptrend"},
            {"action": "hold", "symbol": "ETH/USD", "rationale": "flat"},
            usage=(4000, 200),
        )
    )
    r = trader("run", *G, "--strategy", "llm", "--cycles", "1", "--json")
    assert r.code == 0, r.err
    (db,) = priced_llm_env.glob("*.sqlite")
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "select symbol, action, accepted, payload from decisions where strategy = 'llm'"
        ).fetchall()
    by_symbol = {symbol: (action, json.loads(payload)) for symbol, action, _, payload in rows}
    assert set(by_symbol) == {"SOL/USD", "ETH/USD", "BTC/USD"}  # BTC: no decision from it
    assert by_symbol["SOL/USD"][0] == "enter" and by_symbol["ETH/USD"][0] == "hold"
    usages = [payload["llm"] for _, payload in by_symbol.values()]
    assert len({u["round"] for u in usages}) == 1  # one round: its cost is counted once
    usage = usages[0]
    assert (usage["promptTokens"], usage["completionTokens"]) == (4000, 200)
    # 4000 * 1.25 / 1e6 + 200 * 10 / 1e6 = 0.007 USD
    assert Decimal(usage["cost"]["amount"]) == Decimal("0.007")
    assert usage["cost"]["currency"] == "USD"
    assert by_symbol["SOL/USD"][1]["side"] == "buy"  # the plan is still there beside it

    events = [json.loads(line) for line in (priced_llm_env / "telemetry.log").open()]
    decided = [e for e in events if e.get("event") == "decision"]
    assert decided and all(e["llm"]["round"] == usage["round"] for e in decided)

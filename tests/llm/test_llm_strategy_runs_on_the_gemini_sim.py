"""``trader run --venue gemini --sim --strategy llm``: the stub model is told it trades crypto on
Gemini, and its entry becomes a filled order on the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import StubChatServer, decisions_reply

G = ("--venue", "gemini", "--sim")


@pytest.fixture
def gemini_llm_env(
    llm_env: Path, stub_chat_server: StubChatServer, monkeypatch: pytest.MonkeyPatch
) -> StubChatServer:
    for name, value in {
        "LLM_BASE_URL": stub_chat_server.base_url,
        "LLM_MODEL": "stub-model",
        "LLM_API_KEY": "sk-test-gemini-0001",
        "LLM_TIMEOUT": "5",
        "SIM_CLOCK": "2024-07-03T01:00:00Z",
        "SIM_SEED": "7",
        "MIN_TRADE_SIZE": "10",
        "MAX_TOTAL_EXPOSURE": "1000000",  # the sim account holds 1 BTC before the bot starts
    }.items():
        monkeypatch.setenv(name, value)
    return stub_chat_server


def _events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_llm_run_on_gemini_is_told_crypto_rules_and_its_entry_fills(
    trader, gemini_llm_env: StubChatServer
) -> None:
    stub = gemini_llm_env
    stub.script(
        decisions_reply(
            {"action": "enter", "symbol": "SOL/USD", "side": "buy", "risk_budget": "50",
             "stop": "150", "target": "160", "rationale": "uptrend"},
            {"action": "hold", "symbol": "ETH/USD", "rationale": "flat"},
        ),
        decisions_reply({"action": "hold", "symbol": "ETH/USD", "rationale": "flat"}),
        decisions_reply({"action": "hold", "symbol": "BTC/USD", "rationale": "flat"}),
    )
    r = trader("run", *G, "--strategy", "llm", "--cycles", "3", "--json")
    assert r.code == 0, r.err
    events = _events(r.out)
    cycles = [e for e in events if e.get("event") == "cycle"]
    assert len(cycles) == 3 and all(c["errors"] == [] for c in cycles)
    (entry,) = [d for d in cycles[0]["decisions"] if d["symbol"] == "SOL/USD"]
    assert entry["action"] == "enter buy" and "(closed)" in entry["result"]
    (summary,) = [e for e in events if e.get("event") == "summary"]
    assert (summary["strategy"], summary["orders"], summary["fills"]) == ("llm", 1, 1)

    assert len(stub.requests) == 3  # one decision round per cycle, no scripted reply left over
    body = stub.requests[0]["body"]
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert "Gemini (crypto spot)" in system and "SIMULATED" in system
    assert "24/7" in system
    assert "amounts may be fractional" in system
    assert "no shorts" in system
    assert "Gemini takes no market orders" in system
    assert "Interactive Brokers" not in system and "ASX" not in system
    context = json.loads(user.split("\n", 1)[1])
    assert [u["symbol"] for u in context["universe"]] == ["BTC/USD", "ETH/USD", "SOL/USD"]
    assert {u["hours"] for u in context["universe"]} == {"open 24/7"}
    assert context["costs"] == {
        "crypto": "maker 0.2%, taker 0.4% of notional, in the quote currency"
    }
    # canonical symbols only: Gemini's own names never reach the prompt
    assert "btcusd" not in json.dumps(body).lower()
    # the next cycle's prompt shows the position the entry opened
    later = json.loads(stub.requests[1]["body"]["messages"][1]["content"].split("\n", 1)[1])
    assert "SOL/USD" in {p["symbol"] for p in later["positions"]}

    resync = trader("resync", *G, "--json")
    assert resync.code == 0, resync.err
    assert resync.json()["changes"] == 0, resync.out

"""``trader backtest --strategy llm --allow-llm``: the LLM strategy runs over bars through the
SDK against the stub server, one request a bar at most (without the flag it is refused: see
tests/backtest/test_backtest_bad_input_is_refused.py)."""

from __future__ import annotations

import json

from tests.backtest.conftest import write_bars
from tests.llm.conftest import API_KEY, content_reply


def test_the_llm_strategy_backtests_with_allow_llm(trader, tmp_path, llm_env, stub_chat_server,
                                                    monkeypatch):
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 30)
    stub_chat_server.replies = [content_reply('{"decisions": []}') for _ in range(40)]
    for name, value in (("LLM_BASE_URL", stub_chat_server.base_url), ("LLM_MODEL", "stub-model"),
                        ("LLM_API_KEY", API_KEY), ("LLM_TIMEOUT", "2"),
                        ("ALLOWED_SYMBOLS", "BHP/AUD")):
        monkeypatch.setenv(name, value)
    r = trader("backtest", "--bars", str(bars), "--strategy", "llm", "--allow-llm", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["bars"] == 30 and data["strategy"] == "llm"
    assert 1 <= len(stub_chat_server.requests) <= 30, "one request a bar at most"
    assert API_KEY not in r.out + r.err

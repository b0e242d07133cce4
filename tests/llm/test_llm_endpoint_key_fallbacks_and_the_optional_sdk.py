"""Where the LLM endpoint and key come from (``LLM_*`` first, then ``OPENAI_*``), that keys stay
secret everywhere, and that without the ``openai`` SDK ``--strategy llm`` exits 2 naming the
extra to install."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import StubChatServer
from trader_cli.config import load_settings
from trader_cli.redaction import redact
from trader_cli.strategies.base import StrategyContext
from trader_cli.strategies.llm import LLMStrategy

OPENAI_KEY = "sk-openai-fallback-7c1d2e3f4a5b"
LLM_KEY = "sk-llm-primary-0a9b8c7d6e5f"


async def test_openai_variables_are_the_fallback_for_endpoint_and_key(
    llm_env: Path,
    stub_chat_server: StubChatServer,
    reply: Any,
    ctx: StrategyContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", stub_chat_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("LLM_MODEL", "stub-model")
    stub_chat_server.script(reply.decisions(), reply.decisions())
    settings = load_settings()
    assert settings.llm_base_url == stub_chat_server.base_url
    await LLMStrategy(settings).decide(ctx)
    assert stub_chat_server.requests[0]["headers"]["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert settings.sources["OPENAI_API_KEY"] == "environment"
    assert OPENAI_KEY not in str(settings.public_dict())
    assert OPENAI_KEY not in redact(f"error: bad key {OPENAI_KEY}")  # registered as a secret

    # LLM_API_KEY and LLM_BASE_URL win over them
    monkeypatch.setenv("LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("LLM_BASE_URL", stub_chat_server.base_url)
    await LLMStrategy(load_settings()).decide(ctx)
    assert stub_chat_server.requests[1]["headers"]["Authorization"] == f"Bearer {LLM_KEY}"


def test_default_endpoint_is_openai_and_no_key_means_no_header(llm_env: Path) -> None:
    settings = load_settings(LLM_MODEL="gpt-5")
    assert settings.llm_base_url == "https://api.openai.com/v1"
    assert settings.llm_api_key is None


def test_config_shows_openai_variables_with_the_key_masked(
    trader: Any, llm_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1/")
    r = trader("config", "--json")
    assert r.code == 0, r.err
    assert OPENAI_KEY not in r.out + r.err
    assert "OPENAI_API_KEY" in r.out and "http://localhost:11434/v1" in r.out


def test_without_the_openai_sdk_strategy_llm_exits_2_naming_the_extra(
    trader: Any, llm_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai raises ImportError
    monkeypatch.setenv("LLM_MODEL", "stub-model")
    r = trader("run", "--venue", "sim", "--strategy", "llm", "--cycles", "1")
    assert r.code == 2, r.out + r.err
    assert "trader-cli[llm]" in r.err
    assert "Traceback" not in r.err

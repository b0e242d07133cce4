"""The LLM client retries 429 and 5xx a bounded number of times, honouring Retry-After, on an
injected sleep (no wall-clock waiting); every other 4xx is final at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import API_KEY, StubChatServer
from trader_cli.config import Settings, load_settings
from trader_cli.errors import RateLimitError, TemporaryError, VenueError
from trader_cli.strategies.base import Hold, StrategyContext
from trader_cli.strategies.llm import LLMStrategy
from trader_cli.strategies.llm_client import retry_after

HOLD = {"action": "hold", "symbol": "BHP/AUD", "rationale": "flat"}


class Sleeps:
    """Records the waits the client asks for instead of waiting them out."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def settings_for(stub: StubChatServer, **extra: Any) -> Settings:
    return load_settings(
        LLM_BASE_URL=stub.base_url, LLM_MODEL="stub-model", LLM_API_KEY=API_KEY,
        LLM_TIMEOUT=2, LLM_MAX_TOOL_CALLS=0, **extra,
    )


async def test_429_waits_the_servers_retry_after_then_succeeds(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(
        (429, {"error": {"message": "rate limited"}}, {"Retry-After": "7"}),
        reply.decisions(HOLD),
    )
    sleeps = Sleeps()
    decisions = await LLMStrategy(settings_for(stub_chat_server), sleep=sleeps).decide(ctx)
    assert sleeps.waits == [7.0]
    assert len(stub_chat_server.requests) == 2
    assert {str(d.symbol): d.reason for d in decisions if isinstance(d, Hold)}["BHP/AUD"] == "flat"


async def test_5xx_backs_off_exponentially_and_gives_up_after_the_bound(
    llm_env: Path, stub_chat_server: StubChatServer, ctx: StrategyContext
) -> None:
    stub_chat_server.script(*[(503, {"error": {"message": "overloaded"}})] * 5)
    sleeps = Sleeps()
    strategy = LLMStrategy(settings_for(stub_chat_server, LLM_MAX_RETRIES=2), sleep=sleeps)
    with pytest.raises(TemporaryError, match="HTTP 503"):
        await strategy.decide(ctx)
    assert sleeps.waits == [1.0, 2.0]
    assert len(stub_chat_server.requests) == 3  # the first try and two retries, no more


async def test_backoff_is_capped_and_a_longer_retry_after_ends_the_retries(
    llm_env: Path, stub_chat_server: StubChatServer, reply: Any, ctx: StrategyContext
) -> None:
    stub_chat_server.script(
        (502, "bad gateway"), (502, "bad gateway"), (502, "bad gateway"), reply.decisions(HOLD)
    )
    sleeps = Sleeps()
    capped = settings_for(stub_chat_server, LLM_MAX_RETRIES=3, LLM_RETRY_MAX_WAIT=1.5)
    await LLMStrategy(capped, sleep=sleeps).decide(ctx)
    assert sleeps.waits == [1.0, 1.5, 1.5]

    stub_chat_server.script((429, {"error": "quota"}, {"Retry-After": "120"}))
    sleeps = Sleeps()
    with pytest.raises(RateLimitError, match="HTTP 429"):
        await LLMStrategy(settings_for(stub_chat_server), sleep=sleeps).decide(ctx)
    assert sleeps.waits == []  # 120 s is over LLM_RETRY_MAX_WAIT: no waiting it out
    assert len(stub_chat_server.requests) == 5


@pytest.mark.parametrize(
    ("status", "hint"), [(401, "LLM_API_KEY"), (403, "LLM_API_KEY"), (404, "LLM_MODEL")]
)
async def test_other_4xx_are_final_at_once_with_a_clear_error(
    llm_env: Path, stub_chat_server: StubChatServer, ctx: StrategyContext, status: int, hint: str
) -> None:
    stub_chat_server.script((status, {"error": {"message": "no such model or key"}}))
    sleeps = Sleeps()
    with pytest.raises(VenueError) as info:
        await LLMStrategy(settings_for(stub_chat_server), sleep=sleeps).decide(ctx)
    assert info.value.code == status
    assert f"HTTP {status}" in info.value.message and hint in str(info.value)
    assert not isinstance(info.value, TemporaryError)  # the health circuit does not retry it
    assert sleeps.waits == [] and len(stub_chat_server.requests) == 1


def test_retry_after_reads_milliseconds_seconds_and_http_dates() -> None:
    now = datetime(2024, 7, 3, 2, 0, tzinfo=UTC)
    assert retry_after({"retry-after-ms": "250"}, now=now) == 0.25
    assert retry_after({"retry-after": "3"}, now=now) == 3.0
    date = format_datetime(now + timedelta(seconds=20), usegmt=True)
    assert retry_after({"retry-after": date}, now=now) == 20.0
    assert retry_after({"retry-after": "soon"}, now=now) is None
    assert retry_after({}, now=now) is None


def test_a_run_reports_a_refused_key_as_an_llm_failure_with_its_hint(
    trader: Any, llm_env: Path, stub_chat_server: StubChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    for name, value in {
        "LLM_BASE_URL": stub_chat_server.base_url,
        "LLM_MODEL": "stub-model",
        "LLM_API_KEY": API_KEY,
        "SIM_CLOCK": "2024-07-03T01:00:00Z",  # the ASX is open: the model is asked
    }.items():
        monkeypatch.setenv(name, value)
    stub_chat_server.script((401, {"error": {"message": "invalid api key"}}))
    r = trader("run", "--venue", "sim", "--strategy", "llm", "--cycles", "1", "--json")
    assert r.code == 0, r.err  # the loop goes on; the llm circuit counts the failure
    events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
    (cycle,) = [e for e in events if e.get("event") == "cycle"]
    (error,) = cycle["errors"]
    assert error.startswith("strategy llm: ") and "HTTP 401" in error
    assert "check LLM_API_KEY" in error
    assert API_KEY not in r.out + r.err
    assert len(stub_chat_server.requests) == 1  # final: not retried
    circuits = cycle["circuit"]["circuits"]
    assert circuits["llm"]["totalFailures"] == 1  # the model's failure, not the venue's
    assert circuits["venue_connection"]["totalFailures"] == 0

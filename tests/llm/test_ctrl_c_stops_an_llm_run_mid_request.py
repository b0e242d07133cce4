"""Ctrl-C while ``trader run --strategy llm`` waits for the model aborts the request and stops
the run by its normal path at once: no waiting out ``LLM_TIMEOUT``, no ``CancelledError``
traceback, the run's summary printed and exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.llm.conftest import API_KEY, StubChatServer

# far under the 60 s the request would otherwise take; the run's own stop path (a last resync
# with the sim, saving its world, disconnecting) is most of it
STOP_BOUND_SECONDS = 5.0


def test_sigint_during_a_stalled_llm_request_stops_the_run_cleanly(
    tmp_path: Path, stub_chat_server: StubChatServer
) -> None:
    stub_chat_server.script(("sleep", 120))  # the model never answers in time
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IB_", "SIM_", "TRADER_", "LLM_", "OPENAI_", "HEALTH_"))
    }
    env.update(
        TRADER_HOME=str(tmp_path / "home"),
        SIM_CLOCK="2024-07-03T01:00:00Z",  # 11:00 in Sydney: the ASX is open, entries asked for
        LLM_BASE_URL=stub_chat_server.base_url,
        LLM_MODEL="stub-model",
        LLM_API_KEY=API_KEY,
        LLM_TIMEOUT="60",
        LLM_MAX_TOOL_CALLS="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "run", "--venue", "sim", "--strategy", "llm",
         "--cycles", "3", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert stub_chat_server.stalled.wait(timeout=60), "the run never asked the model"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert elapsed < STOP_BOUND_SECONDS, f"stopped {elapsed:.1f}s after Ctrl-C"
    assert "Traceback" not in err and "CancelledError" not in err, err
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    cycle, summary = events[-2], events[-1]
    assert cycle["event"] == "cycle" and cycle["decisions"] == []  # nothing decided, nothing sent
    assert summary["event"] == "summary"
    assert summary["stopped"] == "on request" and summary["orders"] == 0
    assert len(stub_chat_server.requests) == 1  # not retried after the stop

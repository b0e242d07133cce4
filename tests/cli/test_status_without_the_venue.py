"""``trader status`` when the venue cannot be reached: the last recorded state, marked stale,
exit 0 — and exit 1 with ``--require-venue``. Also: a running bot is shown as running.

Real processes: a standalone SIMULATED gateway stands in for a paper Gateway; ``trader run
--venue ib`` trades on it, then the gateway is stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


class Gateway:
    def __init__(self, tmp_path: Path) -> None:
        home = tmp_path / "gateway"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", "0",
             "--clock", "2024-07-03T00:30:00Z", "--speed", "1", "--seed", "7"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**env, "TRADER_HOME": str(home)}, cwd=tmp_path,
        )
        assert self.proc.stdout is not None
        match = re.search(r":(\d+) - paper account", self.proc.stdout.readline())
        assert match
        self.port = match.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.communicate(timeout=20)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path)
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def env(tmp_path: Path, gateway: Gateway) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    prefixes = ("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_", "TELEMETRY_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    base.pop("DATABASE_URL", None)
    base.pop("ACTIVE_EXCHANGE", None)
    return {**base, "TRADER_HOME": str(home), "ACTIVE_EXCHANGE": "ib", "IB_PORT": gateway.port,
            "IB_CONNECT_TIMEOUT": "10"}


def trader(env: dict[str, str], *args: str, client_id: int = 1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env={**env, "IB_CLIENT_ID": str(client_id)}, capture_output=True, text=True,
        timeout=120, check=False,
    )


def test_status_reads_the_database_when_the_gateway_is_gone(
    env: dict[str, str], gateway: Gateway
) -> None:
    run = trader(env, "run", "--cycles", "3", "--interval", "1", "--json")
    assert run.returncode == 0, run.stderr
    live = trader(env, "status", "--json")
    assert live.returncode == 0, live.stderr
    before = json.loads(live.stdout)
    assert before["source"] == "venue" and before["badge"] == "PAPER"
    assert before["positions"], "the run left no position: the test would prove nothing"

    gateway.stop()
    r = trader(env, "status", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["stale"] is True
    assert data["source"] == "database"
    assert "cannot connect" in data["staleReason"]
    assert data["badge"] == "PAPER"
    assert data["account"] == before["account"]
    assert data["accountSummary"]["netLiquidation"]["currency"] == "AUD"
    assert data["dataAsOf"] is not None
    assert {p["symbol"]: p["quantity"] for p in data["positions"]} == {
        p["symbol"]: p["quantity"] for p in before["positions"]
    }
    assert len(data["plans"]) == len(before["plans"])
    assert data["bot"]["running"] is False

    table = trader(env, "status")
    assert table.returncode == 0
    assert "STALE: cannot connect" in table.stdout
    assert "[PAPER]" in table.stdout

    strict = trader(env, "status", "--require-venue", "--json")
    assert strict.returncode == 1
    error = json.loads(strict.stdout)["error"]
    assert error["type"] == "NotConnectedError"
    assert "--require-venue" in error["hint"]


def test_status_with_nothing_recorded_says_so(env: dict[str, str], gateway: Gateway) -> None:
    gateway.stop()
    r = trader(env, "status", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["stale"] is True
    assert data["accountSummary"] is None
    assert data["positions"] == []
    assert any("nothing recorded yet" in n for n in data["notes"])


def test_a_running_bot_is_shown_running(env: dict[str, str], gateway: Gateway) -> None:
    bot = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "run", "--interval", "1", "--json"],
        env={**env, "IB_CLIENT_ID": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert bot.stdout is not None
        for line in bot.stdout:  # wait for the first cycle: the bot holds its scope
            if json.loads(line).get("event") == "cycle":
                break
        r = trader(env, "status", "--json", client_id=2)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert data["source"] == "venue"
        assert data["bot"]["running"] is True
        assert f"pid {bot.pid}" in data["bot"]["holder"]
        # the bot's own client id is taken: status falls back to what the bot records
        same = trader(env, "status", "--json", client_id=1)
        assert same.returncode == 0, same.stderr
        shared = json.loads(same.stdout)
        assert shared["stale"] is True
        assert "client id 1" in shared["staleReason"]
        assert shared["bot"]["running"] is True
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.communicate(timeout=60)
    assert bot.returncode == 0

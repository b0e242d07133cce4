"""``place``, ``resync`` and ``flatten`` while a ``trader run`` trades the same account.

Real processes on one standalone SIMULATED gateway (pinned start, real speed), as docs/orders.md
describes: ``place`` and ``resync`` work beside the bot and leave its plans alone; ``flatten``
is refused (exit 2, naming the bot) because the bot's plan monitor would later exit positions
flatten already closed; once the bot has stopped, it runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest


@pytest.fixture
def gateway_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    gw_home = tmp_path / "gateway"
    gw_home.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    prefixes = ("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_", "TELEMETRY_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    base.pop("DATABASE_URL", None)
    gateway = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", "0",
         "--clock", "2024-07-03T00:30:00Z", "--speed", "1", "--seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**base, "TRADER_HOME": str(gw_home)}, cwd=tmp_path,
    )
    assert gateway.stdout is not None
    match = re.search(r":(\d+) - paper account", gateway.stdout.readline())
    assert match
    try:
        yield {**base, "TRADER_HOME": str(home), "ACTIVE_EXCHANGE": "ib",
               "IB_PORT": match.group(1), "IB_CONNECT_TIMEOUT": "10"}
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.communicate(timeout=20)


def trader(env: dict[str, str], client_id: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env={**env, "IB_CLIENT_ID": str(client_id)},
        capture_output=True, text=True, timeout=120, check=False,
    )


def next_cycle(stream: IO[str]) -> dict[str, object]:
    event: dict[str, object] = json.loads(stream.readline())
    assert event["event"] == "cycle", event
    return event


def rows(env: dict[str, str], sql: str) -> list[tuple]:
    with sqlite3.connect(Path(env["TRADER_HOME"]) / "trader-ib-paper.sqlite") as conn:
        return conn.execute(sql).fetchall()


def test_place_and_resync_work_beside_a_bot_and_flatten_waits_for_it(gateway_env) -> None:
    env = gateway_env
    bot = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "run", "--interval", "1s", "--json"],
        env={**env, "IB_CLIENT_ID": "21"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert bot.stdout is not None
        next_cycle(bot.stdout)  # the bot holds its scope's lock and trades

        placed = trader(env, 22, "place", "BHP/AUD", "buy", "20", "--limit", "30.00",
                        "--allow-far-limit", "--client-order-id", "trd-manual-1",
                        "--timeout", "1", "--json")
        assert placed.returncode == 0, placed.stderr
        result = json.loads(placed.stdout)
        assert result["resumed"] is False and result["order"]["status"] == "open"

        resync = trader(env, 23, "resync", "--json")
        assert resync.returncode in (0, 3), resync.stderr  # 3: a fill landed mid-pass

        flatten = trader(env, 24, "flatten", "--all")
        assert flatten.returncode == 2, flatten.stderr
        assert f"trader run pid {bot.pid}" in " ".join(flatten.stderr.split())

        for _ in range(3):  # the bot trades on, and never touches the manual order
            next_cycle(bot.stdout)
        assert bot.poll() is None
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err = bot.communicate(timeout=60)
    assert bot.returncode == 0, err

    # nothing of the bot's refers to the manual order, and it is still working
    plans = rows(env, "select entry_client_order_id, exit_client_order_id from plans")
    assert all("trd-manual-1" not in (entry, exit_) for entry, exit_ in plans)
    assert rows(env, "select status, reason, session_id is not null from orders "
                     "where client_order_id = 'trd-manual-1'") == [("open", "place", 1)]
    # the flatten refused beside the bot sent nothing and cancelled nothing
    assert rows(env, "select count(*) from orders where reason = 'flatten'") == [(0,)]

    flatten = trader(env, 24, "flatten", "--all", "--json")  # the bot is gone: it runs
    assert flatten.returncode in (0, 1), flatten.stderr  # 1: something left unfilled
    assert "flat" in json.loads(flatten.stdout)

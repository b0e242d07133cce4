"""``place``, ``resync`` and ``flatten`` while a ``trader run`` trades the same account.

Real processes on one standalone SIMULATED gateway (pinned start, real speed), as docs/orders.md
describes: ``place`` and ``resync`` work beside the bot and leave its plans alone; ``flatten``
takes turns with the bot (the account's send lock), closes the bot's plans on the symbols it
flattens, and the bot never exits (so never re-opens the other way) through them afterwards.
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


def test_place_resync_and_flatten_work_beside_a_bot(gateway_env) -> None:
    env = gateway_env
    bot = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "run", "--interval", "1s", "--json"],
        env={**env, "IB_CLIENT_ID": "21"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert bot.stdout is not None
        next_cycle(bot.stdout)  # the bot holds its scope's lock and trades
        for _ in range(10):  # until the bot holds a position through an open plan
            if rows(env, "select count(*) from plans p join orders o on "
                         "o.client_order_id = p.entry_client_order_id "
                         "where p.status = 'open' and o.filled > 0") != [(0,)]:
                break
            next_cycle(bot.stdout)
        else:
            pytest.fail("the bot opened no position to flatten")

        placed = trader(env, 22, "place", "BHP/AUD", "buy", "20", "--limit", "30.00",
                        "--allow-far-limit", "--client-order-id", "trd-manual-1",
                        "--timeout", "1", "--json")
        assert placed.returncode == 0, placed.stderr
        result = json.loads(placed.stdout)
        assert result["resumed"] is False and result["order"]["status"] == "open"
        plans = rows(env, "select entry_client_order_id, exit_client_order_id from plans")
        assert all("trd-manual-1" not in (entry, exit_) for entry, exit_ in plans)

        resync = trader(env, 23, "resync", "--json")
        assert resync.returncode in (0, 3), resync.stderr  # 3: a fill landed mid-pass

        flatten = trader(env, 24, "flatten", "--all", "--json")
        assert flatten.returncode in (0, 1), flatten.stdout + flatten.stderr  # 1: left unfilled
        report = json.loads(flatten.stdout)
        closed = report["plansClosed"]
        assert closed, report
        (last_order,) = rows(env, "select max(id) from orders")[0]

        for _ in range(3):  # the bot trades on, taking turns with flatten
            next_cycle(bot.stdout)
        assert bot.poll() is None
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err = bot.communicate(timeout=60)
    assert bot.returncode == 0, err

    # flatten closed the bot's plans first; the bot never exited through them afterwards (an
    # exit there would sell what flatten already sold: a new position the other way)
    marks = ",".join(str(int(p)) for p in closed)
    assert rows(env, f"select count(*) from plans where id in ({marks}) "
                     "and status != 'closed'") == [(0,)]
    later_exits = rows(env, f"select reason from orders where id > {last_order} "
                            "and reason like 'exit plan %'")
    assert not [r for (r,) in later_exits
                if any(r.startswith(f"exit plan {p}:") for p in closed)], later_exits
    assert rows(env, "select count(*) from decisions where strategy = 'flatten' "
                     "and reason = 'closed by trader flatten'") == [(len(closed),)]

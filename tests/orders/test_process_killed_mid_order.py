"""A ``trader place`` process SIGKILLed mid-order: restart + resync leaves exactly one order.

Everything is real: a standalone SIMULATED gateway process, ``trader place`` processes on the IB
venue against it, SQLite on disk. The kill comes from the test-only crash points of the order
service (``TRADER_TEST_CRASH_AT``): right after the intent is committed, and right after the
order was handed to the venue but before its acknowledgement is recorded.
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

import pytest


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    home = tmp_path / "home"
    home.mkdir()
    gw_home = tmp_path / "gateway"
    gw_home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
    gw_env = {**base, "TRADER_HOME": str(gw_home)}
    # Wednesday 3 July 2024, 11:00 Sydney, running at real speed: the ASX is open
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trader_cli",
            "sim-gateway",
            "--port",
            "0",
            "--clock",
            "2024-07-03T01:00:00Z",
            "--speed",
            "1",
            "--seed",
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=gw_env,
        cwd=tmp_path,
    )
    assert gateway.stdout is not None
    banner = gateway.stdout.readline()
    match = re.search(r":(\d+) - paper account", banner)
    assert match, banner
    env = {
        **base,
        "TRADER_HOME": str(home),
        "ACTIVE_EXCHANGE": "ib",
        "IB_PORT": match.group(1),
        "IB_CONNECT_TIMEOUT": "5",
    }
    try:
        yield env, gw_home
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.communicate(timeout=20)


def trader(
    env: dict[str, str], *args: str, crash: str | None = None
) -> subprocess.CompletedProcess[str]:
    run_env = dict(env)
    if crash:
        run_env["TRADER_TEST_CRASH_AT"] = crash
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def db(env: dict[str, str], sql: str) -> list[tuple]:
    with sqlite3.connect(Path(env["TRADER_HOME"]) / "trader-ib-paper.sqlite") as conn:
        return conn.execute(sql).fetchall()


def venue_refs(env: dict[str, str], ref: str) -> int:
    """How many orders with orderRef ``ref`` the venue holds, asked with a plain ib_async client."""
    probe = (
        "import asyncio, sys\n"
        "from ib_async import IB\n"
        "async def main():\n"
        "    ib = IB()\n"
        f"    await ib.connectAsync('127.0.0.1', {env['IB_PORT']}, clientId=77, timeout=5)\n"
        "    done = await ib.reqCompletedOrdersAsync(False)\n"
        "    open_ = await ib.reqAllOpenOrdersAsync()\n"
        f"    print(sum(1 for t in [*done, *open_] if t.order.orderRef == {ref!r}))\n"
        "    ib.disconnect()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


# a buy resting 30% under the market: --allow-far-limit lets it past the price band
PLACE = ("place", "BHP/AUD", "buy", "20", "--limit", "30.00", "--allow-far-limit", "--timeout", "1")


@pytest.mark.parametrize("crash", ["after-intent", "after-submit"])
def test_killed_process_then_restart_and_resync_gives_exactly_one_order(world, crash) -> None:
    env, _ = world
    cid = f"trd-kill-{crash}"
    killed = trader(env, *PLACE, "--client-order-id", cid, crash=crash)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    ((status, submitted),) = db(
        env, f"select status, submitted_at from orders where client_order_id = '{cid}'"
    )
    assert status == "pending"
    assert (submitted is None) == (crash == "after-intent")

    restarted = trader(env, *PLACE, "--client-order-id", cid, "--json")
    assert restarted.returncode == 0, restarted.stderr
    result = json.loads(restarted.stdout)
    assert result["resumed"] is True
    assert result["order"]["status"] == "open"

    resync = trader(env, "resync", "--json")
    assert resync.returncode == 0, resync.stderr
    assert venue_refs(env, cid) == 1
    rows = db(env, f"select status from orders where client_order_id = '{cid}'")
    assert rows == [("open",)]
    again = json.loads(trader(env, "resync", "--json").stdout)
    assert again["changes"] == 0


def venue_tifs(env: dict[str, str], ref: str) -> list[str]:
    """The time in force of each venue order with orderRef ``ref`` (plain ib_async)."""
    probe = (
        "import asyncio\n"
        "from ib_async import IB\n"
        "async def main():\n"
        "    ib = IB()\n"
        f"    await ib.connectAsync('127.0.0.1', {env['IB_PORT']}, clientId=78, timeout=5)\n"
        "    open_ = await ib.reqAllOpenOrdersAsync()\n"
        f"    print(','.join(t.order.tif for t in open_ if t.order.orderRef == {ref!r}))\n"
        "    ib.disconnect()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return [t for t in out.stdout.strip().splitlines()[-1].split(",") if t]


def test_an_intent_resumed_after_a_kill_goes_out_with_its_recorded_time_in_force(world) -> None:
    """The spec is kept whole with the intent: a GTC order killed before sending is sent GTC on
    the retry (before v6 it went out with the venue's default, DAY), whatever the retry says."""
    env, _ = world
    cid = "trd-kill-gtc"
    killed = trader(env, *PLACE, "--tif", "gtc", "--client-order-id", cid, crash="after-intent")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert db(env, f"select time_in_force from orders where client_order_id = '{cid}'") == [
        ("GTC",)
    ]
    restarted = trader(env, *PLACE, "--client-order-id", cid, "--json")
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout)["resumed"] is True
    assert venue_tifs(env, cid) == ["GTC"]

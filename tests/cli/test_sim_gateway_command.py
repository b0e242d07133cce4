"""``trader sim-gateway`` as a user runs it: its own process, the real ib_async client, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from ib_async import IB, LimitOrder, Stock


def _start(home: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "TRADER_HOME": str(home), "SIM_CLOCK": "2024-07-03T01:00:00Z"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=home,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)
    assert match, f"no banner: {banner!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    assert "SIMULATED" in banner
    return proc, int(match.group(1))


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return err


async def test_standalone_gateway_keeps_one_paper_world_across_restarts(clean_env: Path) -> None:
    home = clean_env
    home.mkdir(parents=True, exist_ok=True)
    proc, port = _start(home)
    try:
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=3, timeout=5)
        order = LimitOrder("BUY", 10, 10.00)  # far below the market: it rests
        order.orderRef = "trd-sim-1"
        ib.placeOrder(Stock("BHP", "SMART", "AUD", primaryExchange="ASX"), order)
        for _ in range(200):
            if ib.openTrades() and ib.openTrades()[0].orderStatus.status == "Submitted":
                break
            await asyncio.sleep(0.01)
        assert ib.accountValues()
        ib.disconnect()
    finally:
        err = _stop(proc)
    assert "paper world saved" in err
    world = json.loads((home / "sim" / "ib-world.json").read_text())
    assert "trd-sim-1" in json.dumps(world)

    proc, port = _start(home)
    try:
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=3, timeout=5)
        refs = [t.order.orderRef for t in await ib.reqAllOpenOrdersAsync()]
        assert refs == ["trd-sim-1"]
        ib.disconnect()
    finally:
        _stop(proc)


def test_port_in_use_is_a_clear_error(trader, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = trader("sim-gateway", "--port", str(port))
    assert r.code == 2
    assert f"127.0.0.1:{port}" in r.err
    assert "--port" in r.err


def test_bad_clock_is_a_clear_error(trader) -> None:
    r = trader("sim-gateway", "--port", "0", "--clock", "yesterday")
    assert r.code == 2
    assert "ISO-8601" in r.err

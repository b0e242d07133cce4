"""A bracket placed by another process stays at the sim after that process is killed: moving the
in-process gateway's market through the stop closes the position, and a later ``trader``
command, joining the same gateway, finds the account flat with nothing left working."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from trader_cli.sim import SimClock, SimGateway

CLOCK = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # Wednesday 11:00 in Sydney: the ASX is open
# a plain ib_async client: a GTC bracket around a marketable entry, then kill -9 of itself
CLIENT = """
import asyncio, json, os, signal, sys
from ib_async import IB, Stock

async def main():
    ib = IB()
    await ib.connectAsync("127.0.0.1", int(sys.argv[1]), clientId=7, timeout=5)
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    await ib.qualifyContractsAsync(bhp)
    ticker = ib.reqMktData(bhp)
    while not ticker.ask > 0:
        await asyncio.sleep(0.01)
    entry = ticker.ask
    orders = ib.bracketOrder("BUY", 100, entry, round(entry + 1, 2), round(entry - 1, 2), tif="GTC")
    parent, target, stop = (ib.placeOrder(bhp, o) for o in orders)
    while not (parent.orderStatus.status == "Filled" and target.orderStatus.status == "Submitted"
               and stop.orderStatus.whyHeld == "trigger"):
        await asyncio.sleep(0.01)
    print(json.dumps({"entry": entry, "target": target.order.orderId,
                      "stop": stop.order.orderId}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def _env(home: Path) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_"))
        and k not in ("ACTIVE_EXCHANGE", "DATABASE_URL", "ALLOWED_SYMBOLS")
    }
    return {**base, "TRADER_HOME": str(home), "SIM_CLOCK": CLOCK.isoformat()}


async def _status(home: Path) -> dict:
    """``trader status --venue sim --json`` beside the serving in-process gateway."""
    status = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "trader_cli", "status", "--venue", "sim", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(home),
    )  # fmt: skip
    out, err = await asyncio.wait_for(status.communicate(), 120)
    assert status.returncode == 0, err.decode()
    report: dict = json.loads(out)
    return report


async def test_a_killed_clients_bracket_still_closes_the_position_at_the_stop(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    state = home / "sim" / "ib-world.json"
    async with SimGateway.serve_world(state, seed=7, clock=SimClock.pinned(CLOCK)) as gw:
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLIENT, str(gw.port),
            stdout=asyncio.subprocess.PIPE, env=_env(home),
        )  # fmt: skip
        assert client.stdout is not None
        line = await asyncio.wait_for(client.stdout.readline(), 30)
        placed = json.loads(line)
        assert await asyncio.wait_for(client.wait(), 30) == -9  # killed, no goodbye

        bhp = gw.catalogue.by_local_symbol("BHP")
        assert bhp is not None
        assert gw.world.positions[bhp.con_id].quantity == 100
        before = await _status(home)
        assert [(p["symbol"], p["quantity"]) for p in before["positions"]] == [("BHP/AUD", "100")]

        await gw.move_market("BHP", f"{placed['entry'] - 1:.2f}")

        stop = gw.world.find_order(7, placed["stop"])
        target = gw.world.find_order(7, placed["target"])
        assert stop is not None and target is not None
        assert (stop.status, stop.filled) == ("Filled", 100)
        assert target.status == "Cancelled"
        assert gw.world.positions[bhp.con_id].quantity == 0

        # another command joins the gateway that holds the world and sees the account flat
        after = await _status(home)
        assert after["positions"] == []
    saved = json.loads(state.read_text())["world"]["orders"]
    assert sorted(o["status"] for o in saved.values()) == ["Cancelled", "Filled", "Filled"]

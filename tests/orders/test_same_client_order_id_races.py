"""Two ``trader place`` processes with the same client order id at once: one order, never two.

Everything is real: a standalone SIMULATED gateway process (pinned start, real speed), pairs of
``trader place --venue ib`` processes started together against it, SQLite on disk. The test-only
pause point ``TRADER_TEST_PAUSE_AT=after-intent:<s>`` holds whichever process wrote the intent
between writing it and sending it, so the other one always arrives inside that window: without
the per-order lock the second process sends the order again (every pair, not now and then).
The venue's own books, read with a plain ib_async client, are the truth checked.
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

from trader_cli.services.crash_points import PAUSE_ENV

PAIRS = 10
PLACE = ("place", "BHP/AUD", "buy", "20", "--limit", "30.00", "--allow-far-limit", "--timeout", "1",
         "--json")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    gw_home = tmp_path / "gateway"
    gw_home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
    # Wednesday 3 July 2024, 11:00 Sydney, running at real speed: the ASX is open
    gateway = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", "0",
         "--clock", "2024-07-03T01:00:00Z", "--speed", "1", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, "TRADER_HOME": str(gw_home)},
        cwd=tmp_path,
    )
    assert gateway.stdout is not None
    banner = gateway.stdout.readline()
    match = re.search(r":(\d+) - paper account", banner)
    assert match, banner
    try:
        yield {
            **base,
            "TRADER_HOME": str(home),
            "ACTIVE_EXCHANGE": "ib",
            "IB_PORT": match.group(1),
            "IB_CONNECT_TIMEOUT": "10",
            "MAX_TOTAL_EXPOSURE": "1000000",
        }
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.communicate(timeout=20)


def venue_order_counts(env: dict[str, str], refs: list[str]) -> dict[str, int]:
    """Orders per orderRef at the venue (open and completed), asked with a plain ib_async client."""
    probe = (
        "import asyncio, collections, json\n"
        "from ib_async import IB\n"
        "async def main():\n"
        "    ib = IB()\n"
        f"    await ib.connectAsync('127.0.0.1', {env['IB_PORT']}, clientId=78, timeout=10)\n"
        "    done = await ib.reqCompletedOrdersAsync(False)\n"
        "    open_ = await ib.reqAllOpenOrdersAsync()\n"
        "    print(json.dumps(collections.Counter(t.order.orderRef for t in [*done, *open_])))\n"
        "    ib.disconnect()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    return {ref: counts.get(ref, 0) for ref in refs}


def race(env: dict[str, str], cid: str) -> list[subprocess.CompletedProcess[str]]:
    """Start two ``trader place`` with ``cid`` together (distinct IB client ids, as IB needs)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "trader_cli", *PLACE, "--client-order-id", cid],
            env={**env, "IB_CLIENT_ID": str(client_id)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for client_id in (11, 12)
    ]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def refused_by_preview(result: subprocess.CompletedProcess[str]) -> bool:
    """A process whose preview saw a one-sided first quote (exit 3) never reached the order
    service: that pair says nothing about the race and is run again with a new id."""
    return result.returncode == 3 and "the book is empty" in result.stdout


def test_same_client_order_id_from_two_processes_at_once_is_sent_once(world) -> None:
    env = {**world, PAUSE_ENV: "after-intent:1.5"}
    raced: dict[str, list[subprocess.CompletedProcess[str]]] = {}
    tried: list[str] = []
    while len(raced) < PAIRS and len(tried) < 2 * PAIRS:
        cid = f"trd-race-{len(tried)}"
        tried.append(cid)
        results = race(env, cid)
        if not any(refused_by_preview(r) for r in results):
            raced[cid] = results
    assert len(raced) == PAIRS, "too many pairs refused by their preview"

    # the venue's truth first: exactly one order per client order id (never two)
    counts = venue_order_counts(env, tried)
    twice = sorted(cid for cid in raced if counts[cid] > 1)
    assert not twice, f"{len(twice)} of {len(raced)} pairs sent their order twice: {counts}"
    assert {cid: counts[cid] for cid in raced} == {cid: 1 for cid in raced}
    assert all(n <= 1 for n in counts.values()), counts
    for cid, (first, second) in raced.items():
        assert first.returncode == 0, first.stderr
        assert second.returncode == 0, second.stderr
        results = [json.loads(first.stdout), json.loads(second.stdout)]
        # one process created and sent it; the other waited and reported the same order
        assert sorted(r["resumed"] for r in results) == [False, True], (cid, results)
        assert {r["order"]["clientOrderId"] for r in results} == {cid}
        assert None not in {r["order"]["id"] for r in results}
        assert len({r["order"]["id"] for r in results}) == 1, results
    with sqlite3.connect(Path(env["TRADER_HOME"]) / "trader-ib-paper.sqlite") as conn:
        rows = conn.execute(
            "select client_order_id, count(*) from orders group by client_order_id"
        ).fetchall()
    assert all(n == 1 for _, n in rows), rows
    assert set(raced) <= {cid for cid, _ in rows}

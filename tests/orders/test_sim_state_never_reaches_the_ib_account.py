"""The simulator's state never reaches an IB account, and a cron resync on the sim never touches
IB orders: every read is scoped to its venue, backend, mode and account.

Real processes throughout: ``trader run --venue sim`` leaves plans open, then ``trader`` commands
on the IB venue against a standalone SIMULATED gateway (a stand-in for a paper Gateway: it reports
a DU paper account). Venue truth comes from a plain ib_async client. Each case runs with the
default database layout (one SQLite file per venue and mode) and with one shared database
(``DATABASE_URL``), where only the scope columns keep the two apart.
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
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

SIM_CLOCK = "2024-07-03T00:30:00Z"  # 10:30 Sydney: the ASX is open
GATEWAY_CLOCK = "2024-07-03T01:00:00Z"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    """A standalone SIMULATED gateway (its own home); yields its port."""
    gw_home = tmp_path / "gateway"
    gw_home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "SIM_", "TRADER_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", "0",
         "--clock", GATEWAY_CLOCK, "--speed", "1", "--seed", "11"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**env, "TRADER_HOME": str(gw_home)}, cwd=tmp_path,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    match = re.search(r":(\d+) - paper account", banner)
    assert match, banner
    try:
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


@pytest.fixture(params=["file-per-venue-and-mode", "one-shared-database"])
def envs(request: pytest.FixtureRequest, tmp_path: Path, gateway: str) -> tuple[dict, dict, Path]:
    """(sim env, IB env, path of the database the IB commands use)."""
    home = tmp_path / "home"
    home.mkdir()
    base = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("IB_", "SIM_", "TRADER_", "DATABASE_URL", "ACTIVE_EXCHANGE"))
    }
    base["TRADER_HOME"] = str(home)
    ib_db = home / "trader-ib-paper.sqlite"
    if request.param == "one-shared-database":
        ib_db = tmp_path / "shared.sqlite"
        base["DATABASE_URL"] = f"sqlite:///{ib_db}"
    sim = {**base, "SIM_CLOCK": SIM_CLOCK}  # nothing configured: the default sim
    ib = {**base, "ACTIVE_EXCHANGE": "ib", "IB_PORT": gateway, "IB_CONNECT_TIMEOUT": "5"}
    return sim, ib, ib_db


def trader(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def venue_orders(port: str) -> list[tuple[str, str]]:
    """(orderRef, status) of every order the gateway holds, asked with a plain ib_async client."""
    probe = (
        "import asyncio, json\n"
        "from ib_async import IB\n"
        "async def main():\n"
        "    ib = IB()\n"
        f"    await ib.connectAsync('127.0.0.1', {port}, clientId=78, timeout=5)\n"
        "    done = await ib.reqCompletedOrdersAsync(False)\n"
        "    open_ = await ib.reqAllOpenOrdersAsync()\n"
        "    print(json.dumps([[t.order.orderRef, t.orderStatus.status]"
        " for t in [*done, *open_]]))\n"
        "    ib.disconnect()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return [tuple(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def sim_db(sim_env: dict[str, str]) -> Path:
    url = sim_env.get("DATABASE_URL")
    return Path(url[len("sqlite:///"):]) if url else Path(sim_env["TRADER_HOME"]) / (
        "trader-ib-sim.sqlite"
    )


SIM_SCOPE_PLANS = (
    "SELECT p.id, p.symbol, p.exit_client_order_id FROM plans p JOIN scopes s "
    "ON s.id = p.scope_id WHERE s.backend = 'sim' AND p.status = 'open' ORDER BY p.id"
)


def test_a_bot_on_the_ib_account_never_acts_on_the_sims_plans(envs, gateway) -> None:
    sim_env, ib_env, ib_db = envs
    done = trader(sim_env, "run", "--venue", "sim", "--cycles", "6", "--interval", "5m")
    assert done.returncode == 0, done.stderr
    sim_plans = rows(sim_db(sim_env), SIM_SCOPE_PLANS)
    assert sim_plans, "the sim run should leave plans open for this test to mean anything"

    ran = trader(ib_env, "run", "--cycles", "2", "--interval", "1s")
    assert ran.returncode == 0, ran.stderr

    # the sim's plans are exactly as the sim left them
    assert rows(sim_db(sim_env), SIM_SCOPE_PLANS) == sim_plans
    # venue truth: every order at the IB account is an entry of a plan of the IB scope
    ib_orders = {
        cid: (reason, backend)
        for cid, reason, backend in rows(
            ib_db,
            "SELECT o.client_order_id, o.reason, s.backend FROM orders o "
            "JOIN scopes s ON s.id = o.scope_id",
        )
    }
    for ref, _status in venue_orders(gateway):
        assert ref in ib_orders, f"order {ref} at the IB account is not in the IB scope"
        reason, backend = ib_orders[ref]
        assert backend == "api"
        assert not any((reason or "").startswith(f"exit plan {pid}") for pid, *_ in sim_plans)


def _resting_buy_limit(ib_env: dict[str, str]) -> str:
    quote = trader(ib_env, "quote", "BHP/AUD", "--json")
    assert quote.returncode == 0, quote.stderr
    bid = Decimal(json.loads(quote.stdout)["quotes"][0]["bid"])
    return str((bid * Decimal("0.98")).quantize(Decimal("0.01"), rounding=ROUND_FLOOR))


def test_a_cron_resync_on_the_sim_never_touches_a_working_ib_order(envs, gateway) -> None:
    sim_env, ib_env, ib_db = envs
    placed = trader(ib_env, "place", "BHP/AUD", "buy", "20", "--limit",
                    _resting_buy_limit(ib_env), "--client-order-id", "trd-rest-1",
                    "--timeout", "1", "--json")
    assert placed.returncode == 0, placed.stdout + placed.stderr
    assert rows(ib_db, "SELECT status FROM orders WHERE client_order_id = 'trd-rest-1'") == [
        ("open",)
    ]

    # cron with no .env: the default sim, an hour of sim time later
    cron = {**sim_env, "SIM_CLOCK": "2024-07-03T03:00:00Z"}
    first = trader(cron, "resync", "--json")
    assert first.returncode in (0, 3), first.stderr
    assert rows(ib_db, "SELECT status, last_error FROM orders "
                       "WHERE client_order_id = 'trd-rest-1'") == [("open", None)]

    again = trader(ib_env, "resync", "--json")
    assert again.returncode in (0, 3), again.stderr
    assert rows(ib_db, "SELECT status FROM orders WHERE client_order_id = 'trd-rest-1'") == [
        ("open",)
    ]
    assert ("trd-rest-1", "Submitted") in venue_orders(gateway) or (
        "trd-rest-1", "PreSubmitted") in venue_orders(gateway)

"""A plan's stop and target held by IB protect the position when ``trader run`` is gone.

Real parts: ``trader run --venue ib --strategy llm`` in its own process (its model a local stub
that enters once), against a SIMULATED gateway this test owns in-process (pinned clock), so the
test can move the market. After the entry fills the bot is killed with SIGKILL; a plain ib_async
client sees the stop and target in one OCA group; a restarted bot adopts them and sends nothing;
then the market falls through the stop and the position is closed with no process of ours
running.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ib_async import IB, Stock

from tests.llm.conftest import StubChatServer, decisions_reply
from trader_cli.sim import SimClock, SimGateway

ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # Wednesday 11:00 Sydney
CENT = Decimal("0.01")
QTY = 100
WAIT = 60.0  # seconds a bot process may take to start and trade (bounded waits, never sleeps)


async def until(condition: Callable[[], Any], limit: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met before timeout")
        await asyncio.sleep(0.05)


@pytest.fixture
async def gw() -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gateway:
        yield gateway


@pytest.fixture
async def observer(gw: SimGateway) -> AsyncIterator[IB]:
    """A plain ib_async client with its own client id: the venue as anyone else sees it."""
    client = IB()
    client.RequestTimeout = 5.0
    await client.connectAsync("127.0.0.1", gw.port, clientId=9, timeout=5.0)
    try:
        yield client
    finally:
        client.disconnect()


@pytest.fixture
def stub() -> Iterator[StubChatServer]:
    server = StubChatServer().start()
    yield server
    server.stop()


def bot_env(tmp_path: Path, gw: SimGateway, stub: StubChatServer) -> dict[str, str]:
    prefixes = ("IB_", "SIM_", "TRADER_", "GEMINI_", "LLM_", "HEALTH_", "TELEMETRY_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    for name in ("DATABASE_URL", "PROTECTION", "ALLOWED_SYMBOLS", "MIN_TRADE_SIZE"):
        base.pop(name, None)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        **base, "TRADER_HOME": str(home), "ACTIVE_EXCHANGE": "ib", "IB_PORT": str(gw.port),
        "IB_CLIENT_ID": "31", "IB_CONNECT_TIMEOUT": "10", "LLM_BASE_URL": stub.base_url,
        "LLM_MODEL": "stub-model", "LLM_API_KEY": "sk-test-brackets-0001", "LLM_TIMEOUT": "5",
        "ALLOWED_SYMBOLS": "BHP/AUD",
    }


async def start_bot(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "trader_cli", "run", "--strategy", "llm", "--json", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def ours_at_venue(observer: IB) -> dict[str, Any]:
    trades = await observer.reqAllOpenOrdersAsync()
    return {t.order.orderRef: t.order for t in trades if not t.isDone() and t.order.orderRef}


async def bhp_position(observer: IB) -> float:
    return sum(p.position for p in await observer.reqPositionsAsync()
               if p.contract.symbol == "BHP")


def hold() -> dict[str, Any]:
    return decisions_reply({"action": "hold", "symbol": "BHP/AUD", "rationale": "wait"})


async def test_killed_bot_leaves_a_stop_at_ib_that_closes_the_position(
    tmp_path: Path, gw: SimGateway, observer: IB, stub: StubChatServer
) -> None:
    (details,) = await observer.reqContractDetailsAsync(
        Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    )
    bhp = details.contract
    ticker = observer.reqMktData(bhp)
    await until(lambda: _ready(ticker))
    ask, bid = Decimal(str(ticker.ask)).quantize(CENT), Decimal(str(ticker.bid)).quantize(CENT)
    stop, target = bid - 1, ask + 1
    stub.script(
        decisions_reply({"action": "enter", "symbol": "BHP/AUD", "side": "buy",
                         "size": str(QTY), "entry": str(ask), "stop": str(stop),
                         "target": str(target), "rationale": "test entry"}),
        *[hold() for _ in range(200)],
    )
    env = bot_env(tmp_path, gw, stub)

    bot = await start_bot(env, "--interval", "1s")
    try:
        async def entered_and_protected() -> bool:
            refs = await ours_at_venue(observer)
            return await bhp_position(observer) == QTY and len(refs) == 2
        await until(entered_and_protected)
    finally:
        bot.send_signal(signal.SIGKILL)  # no cleanup, no cancel on exit
        await bot.wait()
    assert bot.returncode == -signal.SIGKILL

    # the venue holds the stop and target: one OCA group, our client order ids, the entry's
    # children; a plain client of its own sees them
    held = await ours_at_venue(observer)
    (stem,) = {ref.rsplit("-", 1)[0] for ref in held}
    stop_order, target_order = held[f"{stem}-S"], held[f"{stem}-T"]
    assert (stop_order.orderType, Decimal(str(stop_order.auxPrice))) == ("STP", stop)
    assert (target_order.orderType, Decimal(str(target_order.lmtPrice))) == ("LMT", target)
    assert stop_order.ocaGroup == target_order.ocaGroup != ""
    assert stop_order.parentId == target_order.parentId != 0
    assert stop_order.totalQuantity == target_order.totalQuantity == QTY

    # a restarted bot adopts what is there and sends nothing twice
    before = {ref: o.permId for ref, o in held.items()}
    again = await start_bot(env, "--cycles", "2", "--interval", "1s")
    out, err = await asyncio.wait_for(again.communicate(), WAIT)
    assert again.returncode == 0, err.decode()
    cycles = [json.loads(line) for line in out.decode().splitlines() if '"cycle"' in line]
    assert len(cycles) == 2 and all(c["errors"] == [] for c in cycles), cycles
    assert {ref: o.permId for ref, o in (await ours_at_venue(observer)).items()} == before
    assert await bhp_position(observer) == QTY

    # nothing of ours runs now; the market falls through the stop
    await gw.move_market("BHP", stop - CENT)
    await until(lambda: _flat(observer))
    assert await ours_at_venue(observer) == {}  # the target went with its OCA group


async def _ready(ticker: Any) -> bool:
    return bool(ticker.bid and ticker.bid > 0 and ticker.ask and ticker.ask > 0)


async def _flat(observer: IB) -> bool:
    return await bhp_position(observer) == 0

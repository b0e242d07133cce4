"""The SIMULATED Gemini answers ccxt's recorded public requests in the recorded reply shapes.

The recordings live outside the repository (``/work/shared/data/ccxt-gemini-static``); without
them the test skips. Symbols the sim does not carry (BTC/USDT) are asked for as BTC/USD.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.gemini_rest import GeminiSimServer
from trader_cli.sim.gemini_rest.wire import Request

RECORDED = Path("/work/shared/data/ccxt-gemini-static")
WHEN = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)
# recorded market id -> the sim's market id
SIM_IDS = {"btcusdt": "btcusd"}
TIMEFRAMES = {"1h": "1hr", "1d": "1day", "6h": "6hr"}

pytestmark = pytest.mark.skipif(not RECORDED.exists(), reason="no recorded ccxt Gemini data")


def shape(value: Any, currencies: dict[str, str]) -> Any:
    """Keys and JSON types, currency-named keys replaced by their role."""
    if isinstance(value, dict):
        return {currencies.get(k, k): shape(v, currencies) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], currencies)] if value else []
    return "number" if isinstance(value, int | float) else type(value).__name__


def _get(sim: GeminiSimServer, path: str) -> Any:
    reply = sim.handle(Request("GET", path, {}, {}, b"", True))
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(body)


def _cases() -> list[tuple[str, str, Any]]:
    requests = json.loads((RECORDED / "request" / "gemini.json").read_text())["methods"]
    responses = json.loads((RECORDED / "response" / "gemini.json").read_text())["methods"]
    out = []
    for method, recorded in responses.items():
        urls = [urlsplit(r["url"]).path for r in requests.get(method, [])]
        for case in recorded:
            if case["input"][:1] != ["BTC/USDT"]:
                continue  # a market the sim does not carry, even renamed
            for path in urls:
                market = path.split("/")[3]
                if market not in SIM_IDS:
                    continue
                sim_path = path.replace(market, SIM_IDS[market])
                if method == "fetchOHLCV":
                    frame = TIMEFRAMES.get(case["input"][1], case["input"][1])
                    sim_path = sim_path.rsplit("/", 1)[0] + "/" + frame
                out.append((case["description"], sim_path, case["httpResponse"]))
    return out


@pytest.mark.parametrize(("description", "path", "recorded"), _cases() if RECORDED.exists() else [])
async def test_reply_has_the_recorded_shape(description: str, path: str, recorded: Any) -> None:
    roles = {"BTC": "<base>", "USDT": "<quote>", "USD": "<quote>"}
    async with GeminiSimServer.start(clock=SimClock.pinned(WHEN)) as sim:
        reply = _get(sim, path)
    assert shape(reply, roles) == shape(recorded, roles), description

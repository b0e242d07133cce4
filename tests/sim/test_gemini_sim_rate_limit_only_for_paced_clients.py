"""The SIMULATED Gemini's request limit: only where the clients pace themselves.

Our own adapter on the sim runs ccxt with its rate limiter off (it paces in wall-clock time,
which a sim on its own clock does not need). So the in-process simulator that `--sim` starts
(and a `trader run` serves to the commands beside it) must not answer 429 to our own unpaced
requests: a `trader run --venue gemini --sim --interval 1s` otherwise rate-limits itself after
a few cycles and its circuit stays open for good. The standalone server keeps Gemini's limit
for the plain ccxt clients that join it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import ccxt.async_support as ccxt
import pytest

from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.gemini_rest import GeminiSimServer
from trader_cli.sim.gemini_rest.server import PUBLIC_PER_MINUTE
from trader_cli.venues.gemini.sim import gemini_sim_trader

WHEN = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)
BTC = parse_symbol("BTC/USD")


async def test_our_sim_answers_more_than_a_minutes_worth_of_public_requests(clean_env) -> None:
    settings = load_settings(BASE_CURRENCY="USD")
    async with gemini_sim_trader(settings, clock=SimClock.pinned(WHEN), state_path=None) as gem:
        # a quote is two public requests (book and ticker): well past Gemini's 120 a minute
        for _ in range(PUBLIC_PER_MINUTE):
            quote = await gem.get_market_data(BTC)
        assert quote.bid is not None and quote.ask is not None


async def test_the_standalone_sim_still_limits_plain_clients() -> None:
    async with GeminiSimServer.start(clock=SimClock.pinned(WHEN), seed=3) as sim:
        client = ccxt.gemini({**sim.ccxt_config(), "enableRateLimit": False})
        try:
            for _ in range(PUBLIC_PER_MINUTE):  # a minute's worth is answered
                await client.publicGetV1PubtickerSymbol({"symbol": "btcusd"})
            with pytest.raises(ccxt.RateLimitExceeded):
                await client.publicGetV1PubtickerSymbol({"symbol": "btcusd"})
        finally:
            await client.close()

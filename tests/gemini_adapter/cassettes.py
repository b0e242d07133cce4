"""vcrpy cassettes of the Gemini adapter's HTTP conversation (recorded against the simulator).

One short fixed scenario (:func:`run_scenario`) is recorded once against the SIMULATED Gemini
(seed 0, clock pinned at :data:`WHEN`, a fixed key pair) and committed under
``fixtures/gemini/cassettes/``. The suite replays it with ``record_mode="none"`` and no simulator.

Filtering and matching are the product's (:mod:`trader_cli.replay.gemini_cassette`, the same
that ``trader record-fixtures --venue gemini`` records with): no Gemini auth headers, the decoded
payload minus its ``nonce`` as the body, key and secret scrubbed, a fixed base URL; matched on
method + path + query + payload without its nonce.
Re-record with ``python -m tests.gemini_adapter.record_cassettes``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.replay import gemini_cassette
from trader_cli.replay.gemini_cassette import CASSETTE_URL

if TYPE_CHECKING:
    import vcr

ROOT = Path(__file__).resolve().parents[2]
CASSETTE_DIR = ROOT / "fixtures" / "gemini" / "cassettes"
SCENARIO_CASSETTE = CASSETTE_DIR / "adapter_scenario.yaml"

WHEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)  # the simulator's pinned clock while recording
SEED = 0
#: the key pair the recording simulator accepts; the replaying adapter signs with it too
#: (the signature is never recorded). Neither string may appear in a cassette.
API_KEY = "account-cassette-recorder-key"
API_SECRET = "cassette-recorder-secret-0123456789"  # a simulator key pair
SECRETS = (API_KEY, API_SECRET)

REST_CID = "trd-cassette-rest-1"
FILL_CID = "trd-cassette-fill-1"
AMOUNT = Decimal("0.01")


def make_vcr(record_mode: str = "none") -> vcr.VCR:
    """The product's Gemini VCR (filters and matcher), scrubbing the recorder's key pair."""
    return gemini_cassette.make_vcr(record_mode, SECRETS)


# -- the scenario ----------------------------------------------------------------------------
@dataclass
class ScenarioResult:
    """What the scenario saw (compared in the replay test)."""

    quote: Any
    bars: list[Any]
    rested: Any
    open_orders: list[Any]
    cancelled: Any
    filled: Any
    trades: list[Any]
    summary: Any


def settings() -> Any:
    """Settings for the scenario (USD base: no FX; the recorder's key pair)."""
    from trader_cli.config import load_settings

    return load_settings(
        GEMINI_API_KEY=API_KEY, GEMINI_API_SECRET=API_SECRET, BASE_CURRENCY="USD",
        CLIENT_ORDER_PREFIX="trd", ALLOWED_SYMBOLS="BTC/USD", GEMINI_SANDBOX="false",
    )  # fmt: skip


def make_trader(url: str, clock: Any) -> Any:
    """A GeminiTrader (ccxt client, rate limiter off) on ``url``."""
    from trader_cli.venues.gemini.sim import GeminiSimTrader

    trader = GeminiSimTrader(settings(), url=url, clock=clock)
    trader.exchange.enableRateLimit = False
    return trader


async def run_scenario(trader: Any) -> ScenarioResult:
    """Markets, quote, 1h bars, a resting limit, open orders, cancel, a fill, trades, balances."""
    from trader_cli.domain.models import Side
    from trader_cli.domain.orders import OrderSpec
    from trader_cli.domain.symbols import parse_symbol
    from trader_cli.domain.timeframes import parse_timeframe
    from trader_cli.venues.base import OrderRequest

    btc = parse_symbol("BTC/USD")
    await trader.connect()
    inst = await trader.resolve(btc)
    quote = await trader.get_market_data(btc)
    bars = await trader.fetch_ohlcv(btc, parse_timeframe("1h"), 24)
    tick = inst.min_tick or Decimal("0.01")
    below = (quote.bid * Decimal("0.9")).quantize(tick)
    rested = await trader.place_order(
        OrderRequest(REST_CID, btc, Side.BUY, AMOUNT, OrderSpec.limit(below))
    )
    open_orders = await trader.get_open_orders()
    cancelled = await trader.cancel_order(REST_CID)
    above = (quote.ask * Decimal("1.01")).quantize(tick)
    filled = await trader.place_order(
        OrderRequest(FILL_CID, btc, Side.BUY, AMOUNT, OrderSpec.marketable_limit(above))
    )
    trades = await trader.get_my_trades(btc)
    summary = await trader.get_account_summary()
    return ScenarioResult(quote, bars, rested, open_orders, cancelled, filled, trades, summary)


async def replay(
    scenario: Callable[[Any], Awaitable[Any]] = run_scenario,
    cassette: Path = SCENARIO_CASSETTE,
) -> Any:
    """Run ``scenario`` on the cassette (``record_mode="none"``), no simulator."""
    from trader_cli.sim import SimClock

    trader = make_trader(CASSETTE_URL, SimClock.pinned(WHEN))
    try:
        with make_vcr("none").use_cassette(str(cassette)):
            return await scenario(trader)
    finally:
        await trader.close()


async def record(cassette: Path = SCENARIO_CASSETTE) -> ScenarioResult:
    """Record the scenario's cassette against a fresh simulator (seed 0, clock pinned).

    ``cassette`` must not exist yet (``record_mode="once"`` would replay it): see
    :mod:`tests.gemini_adapter.record_cassettes`, which removes the old one first.
    """
    from trader_cli.sim import SimClock
    from trader_cli.sim.gemini_rest import GeminiSimServer
    from trader_cli.venues.gemini.sim import GeminiSimTime

    async with GeminiSimServer.start(
        clock=SimClock.pinned(WHEN), seed=SEED, state_path=None,
        api_key=API_KEY, api_secret=API_SECRET,
    ) as sim:  # fmt: skip
        trader = make_trader(sim.base_url, GeminiSimTime(sim))
        try:
            with make_vcr("once").use_cassette(str(cassette)):
                return await run_scenario(trader)
        finally:
            await trader.close()

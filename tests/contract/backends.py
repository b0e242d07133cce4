"""The venue backends the contract suite runs against, each behind one small harness.

A harness hands the suite a connected :class:`BaseTrader` plus the few controls a test needs
that the contract itself does not offer: the backend's clock, an order from another client,
and a link that dies mid-call. Adding a backend is one :class:`Backend` entry in ``BACKENDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, cast

import pytest

from trader_cli.config import load_settings
from trader_cli.config_fields import SecretStr
from trader_cli.domain.models import Side
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.venues.base import BaseTrader


class Harness(Protocol):
    """One connected backend, as the contract tests see it."""

    trader: BaseTrader
    base_currency: str
    prefix: str  # the client order id prefix the adapter calls "ours"
    symbol: Symbol  # liquid, open for trading, quoted in the base currency
    other_symbol: Symbol  # a second one like it
    unit: Decimal  # the contract tests' order amounts are multiples of this (1 share, 0.01 BTC)
    priced_currency: str  # a currency whose value in the base currency needs the venue

    def now(self) -> datetime:
        """The backend's time."""
        ...

    async def advance(self, seconds: float) -> None:
        """Move the backend's clock ``seconds`` forward (orders match, ticks move)."""
        ...

    async def place_outside(
        self, symbol: Symbol, side: Side, amount: Decimal, price: Decimal, client_order_id: str
    ) -> None:
        """Place a resting limit order as another client would (not through the adapter)."""
        ...

    def drop_link_during(self, method: str) -> None:
        """Make the link die while the adapter's next ``method`` call waits on the venue."""
        ...

    async def drop_link_now(self) -> None:
        """Kill the link at once (as a Gateway or network dying would)."""
        ...


@dataclass(frozen=True)
class Backend:
    """A venue backend under contract: how to open a harness on it."""

    name: str
    open: Callable[[str], contextlib.AbstractAsyncContextManager[Harness]]  # (base currency)
    account_currency: str  # what the account is kept in (the usual base currency)
    foreign_base_currency: str  # another base: account figures then need the venue's FX


# -- IB on the in-process SIMULATED gateway ------------------------------------------------------
# Wednesday 3 July 2024, 11:00 in Sydney: the ASX and IDEALPRO are open.
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
OUTSIDE_CLIENT_ID = 9


def _ib_drop_points() -> dict[str, int]:
    """The TWS request each adapter method waits on (dropping the link when it arrives)."""
    from trader_cli.sim.tws.requests import In

    return {
        "connect": In.START_API,
        "maybe_reconnect": In.START_API,
        "resolve": In.REQ_CONTRACT_DATA,
        "get_market_data": In.REQ_MKT_DATA,
        "fetch_ohlcv": In.REQ_HISTORICAL_DATA,
        "fetch_order_book": In.REQ_MKT_DEPTH,
        "fetch_public_trades": In.REQ_HISTORICAL_TICKS,
        "place_order": In.PLACE_ORDER,
        "place_bracket": In.PLACE_ORDER,
        "cancel_order": In.CANCEL_ORDER,
        "get_open_orders": In.REQ_ALL_OPEN_ORDERS,
        "get_order": In.REQ_ALL_OPEN_ORDERS,
        "get_order_by_venue_id": In.REQ_ALL_OPEN_ORDERS,
        "get_positions": In.REQ_POSITIONS,
        "get_my_trades": In.REQ_EXECUTIONS,
        "get_trades_from_timestamp": In.REQ_EXECUTIONS,
        # the account's figures stream in; with a foreign base currency they need an FX quote
        "get_account_summary": In.REQ_MKT_DATA,
        "get_equity": In.REQ_MKT_DATA,
        # rates come from FX quotes
        "fx_rate": In.REQ_MKT_DATA,
        "to_base": In.REQ_MKT_DATA,
    }


class IBSimHarness:
    """The real IB adapter over loopback against the SIMULATED gateway, clock pinned."""

    unit = Decimal(1)

    def __init__(self, trader: BaseTrader, gateway: object, base_currency: str) -> None:
        from trader_cli.sim import SimGateway

        assert isinstance(gateway, SimGateway)
        self.trader = trader
        self.gateway = gateway
        self.base_currency = base_currency
        self.prefix = "trd"
        self.symbol = parse_symbol("BHP/AUD")
        self.other_symbol = parse_symbol("CBA/AUD")
        self._drop_points = _ib_drop_points()
        self.priced_currency = "USD" if base_currency != "USD" else "AUD"

    def now(self) -> datetime:
        return self.gateway.clock.now()

    async def advance(self, seconds: float) -> None:
        await self.gateway.advance(seconds)

    async def place_outside(
        self, symbol: Symbol, side: Side, amount: Decimal, price: Decimal, client_order_id: str
    ) -> None:
        from ib_async import IB, LimitOrder, Stock

        outsider = IB()
        await outsider.connectAsync(
            "127.0.0.1", self.gateway.port, clientId=OUTSIDE_CLIENT_ID, timeout=3
        )
        try:
            order = LimitOrder(side.value.upper(), float(amount), float(price))
            order.orderRef = client_order_id
            trade = outsider.placeOrder(
                Stock(symbol.base, "SMART", symbol.quote, primaryExchange="ASX"), order
            )
            await _until(lambda: trade.orderStatus.status == "Submitted")
        finally:
            outsider.disconnect()

    def drop_link_during(self, method: str) -> None:
        self.gateway.drop_link_on_next(self._drop_points[method])

    async def drop_link_now(self) -> None:
        await self.gateway.drop_connections()
        await _until(lambda: not self.trader.is_connected)


@contextlib.asynccontextmanager
async def ib_on_sim(base_currency: str) -> AsyncIterator[Harness]:
    """IB on the in-process sim (seed 7, clock pinned inside an ASX session)."""
    from trader_cli.sim import SimClock, SimGateway
    from trader_cli.venues.sim.venue import SimTrader

    settings = load_settings(
        IB_CONNECT_TIMEOUT="2", IB_BASE_CURRENCY=base_currency, CLIENT_ORDER_PREFIX="trd"
    )
    async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gateway:
        trader = SimTrader(settings, gateway)
        trader.market_data_timeout = 1.0
        trader.order_ack_timeout = 2.0
        await trader.connect()
        try:
            yield IBSimHarness(trader, gateway, base_currency)
        finally:
            await trader.close()


# -- Gemini on the in-process SIMULATED REST API --------------------------------------------------
class GeminiSimHarness:
    """The real Gemini adapter (ccxt over loopback HTTP) against the SIMULATED Gemini, pinned."""

    unit = Decimal("0.01")
    priced_currency = "BTC"  # valued at Gemini's mid

    def __init__(self, trader: BaseTrader, sim: object, base_currency: str) -> None:
        from trader_cli.sim.gemini_rest import GeminiSimServer

        assert isinstance(sim, GeminiSimServer)
        self.trader = trader
        self.sim = sim
        self.base_currency = base_currency
        self.prefix = "trd"
        self.symbol = parse_symbol("BTC/USD")
        self.other_symbol = parse_symbol("ETH/USD")

    def now(self) -> datetime:
        return self.sim.clock.now()

    async def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    async def place_outside(
        self, symbol: Symbol, side: Side, amount: Decimal, price: Decimal, client_order_id: str
    ) -> None:
        import ccxt.async_support as ccxt

        outsider = ccxt.gemini({**self.sim.ccxt_config(), "enableRateLimit": False})
        outsider.urls["api"]["web"] = self.sim.base_url
        try:
            await outsider.load_markets()
            await outsider.create_order(
                str(symbol), "limit", side.value, str(amount), str(price),
                {"client_order_id": client_order_id},
            )  # fmt: skip
        finally:
            await outsider.close()

    def drop_link_during(self, method: str) -> None:
        # REST has no standing link: the next request of ``method`` is the one that dies
        self.sim.drop_link_on_next()

    async def drop_link_now(self) -> None:
        self.sim.drop_connections()
        self.sim.drop_link_on_next()  # a request already on its way dies too


@contextlib.asynccontextmanager
async def gemini_on_sim(base_currency: str) -> AsyncIterator[Harness]:
    """Gemini on the in-process SIMULATED REST API (seed 7, clock pinned); USD 100,000 and
    1 BTC to start. Another base currency is valued at the sim's own model rate."""
    from trader_cli.sim import SimClock
    from trader_cli.sim.gemini_rest import GeminiSimServer
    from trader_cli.venues.gemini.sim import GeminiSimTime, GeminiSimTrader, sim_fx

    settings = load_settings(
        BASE_CURRENCY=base_currency, CLIENT_ORDER_PREFIX="trd", ALLOWED_SYMBOLS="BTC/USD,ETH/USD"
    )
    async with GeminiSimServer.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as sim:
        settings.gemini.api_key = SecretStr(sim.api_key)
        settings.gemini.api_secret = SecretStr(sim.api_secret)
        clock = GeminiSimTime(sim)
        trader = GeminiSimTrader(
            settings, url=sim.base_url, clock=clock, sim=sim, fx=sim_fx(settings, clock)
        )
        trader.exchange.enableRateLimit = False
        await trader.connect()
        try:
            yield GeminiSimHarness(trader, sim, base_currency)
        finally:
            await trader.close()


# -- IB on a recording (fixtures/ib/sim-basic) through the replay gateway ------------------------
REPLAY_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ib" / "sim-basic"


class AnswerableOnly:
    """The adapter, but a call the recording cannot answer skips the test instead of failing it.

    A recording answers what was recorded: the contract holds for those answers, and a request
    outside them says nothing about the adapter.
    """

    def __init__(self, trader: BaseTrader, gateway: Any) -> None:
        self._trader = trader
        self._gateway = gateway

    def __getattr__(self, name: str) -> Any:
        from trader_cli.errors import VenueError

        value = getattr(self._trader, name)
        if not inspect.iscoroutinefunction(value):
            return value

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await value(*args, **kwargs)
            except VenueError:
                # the gateway closed the link on a request it has no answer for
                if self._gateway.unmatched:
                    pytest.skip(f"the recording cannot answer {name}: {self._gateway.unmatched[0]}")
                raise

        return call


class IBReplayHarness:
    """The real IB adapter over loopback against the replay gateway serving a recording."""

    unit = Decimal(1)

    def __init__(self, trader: BaseTrader, gateway: Any, base_currency: str) -> None:
        self.trader = cast(BaseTrader, AnswerableOnly(trader, gateway))
        self.base_currency = base_currency
        self.prefix = "trd"
        self.symbol = parse_symbol("BHP/AUD")
        self.other_symbol = parse_symbol("CBA/AUD")
        self.priced_currency = "USD" if base_currency != "USD" else "AUD"
        self._clock = trader.clock

    def now(self) -> datetime:
        return self._clock.now()

    async def advance(self, seconds: float) -> None:
        pytest.skip("a recording's market does not move: nothing fills on a replay")

    async def place_outside(
        self, symbol: Symbol, side: Side, amount: Decimal, price: Decimal, client_order_id: str
    ) -> None:
        pytest.skip("a recording has no other client's order")

    def drop_link_during(self, method: str) -> None:
        pytest.skip("the replay gateway does not inject faults")

    async def drop_link_now(self) -> None:
        pytest.skip("the replay gateway does not inject faults")


@contextlib.asynccontextmanager
async def ib_on_replay(base_currency: str) -> AsyncIterator[Harness]:
    """IB on the committed recording made against the sim (seed 7, clock pinned)."""
    from trader_cli.services.venue import open_replay

    settings = load_settings(
        IB_CONNECT_TIMEOUT="2", IB_BASE_CURRENCY=base_currency, CLIENT_ORDER_PREFIX="trd"
    )
    async with open_replay(settings, REPLAY_FIXTURE) as replayed:
        trader = replayed.trader
        trader.market_data_timeout = 1.0
        trader.order_ack_timeout = 2.0
        yield IBReplayHarness(trader, replayed.gateway, base_currency)


# -- Gemini on a recording (fixtures/gemini/sim-basic) through the Gemini replay server ----------
GEMINI_REPLAY_FIXTURE = REPLAY_FIXTURE.parents[1] / "gemini" / "sim-basic"
GEMINI_RECORDED_BASE = "USD"


class GeminiReplayHarness(IBReplayHarness):
    """The real Gemini adapter (ccxt over loopback HTTP) against the replay server."""

    unit = Decimal("0.01")

    def __init__(self, trader: BaseTrader, gateway: Any, base_currency: str) -> None:
        super().__init__(trader, gateway, base_currency)
        self.symbol = parse_symbol("BTC/USD")
        self.other_symbol = parse_symbol("ETH/USD")
        self.priced_currency = "BTC"  # valued at the recorded mid

    def drop_link_during(self, method: str) -> None:
        pytest.skip("the Gemini replay server does not inject faults")

    async def drop_link_now(self) -> None:
        pytest.skip("the Gemini replay server does not inject faults")


@contextlib.asynccontextmanager
async def gemini_on_replay(base_currency: str) -> AsyncIterator[Harness]:
    """Gemini on the committed recording made against the Gemini sim (seed 7, clock pinned)."""
    from trader_cli.services.venue import open_replay

    if base_currency != GEMINI_RECORDED_BASE:
        pytest.skip(
            f"the recording was made in {GEMINI_RECORDED_BASE}: it holds no {base_currency} rate"
        )
    settings = load_settings(
        BASE_CURRENCY=base_currency, CLIENT_ORDER_PREFIX="trd", ALLOWED_SYMBOLS="BTC/USD,ETH/USD"
    )
    async with open_replay(settings, GEMINI_REPLAY_FIXTURE) as replayed:
        yield GeminiReplayHarness(replayed.trader, replayed.gateway, base_currency)


BACKENDS = [
    Backend("ib-sim", ib_on_sim, account_currency="AUD", foreign_base_currency="USD"),
    Backend("gemini-sim", gemini_on_sim, account_currency="USD", foreign_base_currency="AUD"),
    Backend("ib-replay", ib_on_replay, account_currency="AUD", foreign_base_currency="USD"),
    Backend(
        "gemini-replay", gemini_on_replay, account_currency="USD", foreign_base_currency="AUD"
    ),
]


async def _until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait (bounded) for messages already sent to be processed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met before timeout")
        await asyncio.sleep(0.005)

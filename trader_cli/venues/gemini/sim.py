"""``--venue gemini --sim``: the SIMULATED Gemini REST API in-process and a GeminiTrader on it.

The process owns ``<home>/sim/gemini-world.json`` under the one-writer lock
(:mod:`trader_cli.sim.owner`) while the command runs - unless a serving owner (``trader run``,
``trader sim-gateway --venue gemini``) has it, in which case the adapter is one more client of
that owner's port.

The account is in USD while the base currency is AUD by default. On the sim the rate is the
simulator's own model price of ``<BASE>.USD`` (the same model, seed and clock that the IB sim
quotes ``AUD.USD`` with), labelled SIMULATED; ``GEMINI_USD_PER_BASE`` still wins when set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_cli.clock import Clock, OffsetClock
from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.errors import ConfigError
from trader_cli.sim.engine.catalogue import Catalogue
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import CryptoFees
from trader_cli.sim.gemini_rest import GeminiSimServer
from trader_cli.sim.owner import Endpoint, claim_world
from trader_cli.venues.gemini.fx import FxSource
from trader_cli.venues.gemini.trader import GeminiTrader

log = logging.getLogger("trader.sim")

#: The key pair of the in-process simulator when ``GEMINI_API_KEY``/``GEMINI_API_SECRET`` are
#: unset: it only signs requests to the loopback simulator and opens nothing real.
SIM_API_KEY = "account-trader-simulated"
SIM_API_SECRET = "simulated-secret-for-the-loopback-simulator"  # noqa: S105 - sim only


class GeminiSimTime:
    """The adapter's clock on the sim: sim time; waiting on a pinned clock advances the sim."""

    def __init__(self, sim: GeminiSimServer) -> None:
        self.sim = sim

    def now(self) -> datetime:
        """Current sim time."""
        return self.sim.clock.now()

    async def sleep(self, seconds: float) -> None:
        """Real sleep scaled by the sim speed, or an instant advance of a pinned clock."""
        clock = self.sim.clock
        if seconds <= 0:
            await asyncio.sleep(0)
        elif clock.running:
            await asyncio.sleep(seconds / (clock.speed or 1.0))
        else:
            # at most ~60 matching steps per wait: long waits (a 5-minute cycle) stay cheap
            step = max(1.0, seconds / 60)
            left = seconds
            while left > 0:
                self.sim.advance(min(step, left))
                left -= step
                await asyncio.sleep(0)


class SimFx:
    """USD per base currency from the simulator's model price of ``<BASE>.USD`` (SIMULATED)."""

    def __init__(self, seed: int, clock: Clock) -> None:
        self.market = MarketModel(seed)
        self.catalogue = Catalogue.load()
        self.clock = clock
        self.description = "SIMULATED rate (the sim's model price)"

    def pair(self, currency: str) -> str | None:
        """The sim's FX pair quoting ``currency`` in USD, if it has one."""
        for name in (f"{currency.upper()}.USD", f"USD.{currency.upper()}"):
            if self.catalogue.by_local_symbol(name) is not None:
                return name
        return None

    async def usd_per(self, currency: str) -> Decimal:
        """USD per one unit of ``currency`` at the current sim time."""
        name = self.pair(currency)
        if name is None:
            raise ConfigError(
                f"the simulator has no {currency}/USD rate",
                hint="set GEMINI_USD_PER_BASE, or BASE_CURRENCY=USD",
            )
        inst = self.catalogue.by_local_symbol(name)
        assert inst is not None
        price = self.market.price(inst, self.clock.now())
        return price if name.endswith(".USD") else Decimal(1) / price


class GeminiSimTrader(GeminiTrader):
    """The Gemini adapter pointed at a SIMULATED Gemini (in-process, or a serving owner's)."""

    def __init__(
        self,
        settings: Settings,
        *,
        url: str,
        clock: Clock,
        sim: GeminiSimServer | None = None,
        fx: FxSource | None = None,
    ) -> None:
        super().__init__(
            settings, exchange=sim_exchange(settings, url), fx=fx, clock=clock,
            backend=Backend.SIM,
        )  # fmt: skip
        self.sim = sim

    @property
    def clock_speed(self) -> float | None:
        """The sim clock's speed while it runs (None when pinned or joined)."""
        if self.sim is None:
            return None
        clock = self.sim.clock
        return clock.speed if clock.running else None


def sim_credentials(settings: Settings) -> tuple[str, str]:
    """``GEMINI_API_KEY``/``GEMINI_API_SECRET`` when both are set, else the sim's fixed pair."""
    g = settings.gemini
    if g.api_key is not None and g.api_secret is not None:
        return g.api_key.get_secret_value(), g.api_secret.get_secret_value()
    return SIM_API_KEY, SIM_API_SECRET


def sim_exchange(settings: Settings, url: str) -> Any:
    """A ccxt Gemini client on the simulator at ``url`` (every URL overridden).

    ccxt's rate limiter is off here: it paces requests in wall-clock time (half a second per
    public request), which the loopback simulator, on its own clock, does not need; a bot
    cycle would otherwise spend seconds asleep. So the in-process simulator enforces no
    request limit either (a standalone ``trader sim-gateway --venue gemini`` keeps Gemini's,
    for the plain ccxt clients that join it).
    """
    import ccxt.async_support as ccxt

    key, secret = sim_credentials(settings)
    exchange = ccxt.gemini({
        "apiKey": key,
        "secret": secret,
        "enableRateLimit": False,
        "options": {"fetchCurrencies": {"webApiEnable": False}},
    })
    exchange.urls["api"] = {"public": url, "private": url, "web": url, "webExchange": url}
    return exchange


def sim_fx(settings: Settings, clock: Clock) -> FxSource | None:
    """The sim's rate for the base currency (None: USD base, or ``GEMINI_USD_PER_BASE`` set)."""
    if settings.base_currency == "USD" or settings.gemini.usd_per_base is not None:
        return None
    return SimFx(settings.sim.seed, clock)


@contextlib.asynccontextmanager
async def gemini_sim_trader(
    settings: Settings,
    *,
    clock: SimClock,
    state_path: Path | None,
    serving: bool | None = None,
    lock_timeout: float | None = None,
) -> AsyncIterator[GeminiTrader]:
    """A SIMULATED Gemini on a free loopback port and a connected :class:`GeminiSimTrader`.

    With a ``state_path`` this process owns that world from load to save, unless a serving
    owner has it: then the adapter goes through the owner's port.
    """
    from trader_cli.venues.sim.venue import serving_by_default

    if state_path is None:
        async with _own(settings, clock, None) as trader:
            yield trader
        return
    serving = serving_by_default() if serving is None else serving
    timeout = settings.sim.lock_timeout if lock_timeout is None else lock_timeout
    claim = await claim_world(state_path, serving=serving, wait=timeout)
    if isinstance(claim, Endpoint):
        log.info("the Gemini sim world is served by %s; going through it", claim.describe())
        async with _guest(settings, claim) as guest:
            yield guest
        return
    try:
        async with _own(settings, clock, state_path) as trader:
            assert trader.sim is not None
            claim.publish(trader.sim.port, serving=serving)
            yield trader
    finally:
        claim.release()  # after the simulator saved the world


@contextlib.asynccontextmanager
async def _own(
    settings: Settings, clock: SimClock, state_path: Path | None
) -> AsyncIterator[GeminiSimTrader]:
    key, secret = sim_credentials(settings)
    g = settings.gemini
    # no request limit: every client of this sim is ours, with ccxt's pacing off (see
    # sim_exchange); a limit in wall time would make a fast sim run rate-limit itself
    async with GeminiSimServer.start(
        seed=settings.sim.seed, clock=clock, state_path=state_path, api_key=key,
        api_secret=secret, fees=CryptoFees(maker=Decimal(g.maker_fee), taker=Decimal(g.taker_fee)),
        public_per_minute=None, private_per_minute=None,
    ) as sim:  # fmt: skip
        sim_time = GeminiSimTime(sim)
        trader = GeminiSimTrader(
            settings, url=sim.base_url, clock=sim_time, sim=sim, fx=sim_fx(settings, sim_time)
        )
        try:
            await trader.connect()
            yield trader
        finally:
            await trader.close()


@contextlib.asynccontextmanager
async def _guest(settings: Settings, owner: Endpoint) -> AsyncIterator[GeminiSimTrader]:
    clock = OffsetClock()
    trader = GeminiSimTrader(
        settings, url=f"http://127.0.0.1:{owner.port}", clock=clock, fx=sim_fx(settings, clock)
    )
    try:
        await trader.connect()
        # follow the owner's sim clock: its ticker is stamped with sim time
        ticker = await trader.exchange.publicGetV1PubtickerSymbol({"symbol": "btcusd"})
        stamp = (ticker.get("volume") or {}).get("timestamp")
        if stamp:
            clock.offset = int(stamp) / 1000 - datetime.now(UTC).timestamp()
        yield trader
    finally:
        await trader.close()

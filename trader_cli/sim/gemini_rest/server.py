"""The asyncio HTTP server speaking Gemini's REST API over the SIMULATED venue; persistence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel, load_bars_csv
from trader_cli.sim.engine.world import CryptoFees, World
from trader_cli.sim.gemini_rest import errors as e
from trader_cli.sim.gemini_rest.auth import Authenticator, generate_credentials
from trader_cli.sim.gemini_rest.venue import (
    ACCOUNT,
    DEFAULT_FEES,
    STARTING_BALANCES,
    GeminiVenue,
)
from trader_cli.sim.gemini_rest.wire import BadHttp, Request, json_response, read_request, response
from trader_cli.sim.owner import DEFAULT_WAIT_SECONDS, serving_world, write_atomically

log = logging.getLogger(__name__)

DEFAULT_PORT = 8742
#: Gemini's documented limits per rolling minute: public 120, private 600
PUBLIC_PER_MINUTE, PRIVATE_PER_MINUTE = 120, 600
WEB_PAGE = (
    "<!doctype html><html><head><title>SIMULATED Gemini</title></head><body>"
    '<script type="application/json" id="currencyData">{data}</script></body></html>'
)


class RateLimiter:
    """At most ``per_minute`` requests in any rolling 60 s of wall time (per key or public);
    ``None``: no limit."""

    def __init__(
        self, per_minute: int | None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._monotonic = monotonic

    def allow(self, who: str) -> bool:
        """Count a request of ``who``; False when it is over the limit."""
        if self.per_minute is None:
            return True
        now = self._monotonic()
        seen = self._seen.setdefault(who, deque())
        while seen and seen[0] <= now - 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        return True


class GeminiSimServer:
    """A SIMULATED Gemini exchange serving Gemini's REST API on loopback.

    In tests (and for ``--venue gemini --sim``)::

        async with GeminiSimServer.start(clock=SimClock.pinned(when)) as sim:
            exchange = ccxt.async_support.gemini(sim.ccxt_config())
            await exchange.load_markets()
            sim.advance(5)   # move the sim clock 5 s; resting orders that cross fill (maker)
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: SimClock | None = None,
        bars_csv: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        api_secret: str | None = None,
        state_path: Path | None = None,
        fees: CryptoFees = DEFAULT_FEES,
        balances: dict[str, Decimal] | None = None,
        public_per_minute: int | None = PUBLIC_PER_MINUTE,
        private_per_minute: int | None = PRIVATE_PER_MINUTE,
    ) -> None:
        self.clock = clock or SimClock(datetime.now(UTC), speed=1.0)
        self.host = host
        self.port = port
        self.state_path = state_path
        self.generated_credentials = not (api_key and api_secret)
        if api_key and api_secret:
            self.api_key, self.api_secret = api_key, api_secret
        else:
            self.api_key, self.api_secret = generate_credentials()
        market = MarketModel(seed, load_bars_csv(bars_csv) if bars_csv else None)
        saved = self._load_state()
        world = World.from_dict(saved["world"]) if saved else _fresh_world(balances)
        extra = saved.get("gemini", {}) if saved else {}
        self.venue = GeminiVenue(
            world=world, clock=self.clock, market=market, fees=fees,
            cancel_reasons={int(k): v for k, v in extra.get("cancel_reasons", {}).items()},
        )  # fmt: skip
        self.venue.on_change.append(self.save_state)
        self.auth = Authenticator({self.api_key: self.api_secret}, extra.get("nonces", {}))
        self.public_limit = RateLimiter(public_per_minute)
        self.private_limit = RateLimiter(private_per_minute)
        self.rate_limit_next = 0  # fault: answer the next N requests with 429 RateLimit
        self._drop_next = False  # fault: the next request's connection dies unanswered
        self._drop_retry: tuple[str, str, dict[str, str]] | None = None  # ... and its retry
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # ----- lifecycle ----------------------------------------------------------------------------
    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, **kwargs: Any) -> AsyncIterator[GeminiSimServer]:
        """Serve on a free loopback port (unless ``port`` is given) for the block."""
        sim = cls(**kwargs)
        await sim.serve()
        try:
            yield sim
        finally:
            await sim.close()

    async def serve(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, close client connections and save the world."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        self.save_state()

    @property
    def base_url(self) -> str:
        """Where ccxt's ``urls.api.public``/``private``/``webExchange`` should point."""
        return f"http://{self.host}:{self.port}"

    def ccxt_config(self) -> dict[str, Any]:
        """Constructor options for ``ccxt.async_support.gemini`` aimed at this simulator."""
        url = self.base_url
        return {
            "apiKey": self.api_key,
            "secret": self.api_secret,
            "urls": {"api": {"public": url, "private": url, "webExchange": url}},
        }

    @property
    def banner(self) -> str:
        """One line saying where the SIMULATED Gemini REST API listens."""
        clock = self.clock.now().isoformat(timespec="seconds")
        speed = f"x{self.clock.speed:g}" if self.clock.running else "pinned"
        return (
            f"SIMULATED Gemini REST API on {self.base_url} - sim clock {clock} ({speed}) - "
            "no real orders, no real market data"
        )

    # ----- the clock ----------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the sim clock forward and let resting orders fill against the new book."""
        self.clock.advance(seconds)
        self.venue.engine.match_all()

    # ----- faults -------------------------------------------------------------------------------
    def drop_link_on_next(self) -> None:
        """Close the connection of the next request unanswered, as a network failure would.

        An HTTP client retries an idempotent request (GET) once on a fresh connection when the
        server hangs up; that one retry dies too, so the failure reaches the caller.
        """
        self._drop_next = True

    def drop_connections(self) -> None:
        """Close every client connection now (keep-alive links die; new ones are accepted)."""
        for writer in list(self._writers):
            writer.close()

    def _dropping(self, request: Request) -> bool:
        line = (request.method, request.path, request.query)
        if self._drop_next:
            self._drop_next = False
            self._drop_retry = line if request.method == "GET" else None
            return True
        retry, self._drop_retry = self._drop_retry, None
        return retry == line

    # ----- HTTP ---------------------------------------------------------------------------------
    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadHttp as err:
                    bad = e.GeminiError(e.INVALID_JSON, str(err))
                    writer.write(json_response(400, bad.body(), keep_alive=False))
                    break
                if request is None or self._dropping(request):
                    break
                writer.write(self.handle(request))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def handle(self, request: Request) -> bytes:
        """The complete HTTP response to ``request``."""
        keep = request.keep_alive
        try:
            if request.method == "GET" and request.path in ("/", ""):
                page = WEB_PAGE.format(data=json.dumps(self.venue.web_currency_data()))
                return response(200, page.encode(), content_type="text/html", keep_alive=keep)
            body = self._route(request)
            return json_response(200, body, keep_alive=keep)
        except e.GeminiError as err:
            return json_response(err.status, err.body(), keep_alive=keep)
        except Exception:
            log.exception("SIMULATED Gemini failed on %s %s", request.method, request.path)
            failed = e.GeminiError(e.SYSTEM, "We are experiencing technical issues", 500)
            return json_response(500, failed.body(), keep_alive=keep)

    def _route(self, request: Request) -> Any:
        parts = [p for p in request.path.split("/") if p]
        if request.method == "GET":
            self._limit(self.public_limit, "public")
            return self._public(parts, request.query)
        if request.method == "POST":
            _key, payload = self.auth.verify(request.headers, request.path)
            self._limit(self.private_limit, _key)
            return self._private(request.path, payload)
        raise e.GeminiError(e.ENDPOINT_NOT_FOUND, f"{request.method} {request.path} not found")

    def _limit(self, limiter: RateLimiter, who: str) -> None:
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            raise e.GeminiError(e.RATE_LIMIT, "Requests were made too frequently (SIMULATED)")
        if not limiter.allow(who):
            raise e.GeminiError(e.RATE_LIMIT, "Requests were made too frequently")

    def _public(self, parts: list[str], query: dict[str, str]) -> Any:
        v = self.venue
        match parts:
            case ["v1", "symbols"]:
                return v.symbols()
            case ["v1", "symbols", "details", symbol]:
                return v.symbol_details(symbol)
            case ["v1", "pubticker", symbol]:
                return v.pubticker(symbol)
            case ["v2", "ticker", symbol]:
                return v.ticker_v2(symbol)
            case ["v1", "book", symbol]:
                return v.book(symbol, query)
            case ["v2", "candles", symbol, frame]:
                return v.candles(symbol, frame)
            case ["v1", "trades", symbol]:
                return v.trades(symbol, query)
        raise e.GeminiError(e.ENDPOINT_NOT_FOUND, f"/{'/'.join(parts)} is not an endpoint")

    def _private(self, path: str, payload: dict[str, Any]) -> Any:
        v = self.venue
        match path:
            case "/v1/order/new":
                return v.new_order(payload)
            case "/v1/order/cancel":
                return v.cancel(payload)
            case "/v1/order/status":
                return v.status(payload)
            case "/v1/orders":
                return v.active_orders()
            case "/v1/mytrades":
                return v.my_trades(payload)
            case "/v1/balances":
                return v.balances()
            case "/v1/notionalvolume":
                return v.notional_volume()
            case "/v1/heartbeat":
                return {"result": "ok"}
        raise e.GeminiError(e.ENDPOINT_NOT_FOUND, f"{path} is not an endpoint")

    # ----- persistence --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The world, the clock and Gemini's own state (nonces, cancel reasons) as JSON."""
        return {
            "version": 1,
            "clock": self.clock.to_dict(),
            "world": self.venue.world.to_dict(),
            "gemini": {
                "cancel_reasons": {str(k): v for k, v in self.venue.cancel_reasons.items()},
                "nonces": dict(self.auth.nonces),
            },
        }

    def save_state(self) -> None:
        """Write the snapshot to ``state_path`` atomically (the world's owner only)."""
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_path, json.dumps(self.snapshot(), indent=1))

    def _load_state(self) -> dict[str, Any] | None:
        if self.state_path is None or not self.state_path.exists():
            return None
        data: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
        return data


def _fresh_world(balances: dict[str, Decimal] | None) -> World:
    return World(account=ACCOUNT, cash=dict(balances or STARTING_BALANCES))


async def run_gemini_sim(
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    seed: int = 0,
    bars_csv: Path | None = None,
    clock: datetime | None = None,
    speed: float = 1.0,
    state_path: Path | None = None,
    fresh: bool = False,
    lock_timeout: float = DEFAULT_WAIT_SECONDS,
    api_key: str | None = None,
    api_secret: str | None = None,
    fees: CryptoFees = DEFAULT_FEES,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve a SIMULATED Gemini until cancelled, announcing its URL and key first.

    The generated secret (when no key pair is configured) is announced once, never logged.
    With a ``state_path`` the server owns that world while it runs (one writer).
    """
    async with serving_world(state_path, fresh=fresh, wait=lock_timeout) as publish:
        sim_clock = (
            SimClock(clock, speed=speed) if clock else SimClock(datetime.now(UTC), speed=speed)
        )
        sim = GeminiSimServer(
            seed=seed, clock=sim_clock, bars_csv=bars_csv, host=host, port=port,
            api_key=api_key, api_secret=api_secret, state_path=state_path, fees=fees,
        )  # fmt: skip
        await sim.serve()
        publish(sim.port)
        announce(sim.banner)
        announce(f"API key: {sim.api_key}")
        if sim.generated_credentials:
            # worded so the output redaction (``secret: value``) leaves this one line alone
            announce(f"API secret (generated for this run, shown once): {sim.api_secret}")
            announce("Set GEMINI_API_KEY and GEMINI_API_SECRET to keep one pair across runs.")
        try:
            await asyncio.Event().wait()
        finally:
            await sim.close()

"""GeminiTrader: Gemini as a :class:`BaseTrader`, on ``ccxt.async_support.gemini``."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from trader_cli.clock import REAL_CLOCK, Clock
from trader_cli.config import Settings
from trader_cli.domain.book import OrderBook, PublicTrade
from trader_cli.domain.models import (
    AccountSummary,
    Candle,
    Fill,
    Order,
    OrderType,
    Position,
    Quote,
    to_ms,
)
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.domain.venues import Venue
from trader_cli.errors import (
    ConfigError,
    InputError,
    InvalidOrderError,
    NotConnectedError,
    SymbolError,
    TemporaryError,
    VenueError,
)
from trader_cli.venues.base import (
    BaseTrader,
    HistoryProgress,
    Instrument,
    OrderRequest,
    VenueCapabilities,
)
from trader_cli.venues.gemini import mapping
from trader_cli.venues.gemini.boundary import ORDER_IN_DOUBT_HINT, venue_call
from trader_cli.venues.gemini.capabilities import candle_frame, gemini_capabilities
from trader_cli.venues.gemini.fx import FixedRate, FxSource, no_fx_source
from trader_cli.venues.gemini.markets import market_spec

log = logging.getLogger("trader.gemini")

ACCOUNT_CURRENCY = "USD"
ACCOUNT = "primary"  # Gemini's default account name (the API keys are account-scoped)
MAX_CANDLES = 1440  # Gemini's /v2/candles returns about this many of the newest bars
MAX_TRADES = 500  # /v1/mytrades and /v1/trades return at most this many per request
MAX_BOOK_LEVELS = 500  # levels a side asked of /v1/book (limit_bids / limit_asks)
RECONNECT_TRIES, RECONNECT_PAUSE = 3, 0.1  # seconds, growing per try
LIMIT_TYPES = frozenset({OrderType.LIMIT, OrderType.MARKETABLE_LIMIT})


def make_exchange(settings: Settings) -> Any:
    """A ``ccxt.async_support.gemini`` client as ``GEMINI_*`` configures it (rate limiter on).

    ``GEMINI_API_URL`` replaces every Gemini URL (the simulator, a recording proxy);
    otherwise ``GEMINI_SANDBOX=true`` selects Gemini's sandbox. Currencies are not scraped from
    Gemini's web pages (ccxt's default): only the REST API is called.
    """
    import ccxt.async_support as ccxt

    g = settings.gemini
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "options": {"fetchCurrencies": {"webApiEnable": False}},
    }
    if g.api_key is not None:
        config["apiKey"] = g.api_key.get_secret_value()
    if g.api_secret is not None:
        config["secret"] = g.api_secret.get_secret_value()
    exchange = ccxt.gemini(config)
    if g.api_url:
        exchange.urls["api"] = {
            "public": g.api_url, "private": g.api_url, "web": g.api_url, "webExchange": g.api_url,
        }
    elif g.sandbox:
        exchange.set_sandbox_mode(True)
    return exchange


class GeminiTrader(BaseTrader):
    """Gemini spot through its REST API (or the sandbox, or our simulator) with ccxt."""

    venue = Venue.GEMINI

    def __init__(
        self,
        settings: Settings,
        *,
        exchange: Any = None,
        fx: FxSource | None = None,
        clock: Clock = REAL_CLOCK,
        backend: Backend = Backend.API,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.backend = backend
        self.exchange = exchange if exchange is not None else make_exchange(settings)
        base = settings.base_currency
        if fx is None and settings.gemini.usd_per_base is not None:
            fx = FixedRate(base, settings.gemini.usd_per_base)
        self.fx = fx
        self._instruments: dict[Symbol, Instrument] = {}
        self._connected = False
        self._capabilities = gemini_capabilities(settings)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def capabilities(self) -> VenueCapabilities:
        """Gemini's candle frames, limit-only orders and maker/taker terms."""
        return self._capabilities

    @property
    def account(self) -> str:
        """Gemini's account name (keys are scoped to one account); on a ``GEMINI_API_URL`` other
        than Gemini's, named with that host too (``primary@127.0.0.1``), so the state kept for a
        simulator or proxy found there never mixes with the sandbox's or the exchange's."""
        url = self.settings.gemini.api_url
        if self.backend is not Backend.API or not url:
            return ACCOUNT
        host = urlsplit(url).hostname or url
        return f"{ACCOUNT}@{host}"

    @property
    def is_connected(self) -> bool:
        """Whether markets were loaded (REST has no standing link)."""
        return self._connected

    def link_lost(self) -> None:
        """A request failed on the link: not connected until :meth:`maybe_reconnect`."""
        self._connected = False

    @venue_call()
    async def connect(self) -> None:
        """Load Gemini's market list (a request each time: it proves Gemini answers); a
        failure is ``NotConnectedError``."""
        try:
            self.exchange.open()  # a client closed before opens again (ccxt refuses otherwise)
            await self.exchange.load_markets(True)
        except Exception as e:
            import ccxt.async_support as ccxt

            if isinstance(e, ccxt.NetworkError) and not isinstance(e, ccxt.RateLimitExceeded):
                raise NotConnectedError(
                    "Gemini cannot be reached", hint=_where(self.settings)
                ) from e
            raise
        self._connected = True

    @venue_call()
    async def close(self) -> None:
        """Close ccxt's HTTP session (idempotent)."""
        self._connected = False
        await self.exchange.close()

    @venue_call()
    async def maybe_reconnect(self) -> bool:
        """Reload markets when not connected (a few tries); True when usable."""
        for attempt in range(RECONNECT_TRIES):
            if self._connected:
                break
            try:
                await self.connect()
            except (NotConnectedError, TemporaryError):
                if attempt == RECONNECT_TRIES - 1:
                    raise
                await asyncio.sleep(RECONNECT_PAUSE * (attempt + 1))
        return self._connected

    # -- instruments and market data -------------------------------------------------------
    @venue_call()
    async def resolve(self, symbol: Symbol) -> Instrument:
        """Gemini's market for ``symbol`` with its price tick, amount increment and minimum."""
        cached = self._instruments.get(symbol)
        if cached is not None:
            return cached
        spec = market_spec(symbol)
        if self.exchange.markets is None:
            await self.exchange.load_markets()
        if spec.canonical not in self.exchange.markets:
            raise SymbolError(
                f"Gemini has no {spec.canonical} market",
                hint="see Gemini's symbol list; crypto pairs are quoted in USD, e.g. BTC/USD",
            )
        details = await self.exchange.publicGetV1SymbolsDetailsSymbol({"symbol": spec.venue_id})
        market = self.exchange.parse_market(details)
        if market is None:
            raise SymbolError(f"Gemini sent no details for {spec.canonical}")
        markets = dict(self.exchange.markets)
        markets[spec.canonical] = {**markets[spec.canonical], **market,
                                   "symbol": spec.canonical}
        self.exchange.set_markets(list(markets.values()))
        inst = mapping.instrument(symbol, market)
        self._instruments[symbol] = inst
        return inst

    @venue_call()
    async def get_market_data(self, symbol: Symbol) -> Quote:
        """Top of book with sizes from Gemini's book; last and volume from its ticker."""
        await self.resolve(symbol)
        book, ticker = await asyncio.gather(
            self.exchange.fetch_order_book(str(symbol), 1),
            self.exchange.fetch_ticker(str(symbol)),
        )
        return mapping.quote_from_book(symbol, book, ticker, to_ms(self.clock.now()))

    @venue_call()
    async def fetch_ohlcv(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        limit: int,
        *,
        progress: HistoryProgress | None = None,
    ) -> list[Candle]:
        """Up to ``limit`` newest candles, oldest first (one request; Gemini frames only)."""
        if not 1 <= limit <= MAX_CANDLES:
            raise InputError(
                f"limit must be between 1 and {MAX_CANDLES}, got {limit}",
                hint=f"Gemini returns at most {MAX_CANDLES} candles: use -n {MAX_CANDLES} or a "
                "longer --timeframe",
            )
        frame = candle_frame(timeframe)
        await self.resolve(symbol)
        if progress is not None:
            progress(0, 1, 0.0)
        rows = await self.exchange.fetch_ohlcv(str(symbol), frame)
        if progress is not None:
            progress(1, 1, 0.0)
        return mapping.candles(rows)[-limit:]

    @venue_call()
    async def fetch_order_book(self, symbol: Symbol, depth: int = 10) -> OrderBook:
        """``depth`` levels a side from Gemini's ``/v1/book`` (its full depth, public data)."""
        if not 1 <= depth <= MAX_BOOK_LEVELS:
            raise InputError(f"depth must be between 1 and {MAX_BOOK_LEVELS}, got {depth}")
        await self.resolve(symbol)
        book = await self.exchange.fetch_order_book(str(symbol), depth)
        return mapping.order_book(symbol, book, to_ms(self.clock.now()))

    @venue_call()
    async def fetch_public_trades(self, symbol: Symbol, limit: int = 100) -> list[PublicTrade]:
        """The market's most recent public trades from ``/v1/trades``, oldest first."""
        if not 1 <= limit <= MAX_TRADES:
            raise InputError(f"limit must be between 1 and {MAX_TRADES}, got {limit}")
        await self.resolve(symbol)
        rows = await self.exchange.fetch_trades(str(symbol), None, limit)
        trades = [mapping.public_trade(t, str(symbol)) for t in rows]
        return sorted(trades, key=lambda t: (t.timestamp, t.id or ""))[-limit:]

    # -- orders ----------------------------------------------------------------------------
    @venue_call(hint=ORDER_IN_DOUBT_HINT)
    async def place_order(self, request: OrderRequest) -> Order:
        """Send a limit order carrying ``client_order_id``; IOC becomes immediate-or-cancel,
        post-only maker-or-cancel (Gemini cancels it at once, unfilled, if it would take).

        Gemini accepts a client order id twice, so an order already placed with it is returned
        instead of sending a second one.
        """
        inst = await self.resolve(request.symbol)
        self._validate(request, inst)
        existing = await self.get_order(request.client_order_id)
        if existing is not None:
            return existing
        params: dict[str, Any] = {"client_order_id": request.client_order_id}
        params.update(mapping.order_options(request.spec))
        raw = await self.exchange.create_order(
            str(request.symbol), "limit", request.side.value, str(request.amount),
            str(request.spec.limit_price), params,
        )
        return mapping.order(raw, str(request.symbol))

    def _validate(self, request: OrderRequest, inst: Instrument) -> None:
        spec = request.spec
        self.capabilities.check_spec(spec)  # no DAY orders on Gemini
        if spec.type not in LIMIT_TYPES:
            raise InvalidOrderError(
                f"Gemini takes limit orders only, not {spec.type.value} orders",
                hint="use --limit PRICE (trader prices a marketable limit where a market order "
                "is asked for)",
            )
        amount = request.amount
        if amount <= 0:
            raise InvalidOrderError(f"amount must be positive, got {amount}")
        if amount % inst.size_increment:
            raise InvalidOrderError(
                f"{amount} is not a multiple of {request.symbol}'s amount increment "
                f"{inst.size_increment}"
            )
        minimum = inst.min_amount
        if minimum is not None and amount < minimum:
            raise InvalidOrderError(
                f"{amount} is below Gemini's minimum order size {minimum} for {request.symbol}"
            )
        price = spec.limit_price
        assert price is not None  # a limit spec always has one
        if inst.min_tick and price % inst.min_tick:
            raise InvalidOrderError(
                f"{price} is not on {request.symbol}'s price tick {inst.min_tick}"
            )

    def _ours(self, order: Order) -> bool:
        return order.client_order_id.startswith(self.settings.core.client_order_prefix)

    def _symbol_of(self, raw: dict[str, Any]) -> str:
        return str(raw.get("symbol") or "")

    async def _open(self) -> list[Order]:
        rows = await self.exchange.fetch_open_orders()
        return [mapping.order(r, self._symbol_of(r)) for r in rows]

    @venue_call()
    async def get_open_orders(self, *, ours_only: bool = True) -> list[Order]:
        """Working orders; by default only those whose client order id has our prefix."""
        orders = await self._open()
        return [o for o in orders if self._ours(o)] if ours_only else orders

    @venue_call()
    async def get_order(self, client_order_id: str) -> Order | None:
        """The order with ``client_order_id`` (Gemini's order status by client order id)."""
        import ccxt.async_support as ccxt

        try:
            response = await self.exchange.privatePostV1OrderStatus(
                {"client_order_id": client_order_id, "include_trades": False}
            )
        except ccxt.OrderNotFound:
            return None
        rows = response if isinstance(response, list) else [response]
        orders = [self.exchange.parse_order(r) for r in rows if r]
        if not orders:
            return None
        raw = max(orders, key=lambda o: o.get("timestamp") or 0)
        return mapping.order(raw, self._symbol_of(raw))

    @venue_call()
    async def get_order_by_venue_id(self, venue_order_id: str) -> Order | None:
        """The order with Gemini's ``order_id``; None when Gemini does not know it."""
        import ccxt.async_support as ccxt

        try:
            raw = await self.exchange.fetch_order(venue_order_id)
        except ccxt.OrderNotFound:
            return None
        return mapping.order(raw, self._symbol_of(raw))

    @venue_call(hint="the cancel may have reached Gemini: check with `trader resync`")
    async def cancel_order(self, client_order_id: str) -> Order:
        """Cancel our working order ``client_order_id``; a finished order is returned as it is."""
        order = await self.get_order(client_order_id)
        if order is None or order.id is None:
            raise VenueError(f"Gemini knows no order {client_order_id}", code="OrderNotFound")
        if order.status.is_final:
            return order
        raw = await self.exchange.cancel_order(order.id)
        return mapping.order(raw, self._symbol_of(raw) or order.symbol)

    # -- account ---------------------------------------------------------------------------
    def _traded_symbols(self) -> list[Symbol]:
        return [
            s for s in self.settings.allowed_symbols
            if s.instrument_class is InstrumentClass.CRYPTO
        ]

    @venue_call()
    async def get_my_trades(
        self, symbol: Symbol | None = None, since: datetime | None = None
    ) -> list[Fill]:
        """Our fills with fee and maker/taker, oldest first (per market: Gemini needs one)."""
        symbols = [symbol] if symbol is not None else self._traded_symbols()
        since_ms = None if since is None else to_ms(since)
        fills: list[Fill] = []
        for s in symbols:
            await self.resolve(s)
            rows = await self.exchange.fetch_my_trades(str(s), since_ms, MAX_TRADES)
            fills.extend(mapping.fill(t, str(s)) for t in rows)
        if since is not None:
            fills = [f for f in fills if f.timestamp >= since]
        return sorted(fills, key=lambda f: (f.timestamp, f.id))

    @venue_call()
    async def get_positions(self) -> list[Position]:
        """Crypto balances as long positions (spot: no shorts), priced at the mid."""
        balances = await self.exchange.fetch_balance()
        totals = balances.get("total") or {}
        quotes: dict[str, Quote] = {}
        fills: dict[str, list[Fill]] = {}
        for currency, total in totals.items():
            if currency == ACCOUNT_CURRENCY or not mapping.dec(total):
                continue
            symbol = parse_symbol(f"{currency}/{ACCOUNT_CURRENCY}")
            quotes[str(symbol)] = await self.get_market_data(symbol)
            fills[str(symbol)] = await self.get_my_trades(symbol)
        return mapping.positions_from(
            balances, quotes, fills, ACCOUNT_CURRENCY, to_ms(self.clock.now())
        )

    @venue_call()
    async def get_account_summary(self) -> AccountSummary:
        """USD cash and crypto at the mid, in the base currency (``to_base``)."""
        balances = await self.exchange.fetch_balance()
        totals, free = balances.get("total") or {}, balances.get("free") or {}
        cash = Money(mapping.dec(totals.get(ACCOUNT_CURRENCY)) or Decimal(0), ACCOUNT_CURRENCY)
        available = Money(mapping.dec(free.get(ACCOUNT_CURRENCY)) or Decimal(0), ACCOUNT_CURRENCY)
        equity = cash
        by_currency: dict[str, Money] = {}
        for currency, total in sorted(totals.items()):
            amount = mapping.dec(total)
            if not amount:
                continue
            by_currency[currency] = Money(amount, currency)
            if currency != ACCOUNT_CURRENCY:
                equity = equity + Money(
                    amount * await self.fx_rate(currency, ACCOUNT_CURRENCY), ACCOUNT_CURRENCY
                )
        base = self.settings.base_currency
        return AccountSummary(
            account_id=ACCOUNT,
            base_currency=base,
            net_liquidation=await self.to_base(equity),
            total_cash=await self.to_base(cash),
            available_funds=await self.to_base(available),
            cash_by_currency=by_currency,
            timestamp=self.clock.now(),
        )

    @venue_call()
    async def fee_rates(self) -> tuple[Decimal, Decimal, str]:
        """(maker, taker, source): Gemini's API tier from ``/v1/notionalvolume`` when the key
        may read it, else ``GEMINI_MAKER_FEE``/``GEMINI_TAKER_FEE``."""
        import ccxt.async_support as ccxt

        g = self.settings.gemini
        try:
            fees = await self.exchange.fetch_trading_fees()
        except (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.NotSupported,
                ccxt.BadRequest):
            return g.maker_fee, g.taker_fee, "config"
        for entry in fees.values():
            maker, taker = mapping.dec(entry.get("maker")), mapping.dec(entry.get("taker"))
            if maker is not None and taker is not None:
                return maker, taker, "notionalvolume"
        return g.maker_fee, g.taker_fee, "config"

    # -- FX --------------------------------------------------------------------------------
    @venue_call()
    async def fx_rate(self, base: str, quote: str) -> Decimal:
        """Units of ``quote`` per ``base``: crypto from Gemini's mids, the base currency's USD
        rate from the configured source (``GEMINI_USD_PER_BASE`` or IB), never 1:1 by guess."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Decimal(1)
        if quote == ACCOUNT_CURRENCY and base != self.settings.base_currency:
            mid = (await self.get_market_data(parse_symbol(f"{base}/{quote}"))).price
            if mid is None or mid <= 0:
                raise TemporaryError(f"no Gemini quote for {base}/{quote}")
            return mid
        home = self.settings.base_currency
        if {base, quote} == {home, ACCOUNT_CURRENCY}:
            if self.fx is None:
                raise no_fx_source(home)
            usd_per_home = await self.fx.usd_per(home)
            return usd_per_home if base == home else Decimal(1) / usd_per_home
        raise ConfigError(f"Gemini cannot value {base} in {quote}")

    @venue_call()
    async def to_base(self, amount: Money) -> Money:
        """``amount`` in ``BASE_CURRENCY``: crypto via USD at Gemini's mid, USD via FX."""
        home = self.settings.base_currency
        if amount.currency == home:
            return amount
        usd = amount.amount * await self.fx_rate(amount.currency, ACCOUNT_CURRENCY)
        if home == ACCOUNT_CURRENCY:
            return Money(usd, home)
        return Money(usd * await self.fx_rate(ACCOUNT_CURRENCY, home), home)


def _where(settings: Settings) -> str:
    g = settings.gemini
    if g.api_url:
        return f"check GEMINI_API_URL ({g.api_url}) is serving"
    where = "Gemini's sandbox (GEMINI_SANDBOX=true)" if g.sandbox else "api.gemini.com"
    return f"check the network route to {where}"

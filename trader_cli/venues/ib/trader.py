"""IBTrader: Interactive Brokers as a :class:`BaseTrader`, on ib_async's async API."""

from __future__ import annotations

import asyncio
import copy
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ib_async import ExecutionFilter, RequestError, Ticker
from ib_async import Trade as IBTrade

from trader_cli.clock import REAL_CLOCK, Clock, OffsetClock
from trader_cli.config import Settings
from trader_cli.domain.book import OrderBook, PublicTrade
from trader_cli.domain.models import (
    AccountSummary,
    Candle,
    Fill,
    Order,
    OrderStatus,
    Position,
    Quote,
)
from trader_cli.domain.money import Money, to_decimal
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.domain.venues import Venue
from trader_cli.errors import (
    InputError,
    InvalidOrderError,
    SymbolError,
    TemporaryError,
    VenueError,
)
from trader_cli.venues.base import (
    BaseTrader,
    BracketRequest,
    HistoryPlan,
    HistoryProgress,
    Instrument,
    OrderRequest,
    VenueCapabilities,
)
from trader_cli.venues.ib import codes, history, kept, mapping, marketdepth, order_events
from trader_cli.venues.ib.boundary import LinkDropped, venue_call
from trader_cli.venues.ib.capabilities import ib_capabilities
from trader_cli.venues.ib.connection import ConnectionConfig, IBConnection
from trader_cli.venues.ib.contracts import contract_spec, fx_convention
from trader_cli.venues.ib.order_rules import validate_request
from trader_cli.venues.ib.pacing import HistoricalPacer

log = logging.getLogger("trader.ib")

# what to do when the link fails while an order or a cancel may already have gone out
ORDER_IN_DOUBT_HINT = (
    "the link dropped after the order may have reached IB: it is left in flight, never resent "
    "by guess; `trader resync` settles it once the link is back"
)
CANCEL_IN_DOUBT_HINT = (
    "the link dropped after the cancel may have reached IB: `trader resync` once the link is "
    "back settles the order"
)

# reqExecutions has no paging: one request returns every execution after its start time.
MAX_EXECUTIONS = 5000  # most executions processed from one request
EXECUTION_WINDOW = timedelta(days=7)  # IB keeps executions for at most seven days
TICKS_TIMEOUT = 30.0  # seconds IB may take to answer one historical ticks request
# reqCurrentTime has one-second resolution: a smaller difference is not a different clock
CLOCK_TOLERANCE = 2.0
ACK_STATES = frozenset(
    {"PreSubmitted", "Submitted", "Filled", "Cancelled", "ApiCancelled", "Inactive"}
)
SUMMARY_TAGS = {
    "NetLiquidation": "net_liquidation",
    "TotalCashValue": "total_cash",
    "AvailableFunds": "available_funds",
    "BuyingPower": "buying_power",
    "ExcessLiquidity": "excess_liquidity",
    "FullInitMarginReq": "init_margin",
    "FullMaintMarginReq": "maint_margin",
}


class IBTrader(BaseTrader):
    """Interactive Brokers through TWS/IB Gateway (or our sim gateway) with ib_async."""

    venue = Venue.IB

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        clock: Clock = REAL_CLOCK,
        live_confirmed: bool = False,
        market_data_timeout: float = 4.0,
        order_ack_timeout: float = 10.0,
        max_streaming_lines: int = 80,
        fx_cache_seconds: float = 60.0,
        max_executions: int = MAX_EXECUTIONS,
        execution_window: timedelta = EXECUTION_WINDOW,
    ) -> None:
        ib = settings.ib
        self.settings = settings
        # without an injected clock, the venue's clock is learnt from the server at connect
        self._learn_clock = clock is REAL_CLOCK
        self.clock = OffsetClock() if clock is REAL_CLOCK else clock
        self.conn = IBConnection(
            ConnectionConfig(
                host=host or ib.host,
                port=port or ib.effective_port,
                client_id=ib.client_id,
                account=ib.account_id,
                paper=ib.paper,
                timeout=ib.connect_timeout,
                live_confirmed=live_confirmed,
            ),
            clock=clock,
        )
        self.pacer = HistoricalPacer(clock=clock)
        self.market_data_timeout = market_data_timeout
        self.order_ack_timeout = order_ack_timeout
        self.max_streaming_lines = max_streaming_lines
        self.fx_cache_seconds = fx_cache_seconds
        self.max_executions = max_executions
        self.execution_window = execution_window
        self._instruments: dict[Symbol, tuple[Instrument, Any]] = {}
        self._tickers: dict[int, Ticker] = {}
        self.bar_cache: history.BarCache = {}  # answers within IB's identical-request window
        self.candle_memo: history.CandleMemo = {}  # candles of the last answer to each request
        self._fx_cache: dict[tuple[str, str], tuple[datetime, Decimal]] = {}
        self._cancel_requested: set[str] = set()
        self._waited_out: set[int] = set()  # lines whose book stayed one-sided past the wait
        self._depth_lock = asyncio.Lock()
        self.conn.on_reconnect(self._resubscribe)
        self._capabilities = ib_capabilities(settings)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def ib(self) -> Any:
        """The underlying ``ib_async.IB`` (for the sim and diagnostics)."""
        return self.conn.ib

    @property
    def is_connected(self) -> bool:
        """Whether the socket to TWS/Gateway is up."""
        return self.conn.is_connected

    @property
    def account(self) -> str:
        """The account orders go to."""
        return self.conn.account

    @property
    def capabilities(self) -> VenueCapabilities:
        """IB's bar sizes, order types, reset windows and commission terms."""
        return self._capabilities

    @venue_call(watch_link=False)
    async def connect(self) -> None:
        """Connect to TWS/Gateway and learn its clock."""
        await self.conn.connect()
        if self._learn_clock and isinstance(self.clock, OffsetClock):
            server = await self.ib.reqCurrentTimeAsync()
            offset = (server - datetime.now(UTC)).total_seconds()
            if abs(offset) > CLOCK_TOLERANCE:
                log.warning("the venue's clock is %+.0f s from this machine's; following the "
                            "venue", offset)
                self.clock.offset = offset

    @venue_call(watch_link=False)
    async def close(self) -> None:
        """Cancel streaming data and disconnect."""
        if self.conn.is_connected:
            for ticker in self._tickers.values():
                self.ib.cancelMktData(ticker.contract)
        self._tickers.clear()
        await self.conn.close()

    @venue_call(watch_link=False)
    async def maybe_reconnect(self) -> bool:
        """Reconnect if needed (health/circuit managers call this)."""
        return await self.conn.maybe_reconnect()

    async def _resubscribe(self) -> None:
        contracts = [t.contract for t in self._tickers.values()]
        self._tickers.clear()
        self._waited_out.clear()
        for contract in contracts:
            if contract is not None:
                self._tickers[contract.conId] = self.ib.reqMktData(contract, "", False, False)
        log.info("resubscribed %d market data lines", len(contracts))

    # -- contracts ------------------------------------------------------------------------
    @venue_call()
    async def resolve(self, symbol: Symbol) -> Instrument:
        """Qualify ``symbol`` once (conId, minTick, hours, order types) and cache it."""
        return (await self._resolve(symbol))[0]

    async def _resolve(self, symbol: Symbol) -> tuple[Instrument, Any]:
        cached = self._instruments.get(symbol)
        if cached is not None:
            return cached
        ib_cfg = self.settings.ib
        spec = contract_spec(
            symbol,
            routing_exchange=ib_cfg.routing_exchange,
            primary_exchange=ib_cfg.primary_exchange,
            allowed=frozenset(ib_cfg.allowed_instruments),
        )
        contract = mapping.to_contract(spec)
        self.conn.require_connected()
        try:
            details = await self.ib.reqContractDetailsAsync(contract)
        except RequestError as e:
            if e.code == codes.NO_SECURITY_DEFINITION:
                raise SymbolError(
                    f"IB knows no contract for {symbol} ({spec.sec_type} {spec.symbol} "
                    f"{spec.exchange}/{spec.primary_exchange or '-'} {spec.currency})",
                    hint="check the symbol code and IB_EXCHANGE",
                ) from e
            raise VenueError(e.message, code=e.code) from e
        if not details:
            raise SymbolError(f"IB knows no contract for {symbol}", hint="check the symbol code")
        if len(details) > 1:
            raise SymbolError(
                f"{symbol} is ambiguous at IB ({len(details)} contracts match)",
                hint="set IB_EXCHANGE to the listing exchange, e.g. SMART/ASX",
            )
        d = details[0]
        qualified = d.contract
        inst = Instrument(
            symbol=symbol,
            venue_id=str(qualified.conId),
            exchange=qualified.exchange,
            currency=qualified.currency,
            min_tick=mapping.dec(d.minTick),
            size_increment=Decimal(1),  # whole shares; IDEALPRO takes whole currency units
            order_types=frozenset(t for t in (d.orderTypes or "").split(",") if t),
            time_zone=d.timeZoneId or None,
            trading_hours=d.tradingHours or None,
            liquid_hours=d.liquidHours or None,
            details={
                "conId": qualified.conId,
                "secType": qualified.secType,
                "primaryExchange": qualified.primaryExchange or None,
                "longName": d.longName or None,
                "instrumentClass": symbol.instrument_class.value,
            },
        )
        self._instruments[symbol] = (inst, qualified)
        return inst, qualified

    # -- market data ----------------------------------------------------------------------
    @venue_call()
    async def get_market_data(self, symbol: Symbol) -> Quote:
        """Top of book: reuses one streaming line per contract, falls back to a snapshot."""
        _, contract = await self._resolve(symbol)
        self.conn.require_connected()
        ticker = self._tickers.get(contract.conId)
        if ticker is None:
            if len(self._tickers) >= self.max_streaming_lines:
                oldest = next(iter(self._tickers))
                self.ib.cancelMktData(self._tickers.pop(oldest).contract)
            ticker = self.ib.reqMktData(contract, "", False, False)
            self._tickers[contract.conId] = ticker
            self._waited_out.discard(contract.conId)
        if not _book_reported(ticker) and contract.conId not in self._waited_out:
            # bid, ask and last arrive as separate messages (from a real Gateway too): wait for
            # both sides of the book rather than price from whichever came first
            try:
                await asyncio.wait_for(_wait_book(ticker), self.market_data_timeout)
            except TimeoutError:
                # a closed market may never send a side: wait once per line, not every time
                self._waited_out.add(contract.conId)
        if not _has_quote(ticker):
            log.info("no streaming quote for %s yet; asking for a snapshot", symbol)
            try:
                snaps = await asyncio.wait_for(
                    self.ib.reqTickersAsync(contract), self.market_data_timeout
                )
            except (TimeoutError, RequestError) as e:
                raise TemporaryError(
                    f"no market data for {symbol}", hint="is the market data farm up?"
                ) from e
            if snaps and _has_quote(snaps[0]):
                ticker = snaps[0]
        quote = mapping.quote_from_ticker(symbol, ticker, self.clock.now(), datetime.now(UTC))
        if ticker.marketDataType in (3, 4) or self._delayed(ticker):
            quote = replace(quote, delayed=True)
        if _half_book(ticker):
            log.warning("only one side of %s's book arrived within %.1fs; not a book to price "
                        "from", symbol, self.market_data_timeout)
            quote = replace(quote, half_book=True)
        if quote.bid is None and quote.ask is None and quote.last is None:
            raise TemporaryError(
                f"no market data for {symbol}", hint="the market may be closed with no last price"
            )
        return quote

    def _delayed(self, ticker: Ticker) -> bool:
        req_ids = self.conn.state.delayed_req_ids
        if not req_ids:
            return False
        wrapper = self.ib.wrapper
        return (
            any(wrapper.reqId2Ticker.get(r) is ticker for r in req_ids)
            if hasattr(wrapper, "reqId2Ticker")
            else False
        )

    @venue_call()
    async def fetch_order_book(self, symbol: Symbol, depth: int = 10) -> OrderBook:
        """``depth`` rows a side from IB's depth of book at the listing exchange (not SMART
        consolidated); ``DataUnavailableError`` when the account lacks the depth subscription."""
        if not 1 <= depth <= marketdepth.MAX_DEPTH_ROWS:
            raise InputError(
                f"depth must be between 1 and {marketdepth.MAX_DEPTH_ROWS}, got {depth}"
            )
        _, contract = await self._resolve(symbol)
        self.conn.require_connected()
        at_exchange = copy.copy(contract)  # depth is per exchange: ASX, not SMART
        if contract.exchange == "SMART" and contract.primaryExchange:
            at_exchange.exchange = contract.primaryExchange
        async with self._depth_lock:  # one depth line at a time: IB allows only a few (309)
            return await marketdepth.order_book(
                self.ib, at_exchange, symbol, depth, wait_seconds=self.market_data_timeout,
                now=self.clock.now(),
            )  # fmt: skip

    @venue_call()
    async def fetch_public_trades(self, symbol: Symbol, limit: int = 100) -> list[PublicTrade]:
        """The last ``limit`` trade ticks (historical ticks, paced like history); IDEALPRO FX
        has no trades, so its tape is midpoints, labelled ``midpoint``."""
        if not 1 <= limit <= marketdepth.MAX_TICKS:
            raise InputError(f"limit must be between 1 and {marketdepth.MAX_TICKS}, got {limit}")
        _, contract = await self._resolve(symbol)
        what, _ = marketdepth.tape_kind(symbol)
        now = self.clock.now().replace(microsecond=0)  # IB's end time has whole seconds
        await self.pacer.acquire(
            (contract.conId, contract.exchange, what), ("ticks", contract.conId, what, now, limit)
        )
        self.conn.require_connected()
        return await marketdepth.public_trades(
            self.ib, contract, symbol, limit, end=now, wait_seconds=TICKS_TIMEOUT
        )

    @venue_call()
    async def fx_rate(self, base: str, quote: str) -> Decimal:
        """Units of ``quote`` per unit of ``base`` from IDEALPRO mids, cached for a minute."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Decimal(1)
        cached = self._fx_cache.get((base, quote))
        now = self.clock.now()
        if cached and (now - cached[0]).total_seconds() < self.fx_cache_seconds:
            return cached[1]
        b, q = fx_convention(base, quote)
        mid = (await self.get_market_data(Symbol(b, q))).price
        if mid is None or mid <= 0:
            raise TemporaryError(f"no FX quote for {b}/{q}")
        rate = mid if (b, q) == (base, quote) else Decimal(1) / mid
        self._fx_cache[(base, quote)] = (now, rate)
        return rate

    def history_plan(self, symbol: Symbol, timeframe: Timeframe, limit: int) -> HistoryPlan:
        """Requests IB's step-size rule needs for ``limit`` bars, and the time its pacing adds."""
        return history.plan(self.pacer, symbol, timeframe, limit)

    @venue_call()
    async def fetch_ohlcv(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        limit: int,
        *,
        progress: HistoryProgress | None = None,
    ) -> list[Candle]:
        """Up to ``limit`` bars oldest first, in as few requests as IB's step-size rule allows
        (paced, retried on a pacing reply, cached 15 s: see :mod:`.history`)."""
        _, contract = await self._resolve(symbol)
        return await history.fetch(self, contract, symbol, timeframe, limit, progress)

    # -- orders ---------------------------------------------------------------------------
    @venue_call(hint=ORDER_IN_DOUBT_HINT)
    async def place_order(self, request: OrderRequest) -> Order:
        """Send one order and wait for IB's acknowledgement.

        Returns the order as IB reports it; ``pending`` if no acknowledgement arrived in time
        (ambiguous: resync settles it), ``rejected`` only on IB's definitive answer. Idempotent
        by client order id: an order this connection already knows by that id (placed in this
        session, or open or completed when it connected) is returned, not sent again.
        """
        inst, contract = await self._resolve(request.symbol)
        self._validate(request, inst)
        self.conn.check_trading_allowed()
        self.conn.require_connected()
        known = self._trades_by_ref(request.client_order_id)
        if known:
            log.info("order %s is already at IB; not sending it again", request.client_order_id)
            return self._order(known[-1])
        ib_order = mapping.to_ib_order(
            request.side,
            request.amount,
            request.spec,
            order_ref=request.client_order_id,
            account=self.account,
        )
        trade = self.ib.placeOrder(contract, ib_order)
        try:
            await asyncio.wait_for(_wait_status(trade, ACK_STATES), self.order_ack_timeout)
        except TimeoutError:
            log.warning(
                "no acknowledgement for %s within %.0fs; leaving it in flight",
                request.client_order_id,
                self.order_ack_timeout,
            )
        return self._order(trade)

    @venue_call(hint=ORDER_IN_DOUBT_HINT)
    async def place_bracket(self, request: BracketRequest) -> list[Order]:
        """Send an entry (parent LMT, transmit False) with its stop and target children (one
        OCA group, ocaType 2, ``parentId`` the entry's), the last child transmitting the group;
        or, without an entry, a stand-alone OCA group. Every leg carries its client order id in
        ``orderRef``. A leg this connection already knows (by orderRef) is not sent again; the
        rest are. Returns the legs as IB acknowledged them (``pending`` where no answer came).
        """
        legs = request.legs
        if not request.children:
            raise InvalidOrderError("a bracket needs a stop or a target child")
        symbol = legs[0].symbol
        if any(leg.symbol != symbol for leg in legs):
            raise InvalidOrderError("every leg of a bracket trades the same symbol")
        inst, contract = await self._resolve(symbol)
        for leg in legs:
            self._validate(leg, inst)
        self.conn.check_trading_allowed()
        self.conn.require_connected()
        known = {leg.client_order_id: self._trades_by_ref(leg.client_order_id) for leg in legs}
        parent_id: int | None = None
        if request.entry is not None:
            sent = known[request.entry.client_order_id]
            parent_id = sent[-1].order.orderId if sent else self.ib.client.getReqId()
        todo = [leg for leg in legs if not known[leg.client_order_id]]
        if len(todo) < len(legs):
            log.info("bracket %s: %d leg(s) already at IB; not sending them again",
                     request.oca_group, len(legs) - len(todo))
        entry_index = None
        if request.entry is not None and request.entry in todo:
            entry_index = todo.index(request.entry)
        ib_orders = mapping.bracket_orders(
            [(leg.side, leg.amount, leg.spec, leg.client_order_id) for leg in todo],
            oca_group=request.oca_group, parent_id=parent_id, entry_index=entry_index,
            account=self.account,
        )
        for leg, ib_order in zip(todo, ib_orders, strict=True):
            known[leg.client_order_id] = [self.ib.placeOrder(contract, ib_order)]
        trades = [known[leg.client_order_id][-1] for leg in legs]
        waits = [asyncio.wait_for(_wait_status(t, ACK_STATES), self.order_ack_timeout)
                 for t in trades]
        for leg, outcome in zip(
            legs, await asyncio.gather(*waits, return_exceptions=True), strict=True
        ):
            if isinstance(outcome, TimeoutError):
                log.warning("no acknowledgement for %s within %.0fs; leaving it in flight",
                            leg.client_order_id, self.order_ack_timeout)
            elif isinstance(outcome, BaseException):
                raise outcome
        return [self._order(t) for t in trades]

    def _validate(self, request: OrderRequest, inst: Instrument) -> None:
        validate_request(self.capabilities, request, inst)

    def _order(self, trade: IBTrade) -> Order:
        order = mapping.order_from_trade(trade)
        if (
            order.status is OrderStatus.CANCELED
            and order.filled == 0
            and (order.client_order_id not in self._cancel_requested)
            and any(e.errorCode in codes.ORDER_REJECTS for e in trade.log)
        ):
            order.status = OrderStatus.REJECTED
        return order

    def _trades_by_ref(self, client_order_id: str) -> list[IBTrade]:
        return [t for t in self.ib.trades() if t.order.orderRef == client_order_id]

    @venue_call()
    async def get_order(self, client_order_id: str) -> Order | None:
        """Find an order by client order id: this session, open orders, completed orders."""
        trade = await self._find_trade(lambda t: t.order.orderRef == client_order_id)
        return self._order(trade) if trade is not None else None

    @venue_call()
    async def wait_for_order_update(
        self, client_order_id: str, seen: Order, at_most: float
    ) -> None:
        """Return as soon as TWS says something new about the order (status, a fill with its
        commission report), at once if it already has, or after ``at_most`` venue seconds; a
        link that drops meanwhile ends the wait with ``TemporaryError``."""
        self.conn.require_connected()
        trades = self._trades_by_ref(client_order_id)
        if not trades:  # not an order of this connection: nothing streams, so poll
            await self.clock.sleep(at_most)
            return
        await order_events.until_news(
            self.ib, trades[-1], seen, self._order, self.clock, at_most
        )

    def done_orders(self) -> set[str]:
        """Client order ids of the finished orders ib_async still keeps (see :mod:`.kept`)."""
        return kept.done_refs(self.ib.wrapper)

    def forget_orders(self, settled: Mapping[str, frozenset[str]]) -> int:
        """Let ib_async forget settled finished orders and their fills (see :mod:`.kept`)."""
        gone = kept.forget(self.ib.wrapper, settled)
        self._cancel_requested.difference_update(gone)
        return len(gone)

    @venue_call()
    async def get_order_by_venue_id(self, venue_order_id: str) -> Order | None:
        """Find an order by IB's id (permId, or ``clientId:orderId``), ours or not."""
        trade = await self._find_trade(lambda t: mapping.order_id(t.order) == venue_order_id)
        return self._order(trade) if trade is not None else None

    async def _find_trade(self, match: Callable[[IBTrade], bool]) -> IBTrade | None:
        self.conn.require_connected()
        found = [t for t in self.ib.trades() if match(t)]
        if not found:
            found = [t for t in await self.ib.reqAllOpenOrdersAsync() if match(t)]
        if not found:
            completed = await self.ib.reqCompletedOrdersAsync(apiOnly=False)
            found = [t for t in completed if match(t)]
        return found[-1] if found else None

    @venue_call(hint=CANCEL_IN_DOUBT_HINT)
    async def cancel_order(self, client_order_id: str) -> Order:
        """Cancel one of our working orders and wait for IB's answer."""
        self.conn.require_connected()
        trades = [t for t in self._trades_by_ref(client_order_id) if not t.isDone()]
        if not trades:
            await self.ib.reqAllOpenOrdersAsync()
            trades = [t for t in self._trades_by_ref(client_order_id) if not t.isDone()]
        if not trades:
            existing = await self.get_order(client_order_id)
            if existing is not None:
                return existing
            raise InputError(f"no working order with client order id {client_order_id}")
        trade = trades[-1]
        self._cancel_requested.add(client_order_id)
        self.ib.cancelOrder(trade.order)
        try:
            await asyncio.wait_for(
                _wait_status(trade, frozenset({"Cancelled", "ApiCancelled", "Filled", "Inactive"})),
                self.order_ack_timeout,
            )
        except TimeoutError:
            log.warning("cancel of %s not confirmed yet", client_order_id)
        return self._order(trade)

    @venue_call()
    async def get_open_orders(self, *, ours_only: bool = True) -> list[Order]:
        """Working orders; by default only those whose orderRef carries our prefix."""
        self.conn.require_connected()
        trades = await self.ib.reqAllOpenOrdersAsync()
        prefix = self.settings.core.client_order_prefix
        orders = [self._order(t) for t in trades if not t.isDone()]
        if ours_only:
            orders = [o for o in orders if o.client_order_id.startswith(prefix)]
        return orders

    # -- positions, fills, account ---------------------------------------------------------
    @venue_call()
    async def get_positions(self) -> list[Position]:
        """Positions with market prices from the portfolio; shorts negative."""
        self.conn.require_connected()
        await self.ib.reqPositionsAsync()
        # not the request's own rows: TWS keeps streaming position updates after the first
        # request, and one arriving during this one is a second row for its contract (a
        # double count, or a stale quantity beside the new one). ib_async's per-contract
        # state, applied in message order, is the latest quantity of each, once.
        rows = self.ib.positions()
        prices = {p.contract.conId: p.marketPrice for p in self.ib.portfolio(self.account)}
        now = self.clock.now()
        return [
            mapping.position_from_ib(
                p.contract, p.position, p.avgCost, prices.get(p.contract.conId), now
            )
            for p in rows
            if p.position != 0 and (not self.account or p.account == self.account)
        ]

    @venue_call()
    async def get_my_trades(
        self, symbol: Symbol | None = None, since: datetime | None = None
    ) -> list[Fill]:
        """Executions with commission reports, oldest first (IB keeps the current day's).

        Bounded: never asks further back than ``execution_window`` (IB keeps at most seven
        days), filters by contract at IB when ``symbol`` is known, and refuses to process more
        than ``max_executions`` from one request with an error saying so.
        """
        self.conn.require_connected()
        flt = ExecutionFilter(acctCode=self.account or "")
        window_start = self.clock.now() - self.execution_window
        start = window_start if since is None or since < window_start else since
        flt.time = start.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S")
        if symbol is not None and symbol in self._instruments:
            contract = self._instruments[symbol][1]
            flt.symbol, flt.secType = contract.symbol, contract.secType
        fills = await self.ib.reqExecutionsAsync(flt)
        if len(fills) > self.max_executions:
            raise VenueError(
                f"IB returned {len(fills)} executions since "
                f"{start.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
                f"{f' for {symbol}' if symbol is not None else ''}; trader processes at most "
                f"{self.max_executions} from one request and has recorded none of them",
                hint="IB keeps them for up to 7 days: run `trader resync` more often so each "
                "pass covers less time",
            )
        # ib_async hands back fresh Fill objects without commission for executions it has seen
        # already; their commission reports live on the fills it tracks.
        reports = {f.execution.execId: f.commissionReport for f in self.ib.fills()
                   if f.commissionReport and f.commissionReport.currency}
        out = [
            mapping.fill_from_ib(
                f if f.commissionReport and f.commissionReport.currency
                else f._replace(commissionReport=reports.get(f.execution.execId))
            )
            for f in fills
        ]
        if symbol is not None:
            out = [f for f in out if f.symbol == str(symbol)]
        if since is not None:
            out = [f for f in out if f.timestamp >= since]
        unique = {f.id: f for f in out}
        return sorted(unique.values(), key=lambda f: (f.timestamp, f.id))

    @venue_call()
    async def get_account_summary(self) -> AccountSummary:
        """NetLiquidation, cash, funds and margin in the base currency; cash per currency."""
        self.conn.require_connected()
        base = self.settings.base_currency
        # account updates (reqAccountUpdates) stream every change; the account summary
        # subscription is only refreshed every few minutes, so it is the fallback
        values = [v for v in self.ib.accountValues(self.account)
                  if v.tag in SUMMARY_TAGS and v.currency not in ("", "BASE")]
        if not any(v.tag == "NetLiquidation" for v in values):
            values = await self.ib.accountSummaryAsync(self.account)
        figures: dict[str, Money] = {}
        for v in values:
            name = SUMMARY_TAGS.get(v.tag)
            if name and v.currency and mapping.dec(v.value) is not None:
                figures[name] = await self._in_base(Money(to_decimal(v.value), v.currency), base)
        cash: dict[str, Money] = {}
        for v in self.ib.accountValues(self.account):
            if v.tag == "CashBalance" and v.currency and v.currency != "BASE":
                cash[v.currency] = Money(to_decimal(v.value), v.currency)
        if "net_liquidation" not in figures:
            raise TemporaryError("IB sent no NetLiquidation for the account")
        return AccountSummary(
            account_id=self.account,
            base_currency=base,
            net_liquidation=figures["net_liquidation"],
            total_cash=figures.get("total_cash", Money.zero(base)),
            available_funds=figures.get("available_funds"),
            buying_power=figures.get("buying_power"),
            excess_liquidity=figures.get("excess_liquidity"),
            init_margin=figures.get("init_margin"),
            maint_margin=figures.get("maint_margin"),
            cash_by_currency=cash,
            timestamp=self.clock.now(),
        )

    async def _in_base(self, amount: Money, base: str) -> Money:
        if amount.currency == base:
            return amount
        return amount.convert(await self.fx_rate(amount.currency, base), base)

    @venue_call()
    async def to_base(self, amount: Money) -> Money:
        """``amount`` converted to the base currency with cached IDEALPRO quotes."""
        return await self._in_base(amount, self.settings.base_currency)

    def link_events(self, since: timedelta | None = None) -> list[dict[str, Any]]:
        """Recent connectivity and error notices for the status view."""
        cutoff = self.clock.now() - since if since else None
        return [
            {"time": e.time, "code": e.code, "message": e.message}
            for e in self.conn.state.events
            if cutoff is None or e.time >= cutoff
        ]


def _has_quote(ticker: Ticker) -> bool:
    return any(mapping.dec(v) is not None and v > 0 for v in (ticker.bid, ticker.ask, ticker.last))


def _reported(value: float) -> bool:
    """Whether IB has sent this side: a price, or its explicit 'empty' (-1); NaN is 'not yet'."""
    return not (value is None or math.isnan(value))


def _book_reported(ticker: Ticker) -> bool:
    return _reported(ticker.bid) and _reported(ticker.ask)


def _half_book(ticker: Ticker) -> bool:
    """One side of the book arrived and the other has not been heard of."""
    return _reported(ticker.bid) != _reported(ticker.ask)


async def _wait_book(ticker: Ticker) -> None:
    while not _book_reported(ticker):
        if ticker.updateEvent.done():  # ib_async ends a ticker's events when the link drops
            raise LinkDropped("the link dropped before the book arrived")
        await ticker.updateEvent


async def _wait_status(trade: IBTrade, states: frozenset[str]) -> None:
    while trade.orderStatus.status not in states:
        if trade.statusEvent.done():  # ib_async ends a trade's events when the link drops
            raise LinkDropped("the link dropped before IB answered")
        await trade.statusEvent

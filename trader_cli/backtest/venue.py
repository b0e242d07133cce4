"""An in-process IB venue over the simulator's matching engine: no socket, no wire format.

:class:`BacktestVenue` implements :class:`~trader_cli.venues.base.BaseTrader` the way the IB
adapter does on the SIMULATED gateway — the same instruments, order checks, commissions, fills
against simulated depth, stops, brackets and OCA groups, account figures — but it calls the
:class:`~trader_cli.sim.engine.matching.MatchingEngine` directly and serves bars from the file
being replayed. The backtest loop (:mod:`trader_cli.backtest.engine`) moves its clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from trader_cli.backtest.history import History
from trader_cli.backtest.mapping import (
    fill_from_sim,
    instrument_from_sim,
    order_from_sim,
    refused_order,
)
from trader_cli.backtest.market import StreamMarket, raw_at, region, seconds_where
from trader_cli.config import Settings
from trader_cli.domain.models import (
    AccountSummary,
    Candle,
    Fill,
    Order,
    Position,
    Quote,
    Side,
)
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.domain.venues import Venue
from trader_cli.errors import DataUnavailableError, InvalidOrderError, SymbolError
from trader_cli.services.pnl import FillRecord
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery
from trader_cli.sim.engine.catalogue import Instrument as SimInstrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.contingent import touch_reaches
from trader_cli.sim.engine.market import CsvBar
from trader_cli.sim.engine.matching import MatchingEngine, OrderTicket
from trader_cli.sim.engine.notifier import RequestError
from trader_cli.sim.engine.world import ACTIVE, DEFAULT_ACCOUNT, SimExecution, SimOrder, World
from trader_cli.venues.base import (
    BaseTrader,
    BracketRequest,
    HistoryProgress,
    Instrument,
    OrderRequest,
    VenueCapabilities,
)
from trader_cli.venues.ib.capabilities import ib_capabilities
from trader_cli.venues.ib.contracts import contract_spec, fx_convention
from trader_cli.venues.ib.order_rules import (
    DEFAULT_TIME_IN_FORCE,
    IB_ORDER_TYPE,
    OCA_REDUCE_WITH_BLOCK,
    SIDE_OF_EXEC,
    TIME_IN_FORCE,
    validate_request,
)

CLIENT_ID = 1


class _Events:
    """The engine's notifier: remembers refusals and counts changes (no wire to write to)."""

    def __init__(self) -> None:
        self.refusals: dict[int, RequestError] = {}
        self.changes = 0  # order status changes and fills: the loop's cue to look at plans
        self.version = 0  # any change the engine made to orders, fills or the account

    def order_status(self, order: SimOrder, inst: SimInstrument) -> None:
        del order, inst
        self.changes += 1

    def executions(
        self, order: SimOrder, inst: SimInstrument, fills: Sequence[SimExecution]
    ) -> None:
        del order, inst, fills
        self.changes += 1

    def account_changed(self, inst: SimInstrument) -> None:
        del inst

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        del client_id
        self.refusals[req_id] = error

    def world_changed(self) -> None:
        self.version += 1


class BacktestTime:
    """The venue's clock: the backtest's time. Waiting moves the market on, as on a pinned
    sim clock (one-second steps, working orders matched after each)."""

    def __init__(self, venue: BacktestVenue) -> None:
        self.venue = venue

    def now(self) -> datetime:
        """Current backtest time."""
        return self.venue.sim_clock.now()

    async def sleep(self, seconds: float) -> None:
        """Advance the backtest clock by ``seconds`` (nothing waits for wall time)."""
        if seconds > 0:
            self.venue.advance_to(self.now() + timedelta(seconds=seconds))


class BacktestVenue(BaseTrader):
    """IB on the simulator's engine, in this process; see the module docstring."""

    venue = Venue.IB
    backend = Backend.SIM

    def __init__(
        self,
        settings: Settings,
        *,
        start: datetime,
        cash: Decimal,
        seed: int = 0,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.settings = settings
        self._base = settings.base_currency  # asked at every step: read once
        self.catalogue = catalogue or Catalogue.load()
        self.market = StreamMarket(seed)
        self.sim_clock = SimClock.pinned(start)
        self.clock = BacktestTime(self)
        self.world = World(account=settings.ib.account_id or DEFAULT_ACCOUNT,
                           cash={settings.base_currency: cash})
        self.events = _Events()
        self.engine = MatchingEngine(
            world=self.world,
            catalogue=self.catalogue,
            market=self.market,
            clock=self.sim_clock,
            notifier=self.events,
        )
        self._caps = ib_capabilities(settings)
        self._instruments: dict[Symbol, tuple[Instrument, SimInstrument]] = {}
        self._by_ref: dict[str, SimOrder] = {}
        self.history = History()
        self._quoted: tuple[Symbol, datetime, Quote] | None = None
        self._symbols: dict[int, Symbol] = {}  # conId -> our symbol
        self._connected = False
        self._order_ids = itertools.count(1)
        self._refused_ids: dict[str, int] = {}  # client order id -> the refused ticket's id
        # perm id -> (the order's prices and state, its region): asked at every step while the
        # order works, and the same until it is modified or triggered
        self._regions: dict[int, tuple[tuple[Any, ...], tuple[float | None, float | None]]] = {}
        self._flat_equity: tuple[int, Decimal] | None = None  # see equity_now
        # the working orders and where each instrument's may act, as of the engine's change
        # counts: ((changes, version), orders, per instrument (inst, below, above))
        self._working: tuple[tuple[int, int], list[SimOrder],
                             list[tuple[SimInstrument, float | None, float | None]]] | None = None

    # -- the loop's side ------------------------------------------------------------------
    def sim_instrument(self, symbol: Symbol) -> SimInstrument:
        """The simulator's instrument for ``symbol`` (``SymbolError`` when it has none)."""
        cached = self._instruments.get(symbol)
        if cached is not None:
            return cached[1]
        ib = self.settings.ib
        spec = contract_spec(
            symbol,
            routing_exchange=ib.routing_exchange,
            primary_exchange=ib.primary_exchange,
            allowed=frozenset(ib.allowed_instruments),
        )
        query = ContractQuery(
            symbol=spec.symbol, sec_type=spec.sec_type, currency=spec.currency,
            exchange=spec.exchange, primary_exchange=spec.primary_exchange or "",
        )
        found = self.engine.resolve(query)
        if found is None:
            raise SymbolError(
                f"the simulator knows no {symbol}: the backtest trades what the sim lists",
                hint="see trader_cli/sim/data/instruments.json (trader resolve-symbol --sim)",
            )
        inst = instrument_from_sim(symbol, found, spec.exchange)
        self._instruments[symbol] = (inst, found)
        self._symbols[found.con_id] = symbol
        return found

    def feed(self, symbol: Symbol, bar: CsvBar) -> int | None:
        """The next bar of ``symbol`` enters the market (its path runs from its start on).
        Returns how long ``symbol``'s bars are: the shortest gap between them so far (None
        until its second bar)."""
        inst = self.sim_instrument(symbol)
        self.market.feed(inst.local_symbol, bar)
        return self.history.fed(symbol, bar.ts)

    def complete(self, symbol: Symbol, bar: CsvBar) -> None:
        """``bar`` has ended: it joins the history strategies read."""
        self.history.complete(symbol, bar, self.sim_instrument(symbol))

    def order_state(self, client_order_id: str) -> SimOrder | None:
        """The engine's own record of our order (filled, working): no mapping, no copy."""
        return self._by_ref.get(client_order_id)

    def held(self, symbol: Symbol, side: Side) -> Decimal:
        """What is held of ``symbol`` on ``side``'s side (0 when flat or the other way)."""
        inst = self.sim_instrument(symbol)
        pos = self.world.positions.get(inst.con_id)
        qty = pos.quantity if pos is not None else Decimal(0)
        return max(qty, Decimal(0)) if side is Side.BUY else max(-qty, Decimal(0))

    def stop_limit_prices(self, client_order_ids: list[str]) -> list[Decimal]:
        """The limits of those orders that are working stop limits."""
        out = []
        for cid in client_order_ids:
            o = self._by_ref.get(cid)
            if o is not None and o.is_active and o.order_type == "STP LMT" and o.lmt_price:
                out.append(o.lmt_price)
        return out

    def forget(self, client_order_ids: list[str]) -> None:
        """Drop finished orders of a closed plan (the engine scans its orders on each change:
        a backtest keeps only what can still change)."""
        for cid in client_order_ids:
            o = self._by_ref.get(cid)
            if o is not None and not o.is_active and o.status != "Untransmitted":
                del self._by_ref[cid]
                self.world.orders.pop(o.perm_id, None)
                self._regions.pop(o.perm_id, None)

    def drain_fills(self) -> list[FillRecord]:
        """The fills since the last call, as accounting records in the base currency (each
        at the FX rate of its moment); the engine's list of executions is emptied."""
        executions = self.world.executions
        if not executions:
            return []
        out = []
        base = self._base
        for ex in executions:
            inst = self.catalogue.by_con_id(ex.con_id)
            assert inst is not None
            sym = self._symbols[inst.con_id]
            rate = self._rate(sym.quote)
            # IDEALPRO charges in USD whatever the pair (EUR/AUD too): each at its own rate
            fee = ex.commission
            if ex.commission_currency != base:
                fee = fee * self._rate(ex.commission_currency)
            out.append(FillRecord(str(sym), SIDE_OF_EXEC[ex.side], ex.shares, ex.price,
                                  ex.time, rate, fee))
        executions.clear()
        return out

    def is_working(self, client_order_id: str) -> bool:
        """Whether our order ``client_order_id`` is still working at the venue."""
        order = self._by_ref.get(client_order_id)
        return order is not None and order.is_active

    def positions_now(self) -> list[Position]:
        """Open positions marked at the simulated mid of this moment, as :meth:`get_positions`
        and ``trader run`` mark them (not at the close of a bar that has not ended yet)."""
        now = self.sim_clock.now()
        out = []
        for con_id, pos in self.world.positions.items():
            if pos.quantity == 0:
                continue
            inst = self.catalogue.by_con_id(con_id)
            assert inst is not None
            sym = self._symbols[con_id]
            out.append(Position(
                symbol=str(sym), quantity=pos.quantity, avg_price=pos.avg_cost,
                current_price=self.market.mid(inst, now), timestamp=now, currency=inst.currency,
            ))
        return out

    def equity_now(self, bars: dict[Symbol, CsvBar]) -> tuple[Decimal, bool]:
        """Net liquidation in the base currency with positions at the close of each symbol's
        latest bar in ``bars`` and other currencies at the simulated FX mids; and whether any
        position is open."""
        kept = self._flat_equity
        if kept is not None and kept[0] == self.events.changes:
            return kept[1], False  # flat in base cash, and no fill since
        base = self._base
        total = Decimal(0)
        foreign = False
        for ccy, amount in self.world.cash.items():
            if amount:
                if ccy == base:
                    total += amount
                else:
                    total += amount * self._rate(ccy)
                    foreign = True
        exposed = False
        for con_id, pos in self.world.positions.items():
            if pos.quantity == 0:
                continue
            exposed = True
            inst = self.catalogue.by_con_id(con_id)
            assert inst is not None
            if inst.is_fx:
                continue  # held as cash balances
            bar = bars.get(self._symbols[con_id])
            if bar is not None:
                total += pos.quantity * Decimal(repr(bar.close)) * self._rate(inst.currency)
        # flat with only base cash, the equity holds until a fill changes it (the count of
        # executions and status changes moves with every fill)
        self._flat_equity = None if exposed or foreign else (self.events.changes, total)
        return total, exposed

    def _rate(self, currency: str) -> Decimal:
        """Base currency per unit of ``currency`` at the simulated FX mid of this moment (an
        FX position's equity moves with its price: a rate kept for a while would hide it)."""
        if currency == self._base:
            return Decimal(1)
        return self.engine.rate(currency)

    def account_now(self) -> AccountSummary:
        """:meth:`get_account_summary` without the coroutine (for a strategy's context)."""
        v = self.engine.account_values()
        base = self._base

        def money(tag: str) -> Money:
            return Money(v[tag], base)

        return AccountSummary(
            account_id=self.world.account,
            base_currency=base,
            net_liquidation=money("NetLiquidation"),
            total_cash=money("TotalCashValue"),
            available_funds=money("AvailableFunds"),
            buying_power=money("BuyingPower"),
            excess_liquidity=money("ExcessLiquidity"),
            init_margin=money("InitMarginReq"),
            maint_margin=money("MaintMarginReq"),
            cash_by_currency={c: Money(a, c) for c, a in self.world.cash.items() if len(c) == 3},
            timestamp=self.sim_clock.now(),
        )

    def advance_to(self, when: datetime) -> None:
        """Move the clock to ``when``, matching working orders at every second in between at
        which the market comes near one of their prices (where the sim, stepping each second,
        could fill or elect them), then DAY orders past their close expire."""
        start = self.sim_clock.now()
        if when <= start:
            return
        events = self.events
        kept = self._working
        if kept is None or kept[0] != (events.changes, events.version):
            working = [o for o in self.world.orders.values() if o.status in ACTIVE]
            kept = self._working = ((events.changes, events.version), working,
                                    self._reach_by_instrument(working))
        _, working, reach = kept
        if not working:
            self.sim_clock.set(when)
            return
        if not any(self._reachable(inst, below, above, start, when)
                   for inst, below, above in reach):
            self.sim_clock.set(when)  # the market does not come near any of them
            # nothing matched, so the working orders are as they were: look for expiries
            # among them before asking the engine to
            if any(o.expires_at is not None and when >= o.expires_at for o in working):
                self.engine.expire_day_orders()
            return
        total = (when - start).total_seconds()
        paths: dict[int, list[tuple[float, float]]] = {}
        seconds: set[int] = set()
        for order in working:
            below, above = self._region(order)
            inst = self._inst(order)
            path = paths.get(inst.con_id)
            if path is None:
                path = paths[inst.con_id] = self.market.path_window(inst, start, when)
            seconds.update(
                [1] if below is None and above is None
                else seconds_where(path, below, above, total)
            )
        for second in sorted(seconds):
            live = [o for o in working if o.is_active]
            if not live:
                break
            self.sim_clock.set(start + timedelta(seconds=second))
            for order in live:
                inst = self._inst(order)
                below, above = self._region(order)  # a fill may have triggered it
                if below is not None or above is not None:
                    raw = raw_at(paths[inst.con_id], second)
                    if not ((below is not None and raw <= below)
                            or (above is not None and raw >= above)):
                        continue
                if self._touch_may_act(order, inst):
                    self.engine.match_order(order, inst, resting=True)
        self.sim_clock.set(when)
        self.engine.expire_day_orders()

    def _touch_may_act(self, order: SimOrder, inst: SimInstrument) -> bool:
        """False only when matching ``order`` now would do nothing: the touch the engine's
        quote would show neither elects nor fills it (reading the touch costs a fraction of the
        whole book the engine would build to find that out)."""
        bid, ask, last = self.market.quote_prices(inst, self.sim_clock.now())
        return touch_reaches(order, bid, ask, last)

    def _region(self, order: SimOrder) -> tuple[float | None, float | None]:
        """:func:`region` of ``order``, kept while its prices and state stay as they are."""
        state = (order.aux_price, order.lmt_price, order.triggered, order.action,
                 order.order_type)
        kept = self._regions.get(order.perm_id)
        if kept is not None and kept[0] == state:
            return kept[1]
        found = region(order, self._inst(order))
        self._regions[order.perm_id] = (state, found)
        return found

    def _reach_by_instrument(
        self, working: list[SimOrder]
    ) -> list[tuple[SimInstrument, float | None, float | None]]:
        """Per instrument of ``working``: the highest price at or below which one of its orders
        may act, and the lowest at or above which one may (both None when one works at the
        market: it may act at any second)."""
        out: dict[int, tuple[SimInstrument, float | None, float | None]] = {}
        anytime: set[int] = set()
        for order in working:
            inst = self._inst(order)
            below, above = self._region(order)
            if below is None and above is None:
                anytime.add(inst.con_id)
            _, low, high = out.get(inst.con_id, (inst, None, None))
            if below is not None:
                low = below if low is None else max(low, below)
            if above is not None:
                high = above if high is None else min(high, above)
            out[inst.con_id] = (inst, low, high)
        return [(inst, None, None) if con_id in anytime else (inst, low, high)
                for con_id, (inst, low, high) in out.items()]

    def _reachable(self, inst: SimInstrument, below: float | None, above: float | None,
                   start: datetime, end: datetime) -> bool:
        """Whether the market of ``inst`` may come to ``below`` or under, or ``above`` or
        over, between ``start`` and ``end`` (True when it cannot tell cheaply, and for an
        order at the market: ``below`` and ``above`` None)."""
        if below is None and above is None:
            return True
        bounds = self.market.reach(inst, start, end)
        if bounds is None:
            return True
        lo, hi = bounds
        return (below is not None and lo <= below) or (above is not None and hi >= above)

    def _inst(self, order: SimOrder) -> SimInstrument:
        inst = self.catalogue.by_con_id(order.con_id)
        assert inst is not None
        return inst

    # -- BaseTrader ----------------------------------------------------------------------
    @property
    def capabilities(self) -> VenueCapabilities:
        """IB's capabilities: the backtest trades as the bot would on IB."""
        return self._caps

    @property
    def account(self) -> str | None:
        """The simulated paper account."""
        return self.world.account

    async def connect(self) -> None:
        """Nothing to connect to."""
        self._connected = True

    async def close(self) -> None:
        """Nothing to close."""
        self._connected = False

    @property
    def is_connected(self) -> bool:
        """Always up once opened: an in-process venue has no link to drop."""
        return self._connected

    async def maybe_reconnect(self) -> bool:
        """Up (nothing can drop)."""
        self._connected = True
        return True

    async def resolve(self, symbol: Symbol) -> Instrument:
        """The instrument the simulator lists for ``symbol``."""
        self.sim_instrument(symbol)
        return self._instruments[symbol][0]

    async def get_market_data(self, symbol: Symbol) -> Quote:
        """The simulated book's top at the backtest time, from ``symbol``'s bars: a symbol
        with none (yet) has no quote (the simulator would invent one from its seeded model)."""
        inst = self.sim_instrument(symbol)
        now = self.sim_clock.now()
        if not self.history.has(symbol):
            raise DataUnavailableError(
                f"the backtest has no bars for {symbol} (none in the files, or none yet)",
                hint=f"add its bars with --bars FILE --symbol {symbol} (an FX pair's too, "
                "to value it in the base currency)",
            )
        known = self._quoted
        if known is not None and known[0] == symbol and known[1] == now:
            return known[2]  # the same instant: the same book (asked twice by an entry)
        q = self.market.quote(inst, now)
        quote = Quote(
            symbol=str(symbol),
            timestamp=now,
            bid=q.bid,
            ask=q.ask,
            last=q.last,
            bid_size=q.bid_size,
            ask_size=q.ask_size,
            volume=q.volume if not inst.is_fx else None,
        )
        self._quoted = (symbol, now, quote)
        return quote

    async def fetch_ohlcv(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        limit: int,
        *,
        progress: HistoryProgress | None = None,
    ) -> list[Candle]:
        """The last ``limit`` completed bars of the file (in ``timeframe``: the file's own, or
        whole multiples of it aggregated as the sim aggregates them)."""
        del progress
        if not self.history.has(symbol) and symbol not in self._instruments:
            raise DataUnavailableError(
                f"the backtest has no bars for {symbol}",
                hint="add its bars with --bars FILE --symbol SYMBOL",
            )
        return self.history.candles(symbol, timeframe, limit, self._tz)

    def _tz(self, symbol: Symbol) -> ZoneInfo:
        return ZoneInfo(self.sim_instrument(symbol).time_zone_id)

    async def place_order(self, request: OrderRequest) -> Order:
        """Submit one order to the engine (idempotent by client order id)."""
        known = self._by_ref.get(request.client_order_id)
        if known is not None:
            return self._order(known)
        inst = await self.resolve(request.symbol)
        validate_request(self._caps, request, inst)
        return self._order_or_refusal(self._submit(request, transmit=True), request)

    async def place_bracket(self, request: BracketRequest) -> list[Order]:
        """An entry with its stop and target children in one OCA group (ocaType 2), sent as
        the IB adapter sends them: every leg but the last untransmitted."""
        legs = request.legs
        if not request.children:
            raise InvalidOrderError("a bracket needs a stop or a target child")
        symbol = legs[0].symbol
        if any(leg.symbol != symbol for leg in legs):
            raise InvalidOrderError("every leg of a bracket trades the same symbol")
        inst = await self.resolve(symbol)
        for leg in legs:
            validate_request(self._caps, leg, inst)
        parent_id = 0
        if request.entry is not None:
            sent = self._by_ref.get(request.entry.client_order_id)
            parent_id = sent.order_id if sent is not None else next(self._order_ids)
        todo = [leg for leg in legs if leg.client_order_id not in self._by_ref]
        placed: dict[str, SimOrder | None] = {}
        for i, leg in enumerate(todo):
            is_entry = request.entry is not None and leg is request.entry
            placed[leg.client_order_id] = self._submit(
                leg,
                transmit=request.entry is None or i == len(todo) - 1,
                order_id=parent_id if is_entry else None,
                parent_id=0 if is_entry else parent_id,
                oca_group="" if is_entry else request.oca_group,
            )
        out = []
        for leg in legs:
            order = self._by_ref.get(leg.client_order_id)
            out.append(
                self._order(order) if order is not None
                else self._order_or_refusal(placed.get(leg.client_order_id), leg)
            )
        return out

    def _submit(
        self,
        request: OrderRequest,
        *,
        transmit: bool,
        order_id: int | None = None,
        parent_id: int = 0,
        oca_group: str = "",
    ) -> SimOrder | None:
        inst = self.sim_instrument(request.symbol)
        spec = request.spec
        oid = order_id if order_id is not None else next(self._order_ids)
        ticket = OrderTicket(
            client_id=CLIENT_ID,
            order_id=oid,
            inst=inst,
            action="BUY" if request.side is Side.BUY else "SELL",
            total_qty=request.amount,
            order_type=IB_ORDER_TYPE[spec.type],
            lmt_price=spec.limit_price,
            tif=TIME_IN_FORCE[spec.time_in_force or DEFAULT_TIME_IN_FORCE],
            account=self.world.account,
            order_ref=request.client_order_id,
            aux_price=spec.stop_price,
            parent_id=parent_id,
            oca_group=oca_group,
            oca_type=OCA_REDUCE_WITH_BLOCK if oca_group else 0,
            transmit=transmit,
        )
        order = self.engine.submit(ticket)
        if order is None:
            self._refused_ids[request.client_order_id] = oid
            return None
        self._by_ref[request.client_order_id] = order
        return order

    def _order_or_refusal(self, order: SimOrder | None, request: OrderRequest) -> Order:
        if order is not None:
            return self._order(order)
        oid = self._refused_ids.get(request.client_order_id, 0)
        error = self.events.refusals.get(oid)
        why = (error.detail or error.kind.value) if error is not None else "refused"
        return refused_order(request, why, self.sim_clock.now())

    async def cancel_order(self, client_order_id: str) -> Order:
        """Cancel one of our working orders (and its bracket children, as IB does)."""
        order = self._by_ref.get(client_order_id)
        if order is None:
            raise InvalidOrderError(f"no order {client_order_id} at the venue")
        if order.is_active or order.status == "Untransmitted":
            self.engine.cancel(order.client_id, order.order_id)
        return self._order(order)

    async def get_open_orders(self, *, ours_only: bool = True) -> list[Order]:
        """Working orders (all of them are ours: nothing else trades here)."""
        del ours_only
        return [self._order(o) for o in self._by_ref.values() if o.is_active]

    async def get_order(self, client_order_id: str) -> Order | None:
        """An order by client order id."""
        order = self._by_ref.get(client_order_id)
        return None if order is None else self._order(order)

    async def get_order_by_venue_id(self, venue_order_id: str) -> Order | None:
        """An order by its permId."""
        order = self.world.orders.get(int(venue_order_id)) if venue_order_id.isdigit() else None
        return None if order is None else self._order(order)

    async def get_positions(self) -> list[Position]:
        """Open positions, marked at the mid; shorts negative."""
        return self.positions_now()

    def _symbol_of(self, inst: SimInstrument) -> Symbol:
        return self._symbols[inst.con_id]

    async def get_my_trades(
        self, symbol: Symbol | None = None, since: datetime | None = None
    ) -> list[Fill]:
        """Our fills, oldest first."""
        out = []
        for ex in self.world.executions:
            inst = self.catalogue.by_con_id(ex.con_id)
            assert inst is not None
            sym = self._symbol_of(inst)
            if symbol is not None and sym != symbol:
                continue
            if since is not None and ex.time < since:
                continue
            out.append(fill_from_sim(ex, sym))
        return out

    async def get_account_summary(self) -> AccountSummary:
        """The simulated account's figures in the base currency (AUD)."""
        return self.account_now()

    async def fx_rate(self, base: str, quote: str) -> Decimal:
        """Units of ``quote`` per ``base`` from the simulated IDEALPRO mids."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Decimal(1)
        b, q = fx_convention(base, quote)
        mid = (await self.get_market_data(Symbol(b, q))).price
        if mid is None or mid <= 0:
            raise DataUnavailableError(f"no FX quote for {b}/{q}")
        return mid if (b, q) == (base, quote) else Decimal(1) / mid

    async def to_base(self, amount: Money) -> Money:
        """``amount`` in AUD at the simulated FX mids."""
        base = self._base
        if amount.currency == base:
            return amount
        return Money(amount.amount * await self.fx_rate(amount.currency, base), base)

    def _order(self, o: SimOrder) -> Order:
        inst = self.catalogue.by_con_id(o.con_id)
        assert inst is not None
        return order_from_sim(o, inst, self._symbol_of(inst))

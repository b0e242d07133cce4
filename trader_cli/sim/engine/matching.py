"""Order matching over the simulated world: no socket, no wire format, no gateway.

The engine takes what it needs explicitly (world, catalogue, market, clock, faults and a
:class:`~trader_cli.sim.engine.notifier.Notifier`), so the TWS server, a REST simulator and an
in-process backtest venue can all drive the same matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from trader_cli.sim.engine import hours
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery, Instrument
from trader_cli.sim.engine.faults import Faults
from trader_cli.sim.engine.market import BOOK_REFRESH_SECONDS, Quote
from trader_cli.sim.engine.notifier import Notifier, Refusal, RequestError
from trader_cli.sim.engine.world import CryptoFees, SimOrder, World

MKT_NOT_ALLOWED = "The order type MKT is not allowed for this contract (SIMULATED rule)"
ORDER_TYPES = ("LMT", "MKT")
IOC = "IOC"  # the time in force whose unfilled rest is cancelled on arrival
# currency -> (local symbol, True when the pair is CCY.AUD, i.e. quoted in AUD)
_AUD_CROSSES = {
    "USD": ("AUD.USD", False),
    "JPY": ("AUD.JPY", False),
    "NZD": ("AUD.NZD", False),
    "EUR": ("EUR.AUD", True),
    "GBP": ("GBP.AUD", True),
}
_CENT = Decimal("0.01")


class Clock(Protocol):
    """Where the engine reads the time (a :class:`~trader_cli.sim.engine.clock.SimClock`)."""

    def now(self) -> datetime:
        """Current sim time, aware UTC."""
        ...


class Quotes(Protocol):
    """Where the engine reads the book (a :class:`~trader_cli.sim.engine.market.MarketModel`)."""

    def quote(self, inst: Instrument, when: datetime) -> Quote:
        """Top of book and depth for ``inst`` at ``when``."""
        ...


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """A new order, or a modification of a live one (same client and order id)."""

    client_id: int
    order_id: int
    inst: Instrument
    action: str  # BUY / SELL
    total_qty: Decimal
    order_type: str  # LMT / MKT
    lmt_price: Decimal | None = None
    tif: str = "DAY"
    account: str = ""  # the world's account when empty
    order_ref: str = ""
    outside_rth: bool = False


class MatchingEngine:
    """Accepts, cancels and fills orders against the market, reporting through a notifier."""

    def __init__(
        self,
        *,
        world: World,
        catalogue: Catalogue,
        market: Quotes,
        clock: Clock,
        notifier: Notifier,
        faults: Faults | None = None,
        fees: CryptoFees | None = None,
    ) -> None:
        self.world = world
        self.catalogue = catalogue
        self.market = market
        self.clock = clock
        self.notifier = notifier
        self.faults = faults or Faults()
        self.fees = fees  # crypto fee rates (IB commissions come from trader_cli.costs)

    # ----- lookups ------------------------------------------------------------------------------
    def resolve(self, query: ContractQuery) -> Instrument | None:
        """The single instrument a request's contract names (first match wins)."""
        rows = self.catalogue.match(query)
        return rows[0][0] if rows else None

    def rate(self, currency: str) -> Decimal:
        """AUD per one unit of ``currency`` from current SIMULATED FX mids."""
        if currency == "AUD":
            return Decimal(1)
        local, aud_quoted = _AUD_CROSSES[currency]
        inst = self.catalogue.by_local_symbol(local)
        assert inst is not None
        q = self.market.quote(inst, self.clock.now())
        mid = (q.bid + q.ask) / 2
        return mid if aud_quoted else Decimal(1) / mid

    def mark(self, inst: Instrument) -> Decimal:
        """Mid price used to value positions."""
        q = self.market.quote(inst, self.clock.now())
        return (q.bid + q.ask) / 2

    # ----- orders -------------------------------------------------------------------------------
    def submit(self, ticket: OrderTicket) -> SimOrder | None:
        """Validate, accept and (when the market is open) match a new or modified order.

        A refusal goes to :meth:`Notifier.request_error` and returns None.
        """
        inst = ticket.inst
        reason = self.faults.take_order_rejection()
        if reason is None and ticket.order_type not in ORDER_TYPES:
            reason = f"The order type {ticket.order_type} is not supported by the SIMULATED gateway"
        if reason is None and ticket.order_type == "MKT" and not inst.market_orders_allowed:
            reason = MKT_NOT_ALLOWED
        if reason is None and ticket.order_type == "LMT" and ticket.lmt_price is None:
            reason = "Missing limit price"
        price = ticket.lmt_price if ticket.order_type == "LMT" else None
        error = None
        if reason is not None:
            error = RequestError(Refusal.REJECTED, reason)
        elif ticket.total_qty <= 0:
            error = RequestError(Refusal.SIZE_ZERO)
        elif price is not None and (price <= 0 or price % inst.tick_at(price) != 0):
            error = RequestError(Refusal.PRICE_NOT_ON_TICK)
        if error is not None:
            self.notifier.request_error(ticket.client_id, ticket.order_id, error)
            return None
        world = self.world
        order = world.find_order(ticket.client_id, ticket.order_id)
        if order is not None and order.is_active:
            order.total_qty, order.lmt_price = ticket.total_qty, price
            order.order_ref = ticket.order_ref
        else:
            order = world.new_order(
                order_id=ticket.order_id,
                client_id=ticket.client_id,
                con_id=inst.con_id,
                action=ticket.action.upper(),
                total_qty=ticket.total_qty,
                order_type=ticket.order_type,
                lmt_price=price,
                tif=ticket.tif or "DAY",
                account=ticket.account or world.account,
                order_ref=ticket.order_ref,
                outside_rth=ticket.outside_rth,
                status="PreSubmitted",
                created_at=self.clock.now(),
            )
            self.notifier.order_status(order, inst)
        order.status = "Submitted"
        self.notifier.order_status(order, inst)
        self.match_order(order, inst)
        if order.tif == IOC and order.is_active:
            self._cancel(order)  # immediate or cancel: what did not fill on arrival never rests
        self.notifier.world_changed()
        return order

    def cancel(self, client_id: int, order_id: int) -> bool:
        """Cancel an active order of ``client_id``; False (and a refusal) when there is none."""
        order = self.world.find_order(client_id, order_id)
        if order is None or not order.is_active:
            self.notifier.request_error(client_id, order_id, RequestError(Refusal.UNKNOWN_ORDER))
            return False
        self._cancel(order)
        return True

    def cancel_all(self) -> None:
        """Cancel every active order of every client (reqGlobalCancel)."""
        for order in list(self.world.orders.values()):
            if order.is_active:
                self._cancel(order)

    def _cancel(self, order: SimOrder) -> None:
        inst = self.catalogue.by_con_id(order.con_id)
        assert inst is not None
        self.world.finish(order, "Cancelled", self.clock.now())
        self.notifier.order_status(order, inst)
        self.notifier.world_changed()

    def match_order(self, order: SimOrder, inst: Instrument, *, resting: bool = False) -> None:
        """Fill what the book allows now; no fills while the instrument's market is closed.

        ``resting``: the order was already on the book (its crypto fills pay the maker fee).
        """
        now = self.clock.now()
        if not order.is_active:
            return
        use_rth = not order.outside_rth
        if not hours.is_open(inst.market, now, use_rth=use_rth or inst.market == "FX"):
            return
        q = self.market.quote(inst, now)
        book = q.asks if order.action == "BUY" else q.bids
        bucket = int(now.timestamp()) // BOOK_REFRESH_SECONDS
        fills = self.world.match(
            order, inst, book, bucket, now, self.rate, fees=self.fees, maker=resting
        )
        if fills:
            self.notifier.executions(order, inst, fills)
            self.notifier.account_changed(inst)
            self.notifier.world_changed()

    def match_all(self) -> None:
        """Try every resting order against the current book (call after the clock moves)."""
        for order in list(self.world.orders.values()):
            inst = self.catalogue.by_con_id(order.con_id)
            if inst is not None and order.is_active:
                self.match_order(order, inst, resting=True)

    # ----- account ------------------------------------------------------------------------------
    def account_values(self) -> dict[str, Decimal]:
        """Account summary tags in AUD, rounded as TWS shows them."""
        insts = {i.con_id: i for i in self.catalogue.instruments}
        marks = {c: self.mark(insts[c]) for c in self.world.positions}
        raw = self.world.account_values(insts, marks, self.rate)
        return {
            k: v.quantize(Decimal("0.0001") if k == "Cushion" else _CENT) for k, v in raw.items()
        }

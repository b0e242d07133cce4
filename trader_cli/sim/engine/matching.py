"""Order matching over the simulated world: no socket, no wire format, no gateway.

The engine takes what it needs explicitly (world, catalogue, market, clock, faults and a
:class:`~trader_cli.sim.engine.notifier.Notifier`), so the TWS server, a REST simulator and an
in-process backtest venue can all drive the same matching. Stops, brackets, OCA groups and DAY
expiry follow the rules in :mod:`trader_cli.sim.engine.contingent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from trader_cli.sim.engine import contingent, hours
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery, Instrument
from trader_cli.sim.engine.contingent import OCA_TYPES
from trader_cli.sim.engine.faults import Faults
from trader_cli.sim.engine.market import BOOK_REFRESH_SECONDS, Quote
from trader_cli.sim.engine.notifier import Notifier, Refusal, RequestError
from trader_cli.sim.engine.world import STOP_TYPES, UNTRANSMITTED, CryptoFees, SimOrder, World

MKT_NOT_ALLOWED = "The order type MKT is not allowed for this contract (SIMULATED rule)"
ORDER_TYPES = ("LMT", "MKT", "STP", "STP LMT")
LIMIT_TYPES = ("LMT", "STP LMT")  # the order types that carry a limit price
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

    def quote_prices(self, inst: Instrument, when: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """The bid, ask and last of :meth:`quote` at ``when``, without its sizes and depth."""
        ...

    def prices_at(self, inst: Instrument, when: datetime) -> tuple[Decimal, Decimal, Decimal]:
        """:meth:`quote_prices` at a ``when`` the market is open (its trading time)."""
        ...

    def raw_reach(
        self, inst: Instrument, start: datetime, seconds: float
    ) -> tuple[float, float] | None:
        """Bounds of the (unrounded) price over ``[start, start + seconds]``, or None."""
        ...


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """A new order, a modification of a live one, or an untransmitted one sent again (same
    client and order id)."""

    client_id: int
    order_id: int
    inst: Instrument
    action: str  # BUY / SELL
    total_qty: Decimal
    order_type: str  # LMT / MKT / STP / STP LMT
    lmt_price: Decimal | None = None
    tif: str = "DAY"
    account: str = ""  # the world's account when empty
    order_ref: str = ""
    outside_rth: bool = False
    aux_price: Decimal | None = None  # a stop's trigger
    parent_id: int = 0  # a bracket child's parent (an order id of the same client)
    oca_group: str = ""
    oca_type: int = 0
    transmit: bool = True  # False: keep the order, untransmitted, until its group is sent


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
        """Accept a new order, a change to a working one, or the transmission of a held one.

        ``transmit=False`` keeps the order untransmitted: not working and reported to no one,
        until an order of its bracket or OCA group arrives with ``transmit=True`` and releases
        them all, parent first. A refusal goes to :meth:`Notifier.request_error` and returns None.
        """
        error = self._refusal(ticket)
        if error is not None:
            self.notifier.request_error(ticket.client_id, ticket.order_id, error)
            return None
        order = self.world.find_order(ticket.client_id, ticket.order_id)
        if order is not None and order.is_active:
            self._modify(order, ticket)
        else:
            if order is None or order.status != UNTRANSMITTED:
                order = self._new_order(ticket)
            else:
                self._restate(order, ticket)
            if ticket.transmit:
                self._transmit(order)
        self.notifier.world_changed()
        return order

    def _refusal(self, ticket: OrderTicket) -> RequestError | None:
        inst, kind = ticket.inst, ticket.order_type
        reason = self.faults.take_order_rejection()
        if reason is None and kind not in ORDER_TYPES:
            reason = f"The order type {kind} is not supported by the SIMULATED gateway"
        if reason is None and kind == "MKT" and not inst.market_orders_allowed:
            reason = MKT_NOT_ALLOWED
        if reason is None and kind in LIMIT_TYPES and ticket.lmt_price is None:
            reason = "Missing limit price"
        if reason is None and kind in STOP_TYPES and ticket.aux_price is None:
            reason = "Missing stop price (auxPrice)"
        if reason is None and ticket.oca_group and ticket.oca_type not in (0, *OCA_TYPES):
            reason = f"Invalid OCA type {ticket.oca_type}: use 1, 2 or 3"
        if reason is None and ticket.parent_id:
            parent = self.world.find_order(ticket.client_id, ticket.parent_id)
            if parent is None or parent.status == "Cancelled":
                reason = f"Parent order {ticket.parent_id} is not found or was cancelled"
        if reason is not None:
            return RequestError(Refusal.REJECTED, reason)
        if ticket.total_qty <= 0:
            return RequestError(Refusal.SIZE_ZERO)
        prices = [ticket.lmt_price if kind in LIMIT_TYPES else None]
        prices.append(ticket.aux_price if kind in STOP_TYPES else None)
        for price in prices:
            if price is not None and (price <= 0 or price % inst.tick_at(price) != 0):
                return RequestError(Refusal.PRICE_NOT_ON_TICK)
        return None

    def _new_order(self, ticket: OrderTicket) -> SimOrder:
        return self.world.new_order(
            order_id=ticket.order_id,
            client_id=ticket.client_id,
            con_id=ticket.inst.con_id,
            action=ticket.action.upper(),
            total_qty=ticket.total_qty,
            order_type=ticket.order_type,
            lmt_price=ticket.lmt_price if ticket.order_type in LIMIT_TYPES else None,
            tif=ticket.tif or "DAY",
            account=ticket.account or self.world.account,
            order_ref=ticket.order_ref,
            outside_rth=ticket.outside_rth,
            status=UNTRANSMITTED,
            created_at=self.clock.now(),
            aux_price=ticket.aux_price if ticket.order_type in STOP_TYPES else None,
            parent_id=ticket.parent_id,
            oca_group=ticket.oca_group,
            oca_type=ticket.oca_type,
        )

    def _restate(self, order: SimOrder, ticket: OrderTicket) -> None:
        """An untransmitted order sent again: it takes the new ticket's terms."""
        order.total_qty, order.order_type = ticket.total_qty, ticket.order_type
        order.lmt_price = ticket.lmt_price if ticket.order_type in LIMIT_TYPES else None
        order.aux_price = ticket.aux_price if ticket.order_type in STOP_TYPES else None
        order.tif, order.order_ref = ticket.tif or "DAY", ticket.order_ref
        order.outside_rth, order.parent_id = ticket.outside_rth, ticket.parent_id
        order.oca_group, order.oca_type = ticket.oca_group, ticket.oca_type

    def _modify(self, order: SimOrder, ticket: OrderTicket) -> None:
        """A working order changed in place (quantity, prices, reference)."""
        order.total_qty = ticket.total_qty
        order.lmt_price = ticket.lmt_price if order.order_type in LIMIT_TYPES else None
        if order.is_stop:
            order.aux_price = ticket.aux_price
        order.order_ref = ticket.order_ref
        if not order.why_held:
            order.status = "Submitted"
        inst = self._inst(order)
        self.notifier.order_status(order, inst)
        self.match_order(order, inst)

    def _transmit(self, order: SimOrder) -> None:
        """Send ``order`` and what it releases: each is acknowledged (PreSubmitted) before any
        starts working, so a parent that fills at once finds its children there."""
        group = contingent.release_group(self.world, order)
        now = self.clock.now()
        for member in group:
            inst = self._inst(member)
            parent = contingent.parent_of(self.world, member)
            if parent is not None:
                member.awaiting_parent = parent.status != "Filled"
                if not member.oca_group:  # IB links a bracket's children in one OCA group
                    member.oca_group = str(parent.perm_id)
                    member.oca_type = contingent.BRACKET_OCA_TYPE
            if member.oca_group and not member.oca_type:
                member.oca_type = contingent.OCA_CANCEL_WITH_BLOCK
            if member.tif in contingent.DAY_TIFS:
                member.expires_at = contingent.day_close(inst, now, outside_rth=member.outside_rth)
            member.status = "PreSubmitted"
            self.notifier.order_status(member, inst)
        for member in group:
            self._activate(member)

    def _activate(self, order: SimOrder) -> None:
        """Start working an acknowledged order: a limit or market order is Submitted and
        matched; a stop stays PreSubmitted until the market reaches its trigger."""
        if order.status != "PreSubmitted" or order.awaiting_parent:
            return  # already working (a child its parent's fill set off), finished or held
        inst = self._inst(order)
        if order.is_stop and not order.triggered:
            self.match_order(order, inst)  # elects it when the market is already there
            return
        order.status = "Submitted"
        self.notifier.order_status(order, inst)
        self.match_order(order, inst)
        if order.tif == IOC and order.is_active:
            self._cancel(order)  # immediate or cancel: what did not fill on arrival never rests

    def _release_child(self, child: SimOrder) -> None:
        """A child whose parent has filled starts working."""
        child.awaiting_parent = False
        if child.is_stop and not child.triggered:
            self.notifier.order_status(child, self._inst(child))  # now held by its trigger only
        self._activate(child)

    def _after_fill(self, order: SimOrder, qty: Decimal) -> None:
        """What a fill of ``qty`` sets off: a filled parent's children start working; the rest
        of an OCA group is cancelled (type 1) or reduced by ``qty`` (types 2 and 3)."""
        if order.status == "Filled":
            for child in contingent.children_of(self.world, order):
                if child.is_active and child.awaiting_parent:
                    self._release_child(child)
        for peer in contingent.oca_peers(self.world, order):
            if order.oca_type == contingent.OCA_CANCEL_WITH_BLOCK:
                self._cancel(peer)
                continue
            peer.total_qty = max(peer.filled, peer.total_qty - qty)
            if peer.remaining <= 0:
                self._cancel(peer)
            else:
                self.notifier.order_status(peer, self._inst(peer))

    def cancel(self, client_id: int, order_id: int) -> bool:
        """Cancel a working or untransmitted order of ``client_id`` and its bracket children;
        False (and a refusal) when there is none."""
        order = self.world.find_order(client_id, order_id)
        if order is None or not (order.is_active or order.status == UNTRANSMITTED):
            self.notifier.request_error(client_id, order_id, RequestError(Refusal.UNKNOWN_ORDER))
            return False
        self._cancel_with_children(order)
        return True

    def cancel_all(self) -> None:
        """Cancel every working or untransmitted order of every client (reqGlobalCancel)."""
        for order in list(self.world.orders.values()):
            if order.is_active or order.status == UNTRANSMITTED:
                self._cancel(order)

    def expire_day_orders(self) -> None:
        """Cancel the DAY orders whose session has closed (and their bracket children)."""
        now = self.clock.now()
        due = [
            o for o in self.world.orders.values()
            if o.is_active and o.expires_at is not None and now >= o.expires_at
        ]  # fmt: skip
        for order in sorted(due, key=lambda o: o.order_id):
            if order.is_active:  # not cancelled meanwhile as a child of an earlier one
                self._cancel_with_children(order)

    def _cancel_with_children(self, order: SimOrder) -> None:
        """Cancel ``order``; its children are cancelled too, unless the parent had filled in
        part: then they protect what filled (resized to the parent's filled quantity)."""
        self._cancel(order)
        for child in contingent.children_of(self.world, order):
            if child.is_active and child.awaiting_parent and order.filled > 0:
                child.total_qty = order.filled
                self._release_child(child)
            elif child.is_active or child.status == UNTRANSMITTED:
                self._cancel(child)

    def _cancel(self, order: SimOrder) -> None:
        self.world.finish(order, "Cancelled", self.clock.now())
        self.notifier.order_status(order, self._inst(order))
        self.notifier.world_changed()

    def _inst(self, order: SimOrder) -> Instrument:
        inst = self.catalogue.by_con_id(order.con_id)
        assert inst is not None
        return inst

    def match_order(self, order: SimOrder, inst: Instrument, *, resting: bool = False) -> None:
        """Fill what the book allows now; no fills while the instrument's market is closed.

        A stop is elected first (PreSubmitted to Submitted) when the market reaches its trigger,
        then works as a market (STP) or limit (STP LMT) order. ``resting``: the order was
        already on the book (its crypto fills pay the maker fee).
        """
        now = self.clock.now()
        if not order.is_active or order.awaiting_parent:
            return
        use_rth = not order.outside_rth
        if not hours.is_open(inst.market, now, use_rth=use_rth or inst.market == "FX"):
            return
        q = self.market.quote(inst, now)
        if order.is_stop and not order.triggered:
            if not contingent.stop_elected(order, q):
                return
            order.triggered = True
            order.status = "Submitted"
            self.notifier.order_status(order, inst)
        book = q.asks if order.action == "BUY" else q.bids
        bucket = int(now.timestamp()) // BOOK_REFRESH_SECONDS
        before = order.filled
        fills = self.world.match(
            order, inst, book, bucket, now, self.rate, fees=self.fees, maker=resting
        )
        if fills:
            self.notifier.executions(order, inst, fills)
            self.notifier.account_changed(inst)
            self._after_fill(order, order.filled - before)
            self.notifier.world_changed()

    def has_working_orders(self) -> bool:
        """True while any order of any client is working (PreSubmitted or Submitted)."""
        return any(order.is_active for order in self.world.orders.values())

    def quiet_for(self, step: float, seconds: float) -> float:
        """How far the clock may move from now in one go, in ``step``-second steps up to
        ``seconds``, with nothing happening on the way: the time of the last step before the
        first one at which a working order could fill, be elected or expire (``seconds``: none
        can; 0: the next step may). A step where one could is never skipped, so the clock lands
        where one-second steps would, the same orders filled at the same times.

        An order can act only while its market (with its own hours) is open, and only when the
        touch reaches it: a buy limit when the ask is at or under its limit, a sell limit when
        the bid is at or over it, a stop when :func:`contingent.stop_elected` says; an order
        without a limit (market, or a stop already elected) whenever its market is open.
        """
        now = self.clock.now()
        until = now + timedelta(seconds=seconds)
        # (order, instrument, its hours, its market open all the wait in regular hours)
        watched: list[tuple[SimOrder, Instrument, bool, bool]] = []
        for order in self.world.orders.values():
            if not order.is_active:
                continue
            inst = self.catalogue.by_con_id(order.con_id)
            if inst is None:
                continue  # never matched (match_all skips it too)
            use_rth = not order.outside_rth or inst.market == "FX"
            expires = order.expires_at is not None and order.expires_at <= until
            if expires or hours.open_between(inst.market, now, until, use_rth=use_rth):
                always = hours.open_throughout(inst.market, now, until)  # regular hours
                if always and not expires and self._out_of_reach(order, inst, now, seconds):
                    continue  # the market cannot come to it in the wait
                watched.append((order, inst, use_rth, always))
        if not watched:
            return seconds
        touches: dict[tuple[int, datetime], tuple[Decimal, Decimal, Decimal]] = {}
        offset, remaining = 0.0, seconds
        while remaining > 1e-9:  # the times advance() would step to
            delta = min(step, remaining)
            at = now + timedelta(seconds=offset + delta)
            if any(self._may_act(o, inst, rth, at, touches, always=always)
                   for o, inst, rth, always in watched):
                return offset
            offset += delta
            remaining -= delta
        return seconds

    def _out_of_reach(
        self, order: SimOrder, inst: Instrument, now: datetime, seconds: float
    ) -> bool:
        """Whether the touch cannot reach ``order``'s price in the next ``seconds``, however the
        price moves within its bounds (:meth:`MarketModel.raw_reach`). The touch keeps close to
        the price: with ``t`` the largest step in reach, the bid is within (price - 2t, price]
        and the ask within (price - t, price + t], the last print one of them."""
        stop = order.is_stop and not order.triggered
        price = order.aux_price if stop else order.lmt_price
        reach = None if price is None else self.market.raw_reach(inst, now, seconds)
        if price is None or reach is None:
            return False
        low, high = reach
        tick = float(inst.tick_at(Decimal(repr(max(abs(low), abs(high))))))
        at = float(price)
        if stop:  # a sell stop wants the bid or last at or under it, a buy stop over it
            return at < low - 2 * tick if order.action == "SELL" else at > high + tick
        return at < low - tick if order.action == "BUY" else at > high

    def _may_act(
        self,
        order: SimOrder,
        inst: Instrument,
        use_rth: bool,
        at: datetime,
        touches: dict[tuple[int, datetime], tuple[Decimal, Decimal, Decimal]],
        *,
        always: bool = False,
    ) -> bool:
        """Whether ``order`` could fill, be elected or expire at ``at`` (see :meth:`quiet_for`;
        ``always``: its market is open in regular hours all the wait, so at ``at`` too)."""
        if order.expires_at is not None and at >= order.expires_at:
            return True
        if order.awaiting_parent:
            return False
        if not always and not hours.is_open(inst.market, at, use_rth=use_rth):
            return False
        touch = touches.get((inst.con_id, at))
        if touch is None:  # what match_order's quote would show at ``at``
            # open in regular hours, the quote's time is ``at`` itself (never frozen)
            touch = (self.market.prices_at(inst, at) if always
                     else self.market.quote_prices(inst, at))
            touches[(inst.con_id, at)] = touch
        return contingent.touch_reaches(order, *touch)

    def match_all(self) -> None:
        """Expire DAY orders past their close, then try every working order against the
        current book, electing stops the market has reached (call after the clock moves)."""
        self.expire_day_orders()
        for order in [o for o in self.world.orders.values() if o.is_active]:
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
